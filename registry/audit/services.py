"""The audit log: write an entry for every change (``record``), read entries back for a
record's history (``entries_for``) and for the global log (``search``), and turn an entry's
before/after into readable rows (``diff``).

Every service that changes a record calls ``record``; the bulk importer writes the same rows
directly. Reading never needs a request: the views and the Excel export call the same
functions the tests do.
"""
from __future__ import annotations

from dataclasses import dataclass
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import joinedload

from registry.audit import labels
from registry.audit.models import AuditLog
from registry.extensions import db
from registry.timeutil import CHINA_TZ, to_local

EMPTY = "（空）"


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj, fields) -> dict:
    """The listed attributes of ``obj`` as JSON-safe values."""
    return {f: _plain(getattr(obj, f)) for f in fields}


def record(actor, action: str, entity_type: str, entity_id: int | None, *, firm_id=None,
           summary: str | None = None, before: dict | None = None,
           after: dict | None = None) -> AuditLog:
    """Add one audit entry (the caller commits with the change it describes)."""
    if summary and len(summary) > 255:
        summary = summary[:254] + "…"
    entry = AuditLog(
        user_id=getattr(actor, "id", None), action=action, entity_type=entity_type,
        entity_id=entity_id, firm_id=firm_id, summary=summary,
        before={k: _plain(v) for k, v in (before or {}).items()} or None,
        after={k: _plain(v) for k, v in (after or {}).items()} or None,
    )
    db.session.add(entry)
    return entry


# --- reading one record's history -----------------------------------------------------

def entries_for(*, firm_id=None, entity_type=None, entity_id=None, limit: int | None = 50):
    """A record's history, newest first, with each entry's user loaded in the same query.

    ``firm_id`` gives everything recorded against a firm (its profile, recognitions,
    institutions, teams …); ``entity_type`` (one code or several) with ``entity_id`` gives
    one record's own entries. Given together they narrow each other. ``limit=None`` means
    all. The caller has already checked that the user may see the record.
    """
    stmt = select(AuditLog).options(joinedload(AuditLog.user))
    if firm_id is not None:
        stmt = stmt.where(AuditLog.firm_id == firm_id)
    if entity_type is not None:
        if isinstance(entity_type, str):
            stmt = stmt.where(AuditLog.entity_type == entity_type)
        else:
            stmt = stmt.where(AuditLog.entity_type.in_(list(entity_type)))
    if entity_id is not None:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    stmt = stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


# --- readable differences -------------------------------------------------------------

@dataclass
class Change:
    """One field of an entry: its Chinese label and its values before and after, as text."""
    field: str
    label: str
    before: str
    after: str
    changed: bool


class Names:
    """Id → name for what an entry may point to, cached per object: the small reference
    tables (towns, industries, programmes) loaded whole on first use; firms, teams and
    institutions by id — all the ids of a page's entries in one query per table when the
    page calls ``prefetch`` first, else one id at a time."""

    REFERENCE = {"town_id": "towns", "industry_id": "industries", "programme_id": "programmes"}
    BY_ID = {"firm_id": "firms", "team_id": "teams", "institution_id": "institutions"}

    def __init__(self):
        self._maps: dict[str, dict] = {}

    def get(self, field: str, value):
        table = self.REFERENCE.get(field) or self.BY_ID.get(field)
        if table is None:
            return None
        key = _id(value)
        if key is None:
            return None
        if field in self.REFERENCE:
            if table not in self._maps:
                self._maps[table] = dict(db.session.execute(select(*_columns(table))).all())
            return self._maps[table].get(key)
        known = self._maps.setdefault(table, {})
        if key not in known:
            self._fetch(table, [key])
        return known.get(key)

    def prefetch(self, entries) -> None:
        """Load the names of every firm, team and institution the entries' values name."""
        wanted: dict[str, set] = {}
        for entry in entries:
            for side in (entry.before or {}, entry.after or {}):
                for field, table in self.BY_ID.items():
                    key = _id(side.get(field))
                    if key is not None and key not in self._maps.get(table, {}):
                        wanted.setdefault(table, set()).add(key)
        for table, ids in wanted.items():
            self._fetch(table, sorted(ids))

    def _fetch(self, table: str, ids: list[int]) -> None:
        known = self._maps.setdefault(table, {})
        id_col, name_col = _columns(table)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            known.update(dict.fromkeys(chunk))  # ids that name nothing stay None
            known.update(db.session.execute(select(id_col, name_col).where(id_col.in_(chunk))).all())


def _id(value) -> int | None:
    """A stored id as an int in the database's INTEGER range, else None."""
    try:
        key = int(value)
    except (TypeError, ValueError):
        return None
    return key if 0 < key <= 2**31 - 1 else None


def _columns(table: str):
    """(id, name) columns of a table an audit value may point to."""
    from registry.firms.models import Firm, Industry, Town
    from registry.institutions.models import RdInstitution
    from registry.recognitions.models import Programme
    from registry.teams.models import Team

    model = {"towns": Town, "industries": Industry, "programmes": Programme, "firms": Firm,
             "teams": Team, "institutions": RdInstitution}[table]
    return model.id, model.name


