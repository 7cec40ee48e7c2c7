"""Account administration services, called without a request: role rules, the admin
lock-out rules, password resets and the audit entries each change writes."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.audit.services import entries_for
from registry.auth.models import User
from registry.auth.services import (
    UserFilter, add_user, authenticate, change_own_password, firm_by_uscc, get_user,
    reset_password, set_active, update_user, user_query,
)
from registry.errors import ConflictError, NotFound, ValidationError


@pytest.fixture
def admin(make):
    return make.user("admin", username="chief", display_name="管理员老陈")


def _audit(ctx, user):
    return list(ctx.scalars(select(AuditLog).where(AuditLog.entity_type == "user",
                                                   AuditLog.entity_id == user.id)
                            .order_by(AuditLog.id)))


def test_create_a_town_officer_with_towns(ctx, make, admin):
    hushan, zhouxiang = make.town("浒山街道"), make.town("周巷镇")
    user, password = add_user(admin, username=" Liaison ", role="town", display_name="周巷联络员",
                              towns=[zhouxiang, hushan], phone="0574-6321")
    ctx.commit()
    assert user.username == "liaison"
    assert {t.name for t in user.towns} == {"浒山街道", "周巷镇"}
    assert user.must_change_password and user.is_active
    assert len(password) == 12 and user.check_password(password)
    [entry] = _audit(ctx, user)
    assert (entry.action, entry.user_id) == ("create", admin.id)
    assert entry.after["role"] == "town" and set(entry.after["towns"]) == {"浒山街道", "周巷镇"}
    assert entry.after["phone"] == "0574-6321"
    assert password not in repr(entry.after) and "password_hash" not in entry.after


def test_a_given_initial_password_is_used_and_must_still_be_changed(ctx, admin):
    user, password = add_user(admin, username="clerk", role="staff", display_name="张三",
                              password="chosen-pass-1")
    assert password == "chosen-pass-1" and user.check_password("chosen-pass-1")
    assert user.must_change_password


def test_firm_user_is_bound_by_uscc_and_named_after_it(ctx, make, admin):
    firm = make.firm("慈溪市企业用户测试有限公司")
    found = firm_by_uscc(" " + firm.uscc.lower() + " ")
    assert found is firm
    user, _ = add_user(admin, username="", role="firm", firm=found)
    assert user.username == firm.uscc and user.display_name == firm.name
    assert user.firm_id == firm.id
    with pytest.raises(ValidationError, match="未找到统一社会信用代码") as err:
        firm_by_uscc("91330282MA2AAAAAA0")
    assert err.value.field == "firm_uscc"


@pytest.mark.parametrize("role, towns, firm, text, field", [
    ("town", False, False, "至少负责一个镇", "towns"),
    ("staff", True, False, "只有镇街道联络员", "towns"),
    ("viewer", True, False, "只有镇街道联络员", "towns"),
    ("firm", False, False, "必须绑定一家企业", "firm_uscc"),
    ("staff", False, True, "只有企业用户", "firm_uscc"),
    ("town", True, True, "只有企业用户", "firm_uscc"),
    ("root", False, False, "未知的角色", "role"),
])
def test_role_rules_on_create(ctx, make, admin, role, towns, firm, text, field):
    kw = dict(towns=[make.town()] if towns else [], firm=make.firm() if firm else None)
    with pytest.raises(ValidationError, match=text) as err:
        add_user(admin, username="someone", role=role, display_name="某人", **kw)
    assert err.value.field == field
    assert ctx.scalar(select(User).where(User.username == "someone")) is None


def test_duplicate_username_is_refused(ctx, make, admin):
    make.user("staff", username="clerk")
    with pytest.raises(ConflictError, match="已存在"):
        add_user(admin, username="CLERK", role="viewer", display_name="领导")


def test_edit_changes_role_towns_name_phone_and_audits_only_changes(ctx, make, admin):
    user = make.user("staff", username="mover", display_name="王五")
    ctx.commit()
    town = make.town("观海卫镇")
    update_user(admin, user, role="town", display_name="王五（观海卫）", towns=[town],
                phone="138")
    ctx.commit()
    assert user.role == "town" and [t.name for t in user.towns] == ["观海卫镇"]
    [entry] = _audit(ctx, user)
    assert entry.action == "update"
    assert entry.before == {"display_name": "王五", "role": "staff", "towns": [], "phone": None}
    assert entry.after == {"display_name": "王五（观海卫）", "role": "town", "towns": ["观海卫镇"],
                           "phone": "138"}
    # back to staff: towns must go with the role
    with pytest.raises(ValidationError, match="只有镇街道联络员"):
        update_user(admin, user, role="staff", display_name="王五", towns=[town])
    update_user(admin, user, role="staff", display_name="王五（观海卫）", towns=[], phone="138")
    ctx.commit()
    assert user.towns == [] and user.role == "staff"
    # saving without a change writes nothing
    update_user(admin, user, role="staff", display_name="王五（观海卫）", phone="138")
    assert len(_audit(ctx, user)) == 2


def test_an_admin_cannot_demote_or_deactivate_themselves(ctx, make, admin):
    make.user("admin", username="deputy")  # another admin exists: the rule is about oneself
    ctx.commit()
    with pytest.raises(ConflictError, match="不能更改自己的管理员角色") as err:
        update_user(admin, admin, role="staff", display_name="管理员老陈")
    assert err.value.field == "role"
    with pytest.raises(ConflictError, match="不能停用自己的账号") as err:
        update_user(admin, admin, role="admin", display_name="管理员老陈", active=False)
    assert err.value.field == "is_active"
    with pytest.raises(ConflictError, match="不能停用自己的账号"):
        set_active(admin, admin, False)
    ctx.rollback()
    assert admin.role == "admin" and admin.is_active
    # editing one's own name is fine
    update_user(admin, admin, role="admin", display_name="陈主任")
    assert admin.display_name == "陈主任"


def test_the_last_active_admin_stays(ctx, make, admin):
    other = make.user("admin", username="deputy")
    ctx.commit()
    set_active(admin, other, False)  # two admins: one may go
    ctx.commit()
    # ``other`` (now inactive) cannot act, and a CLI/system actor cannot remove the last one
    with pytest.raises(ConflictError, match="最后一个管理员"):
        set_active(None, admin, False)
    with pytest.raises(ConflictError, match="最后一个管理员"):
        update_user(None, admin, role="viewer", display_name="x")
    ctx.rollback()
    # an inactive admin may be demoted: it is not the last *active* one
    update_user(admin, other, role="staff", display_name="副手", active=False)
    ctx.commit()
    assert other.role == "staff"


def test_deactivate_and_reactivate(ctx, make, admin):
    user = make.user("staff", username="leaver", password="correct-horse-1")
    ctx.commit()
    set_active(admin, user, False)
    ctx.commit()
    assert authenticate("leaver", "correct-horse-1") is None
    set_active(admin, user, False)  # no change, no entry
    set_active(admin, user, True)
    ctx.commit()
    assert authenticate("leaver", "correct-horse-1") is user
    assert [(e.action, e.before, e.after) for e in _audit(ctx, user)] == [
        ("deactivate", {"is_active": True}, {"is_active": False}),
        ("reactivate", {"is_active": False}, {"is_active": True}),
    ]


def test_reset_password_forces_a_change_and_never_logs_the_password(ctx, make, admin):
    user = make.user("staff", username="forgetful", password="correct-horse-1", failed_logins=4)
    ctx.commit()
    password = reset_password(admin, user)
    ctx.commit()
    assert authenticate("forgetful", "correct-horse-1") is None
    assert authenticate("forgetful", password) is user
    assert user.must_change_password
    [entry] = _audit(ctx, user)
    assert entry.action == "reset_password" and entry.user_id == admin.id
    assert password not in repr((entry.before, entry.after, entry.summary))
    change_own_password(user, password, "my-own-secret-2")
    ctx.commit()
    assert not user.must_change_password
    assert user.check_password("my-own-secret-2")
    with pytest.raises(ValidationError, match="当前密码不正确"):
        change_own_password(user, "wrong", "another-secret-3")
    with pytest.raises(ValidationError, match="不能与当前密码相同"):
        change_own_password(user, "my-own-secret-2", "my-own-secret-2")
    assert "my-own-secret-2" not in repr([(e.before, e.after) for e in _audit(ctx, user)])


def test_user_query_filters(ctx, make, admin):
    hushan, zhouxiang = make.town("浒山街道"), make.town("周巷镇")
    firm = make.firm("慈溪市筛选测试电器有限公司")
    a = make.user("town", username="t-hushan", towns=[hushan])
    b = make.user("town", username="t-zhouxiang", towns=[zhouxiang], is_active_flag=False)
    c = make.user("firm", username="f-user", firm=firm)
    ctx.commit()

    def names(**kw):
        return [u.username for u in ctx.scalars(user_query(UserFilter(**kw)))]

    assert names(role="town") == ["t-hushan", "t-zhouxiang"]
    assert names(town_id=zhouxiang.id) == ["t-zhouxiang"]
    assert names(active=False) == ["t-zhouxiang"]
    assert "t-zhouxiang" not in names(active=True)
    assert names(q="筛选测试") == ["f-user"]
    assert names(q="HUSHAN") == ["t-hushan"]
    assert names()[-1] == "t-zhouxiang"  # inactive accounts last
    assert {a.id, b.id, c.id} <= {u.id for u in ctx.scalars(user_query(UserFilter()))}


def test_get_user_missing_or_bad_id_is_not_found(ctx):
    for bad in ("999999", "abc", "-1", "99999999999999"):
        with pytest.raises(NotFound):
            get_user(bad)


def test_audit_entries_for_user_changes_are_listed_by_entries_for(ctx, make, admin):
    user, _ = add_user(admin, username="traced", role="viewer", display_name="领导甲")
    set_active(admin, user, False)
    ctx.commit()
    got = entries_for(entity_type="user", entity_id=user.id)
    assert [e.action for e in got] == ["deactivate", "create"]
    assert got[0].user.username == "chief"


def test_cli_create_uses_the_same_rules_and_audits(app, ctx):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["users", "create", "liaison", "--role", "town"])
    assert refused.exit_code != 0 and "至少负责一个镇" in refused.output
    unknown = runner.invoke(args=["users", "create", "liaison", "--role", "town", "--town", "火星镇"])
    assert unknown.exit_code != 0 and "火星镇" in unknown.output
    made = runner.invoke(args=["users", "create", "liaison", "--role", "town", "--town", "周巷镇",
                               "--town", "浒山街道", "--name", "联络员"])
    assert made.exit_code == 0, made.output
    user = ctx.scalar(select(User).where(User.username == "liaison"))
    assert {t.name for t in user.towns} == {"周巷镇", "浒山街道"} and user.must_change_password
    [entry] = _audit(ctx, user)
    assert entry.user_id is None and entry.action == "create"
    runner.invoke(args=["users", "ensure-admin"])
    admin = ctx.scalar(select(User).where(User.role == "admin"))
    assert [e.action for e in _audit(ctx, admin)] == ["create"]
