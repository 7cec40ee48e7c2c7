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
from typing import Any, Callable

from registry.excel.layout import IGNORE, Header
from registry.excel.specs import FIRM_ROWS, SheetKind
from registry.excel.types import CellError, ParsedRow, ParsedSheet
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
    def parse(self, rows: list[list[Any]], title: str) -> ParsedSheet:
        header = self.header
        sheet = ParsedSheet(
            name=self.name, sheet_kind=self.kind.code, header_row=header.row + 1,
            columns=dict(self.columns), headers=[c.header for c in header.columns],
            unmapped=[c.header for c in header.columns if c.field is None], samples={},
            title=title)
        samples = {h: [] for h in sheet.unmapped}
        unmapped_idx = [(c.index, c.header) for c in header.columns if c.field is None]
        # Cells no field reads (序号, unrecognised columns) are kept in ``raw`` under their
        # header too, so the error workbook hands the sender back every cell they wrote.
        extra_idx = tuple((c.index, c.header) for c in header.columns
                          if c.field is None or c.field == "seq")
        plan, name, seq_index = self.plan, self.name, self.seq_index
        fields = tuple(p[1] for p in plan)
        get_cells = _getter(tuple(p[0] for p in plan))
        need = max((p[0] for p in plan), default=0) + 1
        if extra_idx:
            need = max(need, max(i for i, _h in extra_idx) + 1)
        parse_plan = tuple(p[1:6] for p in plan)
        fast_plan = tuple((p[1], p[2], p[5]) for p in plan)
        special = self.special
        context: dict[str, Any] = {}
        out = sheet.rows
        canon = tuple((p[1], {}) for p in plan if p[6] in _SHARED_PARSERS)
        for i in range(header.row + 1, len(rows)):
            row = rows[i]
            rows[i] = None  # the cells live on in ``raw``; the row list is garbage now
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
            cells = get_cells(row)
            raw = {f: (v if v != "" else None) for f, v in zip(fields, cells)}
            for idx, col_header in extra_idx:
                if row[idx] != "":
                    raw[col_header] = row[idx]
            for field_name, seen in canon:  # one string object per distinct 是/否, town …
                v = raw[field_name]
                if v is not None:
                    raw[field_name] = seen.setdefault(v, v)
            errors: list[CellError] = []
            try:  # the common case, at comprehension speed: no cell is in error
                values = {f: (parse(v) if v != "" else blank) for (f, parse, blank), v in zip(fast_plan, cells)}
            except CellProblem:
                values = {}
                for (field_name, parse, col_header, label, blank), v in zip(parse_plan, cells):
                    if v == "":
                        values[field_name] = blank
                        continue
                    try:
                        values[field_name] = parse(v)
                    except CellProblem as problem:
                        values[field_name] = None
                        errors.append(CellError(name, i + 1, col_header, cell_text(v), problem.reason(label)))
            if context:
                for field_name, value in context.items():
                    if field_name in GROUP_FIELDS and values.get(field_name) is None:
                        values[field_name] = value
            for idx, col_header in unmapped_idx:
                bucket = samples[col_header]
                if len(bucket) < 3 and row[idx] != "":
                    bucket.append(cell_text(row[idx]))
            out.append(ParsedRow(name, i + 1, values, raw, errors, dict(context) if context else {}))
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
            raw = row.raw
            for field_name, col_header, label in required:
                if raw.get(field_name) is None and row.values.get(field_name) is None:
                    row.errors.append(CellError(sheet.name, row.row, col_header, "", f"{label}不能为空"))
            if need_name and _blank(raw.get("name")):
                row.errors.append(CellError(sheet.name, row.row, name_header, "", "企业名称不能为空"))
            elif firm_rows and (name_header or uscc_header) and _blank(raw.get("name")) \
                    and _blank(raw.get("uscc")):
                row.errors.append(CellError(sheet.name, row.row, name_header or uscc_header, "",
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


def fill_vertical_merges(rows: list[list[Any]], merges, start: int) -> None:
    """Copy a vertically merged cell's value into every row it spans (data rows only)."""
    for (r0, c0), (r1, c1) in merges:
        if r1 <= r0 or r0 < start:
            continue
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        if value == "" or value is None:
            continue
        for r in range(r0 + 1, min(r1, len(rows) - 1) + 1):
            if c0 < len(rows[r]) and rows[r][c0] in ("", None):
                rows[r][c0] = value


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
            value = cell_text(row.raw.get(lead)) or str(key[1])
            row.errors.append(CellError(sheet.name, row.row, column, value, reason))