def format_value(entity_type: str | None, field: str, value, names: Names | None = None) -> str:
    """A stored audit value as a clerk would write it."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(format_value(entity_type, field, v, names) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{labels.field_label(k, entity_type)}：{format_value(entity_type, k, v, names)}"
                        for k, v in value.items())
    codes = labels.code_labels(entity_type, field)
    if codes and value in codes:
        return codes[value]
    if names is not None and field.endswith("_id"):
        name = names.get(field, value)
        if name:
            return name
    if isinstance(value, str):
        match = labels._ISO_DATETIME.match(value)
        if match and len(value) > 10:
            try:
                return to_local(datetime.fromisoformat(value[:19])).strftime("%Y-%m-%d %H:%M")
            except ValueError:
                return value
    return str(value)


#: Fields an entry keeps for the lock-conflict message, not for the clerk reading history.
BOOKKEEPING = {"version"}


def diff(entry: AuditLog, names: Names | None = None, *, only_changed: bool = True) -> list[Change]:
    """The entry's fields in a stable order: those in ``after`` first, then any only in
    ``before``. An update lists only fields whose value changed (unless ``only_changed``
    is False); a creation lists what was set, a deletion what was there."""
    before = entry.before or {}
    after = entry.after or {}
    keys = list(after) + [k for k in before if k not in after]
    rows = []
    for key in keys:
        if key in BOOKKEEPING:
            continue
        b, a = before.get(key), after.get(key)
        changed = _norm(b) != _norm(a)
        if only_changed and before and after and not changed:
            continue
        if only_changed and not (before and after) and _norm(a if after else b) is None:
            continue  # a creation (or deletion) lists what was there, not every empty field
        both = bool(before) and bool(after)  # an update: a missing side was empty
        rows.append(Change(key, labels.field_label(key, entry.entity_type),
                           format_value(entry.entity_type, key, b, names) if both or key in before else "",
                           format_value(entry.entity_type, key, a, names) if both or key in after else "",
                           changed))
    return rows


def _norm(value):
    return None if value in ("", []) else value


# --- the global log ---------------------------------------------------------------------

@dataclass
class AuditFilter:
    """What the global log is narrowed to; every part is optional."""
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    user_id: int | None = None
    action: str | None = None
    entity_type: str | None = None
    firm: str = ""  # a firm's name fragment (current or former) or USCC
    text: str = ""  # anywhere in the summary or the before/after values


def _utc_midnight(day: date) -> datetime:
    """Beijing midnight of ``day`` as the naive UTC the log stores."""
    local = datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def search(f: AuditFilter):
    """A SELECT of the entries matching ``f``, newest first, users loaded with them."""
    from registry.firms.models import Firm, FirmName
    from registry.firms.uscc import normalise_uscc

    stmt = select(AuditLog).options(joinedload(AuditLog.user))
    if f.date_from:
        stmt = stmt.where(AuditLog.at >= _utc_midnight(f.date_from))
    if f.date_to:
        stmt = stmt.where(AuditLog.at < _utc_midnight(f.date_to + timedelta(days=1)))
    if f.user_id:
        stmt = stmt.where(AuditLog.user_id == f.user_id)
    if f.action:
        stmt = stmt.where(AuditLog.action == f.action)
    if f.entity_type:
        stmt = stmt.where(AuditLog.entity_type == f.entity_type)
    firm_q = (f.firm or "").strip()
    if firm_q:
        code = normalise_uscc(firm_q)
        former = select(FirmName.firm_id).where(FirmName.name.contains(firm_q, autoescape=True))
        firms = select(Firm.id).where(or_(Firm.name.contains(firm_q, autoescape=True),
                                          Firm.uscc.contains(code, autoescape=True),
                                          Firm.id.in_(former)))
        stmt = stmt.where(AuditLog.firm_id.in_(firms))
    text = (f.text or "").strip()
    if text:
        # JSON columns hold non-ASCII text escaped by json.dumps (慈 → \u6148): look for both.
        needles = {text.lower(), json.dumps(text.lower())[1:-1]}
        conditions = [func.lower(AuditLog.summary).contains(text.lower(), autoescape=True)]
        for column in (AuditLog.before, AuditLog.after):
            conditions += [func.lower(cast(column, String)).contains(n, autoescape=True)
                           for n in needles]
        stmt = stmt.where(or_(*conditions))
    return stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def get_entry(entry_id) -> AuditLog:
    """One entry for the detail page, or NotFound."""
    from registry.errors import NotFound

    try:
        eid = int(entry_id)
    except (TypeError, ValueError):
        raise NotFound("日志记录不存在。")
    if not 0 < eid <= 2**31 - 1:
        raise NotFound("日志记录不存在。")
    entry = db.session.scalar(select(AuditLog).options(joinedload(AuditLog.user))
                              .where(AuditLog.id == eid))
    if entry is None:
        raise NotFound("日志记录不存在。")
    return entry
