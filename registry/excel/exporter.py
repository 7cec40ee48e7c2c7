"""The one door every workbook leaves the registry through.

Every download — lists, error workbooks, blank templates — is described as a few ``Sheet``
records and written here, so formatting and formula safety live in one place:

* Strings that a spreadsheet could take for a formula (starting with ``= + - @``, a tab or a
  carriage return) are written as **string cells** (``data_type 's'``, an inline string) with
  the cell style's ``quotePrefix`` flag set. That flag is exactly what Excel stores when a
  user types a leading apostrophe: the cell shows the text unchanged, is never evaluated, and
  stays text when someone edits it (F2, Enter). We chose this over prepending a literal ``'``
  because the text keeps every character: a sender who fixes an error workbook and sends it
  back gives us the values they typed, not values with a stray apostrophe. (A leading CR
  comes back as LF: XML normalises line ends in text.)
* Dates are real Excel dates shown ``yyyy-mm-dd``; ``Decimal`` stays an exact number shown
  with two decimals; a column whose ``number_format`` is ``'@'`` (USCC, phone) gets text
  cells and a text column style, so Excel never turns a code into 9.13E+17.
* Column widths count a Chinese character as two.

* Official lists (the bureau's published 名单) need more than a data dump: a big merged
  title, thin borders on every cell of the table, a footnote row merged under it, and an A4
  print setup whose title and header rows repeat on every page. ``Sheet`` carries those as
  optional fields (``borders``, ``footnote``, ``print_setup``, ``title_size``); a sheet that
  does not ask for them is written exactly as before.

Workbooks are written with openpyxl's write-only mode: rows stream to the file, so a large
export holds one row in memory at a time (plus the first rows used to size the columns).
Data cells of the same column and value type share one style, computed once and copied
(``registry.excel.streaming``): styling 100,000 rows then costs about what writing their
bare values costs.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from registry.excel import streaming

TEXT = "@"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
MONEY = "#,##0.00"
#: First characters that make a spreadsheet read a string as a formula (or DDE payload).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
TITLE_FONT = Font(bold=True, size=12)
HEADER_FONT = Font(bold=True)
THIN = Side(style="thin", color="A6A6A6")
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BLACK = Side(style="thin", color="000000")
GRID = Border(left=BLACK, right=BLACK, top=BLACK, bottom=BLACK)  # official lists print in black
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER_WRAP = Alignment(horizontal="center", vertical="center", wrap_text=True)
FILLS = {"error": ERROR_FILL, "required": REQUIRED_FILL, "header": HEADER_FILL}

MAX_TEXT = 32_767  # Excel's cell limit
INLINE_LIST_LIMIT = 255  # Excel's limit for a literal "a,b,c" validation list
SIZING_ROWS = 200  # rows looked at to size a column
LIST_SHEET = "选项"
AUTHOR = "创新型企业培育库"


@dataclass
class Column:
    header: str
    width: float | None = None  # Excel character units; None = fitted to header and values
    number_format: str | None = None  # TEXT, DATE, MONEY, "0", …; None = by value type
    required: bool = False  # header drawn in the "required" colour
    note: str = ""  # comment on the header cell (a hint for whoever fills the column)
    wrap: bool = False
    align: str | None = None  # "center" / "left" / "right" for the data cells; None = Excel's default


@dataclass
class Validation:
    """A dropdown on one column's data cells. ``values`` are written inline when they fit
    Excel's 255-character limit, otherwise onto the hidden 选项 sheet and referenced."""

    column: int  # 0-based index into Sheet.columns
    values: Sequence[str]
    name: str = ""  # list name on the 选项 sheet (also the defined name's stem)
    rows: int = 1000  # how many data rows the dropdown covers
    strict: bool = True  # False: warn on other values instead of refusing them
    prompt: str = ""
    on_list_sheet: bool = False  # put the list on 选项 even when it would fit inline


