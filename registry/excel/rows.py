"""From a sheet's cell grid and its header to ParsedRows: the reader's hot loop.

Below the header a bureau sheet mixes data rows with rows that are not data: blank and
序号-only rows, group rows naming a town ("一、浒山街道（12家）") that set the town of the
rows below, 合计/小计 rows and footnotes (注：…). Cells merged vertically (a town, a team
name) apply to every row they span. Each data row is parsed column by column with a
precomputed (column, field, parser) tuple; errors carry the header as written.
"""
from __future__ import annotations

import re
from operator import itemgetter
from typing import Any, Callable, Iterable

from registry.excel.layout import IGNORE, Header
from registry.excel.specs import FIRM_ROWS, SheetKind
from registry.excel.types import MISSING, NO_ERRORS, CellError, ParsedRow, ParsedSheet, RowLayout
from registry.excel.cells import visible_name
from registry.excel.values import BLANK, CellProblem, cell_text, strip_unit, normalise_header

_TOTAL = re.compile(r"(?:合计|小计|总计|共计|总数|合\s+计|总\s+计|小\s+计)")
_NOTE = re.compile(r"[*＊]?(?:注|说明|备注|附注|附件|填表说明|填报说明|资料来源|数据来源|制表|制表人|填报人|填表人|"
                   r"审核人|审核|负责人|单位负责人|填报单位|联系人|联系电话|填报日期|日期)\s*[:：\d、.．]")
_GROUP = re.compile(
    r"(?P<ord>[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、．]|第[一二三四五六七八九十\d]+[组类部分片区]?[、:：]?)?"
    r"\s*(?P<name>.+?)\s*(?P<count>[（(]\s*(?:共|计)?\s*\d+\s*(?:家|个|项|人|户)?\s*[)）])?[:：]?")
_SHARED_PARSERS = frozenset({"town", "industry", "bool", "level", "role", "programme"})
_TOWN_SUFFIXES = ("街道", "镇", "乡", "新区")
_INDUSTRY_SUFFIX = re.compile(r"(?:产业|行业|企业|类)$")
_FIRM_WORDS = ("公司", "厂", "研究院", "中心", "合作社", "商行", "店")
GROUP_FIELDS = ("town", "industry", "level")


def _label(kind: SheetKind, name: str) -> str:
    return strip_unit(normalise_header(kind.field(name).label)).translate(
        str.maketrans({"(": "（", ")": "）"}))


