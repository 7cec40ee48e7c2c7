"""Firm rules: scoped access, search, creation and renaming. No request in here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select, true
from sqlalchemy.orm import selectinload

from registry.audit.services import record, snapshot
from registry.errors import ConflictError, NotFound, ValidationError
from registry.extensions import db
from registry.firms.models import Firm, FirmName, Industry, Town
from registry.firms.uscc import normalise_uscc, validate_uscc
from registry.recognitions.models import Recognition

PROFILE_FIELDS = ("uscc", "name", "town_id", "industry_id", "founded_on", "registered_capital",
                  "legal_representative", "contact_person", "phone", "email", "address",
                  "above_scale", "status")
MAX_ID = 2**31 - 1  # ids are INTEGER columns
MAX_MONEY = Decimal("1e14")  # Numeric(16, 2)


# --- access ---------------------------------------------------------------

def firm_scope(user):
    """SQL condition limiting firms to those ``user`` may see."""
    if user.can_view_all:
        return true()
    if user.role == "town":
        return Firm.town_id.in_([t.id for t in user.towns] or [-1])
    if user.role == "firm":
        return Firm.id == user.firm_id
    return Firm.id == -1


def get_firm_for(user, firm_id) -> Firm:
    """The firm if it exists and ``user`` may see it; NotFound otherwise (no existence leak)."""
    try:
        fid = int(firm_id)
    except (TypeError, ValueError):
        raise NotFound("企业不存在或您无权查看。")
    if not 0 < fid <= MAX_ID:  # beyond INTEGER the databases raise instead of finding nothing
        raise NotFound("企业不存在或您无权查看。")
    firm = db.session.scalar(select(Firm).where(Firm.id == fid, firm_scope(user)))
    if firm is None:
        raise NotFound("企业不存在或您无权查看。")
    return firm


# --- search ---------------------------------------------------------------

@dataclass
class FirmFilter:
    q: str = ""
    town_id: int | None = None
    industry_id: int | None = None
    programme_id: int | None = None
    year: int | None = None
    status: str | None = None


def firm_query(user, f: FirmFilter):
    """A SELECT of the firms matching ``f`` within the user's scope, in a stable order."""
    stmt = select(Firm).where(firm_scope(user))
    q = (f.q or "").strip()
    if q:
        code = normalise_uscc(q)
        former = select(FirmName.firm_id).where(FirmName.name.contains(q, autoescape=True))
        stmt = stmt.where(or_(Firm.name.contains(q, autoescape=True),
                              Firm.uscc.contains(code, autoescape=True),
                              Firm.id.in_(former)))
    if f.town_id:
        stmt = stmt.where(Firm.town_id == f.town_id)
    if f.industry_id:
        stmt = stmt.where(Firm.industry_id == f.industry_id)
    if f.status:
        stmt = stmt.where(Firm.status == f.status)
    if f.programme_id:
        held = select(Recognition.firm_id).where(Recognition.programme_id == f.programme_id,
                                                 Recognition.status == "valid")
        if f.year:
            held = held.where(Recognition.year == f.year)
        stmt = stmt.where(Firm.id.in_(held))
    return stmt.options(selectinload(Firm.town), selectinload(Firm.industry)).order_by(Firm.name, Firm.id)


# --- changes --------------------------------------------------------------

def _decimal(value, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValidationError(f"{label}不是有效的数字：{value}")
    if not number.is_finite():  # NaN / Infinity parse but cannot be stored or compared
        raise ValidationError(f"{label}不是有效的数字：{value}")
    if number < 0:
        raise ValidationError(f"{label}不能为负数：{value}")
    if number >= MAX_MONEY:
        raise ValidationError(f"{label}超出范围：{value}")
    return number


def check_unique_uscc(uscc: str, *, exclude_id: int | None = None) -> None:
    """Raise ConflictError naming the firm that already holds ``uscc``."""
    stmt = select(Firm).where(Firm.uscc == uscc)
    if exclude_id is not None:
        stmt = stmt.where(Firm.id != exclude_id)
    existing = db.session.scalar(stmt)
    if existing is not None:
        raise ConflictError(f"统一社会信用代码 {uscc} 已被企业“{existing.name}”使用", field="uscc")


def create_firm(actor, *, uscc, name, town: Town | None = None, industry: Industry | None = None,
                founded_on: date | None = None, registered_capital=None, today: date | None = None,
                **extra) -> Firm:
    """Validate everything first, then add the firm and its audit entry (caller commits)."""
    code = validate_uscc(uscc)
    name = (name or "").strip()
    if not name:
        raise ValidationError("企业名称不能为空", field="name")
    if founded_on and founded_on > (today or date.today()):
        raise ValidationError(f"成立日期 {founded_on:%Y-%m-%d} 晚于今天", field="founded_on")
    capital = _decimal(registered_capital, "注册资本")
    check_unique_uscc(code)
    firm = Firm(uscc=code, name=name, town=town, industry=industry, founded_on=founded_on,
                registered_capital=capital, **extra)
    db.session.add(firm)
    db.session.flush()
    record(actor, "create", "firm", firm.id, firm_id=firm.id, summary=f"新建企业 {name}",
           after=snapshot(firm, PROFILE_FIELDS))
    return firm


def rename_firm(actor, firm: Firm, new_name: str, *, on: date | None = None) -> Firm:
    """Give the firm a new name; the old one is kept in its name history and stays searchable."""
    new_name = (new_name or "").strip()
    if not new_name:
        raise ValidationError("企业名称不能为空", field="name")
    if new_name == firm.name:
        return firm
    old = firm.name
    if old not in {n.name for n in firm.former_names}:
        firm.former_names.append(FirmName(name=old, changed_on=on or date.today()))
    firm.name = new_name
    db.session.flush()
    record(actor, "rename", "firm", firm.id, firm_id=firm.id, summary=f"更名：{old} → {new_name}",
           before={"name": old}, after={"name": new_name})
    return firm
