"""What every kind of import shares: reference look-ups, value comparison, row errors and
the plan's shared state. Firm matching is in importer_match, writing in importer_write.

Every planner works set-based: it first collects the keys its rows carry, loads the
stored records for them with one ``IN`` query per chunk of CHUNK keys, then classifies
the rows against dictionaries. A 100,000-row roster costs a few hundred statements, not
a few hundred thousand.
"""
from __future__ import annotations

import unicodedata
from collections import namedtuple
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.excel.specs import SHEET_KINDS
from registry.excel.types import ERROR, CellError, ParsedRow, ParsedSheet, PlannedRow, UNCHANGED
from registry.extensions import db
from registry.firms.models import Firm, FirmName, Industry, Town
from registry.recognitions.models import Programme

if TYPE_CHECKING:
    from registry.excel.importer_match import FirmIndex

CHUNK = 900  # parameters per IN (…): below SQLite's historical limit of 999
CENT = Decimal("0.01")
FIRMS = Firm.__table__
FIRM_NAMES = FirmName.__table__
AUDIT = AuditLog.__table__

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
        return _cached_lookup(self._towns, self.town_id, name)

    def industry(self, name: str) -> int | None:
        return _cached_lookup(self._industries, self.industry_id, name)


def _cached_lookup(cache: dict, index: dict, name: str) -> int | None:
    """``index[name_key(name)]``, remembering the answer per spelling (None included)."""
    try:
        return cache[name]
    except KeyError:
        found = cache[name] = index.get(name_key(name))
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


#: A firm a batch will create: a compact tuple (a 100,000-row roster holds 100,000 of
#: them until it is written); ``Writer.create_firms`` adds the defaults.
NewFirm = namedtuple("NewFirm", ("uscc", "name", "town_id", "industry_id", "founded_on",
                                 "registered_capital", "legal_representative", "contact_person",
                                 "phone", "email", "address", "above_scale"),
                     defaults=(None,) * 10)


def new_firm_columns(uscc: str, name: str, **values) -> NewFirm:
    return NewFirm(uscc, name, **values)


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