class SheetParser:
    """Parses one recognised sheet; ``parsers`` is values.build_parsers(...) for this upload."""

    def __init__(self, sheet_name: str, header: Header, parsers: dict[str, Callable],
                 towns: frozenset[str] = frozenset(), industries: frozenset[str] = frozenset()):
        self.name = sheet_name
        self.header = header
        self.kind = header.kind
        self.parsers = parsers
        self.reference = {"town": towns, "industry": industries, "level": None}
        kind_fields = {f.name for f in self.kind.fields}
        self.columns = {c.field: c.header for c in header.columns if c.field and c.field != IGNORE}
        self.seq_index = next((c.index for c in header.columns if c.field == "seq"), None)
        plan = []
        for c in header.columns:
            if c.field and c.field != "seq" and c.field in kind_fields:
                spec = self.kind.field(c.field)
                plan.append((c.index, c.field, parsers[spec.parser], c.header,
                             _label(self.kind, c.field), BLANK.get(spec.parser), spec.parser))
        self.plan = tuple(plan)
        self.group_fields = [f for f in GROUP_FIELDS if f in kind_fields]
        self.kind_fields = kind_fields

    # --- rows that are not data -------------------------------------------------------
    def special(self, text: str, filled: int) -> tuple[str, dict] | None:
        """("total"|"note"|"group", context) for a row that is not data, else None."""
        compact = "".join(text.split())
        if _TOTAL.match(compact):
            return "total", {}
        if filled > 2:
            return None
        if _NOTE.match(compact):
            return "note", {}
        match = _GROUP.fullmatch(compact)
        if not match:
            return None
        name, numbered = match.group("name"), bool(match.group("ord") or match.group("count"))
        if any(word in name for word in _FIRM_WORDS) or len(name) > 16:
            return None
        for field_name in self.group_fields:
            names, candidate = self.reference.get(field_name), name
            if field_name == "town":
                if not numbered and (filled > 1 or (name not in names and names)):
                    continue  # unnumbered: a group row only when it is a town's exact name, alone
                if not names and not name.endswith(_TOWN_SUFFIXES):
                    continue
            elif not numbered:
                continue
            elif field_name == "industry":
                candidate = _INDUSTRY_SUFFIX.sub("", name)
                if candidate not in names:
                    continue  # "其他地区" is not the industry 其他
            try:
                value = self.parsers[field_name](candidate)
            except CellProblem:
                continue
            if value is not None:
                return "group", {field_name: value}
        return ("group", {"group": name}) if numbered else None

    # --- the loop ---------------------------------------------------------------------
    def parse(self, rows: Iterable[tuple[int, list[Any]]], title: str, merges=()) -> ParsedSheet:
        """Parse the data rows: ``rows`` yields (0-based index, cells) from the row below
        the header on, one at a time (the grid is never whole in memory); ``merges`` are
        the sheet's merged ranges, whose vertical spans fill the rows below them."""
        header = self.header
        sheet = ParsedSheet(
            name=self.name, sheet_kind=self.kind.code, header_row=header.row + 1,
            columns=dict(self.columns), headers=[c.header for c in header.columns],
            unmapped=[c.header for c in header.columns if c.field is None], samples={},
            title=title)
        samples = {h: [] for h in sheet.unmapped}
        unmapped_idx = [(c.index, c.header) for c in header.columns if c.field is None]
        # Cells no field reads (序号, unrecognised columns) are kept in the raw cells under
        # their header too, so the error workbook hands the sender back every cell they wrote.
        extra_idx = tuple((c.index, c.header) for c in header.columns
                          if c.field is None or c.field == "seq")
        plan, name, seq_index = self.plan, self.name, self.seq_index
        fields = tuple(p[1] for p in plan)
        # a row's raw cells: one tuple, the planned columns then the extra ones
        get_cells = _getter(tuple(p[0] for p in plan) + tuple(i for i, _h in extra_idx))
        need = max((p[0] for p in plan), default=0) + 1
        if extra_idx:
            need = max(need, max(i for i, _h in extra_idx) + 1)
        # fields the reader may fill in later get a slot, absent until set
        later = tuple(f for f in (*self.group_fields, "programme", "year")
                      if f in self.kind_fields and f not in fields)
        layout = sheet.layout = RowLayout(fields + later, fields + tuple(h for _i, h in extra_idx))
        pad = [MISSING] * len(later)
        parse_plan = tuple(p[1:6] for p in plan)
        fast_plan = tuple((p[2], p[5]) for p in plan)
        special = self.special
        context: dict[str, Any] = {}
        out = sheet.rows
        # one string object per distinct 是/否, town … (the grid row is garbage after this)
        canon = tuple((p[0], {}) for p in plan if p[6] in _SHARED_PARSERS)
        fill = MergeFill(merges, header.row + 1)
        for i, row in rows:  # the cells live on in the row's raw tuple; the list is garbage after
            if fill:
                fill(i, row)
            width = len(row)
            n = width - row.count("")
            if n == 0:
                continue
            if width < need:
                row = row + [""] * (need - width)
            first = row[0]
            if first == "":
                first = next(v for v in row if v != "")
            if type(first) is str and (n <= 2 or first.lstrip()[:1] in "合小总共"):
                if not first.strip() and all(type(v) is str and not v.strip() for v in row):
                    continue
                found = special(first, n)
                if found is not None:
                    if found[0] == "group":
                        context = found[1]
                    continue
            if n == 1 and seq_index is not None and row[seq_index] != "":
                continue  # only 序号 filled: a numbered blank line
            for idx, seen in canon:
                v = row[idx]
                if v != "":
                    row[idx] = seen.setdefault(v, v)
            cells = get_cells(row)
            errors: list[CellError] | tuple = NO_ERRORS
            try:  # the common case, at comprehension speed: no cell is in error
                vals = [(parse(v) if v != "" else blank) for (parse, blank), v in zip(fast_plan, cells)]
            except CellProblem:
                errors = []
                vals = []
                for (field_name, parse, col_header, label, blank), v in zip(parse_plan, cells):
                    if v == "":
                        vals.append(blank)
                        continue
                    try:
                        vals.append(parse(v))
                    except CellProblem as problem:
                        vals.append(None)
                        errors.append(CellError(name, i + 1, col_header, visible_name(cell_text(v)),
                                                problem.reason(label)))
            if pad:
                vals += pad
            for idx, col_header in unmapped_idx:
                bucket = samples[col_header]
                if len(bucket) < 3 and row[idx] != "":
                    bucket.append(visible_name(cell_text(row[idx]))[:200])
            # rows below one group row share its (never modified) context dict
            # a tuple is a third smaller than the list
            parsed = ParsedRow(name, i + 1, tuple(vals), cells, errors, context or None, layout)
            if context:
                values = parsed.values
                for field_name, value in context.items():
                    if field_name in GROUP_FIELDS and values.get(field_name) is None:
                        values[field_name] = value
            out.append(parsed)
        sheet.samples = samples
        self.check_required(sheet)
        return sheet

    def check_required(self, sheet: ParsedSheet) -> None:
        """Required cells, and a firm named by 企业名称 or 统一社会信用代码 on firm rows."""
        required = [(f.name, self.columns[f.name], _label(self.kind, f.name))
                    for f in self.kind.fields if f.required and f.name in self.columns]
        firm_rows = self.kind.code in FIRM_ROWS
        name_header = self.columns.get("name")
        uscc_header = self.columns.get("uscc")
        need_name = self.kind.code == "firms" and name_header is not None
        for row in sheet.rows:
            raw = row.raw_cell
            for field_name, col_header, label in required:
                if raw(field_name) is None and row.values.get(field_name) is None:
                    row.add_error(CellError(sheet.name, row.row, col_header, "", f"{label}不能为空"))
            if need_name and _blank(raw("name")):
                row.add_error(CellError(sheet.name, row.row, name_header, "", "企业名称不能为空"))
            elif firm_rows and (name_header or uscc_header) and _blank(raw("name")) \
                    and _blank(raw("uscc")):
                row.add_error(CellError(sheet.name, row.row, name_header or uscc_header, "",
                                            "企业名称和统一社会信用代码不能都为空"))