@dataclass
class PrintSetup:
    """How a sheet prints: paper, orientation, fit to the page width, repeated header rows."""

    paper: str = "A4"  # "A4" or "A3"
    landscape: bool = False
    fit_width: bool = True  # every column on one page width; as many pages down as needed
    repeat_header: bool = True  # the title and header rows print on every page
    centered: bool = True  # horizontally centred on the page
    margins_cm: tuple[float, float, float, float] = (1.8, 1.5, 1.5, 1.5)  # top, bottom, left, right
    page_numbers: bool = True  # "第 N 页，共 M 页" in the footer


@dataclass
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]] = ()
    title_row: str | None = None  # text merged across the columns above the header
    highlights: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) → FILLS key
    comments: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) → text
    freeze_header: bool = True
    validations: Sequence[Validation] = ()
    hidden: bool = False
    borders: bool = False  # thin black borders on the header and every data cell
    footnote: str | None = None  # text merged across the columns under the last data row
    print_setup: PrintSetup | None = None
    title_size: float = 12  # title row font size in points
    header_fill: bool = True  # False: plain bold headers (official lists print in black and white)


def write_workbook(sheets: Sequence[Sheet], *, title: str = "") -> bytes:
    """Write ``sheets`` (in order) to .xlsx bytes. (row, col) keys of ``highlights`` and
    ``comments`` are 0-based positions in ``rows``/``columns``."""
    wb = Workbook(write_only=True)
    wb.properties.creator = AUTHOR
    if title:
        wb.properties.title = title
    lists = _ListSheet()
    for spec in sheets:
        _write_sheet(wb, spec, lists)
    lists.write(wb)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def text_width(value: Any) -> float:
    """Display width in Excel character units: CJK and full-width characters count two."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, Decimal):
        value = f"{value:,.2f}"
    text = str(value)
    longest = max(text.split("\n"), key=len) if "\n" in text else text
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in longest)


# --- sheets -----------------------------------------------------------------------------

def _write_sheet(wb: Workbook, spec: Sheet, lists: "_ListSheet") -> None:
    ws = wb.create_sheet(_safe_title(spec.title, wb.sheetnames))
    streaming.install(ws)
    if spec.hidden:
        ws.sheet_state = "hidden"
    rows = iter(spec.rows)
    head = list(itertools.islice(rows, SIZING_ROWS))
    ncols = max(len(spec.columns), 1)
    last_letter = get_column_letter(ncols)
    total = 0.0
    for idx, col in enumerate(spec.columns, 1):
        dim = ws.column_dimensions[get_column_letter(idx)]
        dim.width = col.width or _fit(col, idx - 1, head)
        total += dim.width
        if col.number_format:  # the column style: cells typed in later take it too
            dim.number_format = col.number_format
    first = 1
    if spec.title_row:
        ws.merged_cells.add(f"A1:{last_letter}1")
        ws.row_dimensions[1].height = _title_height(spec.title_row, total or 60, spec.title_size)
        first = 2
    if spec.freeze_header and spec.columns:
        ws.freeze_panes = f"A{first + 1}"
    if spec.print_setup:
        _print_setup(ws, spec.print_setup, first if spec.columns else first - 1)
    if spec.title_row:
        cell = _cell(ws, spec.title_row)
        size = spec.title_size
        cell.font = TITLE_FONT if size == 12 else Font(bold=True, size=size)
        cell.alignment = Alignment(wrap_text=True, vertical="center",
                                   horizontal="center" if spec.borders else None)
        ws.append([cell])
    if spec.columns:
        ws.append([_header_cell(ws, c, spec) for c in spec.columns])
    formats = [c.number_format for c in spec.columns]

    def prepare(c: int, value: Any):
        value = _excel_value(value, formats[c] if c < len(formats) else None)
        return value, (c, _kind(value))

    styles = streaming.StyleCache(ws, set(spec.highlights) | set(spec.comments),
                                  lambda r, c, v: _data_cell(ws, spec, r, c, v), prepare)
    count = 0
    for r, values in enumerate(itertools.chain(head, rows)):
        ws.append([styles.cell(r, c, v) for c, v in enumerate(values)])
        count += 1
    if spec.footnote:
        row = first + 1 + count
        ws.merged_cells.add(f"A{row}:{last_letter}{row}")
        ws.row_dimensions[row].height = _title_height(spec.footnote, total or 60, 11)
        cell = _cell(ws, spec.footnote)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.append([cell])
    for v in spec.validations:
        ws.data_validations.append(_validation(v, first + 1, lists))


def _print_setup(ws, setup: PrintSetup, header_row: int) -> None:
    """A4 (or A3), fitted to the page width, title and header repeated on every page."""
    ws.page_setup.paperSize = "8" if setup.paper == "A3" else "9"  # OOXML paper codes
    ws.page_setup.orientation = "landscape" if setup.landscape else "portrait"
    if setup.fit_width:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    if setup.repeat_header and header_row >= 1:
        ws.print_title_rows = f"1:{header_row}"
    ws.print_options.horizontalCentered = setup.centered
    top, bottom, left, right = (cm / 2.54 for cm in setup.margins_cm)
    ws.page_margins.top, ws.page_margins.bottom = top, bottom
    ws.page_margins.left, ws.page_margins.right = left, right
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if setup.page_numbers:
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _kind(value: Any):
    """What decides a data cell's style besides its column (see ``_cell``)."""
    cls = value.__class__
    if isinstance(value, str):
        return (str, value.startswith(FORMULA_STARTS))
    if cls is datetime:
        return (datetime, value.time() != time())
    return cls


