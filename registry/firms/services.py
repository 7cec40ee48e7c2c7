"""Firm rules: scoped access (read and write, in one place), search, creation and renaming.

No request in here: views and the importer call these with the acting user. Editing a
firm's profile and changing its status live in ``registry.firms.changes``; the Excel list
in ``registry.firms.export``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select, true
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import Forbidden

from registry.audit.services import record, snapshot
from registry.errors import ConflictError, NotFound, RegistryError, ValidationError
from registry.extensions import db
from registry.firms.models import Firm, FirmName, Industry, Town
from registry.firms.search import firm_match
from registry.firms.uscc import validate_uscc
from registry.institutions.models import RdInstitution
from registry.recognitions.models import Recognition
from registry.vocab import ZONE_NEW_AREA

PROFILE_FIELDS = ("uscc", "name", "town_id", "industry_id", "founded_on", "registered_capital",
                  "legal_representative", "contact_person", "phone", "email", "address",
                  "above_scale", "status", "note")
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


class AccessDenied(RegistryError, Forbidden):
    """The actor may see the record but not change it: a 403 wherever it is raised."""

    def __init__(self, message: str = "您无权修改该企业的信息。"):
        super().__init__(message)
        self.description = message


def _own_town_ids(user) -> set[int]:
    return {t.id for t in user.towns} if user is not None and user.role == "town" else set()


def may_use_town(user, town_id) -> bool:
    """May ``user`` put a firm in ``town_id``? Staff anywhere; a town officer only in theirs."""
    if user is None or user.is_staff:  # None: the system itself (CLI, demo)
        return True
    if user.role == "town":
        return town_id is not None and int(town_id) in _own_town_ids(user)
    return False


def can_edit_firm(user, firm: Firm) -> bool:
    """The one write-permission rule for a firm and everything recorded under it."""
    if user is None or user.is_staff:
        return True
    if user.role == "town":
        return firm.town_id is not None and firm.town_id in _own_town_ids(user)
    return False  # viewer (leaders) and firm users: read only here


def ensure_can_edit(user, firm: Firm) -> None:
    if not can_edit_firm(user, firm):
        raise AccessDenied()


def ensure_may_use_town(user, town_id) -> None:
    if not may_use_town(user, town_id):
        raise AccessDenied("您只能在自己负责的镇（街道）范围内登记企业。")


def get_firm_for_edit(user, firm_id) -> Firm:
    """The firm if ``user`` may see (else 404) and change it (else 403): every POST's fetch."""
    firm = get_firm_for(user, firm_id)
    ensure_can_edit(user, firm)
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
    zone: str | None = None  # "exclude_new" (不含新区) / "only_new" (仅新区) / None (all)
    has_institution: bool | None = None
    above_scale: bool | None = None
    sort: str = "name"  # a key of SORTS; anything else falls back to the name
    descending: bool = False


#: The sortable columns of the firm list: the ``sort`` argument is looked up here, never
#: put into SQL as given.
SORTS = {
    "name": lambda: Firm.name,
    "town": lambda: Town.sort_order,
    "industry": lambda: Industry.sort_order,
    "founded": lambda: Firm.founded_on,
    "capital": lambda: Firm.registered_capital,
}


def firm_query(user, f: FirmFilter):
    """A SELECT of the firms matching ``f`` within the user's scope, in a stable order."""
    stmt = select(Firm).where(firm_scope(user))
    q = (f.q or "").strip()
    if q:
        stmt = stmt.where(firm_match(q))  # the text index of each database
    if f.town_id:
        stmt = stmt.where(Firm.town_id == f.town_id)
    if f.industry_id:
        stmt = stmt.where(Firm.industry_id == f.industry_id)
    if f.status:
        stmt = stmt.where(Firm.status == f.status)
    if f.zone in ("exclude_new", "only_new"):
        new_area = select(Town.id).where(Town.zone == ZONE_NEW_AREA)
        if f.zone == "only_new":
            stmt = stmt.where(Firm.town_id.in_(new_area))
        else:  # 不含新区: firms without a town are not in the new area either
            stmt = stmt.where(or_(Firm.town_id.is_(None), Firm.town_id.not_in(new_area)))
    if f.has_institution is not None:
        holders = select(RdInstitution.firm_id).where(RdInstitution.status == "active")
        stmt = stmt.where(Firm.id.in_(holders) if f.has_institution else Firm.id.not_in(holders))
    if f.above_scale is not None:
        stmt = stmt.where(Firm.above_scale.is_(bool(f.above_scale)))
    if f.programme_id:
        held = select(Recognition.firm_id).where(Recognition.programme_id == f.programme_id,
                                                 Recognition.status == "valid")
        if f.year:
            held = held.where(Recognition.year == f.year)
        stmt = stmt.where(Firm.id.in_(held))
    return _ordered(stmt, f).options(selectinload(Firm.town), selectinload(Firm.industry))


