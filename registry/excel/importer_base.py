"""What every kind of import shares: reference look-ups, row errors, firm matching and the
bulk writer.

Matching is set-based: a planner first collects every key its rows carry (USCCs, names,
organisation codes), loads the stored records for them with one ``IN`` query per chunk,
and then classifies the rows against dictionaries. Writing is set-based too: inserts and
updates go out as Core ``executemany`` statements, grouped by the columns they set, and
the audit entries follow in one more ``executemany``. A 100,000-row roster therefore
costs a few hundred statements, not a few hundred thousand.
"""
from __future__ import annotations

import json
import unicodedata
from collections import defaultdict, namedtuple
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.sql import sqltypes

from registry.audit.models import AuditLog
from registry.excel.specs import SHEET_KINDS
from registry.excel.types import ERROR, CellError, ParsedRow, ParsedSheet, PlannedRow, UNCHANGED
from registry.extensions import db
from registry.firms.models import Firm, FirmName, Industry, Town
from registry.recognitions.models import Programme
from registry.timeutil import utcnow

CHUNK = 900  # parameters per IN (…): below SQLite's historical limit of 999
WRITE_CHUNK = 5000  # rows per executemany: bounds the memory the parameter lists take
COPY_FROM = 1000  # PostgreSQL: batches this large are written with COPY
CENT = Decimal("0.01")
FIRMS = Firm.__table__
FIRM_NAMES = FirmName.__table__
AUDIT = AuditLog.__table__

#: Firm columns a roster row may set, in the spec's field names (town/industry are names).
FIRM_FIELDS = ("name", "town", "industry", "founded_on", "registered_capital",
               "legal_representative", "contact_person", "phone", "email", "address",
               "above_scale")
FIRM_COLUMNS = (FIRMS.c.id, FIRMS.c.uscc, FIRMS.c.name, FIRMS.c.town_id, FIRMS.c.industry_id,
                FIRMS.c.founded_on, FIRMS.c.registered_capital, FIRMS.c.legal_representative,
                FIRMS.c.contact_person, FIRMS.c.phone, FIRMS.c.email, FIRMS.c.address,
                FIRMS.c.above_scale)


# --- small helpers ------------------------------------------------------------------

def chunks(items: Iterable, size: int = CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


_TO_WIDE = str.maketrans({"(": "（", ")": "）"})
_TO_NARROW = str.maketrans({"（": "(", "）": ")"})


def name_key(text: Any) -> str:
    """The form names are compared in: NFKC, no whitespace, brackets full-width.

    "慈溪市某某(中国)有限公司 " and "慈溪市某某（中国）有限公司" are one name; nothing
    looser than that, so a match by name is never a guess.
    """
    if text is None:
        return ""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).translate(_TO_WIDE)


def name_variants(text: str) -> set[str]:
    """Spellings a stored name may have for ``text`` (for the IN query; Python re-checks)."""
    text = str(text).strip()
    key = name_key(text)
    return {text, key, key.translate(_TO_NARROW)}


def money(value: Decimal | None) -> Decimal | None:
    """万元 with two decimals, as Numeric(16, 2) stores it, so comparisons are exact."""
    if value is None:
        return None
    if type(value) is Decimal and value.as_tuple().exponent >= -2:
        return value  # already exact to the cent: keep the object (memory, 100,000 rows)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def same(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        if old is None or new is None:
            return old is new
        return Decimal(old) == Decimal(new)
    if isinstance(old, datetime):
        old = old.date()
    return old == new


def shown(value: Any) -> Any:
    """A value as the preview shows it: 是/否, numbers without trailing zeros."""
    if value is None:
        return None
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, datetime):
        return value.date()
    return value


