"""Editing a firm without a request: the optimistic lock (a stale save lists what changed
and overwrites nothing), status changes, the town officer's scope, and the audit trail."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.errors import ConflictError, NotFound, ValidationError
from registry.firms.changes import change_status, update_firm
from registry.firms.locking import EditConflict
from registry.firms.models import Firm
from registry.firms.services import (
    AccessDenied, FirmFilter, can_edit_firm, create_firm, firm_query, firm_snapshot,
    get_firm_for_edit, rename_firm,
)
from tests.factories import next_uscc


def entries(session, firm_id, action=None):
    stmt = select(AuditLog).where(AuditLog.firm_id == firm_id).order_by(AuditLog.id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    return list(session.scalars(stmt))


# --- update_firm ------------------------------------------------------------------------

def test_edit_writes_only_changed_fields_and_one_audit_entry(ctx, make):
    staff = make.user("staff")
    firm = make.firm("慈溪市编辑电器有限公司", registered_capital=Decimal("500"), phone="0574-1")
    ctx.commit()
    version = firm.version
    changes = update_firm(staff, firm, version=version, registered_capital="800",
                          phone="0574-63000000", town_id=make.town("周巷镇").id, above_scale=True,
                          address="  ")
    ctx.commit()
    assert {c.field for c in changes} == {"registered_capital", "phone", "town", "above_scale"}
    ctx.expire_all()
    firm = ctx.get(Firm, firm.id)
    assert firm.registered_capital == Decimal("800.00") and firm.town.name == "周巷镇"
    assert firm.version == version + 1
    (entry,) = entries(ctx, firm.id, "update")
    assert entry.user_id == staff.id and entry.entity_type == "firm"
    assert entry.before == {"registered_capital": "500.00", "phone": "0574-1", "town": "浒山街道",
                            "above_scale": False}
    assert entry.after == {"registered_capital": "800.00", "phone": "0574-63000000",
                           "town": "周巷镇", "above_scale": True}
    assert "注册资本" in entry.summary and "所在镇" in entry.summary


def test_edit_without_change_writes_nothing(ctx, make):
    staff = make.user("staff")
    firm = make.firm(registered_capital=Decimal("500.00"))
    ctx.commit()
    assert update_firm(staff, firm, version=firm.version, registered_capital="500",
                       uscc=firm.uscc.lower()) == []
    ctx.commit()
    assert entries(ctx, firm.id) == []
    assert firm.version == 1


def test_stale_edit_is_refused_listing_what_changed_in_between(ctx, make):
    first, second = make.user("staff", display_name="张科员"), make.user("staff")
    firm = make.firm("慈溪市并发电器有限公司", registered_capital=Decimal("500"), phone="111")
    ctx.commit()
    loaded_version, loaded = firm.version, firm_snapshot(firm)  # both open the form

    update_firm(first, firm, version=loaded_version, original=loaded, registered_capital="900",
                phone="222")
    ctx.commit()

    with pytest.raises(EditConflict) as err:
        update_firm(second, firm, version=loaded_version, original=loaded, phone="333",
                    address="新地址")
    message = err.value.message
    assert "已被他人修改" in message and "张科员" in message
    assert "注册资本（万元）：500.00 → 900.00" in message
    assert "联系电话：111 → 222" in message
    assert [(c.field, c.before, c.after) for c in err.value.changes] == [
        ("registered_capital", "500.00", "900.00"), ("phone", "111", "222")]
    ctx.rollback()
    ctx.expire_all()
    firm = ctx.get(Firm, firm.id)
    assert (firm.phone, firm.address) == ("222", None)  # nothing overwritten
    assert len(entries(ctx, firm.id, "update")) == 1


def test_stale_edit_without_the_original_still_refuses(ctx, make):
    staff = make.user("staff")
    firm = make.firm()
    ctx.commit()
    update_firm(staff, firm, version=1, phone="1")
    ctx.commit()
    with pytest.raises(ConflictError, match="已被他人修改"):
        update_firm(staff, firm, version=1, phone="2")
    with pytest.raises(ConflictError):
        update_firm(staff, firm, version="abc", phone="2")


def test_two_sessions_racing_past_the_check_cannot_both_win(ctx, make):
    """The version column makes the UPDATE conditional: the slower save fails cleanly."""
    from sqlalchemy.orm import Session

    staff = make.user("staff")
    firm = make.firm(phone="0")
    ctx.commit()
    assert firm.version == 1  # loaded: our session now holds version 1 in memory
    with Session(ctx.get_bind()) as side:  # another worker saves in between
        side.get(Firm, firm.id).phone = "side"
        side.commit()
    with pytest.raises(EditConflict):  # the check passes, the UPDATE matches no row
        update_firm(staff, firm, version=1, phone="ours")
    ctx.rollback()
    ctx.expire_all()
    assert ctx.get(Firm, firm.id).phone == "side"


@pytest.mark.parametrize("values, field, text", [
    (dict(uscc="91330282MA2AB1C2XX"), "uscc", "统一社会信用代码"),
    (dict(registered_capital="abc"), "registered_capital", "不是有效的数字"),
    (dict(founded_on=date.today() + timedelta(days=3)), "founded_on", "晚于今天"),
    (dict(phone="1" * 41), "phone", "不能超过40个字符"),
    (dict(town_id=999999), "town_id", "不存在"),
])
def test_edit_rejects_bad_values_with_the_field_named(ctx, make, values, field, text):
    firm = make.firm()
    ctx.commit()
    with pytest.raises(ValidationError) as err:
        update_firm(make.user("staff"), firm, version=firm.version, **values)
    assert err.value.field == field and text in err.value.message


def test_edit_to_a_taken_uscc_names_the_holder(ctx, make):
    holder = make.firm("慈溪市占用代码有限公司")
    firm = make.firm()
    ctx.commit()
    with pytest.raises(ConflictError, match="慈溪市占用代码有限公司"):
        update_firm(make.user("staff"), firm, version=firm.version, uscc=holder.uscc)


# --- town officers, viewers, firm users -----------------------------------------------------

def test_town_officer_edits_only_their_towns_and_cannot_move_a_firm_out(ctx, make):
    officer = make.user("town", towns=["周巷镇", "坎墩街道"])
    mine = make.firm(town="周巷镇")
    other = make.firm(town="龙山镇")
    ctx.commit()
    assert can_edit_firm(officer, mine) and not can_edit_firm(officer, other)
    with pytest.raises(NotFound):
        get_firm_for_edit(officer, other.id)
    update_firm(officer, mine, version=mine.version, town_id=make.town("坎墩街道").id)  # within
    with pytest.raises(AccessDenied, match="自己负责的镇"):
        update_firm(officer, mine, version=mine.version, town_id=make.town("龙山镇").id)
    with pytest.raises(AccessDenied):
        update_firm(officer, mine, version=mine.version, town_id=None)
    with pytest.raises(AccessDenied):
        update_firm(officer, other, version=other.version, phone="1")


def test_town_officer_creates_only_in_their_towns(ctx, make):
    officer = make.user("town", towns=["周巷镇"])
    firm = create_firm(officer, uscc=next_uscc(), name="慈溪市镇里新建有限公司", town=make.town("周巷镇"))
    assert firm.town.name == "周巷镇"
    for town in (make.town("龙山镇"), None):
        with pytest.raises(AccessDenied):
            create_firm(officer, uscc=next_uscc(), name="慈溪市越界有限公司", town=town)


def test_viewer_and_firm_user_may_not_change_anything(ctx, make):
    firm = make.firm()
    ctx.commit()
    for user in (make.user("viewer"), make.user("firm", firm=firm)):
        with pytest.raises(AccessDenied) as err:
            get_firm_for_edit(user, firm.id)
        assert err.value.code == 403
        with pytest.raises(AccessDenied):
            update_firm(user, firm, version=firm.version, phone="1")
        with pytest.raises(AccessDenied):
            rename_firm(user, firm, "慈溪市新名有限公司")
        with pytest.raises(AccessDenied):
            change_status(user, firm, status="moved_out", on=date(2016, 1, 1), version=firm.version)


# --- status ------------------------------------------------------------------------------------

def test_status_change_keeps_the_firm_and_writes_history(ctx, make):
    staff = make.user("staff")
    firm = make.firm("慈溪市迁出电器有限公司", founded_on=date(2010, 1, 1))
    make.recognition(firm, "high_tech", 2015)
    ctx.commit()
    change_status(staff, firm, status="moved_out", on=date(2016, 6, 30), reason="迁往余姚市",
                  version=firm.version)
    ctx.commit()
    ctx.expire_all()
    firm = ctx.get(Firm, firm.id)
    assert (firm.status, firm.status_changed_on) == ("moved_out", date(2016, 6, 30))
    assert len(firm.recognitions) == 1  # nothing deleted
    (entry,) = entries(ctx, firm.id, "status")
    assert entry.before == {"status": "active", "status_changed_on": None}
    assert entry.after == {"status": "moved_out", "status_changed_on": "2016-06-30"}
    assert "在营 → 迁出" in entry.summary and "迁往余姚市" in entry.summary
    staff_list = {f.name for f in ctx.scalars(firm_query(staff, FirmFilter(status="moved_out")))}
    assert "慈溪市迁出电器有限公司" in staff_list

    change_status(staff, firm, status="active", on=date(2016, 9, 1), version=firm.version)
    assert firm.status == "active"


@pytest.mark.parametrize("status, on, field, text", [
    ("closed", date(2016, 1, 1), "status", "有效的企业状态"),
    ("deregistered", None, "on", "请填写"),
    ("deregistered", date.today() + timedelta(days=1), "on", "晚于今天"),
    ("deregistered", date(2009, 12, 31), "on", "早于成立日期"),
])
def test_status_change_rejects(ctx, make, status, on, field, text):
    firm = make.firm(founded_on=date(2010, 1, 1))
    ctx.commit()
    with pytest.raises(ValidationError) as err:
        change_status(make.user("staff"), firm, status=status, on=on, version=firm.version)
    assert err.value.field == field and text in err.value.message
    assert firm.status == "active"


def test_rename_with_a_stale_version_is_refused(ctx, make):
    staff = make.user("staff")
    firm = make.firm("慈溪市旧称有限公司")
    ctx.commit()
    update_firm(staff, firm, version=1, phone="1")
    ctx.commit()
    with pytest.raises(ConflictError):
        rename_firm(staff, firm, "慈溪市新称有限公司", version=1)
    rename_firm(staff, firm, "慈溪市新称有限公司", version=firm.version, on=date(2016, 1, 1))
    assert firm.former_names[0].name == "慈溪市旧称有限公司"


# --- list filters and sorting -------------------------------------------------------------------

@pytest.fixture
def spread(ctx, make):
    from registry.institutions.models import RdInstitution

    a = make.firm("甲", town="浒山街道", above_scale=True, registered_capital=Decimal("100"),
                  founded_on=date(2001, 1, 1))
    b = make.firm("乙", town="杭州湾新区", registered_capital=Decimal("900"), founded_on=date(2012, 1, 1))
    c = make.firm("丙", town=None, registered_capital=None, founded_on=date(2005, 1, 1))
    ctx.add(RdInstitution(firm=b, name="乙研发中心", type="企业技术中心", level="cixi"))
    ctx.commit()
    return a, b, c


def names(session, user, **kw):
    return [f.name for f in session.scalars(firm_query(user, FirmFilter(**kw)))]


def test_zone_institution_and_above_scale_filters(ctx, make, spread):
    staff = make.user("staff")
    assert set(names(ctx, staff, zone="exclude_new")) == {"甲", "丙"}
    assert names(ctx, staff, zone="only_new") == ["乙"]
    assert names(ctx, staff, has_institution=True) == ["乙"]
    assert set(names(ctx, staff, has_institution=False)) == {"甲", "丙"}
    assert names(ctx, staff, above_scale=True) == ["甲"]
    assert set(names(ctx, staff, above_scale=False)) == {"乙", "丙"}


def test_sorting_is_whitelisted_and_puts_empty_values_last(ctx, make, spread):
    staff = make.user("staff")
    assert names(ctx, staff, sort="capital") == ["甲", "乙", "丙"]
    assert names(ctx, staff, sort="capital", descending=True) == ["乙", "甲", "丙"]
    assert names(ctx, staff, sort="founded") == ["甲", "丙", "乙"]
    assert names(ctx, staff, sort="town")[-1] == "丙"
    assert names(ctx, staff, sort="industry")  # joins work
    assert names(ctx, staff, sort="name; DROP TABLE firms") == names(ctx, staff)  # unknown: by name