def _title_height(text: str, width: float, size: float = 12) -> float:
    """Points for a wrapped title merged across ``width`` character units."""
    per_line = max(width - 2, 10) * 12 / max(size, 12)  # larger type: fewer characters a line
    lines = sum(max(1, math.ceil(text_width(line) / per_line)) for line in text.split("\n"))
    return (size + 4) * lines + 4


def _header_cell(ws, col: Column, spec: Sheet) -> WriteOnlyCell:
    cell = _cell(ws, col.header)
    cell.font, cell.alignment = HEADER_FONT, CENTER_WRAP
    cell.border = GRID if spec.borders else HEADER_BORDER
    if spec.header_fill:
        cell.fill = REQUIRED_FILL if col.required else HEADER_FILL
    if col.note:
        cell.comment = _comment(col.note)
    return cell


def _data_cell(ws, spec: Sheet, r: int, c: int, value: Any):
    col = spec.columns[c] if c < len(spec.columns) else Column("")
    fill = spec.highlights.get((r, c))
    note = spec.comments.get((r, c))
    cell = _cell(ws, value, col.number_format)
    if fill:
        cell.fill = FILLS.get(fill, ERROR_FILL)
    if note:
        cell.comment = _comment(note)
    if col.wrap or col.align:
        cell.alignment = _ALIGNMENTS[(col.wrap, col.align)]
    if spec.borders:
        cell.border = GRID
    return cell


_ALIGNMENTS = {(wrap, align): Alignment(horizontal=align, vertical="center" if align else "top",
                                        wrap_text=wrap or None)
               for wrap in (False, True) for align in (None, "left", "center", "right")}
_ALIGNMENTS[(True, None)] = WRAP


