"""Accounts: authentication and creation, without a request."""
from __future__ import annotations

import secrets

from sqlalchemy import select

from registry.auth.models import User
from registry.errors import ConflictError, ValidationError
from registry.extensions import db
from registry.firms.uscc import is_valid_uscc
from registry.timeutil import utcnow
from registry.vocab import ROLES

# Verified against when the user does not exist, so both paths cost one hash.
_DUMMY_HASH = None


def normalise_username(raw) -> str:
    """One spelling per account on every database: firm logins (USCCs) upper case, others lower.

    MariaDB compares case-insensitively and PostgreSQL does not; storing one form avoids
    "Clerk" and "clerk" being one account here and two there.
    """
    name = (raw or "").strip()
    return name.upper() if is_valid_uscc(name) else name.lower()


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (never says which part was wrong)."""
    global _DUMMY_HASH
    user = db.session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        if _DUMMY_HASH is None:
            probe = User()
            probe.set_password(secrets.token_hex(8))
            _DUMMY_HASH = probe
        _DUMMY_HASH.check_password(password or "")
        return None
    if not user.check_password(password or "") or not user.is_active:
        user.failed_logins = (user.failed_logins or 0) + 1
        return None
    user.failed_logins = 0
    user.last_login_at = utcnow()
    return user


def generate_password() -> str:
    """A readable one-time password (no 0/O, 1/l confusion)."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def create_user(username: str, role: str, *, password: str, display_name: str | None = None,
                firm=None, towns=(), must_change_password: bool = False) -> User:
    """Create an account; the caller commits."""
    username = normalise_username(username)
    if not username:
        raise ValidationError("用户名不能为空", field="username")
    if role not in ROLES:
        raise ValidationError(f"未知的角色：{role}", field="role")
    if role == "firm" and firm is None:
        raise ValidationError("企业用户必须绑定一家企业", field="firm")
    if len(password) < 8:
        raise ValidationError("密码至少需要8个字符", field="password")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"用户名“{username}”已存在", field="username")
    user = User(username=username, role=role, display_name=display_name or username,
                firm=firm, must_change_password=must_change_password)
    user.towns = list(towns)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def ensure_admin() -> tuple[User, str | None]:
    """The first admin, created with a one-time password when there is no admin yet."""
    admin = db.session.scalar(select(User).where(User.role == "admin").limit(1))
    if admin is not None:
        return admin, None
    password = generate_password()
    admin = create_user("admin", "admin", password=password, display_name="系统管理员",
                        must_change_password=True)
    return admin, password
