"""Accounts: authentication, creation and administration, without a request.

Administration functions take the acting admin as their first argument, enforce the rules
that keep the registry administrable (a town officer has towns and only they do; a firm
user has a firm and only they do; an admin never locks themself out; the last active admin
stays), write an audit entry for every change — never a password — and flush without
committing.
"""
from __future__ import annotations

import secrets

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from registry.audit.services import record
from registry.auth.models import User, user_towns
from registry.auth.passwords import check_password_policy
from registry.errors import ConflictError, NotFound, ValidationError
from registry.extensions import db
from registry.firms.models import Firm
from registry.firms.uscc import is_valid_uscc, normalise_uscc
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
    # A firm's first account is its USCC; further ones are "<USCC>-2", "<USCC>-3" …
    return name.upper() if is_valid_uscc(name.partition("-")[0].upper()) else name.lower()


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
    while True:  # letters and digits both, so it always meets the password policy
        password = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


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
    check_password_policy(password, field="password")
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
    record(None, "create", "user", admin.id, summary="创建初始管理员账号 admin",
           after=user_snapshot(admin))
    return admin, password


# --- administration ---------------------------------------------------------------------

#: What an audit entry about an account shows (never the password or its hash).
def user_snapshot(user: User) -> dict:
    return {
        "username": user.username, "display_name": user.display_name, "role": user.role,
        "towns": [t.name for t in user.towns],
        "firm": f"{user.firm.name}（{user.firm.uscc}）" if user.firm is not None else None,
        "phone": user.phone, "is_active": bool(user.is_active_flag),
    }


