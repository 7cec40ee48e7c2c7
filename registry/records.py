"""Rules shared by the records that hang off a firm: R&D institutions, innovation teams,
projects, awards, vouchers and loans.

Each kind hangs off a host firm picked by its USCC or name, takes years typed by a clerk,
is fetched from a URL only within the user's firm scope (``get_owned``: another firm's id
is a 404, as if it did not exist), and is edited under an optimistic lock: the form
carries the ``version`` it was loaded with, and a stale save is refused with the changes
made in between, read back from the audit log (every audit entry of these records stores
the version it produced). The areas import these helpers rather than keeping copies.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import selectinload

from registry.audit.models import AuditLog
from registry.errors import ConflictError, NotFound, ValidationError
from registry.extensions import db
from registry.firms.models import Firm, FirmName
from registry.firms.services import firm_scope, get_firm_for
from registry.firms.uscc import normalise_uscc
from registry.timeutil import to_local

MIN_YEAR = 1980
MAX_ID = 2**31 - 1
CANDIDATES_SHOWN = 5


def parse_id(value, message: str) -> int:
    """An id from a URL as an int, or NotFound (a bad or out-of-range id is a 404)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound(message)
    if not 0 < number <= MAX_ID:
        raise NotFound(message)
    return number


def owned_scope(model, user):
    """SQL condition: rows of ``model`` (which has a ``firm_id``) whose firm ``user`` may see."""
    return model.firm_id.in_(select(Firm.id).where(firm_scope(user)))


def get_owned(user, model, record_id, message: str, *options):
    """The ``model`` row with this id if its firm is in ``user``'s scope, loaded with the
    given loader ``options``; NotFound with ``message`` otherwise (no existence leak)."""
    rid = parse_id(record_id, message)
    row = db.session.scalar(select(model).where(model.id == rid, owned_scope(model, user))
                            .options(*options))
    if row is None:
        raise NotFound(message)
    return row


def lock_year_row(model, year: int):
    """The row of ``model`` (a table keyed by ``year``: a voucher budget, a credit pool) for
    ``year``, locked until the transaction ends; None when there is none. SQLite has no row
    locks: a no-op write there takes its one write lock, and pysqlite opens the
    transaction only then, so everything read after it is current."""
    session = db.session
    if session.get_bind().dialect.name == "sqlite":
        table = model.__table__
        session.execute(update(table).where(table.c.year == year).values(year=table.c.year))
    return session.scalar(select(model).where(model.year == year)
                          .with_for_update().execution_options(populate_existing=True))


def check_year(year, label: str, *, field: str = "year", required: bool = True,
               today: date | None = None) -> int | None:
    """A plausible four-digit year, not after this year."""
    if year in (None, ""):
        if required:
            raise ValidationError(f"请填写{label}", field=field)
        return None
    try:
        value = int(year)
    except (TypeError, ValueError):
        raise ValidationError(f"{label}应为四位年份，如 2016", field=field)
    last = (today or date.today()).year
    if not MIN_YEAR <= value <= last:
        raise ValidationError(f"{label}应在 {MIN_YEAR}–{last} 之间", field=field)
    return value


def clean_text(value, label: str, *, field: str, max_length: int, required: bool = False) -> str | None:
    text = " ".join(str(value or "").split())
    if not text:
        if required:
            raise ValidationError(f"请填写{label}", field=field)
        return None
    if len(text) > max_length:
        raise ValidationError(f"{label}不能超过 {max_length} 个字", field=field)
    return text


# --- the host firm ------------------------------------------------------------

