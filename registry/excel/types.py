"""The records the Excel pipeline hands from one stage to the next.

reader  → ParsedWorkbook (sheets of ParsedRow with parsed values and cell errors)
importer→ ImportPlan (each row classified 新增/更新/未变/错误, with field changes)
exporter← rows and columns only; it knows nothing of kinds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping, MutableMapping
from typing import Any

from registry.errors import RegistryError
from registry.excel.cells import visible_name

# Row classes, as the preview shows them.
NEW, UPDATED, UNCHANGED, ERROR = "new", "updated", "unchanged", "error"
ROW_CLASS_LABELS = {NEW: "新增", UPDATED: "更新", UNCHANGED: "未变", ERROR: "错误"}


class FileRefused(RegistryError):
    """The file as a whole cannot be read (wrong format, encrypted, too big, no header …)."""


MAX_SHOWN = 300  # characters of a value or reason kept in a message


def _shown(text: str) -> str:
    if type(text) is not str:
        return text
    if not text.isprintable():
        text = visible_name(text)
    if len(text) > MAX_SHOWN:
        text = text[:MAX_SHOWN - 60] + "……" + text[-58:]
    return text


@dataclass
class CellError:
    """One problem, located the way the sender will look for it in Excel."""

    sheet: str
    row: int  # Excel row number (1-based), 0 for a sheet-level problem
    column: str  # the header as written in the file ("" when not about one column)
    value: str  # the offending value as text ("" when empty)
    reason: str  # plain Chinese

    def __post_init__(self):
        # what people read: invisible characters written out, a 100,000-character cell cut
        self.value = _shown(self.value)
        self.reason = _shown(self.reason)

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column,
                "value": self.value, "reason": self.reason}


class ParsedRow:
    """A data row: ``values`` maps field name → parsed Python value (None when blank);
    ``raw`` maps field name (or, for a column no field reads, its header) → the cell as
    read, for the error workbook.

    A 100,000-row workbook holds 100,000 of these from the read until the import is
    written, so the reader stores them compactly: no instance dict, the parsed values and
    the raw cells as two tuples read through the sheet's :class:`RowLayout` (``values``
    and ``raw`` are dict-like views made on access). Anything that builds rows by hand
    may pass ordinary dicts for both instead (and no layout).
    """

    __slots__ = ("sheet", "row", "_vals", "errors", "context", "_raw", "_layout", "_more")

    def __init__(self, sheet: str, row: int, values, raw, errors: list[CellError] | None = None,
                 context: dict[str, Any] | None = None, layout: "RowLayout | None" = None):
        self.sheet = sheet
        self.row = row
        self._vals = values  # a mapping, or with a layout a tuple (a list once written to)
        self._raw = raw  # a mapping, or with a layout a tuple of cells
        self._layout = layout
        self._more = None  # with a layout: values set under keys the layout has no slot for
        self.errors = [] if errors is None else errors
        self.context = _NO_CONTEXT if context is None else context  # e.g. town from a group row

    @property
    def values(self):
        return self._vals if self._layout is None else RowValues(self)

    @property
    def raw(self):
        layout = self._layout
        return self._raw if layout is None else RawCells(layout, self._raw)

    def raw_cell(self, key: str, default=None):
        """``raw.get(key)`` without building the view (hot loops)."""
        layout = self._layout
        if layout is None:
            return self._raw.get(key, default)
        i = layout.raw_index.get(key)
        if i is None:
            return default
        value = self._raw[i]
        return default if value == "" else value

    def add_error(self, error: CellError) -> None:
        if type(self.errors) is not list:  # NO_ERRORS, shared by the rows read without any
            self.errors = list(self.errors)
        self.errors.append(error)

    @property
    def ok(self) -> bool:
        return not self.errors

    def __repr__(self) -> str:
        return f"ParsedRow({self.sheet!r}, {self.row}, {dict(self.values)!r}, errors={self.errors!r})"


_NO_CONTEXT: dict[str, Any] = {}  # shared by rows below no group row: never written to
NO_ERRORS: tuple = ()  # a row read without errors (add_error makes it a list)
MISSING = object()  # a value slot not set


class RowLayout:
    """What the rows of one sheet share: the position of each field in a row's values
    tuple and of each cell in its raw tuple."""

    __slots__ = ("value_index", "raw_index", "raw_keys")

    def __init__(self, value_keys, raw_keys):
        self.value_index = {k: i for i, k in enumerate(value_keys)}
        self.raw_keys = tuple(raw_keys)
        self.raw_index = {k: i for i, k in enumerate(self.raw_keys)}


class RowValues(MutableMapping):
    """The dict-like view of a reader's row's parsed values (``ParsedRow.values``).

    Fields the sheet reads are always present (None when blank); a few the reader may add
    later (programme, year, a group row's town) have a slot that stays absent until set;
    any other key goes to a small dict on the row, made on first use.
    """

    __slots__ = ("_row", "_index")

    def __init__(self, row: ParsedRow):
        self._row = row
        self._index = row._layout.value_index

    def __getitem__(self, key):
        i = self._index.get(key)
        if i is not None:
            value = self._row._vals[i]
            if value is not MISSING:
                return value
        else:
            more = self._row._more
            if more is not None and key in more:
                return more[key]
        raise KeyError(key)

    def get(self, key, default=None):
        i = self._index.get(key)
        if i is not None:
            value = self._row._vals[i]
            return default if value is MISSING else value
        more = self._row._more
        return default if more is None else more.get(key, default)

    def __contains__(self, key) -> bool:
        i = self._index.get(key)
        if i is not None:
            return self._row._vals[i] is not MISSING
        more = self._row._more
        return more is not None and key in more

    def _writable(self) -> list:
        row = self._row
        if type(row._vals) is tuple:  # the reader's compact form: copied on first write
            row._vals = list(row._vals)
        return row._vals

    def __setitem__(self, key, value) -> None:
        i = self._index.get(key)
        if i is not None:
            self._writable()[i] = value
        else:
            row = self._row
            if row._more is None:
                row._more = {}
            row._more[key] = value

    def __delitem__(self, key) -> None:
        i = self._index.get(key)
        row = self._row
        if i is not None and row._vals[i] is not MISSING:
            self._writable()[i] = MISSING
        elif row._more is not None and key in row._more:
            del row._more[key]
        else:
            raise KeyError(key)

    def __iter__(self):
        vals = self._row._vals
        for key, i in self._index.items():
            if vals[i] is not MISSING:
                yield key
        if self._row._more:
            yield from self._row._more

    def __len__(self) -> int:
        return sum(1 for v in self._row._vals if v is not MISSING) + len(self._row._more or ())

    def __repr__(self) -> str:
        return repr(dict(self))


class RawCells(Mapping):
    """A read-only dict-like view of one row's cells as read; blank cells read as None,
    like the cells of columns no field reads are absent when blank."""

    __slots__ = ("_layout", "_cells")

    def __init__(self, layout: RowLayout, cells: tuple):
        self._layout = layout
        self._cells = cells

    def __getitem__(self, key):
        i = self._layout.raw_index.get(key)
        if i is None:
            raise KeyError(key)
        value = self._cells[i]
        if value == "":
            if key in self._layout.value_index:
                return None
            raise KeyError(key)
        return value

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __iter__(self):
        cells, fields = self._cells, self._layout.value_index
        for i, key in enumerate(self._layout.raw_keys):
            if key in fields or cells[i] != "":
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return repr(dict(self))


@dataclass
class ParsedSheet:
    """One sheet, recognised as one sheet kind (see specs.SHEET_KINDS)."""

    name: str
    sheet_kind: str  # firms / recognitions / revocations / institutions / level_changes / teams / members / annual
    header_row: int  # Excel row number of the (last) header row
    columns: dict[str, str]  # field name → header as written
    headers: list[str]  # every header as written, in column order
    unmapped: list[str]  # headers not recognised (and not mapped to a field or ignored)
    samples: dict[str, list[str]]  # header → first non-empty values, for the mapping UI
    title: str = ""  # text found above the header (title, 附件, 单位 rows)
    year: int | None = None  # year inferred for this sheet (年度 column rows override)
    programme: str | None = None  # programme code for a recognition/revocation sheet
    rows: list[ParsedRow] = field(default_factory=list)
    layout: RowLayout | None = None  # how the reader's rows of this sheet store their cells


@dataclass
class ParsedWorkbook:
    filename: str
    sha256: str
    kind: str  # import kind: firms / recognitions / institutions / teams / annual
    programme: str | None = None  # programme code for recognition lists
    year: int | None = None
    inferred: dict[str, str] = field(default_factory=dict)  # what was inferred, and from where
    sheets: list[ParsedSheet] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)  # sheet-level problems
    skipped_sheets: list[str] = field(default_factory=list)  # sheets with nothing to import

    def all_rows(self):
        for sheet in self.sheets:
            yield from sheet.rows


@dataclass(slots=True)
class Change:
    sheet: str
    row: int
    uscc: str
    field: str  # field name
    label: str  # Chinese label of the field
    old: Any
    new: Any

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "uscc": self.uscc,
                "field": self.label, "old": _text(self.old), "new": _text(self.new)}


class PlannedRow:
    """One row's fate: its class, the changes an update makes, its errors, and what the
    importer will write for it (its own business; the preview ignores that part).

    A 100,000-row import holds 100,000 of these next to their ParsedRows, so there is no
    instance dict and ``changes``, ``writes`` and ``extra`` are made on first use (a row
    that stays 未变 or only creates a firm never needs them).
    """

    __slots__ = ("parsed", "status", "uscc", "firm_id", "_changes", "errors", "entity",
                 "entity_id", "_writes", "new_firm", "_extra", "before", "title")

    def __init__(self, parsed: ParsedRow, status: str, uscc: str = "", firm_id: int | None = None,
                 changes: list[Change] | None = None, errors: list[CellError] | None = None,
                 entity: str = "", entity_id: int | None = None, writes: dict | None = None,
                 new_firm: Any = None, extra: dict | None = None):
        self.parsed = parsed
        self.status = status  # NEW / UPDATED / UNCHANGED / ERROR
        self.uscc = uscc
        self.firm_id = firm_id
        self._changes = changes
        self.errors = [] if errors is None else errors  # parse errors + matching errors
        self.entity = entity  # entity type the row creates or changes: firm / recognition / …
        self.entity_id = entity_id  # the stored record an update applies to
        self._writes = writes  # columns to insert, or to set
        self.new_firm = new_firm  # a firm this row needs created first (importer_base.NewFirm)
        self._extra = extra  # links to records of the same batch …
        self.before: tuple | None = None  # stored values an update replaces, in ``writes`` order
        self.title = ""  # the stored record's name, for the audit summary

    @property
    def changes(self) -> list[Change]:
        if self._changes is None:
            self._changes = []
        return self._changes

    @changes.setter
    def changes(self, value: list[Change]) -> None:
        self._changes = value

    @property
    def writes(self) -> dict[str, Any]:
        if self._writes is None:
            self._writes = {}
        return self._writes

    @writes.setter
    def writes(self, value: dict[str, Any]) -> None:
        self._writes = value

    @property
    def extra(self) -> dict[str, Any]:
        if self._extra is None:
            self._extra = {}
        return self._extra

    @extra.setter
    def extra(self, value: dict[str, Any]) -> None:
        self._extra = value

    def __repr__(self) -> str:
        return f"PlannedRow({self.parsed.sheet!r}, {self.parsed.row}, {self.status!r})"


@dataclass
class ImportPlan:
    workbook: ParsedWorkbook
    rows: list[PlannedRow] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {NEW: 0, UPDATED: 0, UNCHANGED: 0, ERROR: 0}
        for r in self.rows:
            out[r.status] += 1
        return out

    @property
    def errors(self) -> list[CellError]:
        return self.workbook.errors + [e for r in self.rows for e in r.errors]

    @property
    def changes(self) -> list[Change]:
        return [c for r in self.rows if r._changes for c in r._changes]


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