def plain(value: Any) -> Any:
    """JSON-safe form for the audit log."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is date or kind is datetime:
        return value.isoformat()
    if kind is Decimal:
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _plain_dict(values: dict) -> dict:
    return {k: plain(v) for k, v in values.items()}


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def max_lengths(table) -> dict[str, int]:
    """String column → its length, so an over-long cell is a row error, not a DB error."""
    return {c.name: c.type.length for c in table.columns
            if getattr(c.type, "length", None) and c.type.python_type is str}


# --- reference data -----------------------------------------------------------------

class Reference:
    """Towns, industries and programmes, loaded once per plan."""

    def __init__(self):
        session = db.session
        towns = session.execute(select(Town.id, Town.name)).all()
        industries = session.execute(select(Industry.id, Industry.name)).all()
        self.town_id = {name_key(n): i for i, n in towns}
        self.town_name = {i: n for i, n in towns}
        self.industry_id = {name_key(n): i for i, n in industries}
        self.industry_name = {i: n for i, n in industries}
        self.programmes = {p.code: p for p in session.execute(
            select(Programme.id, Programme.code, Programme.name, Programme.short_name,
                   Programme.validity_years)).all()}
        self.programme_by_id = {p.id: p for p in self.programmes.values()}
        self._towns: dict[str, int | None] = {}
        self._industries: dict[str, int | None] = {}

    def town(self, name: str) -> int | None:
        """Town id for a name as the reader gave it (cached: rosters repeat 20 names)."""
        try:
            return self._towns[name]
        except KeyError:
            found = self._towns[name] = self.town_id.get(name_key(name))
            return found

    def industry(self, name: str) -> int | None:
        try:
            return self._industries[name]
        except KeyError:
            found = self._industries[name] = self.industry_id.get(name_key(name))
            return found


# --- the planner's row bookkeeping --------------------------------------------------

class Rows:
    """Creates PlannedRows and records their errors with the header as written."""

    def __init__(self):
        self.planned: list[PlannedRow] = []

    def start(self, parsed: ParsedRow) -> PlannedRow:
        # the parse errors list is shared until the importer adds one (see ``fail``)
        prow = PlannedRow(parsed=parsed, status=ERROR if parsed.errors else UNCHANGED,
                          errors=parsed.errors)
        self.planned.append(prow)
        return prow


def column_of(sheet: ParsedSheet, field: str | None) -> str:
    """The header the sender wrote for ``field`` (the spec's label when the column is absent)."""
    if not field:
        return ""
    header = sheet.columns.get(field)
    if header:
        return header
    try:
        return SHEET_KINDS[sheet.sheet_kind].field(field).label
    except KeyError:
        return field


def fail(prow: PlannedRow, sheet: ParsedSheet, field: str | None, reason: str,
         value: Any = None) -> None:
    """Mark the row in error; one message per cell (the reader may have spoken first)."""
    column = column_of(sheet, field)
    if column and any(e.column == column for e in prow.errors):
        prow.status = ERROR
        return
    if value is None and field:
        value = prow.parsed.raw.get(field)
        if value is None:
            value = prow.parsed.values.get(field)
    if prow.errors is prow.parsed.errors:
        prow.errors = list(prow.errors)  # never add importer errors to the reader's list
    prow.errors.append(CellError(sheet.name, prow.parsed.row, column, cell_text(value), reason))
    prow.status = ERROR


def check_lengths(prow: PlannedRow, sheet: ParsedSheet, values: dict[str, Any],
                  limits: dict[str, int], fields: dict[str, str]) -> None:
    """``fields`` maps a spec field to its column; a text longer than the column is an error."""
    for field_name, column in fields.items():
        value = values.get(field_name)
        limit = limits.get(column)
        if limit and type(value) is str and len(value) > limit:
            fail(prow, sheet, field_name, f"{column_of(sheet, field_name)}超过{limit}个字")


def in_error(prow: PlannedRow) -> bool:
    return prow.status == ERROR


def legacy(value: Any):
    """The LegacyCode marker the reader puts in place of a USCC, or None."""
    if value is None or isinstance(value, str):
        return None
    return value if hasattr(value, "kind") and hasattr(value, "code") else None


# --- firms: matching ----------------------------------------------------------------

class FirmIndex:
    """Stored firms for the keys a workbook carries, plus firms the same batch creates.

    ``full`` loads every roster column (the roster compares them); other imports only need
    id, code and name.
    """

    def __init__(self, *, full: bool = False):
        self.columns = FIRM_COLUMNS if full else (FIRMS.c.id, FIRMS.c.uscc, FIRMS.c.name)
        self.by_uscc: dict[str, Any] = {}
        self.by_id: dict[int, Any] = {}
        self.by_name: dict[str, set[int]] = defaultdict(set)
        self.by_org: dict[str, list[Any]] = defaultdict(list)
        self.pending: dict[str, NewFirm] = {}  # uscc → a firm this batch creates
        self.pending_by_name: dict[str, set[str]] = defaultdict(set)  # kept when names are used
        self.names_used = False

    def _keep(self, row) -> None:
        self.by_uscc[row.uscc] = row

    def load(self, rows: Iterable[ParsedRow]) -> None:
        """One pass over the rows collecting keys, then a few IN queries per chunk."""
        usccs, names, orgs = set(), set(), set()
        for parsed in rows:
            code = parsed.values.get("uscc")
            if type(code) is str:
                usccs.add(code)
                continue
            marker = legacy(code)
            if marker is not None:
                if marker.kind == "org_code":
                    orgs.add(marker.code)
                continue
            name = parsed.values.get("name")
            if name:
                names.update(name_variants(name))
        session = db.session
        for chunk in chunks(sorted(usccs)):
            for row in session.execute(select(*self.columns).where(FIRMS.c.uscc.in_(chunk))):
                self._keep(row)
        for chunk in chunks(sorted(orgs)):
            stmt = select(*self.columns).where(func.substr(FIRMS.c.uscc, 9, 9).in_(chunk))
            for row in session.execute(stmt):
                self._keep(row)
                self.by_org[row.uscc[8:17]].append(row)
        if names:
            self.names_used = True
            self._load_names(names)

    def _load_names(self, names: set[str]) -> None:
        session = db.session
        former: dict[int, list[str]] = defaultdict(list)
        named = []
        for chunk in chunks(sorted(names)):
            for row in session.execute(select(*self.columns).where(FIRMS.c.name.in_(chunk))):
                self._keep(row)
                named.append(row)
            stmt = select(FIRM_NAMES.c.firm_id, FIRM_NAMES.c.name).where(FIRM_NAMES.c.name.in_(chunk))
            for firm_id, name in session.execute(stmt):
                former[firm_id].append(name)
        for row in named:
            self.by_id[row.id] = row
        missing = [i for i in former if i not in self.by_id]
        for chunk in chunks(missing):
            for row in session.execute(select(*self.columns).where(FIRMS.c.id.in_(chunk))):
                self._keep(row)
                self.by_id[row.id] = row
        wanted = {name_key(n) for n in names}
        for row in self.by_id.values():
            key = name_key(row.name)
            if key in wanted:
                self.by_name[key].add(row.id)
        for firm_id, olds in former.items():
            for old in olds:
                key = name_key(old)
                if key in wanted:
                    self.by_name[key].add(firm_id)

    def add_pending(self, firm: NewFirm) -> NewFirm:
        """A firm the batch will create; later rows naming it (by code or name) find it."""
        existing = self.pending.get(firm.uscc)
        if existing is not None:
            return existing
        self.pending[firm.uscc] = firm
        if self.names_used:
            self.pending_by_name[name_key(firm.name)].add(firm.uscc)
        return firm

    def resolve(self, prow: PlannedRow, sheet: ParsedSheet, *, what: str = "企业"):
        """(stored firm row or None, uscc or "") for the row, or an error on the row.

        A row with a USCC the registry lacks returns (None, uscc): the caller decides
        whether the row may create the firm. Matching by name happens only when no code
        is given, and must find exactly one firm.
        """
        values = prow.parsed.values
        code = values.get("uscc")
        if type(code) is str:
            return self.by_uscc.get(code), code
        marker = legacy(code)
        if marker is not None:
            if marker.kind == "org_code":
                hits = self.by_org.get(marker.code, [])
                if len(hits) == 1:
                    return hits[0], hits[0].uscc
                if hits:
                    fail(prow, sheet, "uscc", f"组织机构代码{marker.code}对应多家企业，请填写18位统一社会信用代码")
                else:
                    fail(prow, sheet, "uscc", f"组织机构代码{marker.code}在库中找不到对应企业，"
                                              "请填写18位统一社会信用代码")
            else:
                fail(prow, sheet, "uscc", f"15位工商注册号{marker.code}无法与库中企业对应，"
                                          "请填写18位统一社会信用代码")
            return None, ""
        if any(e.column == column_of(sheet, "uscc") for e in prow.errors):
            return None, ""  # the code was there but unreadable: the reader said why
        name = values.get("name")
        if not name:
            fail(prow, sheet, "name", f"{what}名称和统一社会信用代码均为空，无法确定{what}")
            return None, ""
        key = name_key(name)
        ids = self.by_name.get(key, set())
        pending = self.pending_by_name.get(key, set())
        if len(ids) + len(pending) > 1:
            fail(prow, sheet, "name", f"名称“{name}”对应多家企业，请填写统一社会信用代码以区分")
            return None, ""
        if ids:
            row = self.by_id[next(iter(ids))]
            return row, row.uscc
        if pending:
            return None, next(iter(pending))
        fail(prow, sheet, "name", f"库中没有名为“{name}”的企业（含曾用名）；未填统一社会信用代码时"
                                  "只能匹配已有企业，请补填代码")
        return None, ""


#: A firm a batch will create: a compact tuple (a 100,000-row roster holds 100,000 of
#: them until it is written); ``Writer.create_firms`` adds the defaults.
NewFirm = namedtuple("NewFirm", ("uscc", "name", "town_id", "industry_id", "founded_on",
                                 "registered_capital", "legal_representative", "contact_person",
                                 "phone", "email", "address", "above_scale"),
                     defaults=(None,) * 10)


def new_firm_columns(uscc: str, name: str, **values) -> NewFirm:
    return NewFirm(uscc, name, **values)


# --- writing ------------------------------------------------------------------------

class Writer:
    """Bulk statements in the caller's transaction, and the audit entries they owe."""

    def __init__(self, actor, batch):
        self.session = db.session
        self.user_id = getattr(actor, "id", None)
        self.batch_id = batch.id
        self.prefix = f"导入批次#{batch.id}："
        self.now = utcnow()
        self.audit: list[dict] = []  # pending entries, written every WRITE_CHUNK
        self.written = 0  # audit entries logged in all
        self.firm_ids: dict[str, int] = {}

    def insert(self, table, rows: list[dict]) -> None:
        """One executemany; on PostgreSQL a large batch goes through COPY instead, which is
        several times faster than row-by-row INSERTs there (same transaction either way)."""
        if not rows:
            return
        connection = self.session.connection()
        if len(rows) >= COPY_FROM and connection.dialect.name == "postgresql":
            _copy(connection, table, rows)
        else:
            self.session.execute(table.insert(), rows)

    def update(self, table, updates: list[tuple[int, dict]], *, touch: bool = False) -> None:
        """Set each record's changed columns; one executemany per set of columns."""
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for record_id, values in updates:
            if not values:
                continue
            params = {"b_id": record_id}
            for column, value in values.items():
                params["v_" + column] = value
            if touch:
                params["v_updated_at"] = self.now
            groups[tuple(sorted(values))].append(params)
        for columns, params in groups.items():
            setters = {c: bindparam("v_" + c) for c in columns}
            if touch:
                setters["updated_at"] = bindparam("v_updated_at")
            if "version" in table.c:
                setters["version"] = table.c.version + 1
            stmt = update(table).where(table.c.id == bindparam("b_id")).values(setters)
            self.session.execute(stmt, params)

    def create_firms(self, rows: Iterable[PlannedRow]) -> None:
        """Insert the firms the rows need (once per code), learn their ids, audit them.

        The ids come from one query for the ids above the largest before the insert
        (ids only grow), filtered to the codes inserted here.
        """
        wanted: dict[str, NewFirm] = {}
        for prow in rows:
            firm = prow.new_firm
            if firm is not None and firm.uscc not in wanted:
                wanted[firm.uscc] = firm
        if not wanted:
            return
        before = self.session.scalar(select(func.max(FIRMS.c.id))) or 0
        now = self.now
        defaults = {"status": "active", "status_changed_on": None, "note": None,
                    "created_at": now, "updated_at": now, "version": 1}
        for chunk in chunks(wanted.values(), WRITE_CHUNK):
            rows_ = []
            for firm in chunk:
                columns = firm._asdict()
                if columns["above_scale"] is None:
                    columns["above_scale"] = False
                columns.update(defaults)
                rows_.append(columns)
            self.insert(FIRMS, rows_)
        stmt = select(FIRMS.c.id, FIRMS.c.uscc).where(FIRMS.c.id > before)
        ids = self.firm_ids
        for firm_id, code in self.session.execute(stmt):
            if code in wanted:
                ids[code] = firm_id
        for code, firm in wanted.items():
            firm_id = ids[code]
            after = {k: v for k, v in zip(NewFirm._fields, firm) if v is not None}
            self.log("firm", firm_id, firm_id, "新增企业 " + firm.name, None, after)

    def ids_by(self, table, column, keys: Iterable) -> dict:
        out = {}
        for chunk in chunks(sorted(set(keys))):
            for record_id, key in self.session.execute(
                    select(table.c.id, column).where(column.in_(chunk))):
                out[key] = record_id
        return out

    def firm_id(self, prow: PlannedRow) -> int:
        return prow.firm_id if prow.firm_id is not None else self.firm_ids[prow.uscc]

    def log(self, entity_type: str, entity_id: int | None, firm_id: int | None, summary: str,
            before: dict | None, after: dict | None) -> None:
        text = self.prefix + summary
        self.audit.append({
            "at": self.now, "user_id": self.user_id, "action": "import",
            "entity_type": entity_type, "entity_id": entity_id, "firm_id": firm_id,
            "summary": text if len(text) <= 255 else text[:254] + "…",
            "before": _plain_dict(before) if before else None,
            "after": _plain_dict(after) if after else None,
        })
        self.written += 1
        if len(self.audit) >= WRITE_CHUNK:
            self.flush_audit()

    def flush_audit(self) -> None:
        self.insert(AUDIT, self.audit)
        self.audit = []


FIRM_AUDIT = ("uscc", "name", "town_id", "industry_id", "founded_on", "registered_capital",
              "legal_representative", "contact_person", "phone", "email", "address",
              "above_scale")


def _copy(connection, table, rows: list[dict]) -> None:
    """COPY … FROM STDIN through psycopg, in the session's transaction. JSON columns are
    serialised the way SQLAlchemy's JSON type does (json.dumps; None is JSON null)."""
    columns = list(rows[0])
    as_json = {c for c in columns if isinstance(table.c[c].type, sqltypes.JSON)}
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(c) for c in columns)
    statement = f"COPY {connection.dialect.identifier_preparer.format_table(table)} ({quoted}) FROM STDIN"
    raw = connection.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in as_json else row[c] for c in columns])


def changed_labels(prow: PlannedRow) -> str:
    return "、".join(c.label for c in prow.changes)


# --- one plan's shared state ----------------------------------------------------------

class Context:
    """What the planners of one workbook share: reference data, rows, firm index, today."""

    def __init__(self, workbook, today: date | None):
        self.workbook = workbook
        self.today = today or date.today()
        self.ref = Reference()
        self.rows = Rows()
        self.firms: FirmIndex | None = None

    def year_of(self, prow: PlannedRow, sheet: ParsedSheet) -> int | None:
        """The row's 年度, else the sheet's, else the workbook's; an error when none is known."""
        year = prow.parsed.values.get("year") or sheet.year or self.workbook.year
        if year is None and not any(e.column == column_of(sheet, "year") for e in prow.errors):
            fail(prow, sheet, "year", "无法确定年度：请增加“年度”列，或在工作表名称、标题中写明年份"
                                      "（如“2016年”），或导入时指定年度", value="")
        return year


def seen_at(first: tuple[str, int], sheet: ParsedSheet) -> str:
    """Where an earlier row with the same key is, as the sender would look for it."""
    name, row = first
    return f"第{row}行" if name == sheet.name else f"“{name}”表第{row}行"
