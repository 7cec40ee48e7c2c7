"""Firm accounts: issued by the bureau with a one-time activation code, activated by the
firm (USCC + code → its own password).

The login is the firm's USCC; a firm's further accounts are "<USCC>-2", "<USCC>-3" … The
code is shown once (on screen or in the exported sheet) and stored only as a hash; it
works once: activation clears it. A reset by the bureau issues a new code, clears the
password and ends every session of the account.
"""
from __future__ import annotations

import secrets

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from registry.audit.services import record
from registry.auth.models import User
from registry.auth.passwords import check_password_policy
from registry.auth.services import user_snapshot
from registry.errors import NotFound, ValidationError
from registry.excel.exporter import TEXT, Column, Sheet, write_workbook
from registry.extensions import db
from registry.firms.models import Firm
from registry.firms.uscc import normalise_uscc
from registry.portal.services import parse_id

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


def _norm_code(code) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _username_for(uscc: str) -> str:
    """The firm's code, or ``CODE-n`` when the firm already has accounts."""
    taken = set(db.session.scalars(select(User.username).where(
        (User.username == uscc) | User.username.like(f"{uscc}-%"))))
    if uscc not in taken:
        return uscc
    n = 2
    while f"{uscc}-{n}" in taken:
        n += 1
    return f"{uscc}-{n}"


def follow_uscc_change(actor, firm_id: int, old_uscc: str, new_uscc: str) -> list[tuple[str, str]]:
    """After the firm's USCC changed, rename its accounts that sign in with the old code
    (``OLD`` or ``OLD-n``) to the new one, so the firm signs in with the code it now holds;
    audited, and a notice tells the firm. Returns (old, new) usernames."""
    accounts = list(db.session.scalars(select(User).where(
        User.firm_id == firm_id,
        (User.username == old_uscc) | User.username.like(f"{old_uscc}-%")).order_by(User.id)))
    renamed = []
    for user in accounts:
        old_name = user.username
        user.username = _username_for(new_uscc)  # its query flushes the previous rename first
        renamed.append((old_name, user.username))
        record(actor, "update", "user", user.id, firm_id=firm_id,
               summary=f"企业统一社会信用代码变更，登录账号 {old_name} 改为 {user.username}",
               before={"username": old_name}, after={"username": user.username})
    if renamed:
        db.session.flush()
        from registry.portal.notices import notify

        notify(firm_id, "account_renamed", "登录账号已随统一社会信用代码变更",
               "；".join(f"原账号 {a} 现为 {b}" for a, b in renamed) + "。密码不变，请使用新账号登录。",
               actor=actor)
    return renamed


def issue_account(actor, firm: Firm, *, display_name: str | None = None) -> tuple[User, str]:
    """A new firm account (no password yet) and its activation code, shown once."""
    code = new_code()
    user = User(username=_username_for(firm.uscc), role="firm", firm=firm,
                display_name=(display_name or "").strip()[:64] or firm.name[:64],
                must_change_password=False, is_active_flag=True)
    user.activation_code_hash = generate_password_hash(_norm_code(code))
    db.session.add(user)
    db.session.flush()
    record(actor, "create", "user", user.id, firm_id=firm.id,
           summary=f"为企业 {firm.name} 开通账号 {user.username}（待激活）",
           after=user_snapshot(user))
    return user, code


def firms_without_account(firm_ids) -> list[Firm]:
    has = select(User.firm_id).where(User.role == "firm", User.firm_id.is_not(None))
    return list(db.session.scalars(select(Firm).where(Firm.id.in_(firm_ids), Firm.id.not_in(has))
                                   .order_by(Firm.name)))


def issue_bulk(actor, firms) -> list[tuple[Firm, User, str]]:
    """One account per firm that has none yet; firms with an account are left alone."""
    issued = []
    for firm in firms:
        user, code = issue_account(actor, firm)
        issued.append((firm, user, code))
    return issued


def codes_workbook(issued, *, title: str) -> bytes:
    """The sheet the bureau hands out: firm, USCC, contact, login, activation code."""
    columns = [Column("企业名称", width=36), Column("统一社会信用代码", width=22, number_format=TEXT),
               Column("联系人", width=10), Column("联系电话", width=16, number_format=TEXT),
               Column("登录用户名", width=24, number_format=TEXT),
               Column("激活码", width=18, number_format=TEXT)]
    rows = [(f.name, f.uscc, f.contact_person or "", f.phone or "", u.username, code)
            for f, u, code in issued]
    return write_workbook([Sheet(title="企业账号激活码", columns=columns, rows=rows,
                                 title_row=title)], title=title)


def reset_account(actor, user: User) -> str:
    """A new activation code for a firm account: the password is cleared, sessions end."""
    if user.role != "firm":
        raise NotFound("企业账号不存在。")
    code = new_code()
    user.password_hash = None
    user.activation_code_hash = generate_password_hash(_norm_code(code))
    user.must_change_password = False
    user.failed_logins = 0
    user.end_sessions()
    db.session.flush()
    record(actor, "reset_password", "user", user.id, firm_id=user.firm_id,
           summary=f"重置企业账号 {user.username}（重新发放激活码）", after={"activation": "reissued"})
    return code


def get_firm_account(user_id) -> User:
    uid = parse_id(user_id, "企业账号不存在。")
    user = db.session.get(User, uid)
    if user is None or user.role != "firm":
        raise NotFound("企业账号不存在。")
    return user


def activate(uscc, code, password: str) -> User:
    """USCC + activation code → the account gets this password; the code is spent."""
    firm = db.session.scalar(select(Firm).where(Firm.uscc == normalise_uscc(uscc)))
    wrong = ValidationError("统一社会信用代码或激活码不正确，或激活码已使用", field="code")
    if firm is None:
        raise wrong
    candidates = db.session.scalars(select(User).where(
        User.firm_id == firm.id, User.role == "firm", User.activation_code_hash.is_not(None),
        User.is_active_flag.is_(True)).order_by(User.id))
    plain = _norm_code(code)
    user = next((u for u in candidates if check_password_hash(u.activation_code_hash, plain)), None)
    if user is None:
        raise wrong
    check_password_policy(password, field="password", username=user.username)
    user.set_password(password)
    user.activation_code_hash = None
    user.must_change_password = False
    user.failed_logins = 0
    db.session.flush()
    record(user, "activate", "user", user.id, firm_id=firm.id, summary=f"企业账号 {user.username} 已激活")
    return user


def accounts_of(firm_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(User.firm_id == firm_id, User.role == "firm")
                                   .order_by(User.id)))


def account_counts() -> dict:
    total = db.session.scalar(select(func.count(User.id)).where(User.role == "firm")) or 0
    pending = db.session.scalar(select(func.count(User.id)).where(
        User.role == "firm", User.activation_code_hash.is_not(None))) or 0
    return {"total": total, "pending": pending, "active": total - pending}


def recent_accounts(q: str = "", limit: int = 100) -> list[User]:
    stmt = select(User).join(Firm, User.firm_id == Firm.id).where(User.role == "firm")
    q = (q or "").strip()
    if q:
        stmt = stmt.where(Firm.name.contains(q, autoescape=True) | User.username.contains(q.upper(), autoescape=True))
    return list(db.session.scalars(stmt.order_by(User.created_at.desc(), User.id.desc()).limit(limit)))