def _getter(indexes: tuple[int, ...]):
    """A C-speed ``row -> tuple of cells`` for the planned columns."""
    if not indexes:
        return lambda row: ()
    if len(indexes) == 1:
        only = indexes[0]
        return lambda row: (row[only],)
    return itemgetter(*indexes)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class MergeFill:
    """Copies a vertically merged cell's value into every row it spans (data rows only),
    row by row as the rows stream past: Excel keeps the value in the top cell only."""

    def __init__(self, merges, start: int):
        self.starts: dict[int, list[tuple[int, int]]] = {}
        for (r0, c0), (r1, _c1) in merges:
            if r1 > r0 >= start:
                self.starts.setdefault(r0, []).append((c0, r1))
        self.active: list[tuple[int, int, Any]] = []  # (column, last row, value)

    def __bool__(self) -> bool:
        return bool(self.starts or self.active)

    def __call__(self, i: int, row: list[Any]) -> None:
        if self.active:
            for c0, r1, value in self.active:
                if c0 < len(row) and row[c0] in ("", None):
                    row[c0] = value
            self.active = [a for a in self.active if a[1] > i]
        for c0, r1 in self.starts.pop(i, ()):
            if c0 < len(row) and row[c0] not in ("", None):
                self.active.append((c0, r1, row[c0]))


def find_duplicates(sheets: list[ParsedSheet], kinds: dict[str, SheetKind]) -> None:
    """Mark the later of two rows with the same unique key (e.g. the same USCC) as an error."""
    seen: dict[tuple, tuple[str, int]] = {}
    for sheet in sheets:
        kind = kinds[sheet.sheet_kind]
        key_fields = kind.unique_key
        if not key_fields or key_fields[0] not in sheet.columns:
            continue
        column = sheet.columns.get(key_fields[0], "")
        kind_code, lead = sheet.sheet_kind, key_fields[0]
        for row in sheet.rows:
            values = row.values
            if values.get(lead) is None:
                continue
            key = (kind_code, *map(values.get, key_fields))
            first = seen.setdefault(key, (sheet.name, row.row))
            if first[1] == row.row and first[0] == sheet.name:
                continue
            where = f"第{first[1]}行" if first[0] == sheet.name else f"工作表“{first[0]}”第{first[1]}行"
            if key_fields[0] == "uscc":
                reason = f"与{where}的统一社会信用代码重复"
            else:
                labels = "、".join(_label(kind, f) for f in key_fields if f in sheet.columns)
                reason = f"与{where}重复（{labels}相同）"
            value = cell_text(row.raw_cell(lead)) or str(key[1])
            row.add_error(CellError(sheet.name, row.row, column, value, reason))
