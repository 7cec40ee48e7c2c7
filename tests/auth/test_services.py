"""Accounts: authentication, password storage, creation rules and the first admin."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from registry.auth.models import User
from registry.auth.services import authenticate, create_user, ensure_admin, generate_password
from registry.errors import ConflictError, ValidationError

PASSWORD = "correct-horse-1"


def test_authenticate_returns_the_user_and_resets_failures(ctx, make):
    user = make.user("staff", username="clerk", password=PASSWORD, failed_logins=2)
    ctx.commit()
    assert user.last_login_at is None
    assert authenticate("clerk", PASSWORD) is user
    assert authenticate("  clerk ", PASSWORD) is user  # stray spaces around the name
    assert user.failed_logins == 0
    assert user.last_login_at is not None


def test_wrong_password_and_unknown_user_both_give_none(ctx, make):
    make.user("staff", username="clerk", password=PASSWORD)
    ctx.commit()
    assert authenticate("clerk", "wrong-horse-1") is None
    assert authenticate("clerk", PASSWORD.upper()) is None
    assert authenticate("clerk", "") is None
    assert authenticate("nobody", PASSWORD) is None
    assert authenticate("", PASSWORD) is None
    assert authenticate(None, PASSWORD) is None


def test_failed_logins_are_counted(ctx, make):
    user = make.user("staff", username="clerk", password=PASSWORD)
    ctx.commit()
    for expected in (1, 2, 3):
        assert authenticate("clerk", "guess-%d" % expected) is None
        ctx.commit()
        ctx.expire_all()
        assert ctx.get(User, user.id).failed_logins == expected
    assert authenticate("clerk", PASSWORD) is not None
    ctx.commit()
    ctx.expire_all()
    assert ctx.get(User, user.id).failed_logins == 0


def test_inactive_user_cannot_log_in(ctx, make):
    user = make.user("staff", username="gone", password=PASSWORD, is_active_flag=False)
    ctx.commit()
    assert authenticate("gone", PASSWORD) is None
    assert user.failed_logins == 1
    assert user.last_login_at is None


def test_passwords_are_stored_hashed(ctx):
    user = create_user("hashed", "staff", password=PASSWORD)
    ctx.commit()
    stored = ctx.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith(("scrypt:", "pbkdf2:"))
    assert PASSWORD not in stored
    other = create_user("hashed2", "staff", password=PASSWORD)
    assert other.password_hash != stored  # salted
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")


def test_create_user_for_each_role(ctx, make):
    firm = make.firm()
    town = make.town("周巷镇")
    made = {
        "admin": create_user("a1", "admin", password=PASSWORD),
        "staff": create_user("s1", "staff", password=PASSWORD, display_name="科技局张三"),
        "town": create_user("t1", "town", password=PASSWORD, towns=[town]),
        "firm": create_user("f1", "firm", password=PASSWORD, firm=firm),
        "viewer": create_user("v1", "viewer", password=PASSWORD),
    }
    ctx.commit()
    assert {role: u.role for role, u in made.items()} == {r: r for r in made}
    assert made["staff"].display_name == "科技局张三"
    assert made["admin"].display_name == "a1"
    assert [t.name for t in made["town"].towns] == ["周巷镇"]
    assert made["firm"].firm_id == firm.id
    assert authenticate("f1", PASSWORD) is made["firm"]


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(username="short", role="staff", password="1234567"), ValidationError, "至少需要8个字符"),
    (dict(username="ghost", role="root", password=PASSWORD), ValidationError, "未知的角色"),
    (dict(username="ghost", role="", password=PASSWORD), ValidationError, "未知的角色"),
    (dict(username="nofirm", role="firm", password=PASSWORD), ValidationError, "必须绑定一家企业"),
    (dict(username="   ", role="staff", password=PASSWORD), ValidationError, "用户名不能为空"),
], ids=["short-password", "unknown-role", "empty-role", "firm-without-firm", "blank-username"])
def test_create_user_rejects(ctx, kwargs, error, text):
    before = ctx.scalar(select(func.count()).select_from(User))
    with pytest.raises(error) as err:
        create_user(kwargs.pop("username"), kwargs.pop("role"), **kwargs)
    assert text in err.value.message
    assert ctx.scalar(select(func.count()).select_from(User)) == before


def test_create_user_rejects_a_duplicate_username(ctx, make):
    create_user("clerk", "staff", password=PASSWORD)
    ctx.commit()
    with pytest.raises(ConflictError, match="clerk") as err:
        create_user(" clerk ", "viewer", password="another-pass-2")
    assert err.value.field == "username"
    ctx.rollback()
    assert ctx.scalar(select(func.count()).select_from(User).where(User.username == "clerk")) == 1


def test_ensure_admin_once(ctx, capsys):
    assert ctx.scalar(select(func.count()).select_from(User).where(User.role == "admin")) == 0
    admin, password = ensure_admin()
    ctx.commit()
    assert admin.role == "admin" and admin.username == "admin"
    assert admin.must_change_password is True
    assert password and len(password) >= 12
    assert admin.check_password(password)
    assert authenticate("admin", password) is admin

    again, no_password = ensure_admin()
    ctx.commit()
    assert again.id == admin.id and no_password is None
    assert ctx.scalar(select(func.count()).select_from(User).where(User.role == "admin")) == 1
    assert admin.check_password(password)  # the second call did not reset it


def test_ensure_admin_keeps_an_existing_admin(ctx, make):
    existing = make.user("admin", username="chief", password=PASSWORD)
    ctx.commit()
    admin, password = ensure_admin()
    assert (admin.id, password) == (existing.id, None)
    assert ctx.scalar(select(func.count()).select_from(User)) == 1


def test_ensure_admin_command_prints_the_password_once(app, ctx):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["users", "ensure-admin"])
    assert first.exit_code == 0, first.output
    admin = ctx.scalar(select(User).where(User.role == "admin"))
    printed = [w for w in re.findall(r"[A-Za-z0-9]{12}", first.output) if admin.check_password(w)]
    assert len(printed) == 1, first.output
    second = runner.invoke(args=["users", "ensure-admin"])
    assert second.exit_code == 0, second.output
    assert printed[0] not in second.output
    assert ctx.scalar(select(func.count()).select_from(User).where(User.role == "admin")) == 1


def test_generated_passwords_are_readable_and_different():
    seen = {generate_password() for _ in range(50)}
    assert len(seen) == 50
    for pw in seen:
        assert len(pw) == 12 and not set(pw) & set("0O1lI")


def test_usernames_have_one_spelling_on_every_database(ctx):
    from registry.auth.services import authenticate, create_user
    from registry.errors import ConflictError

    create_user("Clerk", "staff", password="correct-horse-1")
    ctx.flush()
    with pytest.raises(ConflictError):
        create_user("clerk", "staff", password="correct-horse-1")
    assert authenticate("CLERK", "correct-horse-1") is not None
    assert authenticate("clerk", None) is None