def _changed(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def firm_by_uscc(raw) -> Firm:
    """The firm holding this USCC, for binding a firm user (ValidationError otherwise)."""
    code = normalise_uscc(raw)
    if not code:
        raise ValidationError("企业用户必须填写所属企业的统一社会信用代码", field="firm_uscc")
    firm = db.session.scalar(select(Firm).where(Firm.uscc == code))
    if firm is None:
        raise ValidationError(f"未找到统一社会信用代码为 {code} 的企业", field="firm_uscc")
    return firm


def _role_bindings(role: str, towns, firm) -> tuple[list, Firm | None]:
    """Towns for town officers (required, only for them), a firm for firm users (likewise)."""
    if role not in ROLES:
        raise ValidationError(f"未知的角色：{role}", field="role")
    towns = list(towns or ())
    if role == "town" and not towns:
        raise ValidationError("镇街道联络员必须至少负责一个镇（街道）", field="towns")
    if role != "town" and towns:
        raise ValidationError("只有镇街道联络员可以指定负责镇（街道）", field="towns")
    if role == "firm" and firm is None:
        raise ValidationError("企业用户必须绑定一家企业", field="firm_uscc")
    if role != "firm" and firm is not None:
        raise ValidationError("只有企业用户可以绑定企业", field="firm_uscc")
    return towns, firm


def _clean_phone(phone) -> str | None:
    phone = (phone or "").strip()
    if len(phone) > 40:
        raise ValidationError("联系电话不能超过40个字符", field="phone")
    return phone or None


def _clean_display_name(name) -> str:
    name = (name or "").strip()
    if len(name) > 64:
        raise ValidationError("姓名不能超过64个字符", field="display_name")
    return name


def add_user(actor, *, username: str, role: str, display_name: str = "", towns=(),
             firm: Firm | None = None, phone: str | None = None,
             password: str | None = None) -> tuple[User, str]:
    """Create an account for someone; returns the user and the initial password to hand
    over (generated when none is given). The user must change it at first login."""
    towns, firm = _role_bindings(role, towns, firm)
    username = (username or "").strip() or (firm.uscc if firm is not None else "")
    if len(username) > 64:
        raise ValidationError("用户名不能超过64个字符", field="username")
    display_name = _clean_display_name(display_name) or (firm.name[:64] if firm is not None else "")
    initial = password or generate_password()
    user = create_user(username, role, password=initial, display_name=display_name or None,
                       firm=firm, towns=towns, must_change_password=True)
    user.phone = _clean_phone(phone)
    db.session.flush()
    record(actor, "create", "user", user.id,
           summary=f"新增用户 {user.username}（{ROLES[role]}）", after=user_snapshot(user))
    return user, initial


def _lock_admins() -> list[int]:
    """Ids of the active admins, rows locked so two admins demoting each other at once
    cannot both succeed (SQLite serialises writers anyway)."""
    return list(db.session.scalars(
        select(User.id).where(User.role == "admin", User.is_active_flag.is_(True))
        .order_by(User.id).with_for_update()))


def _check_admin_kept(actor, user: User, *, role: str, active: bool) -> None:
    """Refuse to demote or deactivate oneself, or the last active admin."""
    loses_admin = user.role == "admin" and user.is_active_flag and (role != "admin" or not active)
    if not loses_admin:
        return
    if actor is not None and user.id == actor.id:
        if not active:
            raise ConflictError("不能停用自己的账号，请由其他管理员操作", field="is_active")
        raise ConflictError("不能更改自己的管理员角色，请由其他管理员操作", field="role")
    if not [i for i in _lock_admins() if i != user.id]:
        raise ConflictError("系统至少需要一个启用的管理员账号：不能停用或降级最后一个管理员",
                            field="role" if active else "is_active")


def update_user(actor, user: User, *, role: str, display_name: str, towns=(), firm=None,
                phone: str | None = None, active: bool | None = None) -> User:
    """Change an account's role, towns, firm, name, phone and (optionally) active flag."""
    towns, firm = _role_bindings(role, towns, firm)
    display_name = _clean_display_name(display_name)
    if not display_name:
        raise ValidationError("姓名不能为空", field="display_name")
    active = bool(user.is_active_flag) if active is None else bool(active)
    _check_admin_kept(actor, user, role=role, active=active)
    before = user_snapshot(user)
    user.role, user.display_name, user.phone = role, display_name, _clean_phone(phone)
    user.towns = towns
    user.firm = firm
    if not active and user.is_active_flag:
        user.end_sessions()
    user.is_active_flag = active
    db.session.flush()
    old, new = _changed(before, user_snapshot(user))
    if new:
        action = "update"
        if list(new) == ["is_active"]:
            action = "reactivate" if active else "deactivate"
        record(actor, action, "user", user.id, summary=f"修改用户 {user.username}",
               before=old, after=new)
    return user


def set_active(actor, user: User, active: bool) -> User:
    """Deactivate (the account can no longer sign in; its history stays) or reactivate."""
    if bool(user.is_active_flag) == bool(active):
        return user
    _check_admin_kept(actor, user, role=user.role, active=active)
    user.is_active_flag = bool(active)
    if active:
        user.failed_logins = 0
    else:
        user.end_sessions()
    db.session.flush()
    record(actor, "reactivate" if active else "deactivate", "user", user.id,
           summary=f"{'启用' if active else '停用'}用户 {user.username}",
           before={"is_active": not active}, after={"is_active": bool(active)})
    return user


def reset_password(actor, user: User) -> str:
    """Give the account a new one-time password (returned once, never stored in clear or
    logged); the user must change it at next login."""
    password = generate_password()
    user.set_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    db.session.flush()
    record(actor, "reset_password", "user", user.id, summary=f"重置用户 {user.username} 的密码",
           after={"must_change_password": True})
    return password


def change_own_password(user: User, current: str, new: str) -> None:
    """The signed-in user replaces their password (the forced first-login change too)."""
    if not user.check_password(current or ""):
        raise ValidationError("当前密码不正确", field="current")
    check_password_policy(new, field="new", username=user.username)
    if new == current:
        raise ValidationError("新密码不能与当前密码相同", field="new")
    user.set_password(new)
    user.must_change_password = False
    db.session.flush()
    record(user, "update", "user", user.id, summary=f"用户 {user.username} 修改了自己的密码",
           after={"password_changed": True})


def get_user(user_id) -> User:
    """The account for the administration pages, or NotFound."""
    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        raise NotFound("用户不存在。")
    user = db.session.get(User, uid) if 0 < uid <= 2**31 - 1 else None
    if user is None:
        raise NotFound("用户不存在。")
    return user


@dataclass
class UserFilter:
    role: str | None = None
    town_id: int | None = None
    active: bool | None = None
    q: str = ""


def user_query(f: UserFilter):
    """A SELECT of the accounts matching ``f``: active first, then by role and name."""
    stmt = select(User).options(selectinload(User.towns), selectinload(User.firm))
    if f.role:
        stmt = stmt.where(User.role == f.role)
    if f.town_id:
        stmt = stmt.where(User.id.in_(select(user_towns.c.user_id)
                                      .where(user_towns.c.town_id == f.town_id)))
    if f.active is not None:
        stmt = stmt.where(User.is_active_flag.is_(f.active))
    q = (f.q or "").strip()
    if q:
        firms = select(Firm.id).where(or_(Firm.name.contains(q, autoescape=True),
                                          Firm.uscc.contains(normalise_uscc(q), autoescape=True)))
        stmt = stmt.where(or_(User.username.contains(q.lower(), autoescape=True),
                              User.username.contains(q.upper(), autoescape=True),
                              User.display_name.contains(q, autoescape=True),
                              User.firm_id.in_(firms)))
    return stmt.order_by(User.is_active_flag.desc(), User.role, User.username)


def active_admin_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User)
                             .where(User.role == "admin", User.is_active_flag.is_(True)))