def resolve_host_firm(user, text, *, firm_id=None, field: str = "firm") -> Firm:
    """The firm the clerk means, within the clerk's scope.

    ``firm_id`` (from a link on the firm's 档案 page) wins; otherwise ``text`` is a USCC,
    a full current or former name, or a name fragment matching exactly one firm. Several
    matches are refused with the candidates named, never guessed.
    """
    if firm_id not in (None, ""):
        try:
            return get_firm_for(user, firm_id)
        except NotFound as exc:
            raise ValidationError(exc.message, field=field)
    query = " ".join(str(text or "").split())
    if not query:
        raise ValidationError("请填写依托企业的统一社会信用代码或名称", field=field)
    code = normalise_uscc(query)
    if len(code) == 18 and code.isalnum():
        firm = db.session.scalar(select(Firm).where(Firm.uscc == code, firm_scope(user)))
        if firm is not None:
            return firm
    exact = list(db.session.scalars(select(Firm).where(firm_scope(user), or_(
        Firm.name == query, Firm.id.in_(select(FirmName.firm_id).where(FirmName.name == query))))
        .limit(CANDIDATES_SHOWN + 1)))
    if len(exact) == 1:
        return exact[0]
    matches = exact or list(db.session.scalars(
        select(Firm).where(firm_scope(user), Firm.name.contains(query, autoescape=True))
        .order_by(Firm.name).limit(CANDIDATES_SHOWN + 1)))
    if not matches:
        raise ValidationError(f"找不到企业“{query}”（或不在您负责的镇街）：请输入统一社会信用代码或完整名称",
                              field=field)
    if len(matches) > 1:
        names = "、".join(f.name for f in matches[:CANDIDATES_SHOWN])
        more = "等" if len(matches) > CANDIDATES_SHOWN else ""
        raise ValidationError(f"“{query}”匹配到多家企业：{names}{more}。请输入统一社会信用代码或完整名称",
                              field=field)
    return matches[0]


# --- optimistic locking -------------------------------------------------------

@dataclass
class Change:
    """One change someone else saved after the form was loaded."""

    who: str
    at: str
    summary: str
    fields: list[tuple[str, str, str]]  # (label, before, after) as shown
    raw: list[tuple[str, object, object]] = ()  # (field, before, after) as stored


class StaleEdit(ConflictError):
    """The record changed after the form was loaded; ``changes`` says how."""

    def __init__(self, message: str, changes: list[Change], current_version: int):
        super().__init__(message)
        self.changes = changes
        self.current_version = current_version


def check_version(obj, version, *, entity_type: str, what: str, labels: dict,
                  shown=None, related: tuple[str, ...] = ()) -> None:
    """Refuse the save when ``obj`` moved past the ``version`` the form was loaded with.

    ``labels`` maps entity type → {field: label}; ``related`` names child entity types
    whose audit entries record the parent's id (``team_id``) and the version they produced.
    """
    try:
        loaded = int(version)
    except (TypeError, ValueError):
        raise ValidationError("表单缺少版本信息，请重新打开编辑页面")
    if loaded == obj.version:
        return
    changes = changes_since(obj, entity_type, loaded, labels, shown, related)
    raise StaleEdit(f"保存未成功：您打开页面后，{what}已被他人修改（版本 {loaded} → {obj.version}）。"
                    "您的内容没有保存，也没有覆盖他人的修改；请核对下列变化后再决定是否重新保存。",
                    changes, obj.version)


def changes_since(obj, entity_type: str, version: int, labels: dict, shown=None,
                  related: tuple[str, ...] = ()) -> list[Change]:
    """Audit entries of this record (and its children) after ``version``, oldest first."""
    own = and_(AuditLog.entity_type == entity_type, AuditLog.entity_id == obj.id)
    where = or_(own, and_(AuditLog.entity_type.in_(related), AuditLog.firm_id == obj.firm_id)) \
        if related else own
    entries = db.session.scalars(select(AuditLog).where(where).options(selectinload(AuditLog.user))
                                 .order_by(AuditLog.id.desc()).limit(100))
    out = []
    for entry in entries:
        after = entry.after or {}
        if entry.entity_type != entity_type and after.get("team_id") != obj.id:
            continue
        produced = after.get("version")
        if not isinstance(produced, int) or produced <= version:
            continue
        before = entry.before or {}
        names = labels.get(entry.entity_type, {})
        fields = [(names[k], _shown(shown, k, before.get(k)), _shown(shown, k, after.get(k)))
                  for k in after if k in names and before.get(k) != after.get(k)]
        raw = [(k, before.get(k), after.get(k)) for k in after
               if k in names and before.get(k) != after.get(k)] if entry.entity_type == entity_type else []
        local = to_local(entry.at)
        out.append(Change(entry.user.display_name if entry.user else "系统",
                          local.strftime("%Y-%m-%d %H:%M") if local else "", entry.summary or "", fields, raw))
    out.reverse()
    return out


def _shown(shown, key, value) -> str:
    if shown is not None:
        value = shown(key, value)
    return "（空）" if value in (None, "") else str(value)
