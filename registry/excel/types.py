"""The records the Excel pipeline hands from one stage to the next.

reader  → ParsedWorkbook (sheets of ParsedRow with parsed values and cell errors)
importer→ ImportPlan (each row classified 新增/更新/未变/错误, with field changes)
exporter← rows and columns only; it knows nothing of kinds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.errors import RegistryError

# Row classes, as the preview shows them.
NEW, UPDATED, UNCHANGED, ERROR = "new", "updated", "unchanged", "error"
ROW_CLASS_LABELS = {NEW: "新增", UPDATED: "更新", UNCHANGED: "未变", ERROR: "错误"}


class FileRefused(RegistryError):
    """The file as a whole cannot be read (wrong format, encrypted, too big, no header …)."""


@dataclass
class CellError:
    """One problem, located the way the sender will look for it in Excel."""

    sheet: str
    row: int  # Excel row number (1-based), 0 for a sheet-level problem
    column: str  # the header as written in the file ("" when not about one column)
    value: str  # the offending value as text ("" when empty)
    reason: str  # plain Chinese

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column,
                "value": self.value, "reason": self.reason}


@dataclass
class ParsedRow:
    """A data row: ``values`` maps field name → parsed Python value (None when blank)."""

    sheet: str
    row: int
    values: dict[str, Any]
    raw: dict[str, Any]  # field name → the cell as read, for the error workbook
    errors: list[CellError] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)  # e.g. town from a group row

    @property
    def ok(self) -> bool:
        return not self.errors


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


@dataclass(slots=True)  # a 100,000-row import holds 100,000 of these
class PlannedRow:
    parsed: ParsedRow
    status: str  # NEW / UPDATED / UNCHANGED / ERROR
    uscc: str = ""
    firm_id: int | None = None
    changes: list[Change] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)  # parse errors + matching errors
    # What the importer will write for this row (its own business; the preview ignores it).
    entity: str = ""  # entity type the row creates or changes: firm / recognition / …
    entity_id: int | None = None  # the stored record an update applies to
    writes: dict[str, Any] = field(default_factory=dict)  # columns to insert, or to set
    new_firm: Any = None  # a firm this row needs created first (importer_base.NewFirm)
    extra: dict[str, Any] = field(default_factory=dict)  # links to records of the same batch …


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
        return [c for r in self.rows for c in r.changes]


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