def _cell(ws, value: Any, number_format: str | None = None) -> WriteOnlyCell:
    """A cell holding ``value`` the safe way (see the module docstring)."""
    value = _excel_value(value, number_format)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never 'f' (formula) nor 'e' (error code such as #N/A)
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
        if number_format == TEXT:
            cell.number_format = TEXT
    elif isinstance(value, datetime):
        cell.number_format = DATETIME if value.time() != time() else DATE
    elif isinstance(value, date):
        cell.number_format = DATE
    elif isinstance(value, Decimal):
        cell.number_format = number_format or MONEY
    elif number_format and number_format != TEXT:
        cell.number_format = number_format
    return cell


def _excel_value(value: Any, number_format: str | None) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if number_format == TEXT and not isinstance(value, str):
        value = _plain_text(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        from registry.timeutil import to_local

        value = to_local(value).replace(tzinfo=None)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) and abs(value) >= 10**15:
        return str(value)  # Excel keeps 15 significant digits: a long code must stay text
    if isinstance(value, (int, float, Decimal, date, time)):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text[:MAX_TEXT]


def _plain_text(value: Any) -> str:
    """A number as its text, without the '.0' a float would add."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _comment(text: str) -> Comment:
    comment = Comment(text[:2000], AUTHOR)
    comment.width, comment.height = 260, 24 + 18 * (1 + text_width(text) // 36)
    return comment


def _fit(col: Column, index: int, rows: list[Sequence[Any]]) -> float:
    widest = max((text_width(r[index]) for r in rows if index < len(r)), default=0)
    if col.number_format == MONEY:
        widest += 2
    cap = 50 if col.wrap else 60
    return float(min(cap, max(8, text_width(col.header) + 2, widest + 2)))


def _safe_title(title: str, taken: list[str]) -> str:
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in (title or "Sheet")).strip("'")[:31]
    base = base or "Sheet"
    name, n = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f"({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    return name


# --- dropdowns --------------------------------------------------------------------------

class _ListSheet:
    """Long dropdown lists, one column each on a hidden sheet, each behind a defined name."""

    def __init__(self):
        self.lists: dict[str, list[str]] = {}

    def ref(self, name: str, values: Sequence[str]) -> str:
        key = name or f"list{len(self.lists) + 1}"
        if key not in self.lists:
            self.lists[key] = [str(v) for v in values]
        return f"list_{list(self.lists).index(key) + 1}"

    def write(self, wb: Workbook) -> None:
        if not self.lists:
            return
        ws = wb.create_sheet(LIST_SHEET)
        ws.sheet_state = "hidden"
        names = list(self.lists)
        columns = [self.lists[n] for n in names]
        ws.append([_cell(ws, n) for n in names])
        for row in itertools.zip_longest(*columns):
            ws.append([_cell(ws, v) for v in row])
        for i, n in enumerate(names, 1):
            letter = get_column_letter(i)
            ref = f"{quote_sheetname(LIST_SHEET)}!${letter}$2:${letter}${len(self.lists[n]) + 1}"
            wb.defined_names[f"list_{i}"] = DefinedName(f"list_{i}", attr_text=ref)


def _validation(v: Validation, first_row: int, lists: _ListSheet) -> DataValidation:
    values = [str(x) for x in v.values]
    inline = ",".join(values)
    if not v.on_list_sheet and len(inline) + 2 <= INLINE_LIST_LIMIT and not any("," in x or '"' in x for x in values):
        formula = f'"{inline}"'
    else:
        formula = lists.ref(v.name, values)
    dv = DataValidation(type="list", formula1=formula, allow_blank=True,
                        showErrorMessage=True, showInputMessage=bool(v.prompt))
    dv.errorStyle = "stop" if v.strict else "warning"
    dv.errorTitle = "输入值无效"
    dv.error = "请从下拉列表中选择。" if v.strict else "该值不在常用列表中，确认要保留吗？"
    if v.prompt:
        dv.promptTitle, dv.prompt = "填写提示", v.prompt[:255]
    letter = get_column_letter(v.column + 1)
    dv.add(f"{letter}{first_row}:{letter}{first_row + v.rows - 1}")
    return dv


# --- the two workbooks built from the specs and plans -----------------------------------

def error_workbook(plan, *, all_rows: bool = False) -> bytes:
    """The uploaded rows that failed, bad cells red with their reasons (see ``error_book``)."""
    from registry.excel.error_book import build

    return build(plan, all_rows=all_rows)


def template_workbook(kind: str, *, towns, industries) -> bytes:
    """The blank import template of one import kind (see ``blank_templates``)."""
    from registry.excel.blank_templates import build

    return build(kind, towns=towns, industries=industries)