def _ordered(stmt, f: FirmFilter):
    key = f.sort if f.sort in SORTS else "name"
    if key == "town":
        stmt = stmt.outerjoin(Town, Firm.town_id == Town.id)
    elif key == "industry":
        stmt = stmt.outerjoin(Industry, Firm.industry_id == Industry.id)
    if key == "name":  # never empty: (name, id) in one direction, as the name index holds it
        if f.descending:
            return stmt.order_by(Firm.name.desc(), Firm.id.desc())
        return stmt.order_by(Firm.name, Firm.id)
    column = SORTS[key]()
    # Empty values last in either direction, the same on every database; founding date and
    # capital match the sort indexes of migration 0005 term for term (deep pages).
    empty_last = column.is_(None)
    order = column.desc() if f.descending else column.asc()
    return stmt.order_by(empty_last, order, Firm.name, Firm.id)


# --- changes --------------------------------------------------------------

def _decimal(value, label: str, field: str | None = None) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        raise ValidationError(f"{label}不是有效的数字：{value}", field=field)
    if not number.is_finite():  # NaN / Infinity parse but cannot be stored or compared
        raise ValidationError(f"{label}不是有效的数字：{value}", field=field)
    if number < 0:
        raise ValidationError(f"{label}不能为负数：{value}", field=field)
    if number >= MAX_MONEY:
        raise ValidationError(f"{label}超出范围：{value}", field=field)
    return number.quantize(Decimal("0.01"))


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
    """Validate everything first, then add the firm and its audit entry (caller commits).

    A town officer may only register a firm in one of their towns."""
    ensure_may_use_town(actor, town.id if town is not None else None)
    code = validate_uscc(uscc)
    name = (name or "").strip()
    if not name:
        raise ValidationError("企业名称不能为空", field="name")
    if founded_on and founded_on > (today or date.today()):
        raise ValidationError(f"成立日期 {founded_on:%Y-%m-%d} 晚于今天", field="founded_on")
    capital = _decimal(registered_capital, "注册资本", "registered_capital")
    check_unique_uscc(code)
    firm = Firm(uscc=code, name=name, town=town, industry=industry, founded_on=founded_on,
                registered_capital=capital, **extra)
    db.session.add(firm)
    db.session.flush()
    record(actor, "create", "firm", firm.id, firm_id=firm.id, summary=f"新建企业 {name}",
           after=firm_snapshot(firm))
    return firm


def rename_firm(actor, firm: Firm, new_name: str, *, on: date | None = None, version=None) -> Firm:
    """Give the firm a new name; the old one is kept in its name history and stays searchable.

    With ``version`` (the rename form's), a firm saved by someone else meanwhile is refused."""
    ensure_can_edit(actor, firm)
    if version is not None:
        from registry.firms.locking import check_version

        check_version(firm, version, None, {}, what="该企业信息", entity_type="firm")
    new_name = (new_name or "").strip()
    if not new_name:
        raise ValidationError("企业名称不能为空", field="name")
    if new_name == firm.name:
        return firm
    old = firm.name
    if on and on > date.today():
        raise ValidationError(f"更名日期 {on:%Y-%m-%d} 晚于今天", field="on")
    if len(new_name) > 200:
        raise ValidationError("企业名称不能超过200个字符", field="name")
    if old not in {n.name for n in firm.former_names}:
        firm.former_names.append(FirmName(name=old, changed_on=on or date.today()))
    firm.name = new_name
    db.session.flush()
    record(actor, "rename", "firm", firm.id, firm_id=firm.id, summary=f"更名：{old} → {new_name}",
           before={"name": old}, after={"name": new_name})
    return firm


def firm_snapshot(firm: Firm) -> dict:
    """The profile as the audit log keeps it: town and industry by name, so it reads alone."""
    values = snapshot(firm, PROFILE_FIELDS)
    values["town_id"] = firm.town.name if firm.town else None
    values["industry_id"] = firm.industry.name if firm.industry else None
    return {("town" if k == "town_id" else "industry" if k == "industry_id" else k): v
            for k, v in values.items()}
