"""Where a sheet's header is and which column holds which field.

Bureau sheets put a title, an 附件 line, a "（共N家）" or "单位：万元" line and blank rows
above the header, and sometimes a row of merged group headings ("依托企业" over 企业名称 /
统一社会信用代码) right above it. ``find_header`` scores each of the first rows against
every sheet kind's synonyms (specs.SHEET_KINDS) and returns the best one with its
column → field assignment. Everything here works on plain lists of cell values and
(row, col) merge ranges, so the same code serves xlsx and CSV.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from registry.excel.cells import visible_name
from registry.excel.specs import SHEET_KINDS, SheetKind
from registry.excel.values import cell_text, normalise_header, strip_unit

IGNORE = ""  # a mapping value: drop this column
#: Columns the registry itself adds to workbooks it sends out (the error workbook's reason
#: column): a corrected file coming back must not ask the user to map them.
IGNORED_HEADERS = frozenset({"错误原因"})
#: A header cell is a few words; longer text above the data (a title, a pasted paragraph, a
#: hostile 100,000-character cell) is cut here before it is compared with every kind.
MAX_HEADER_CHARS = 200


@lru_cache(maxsize=None)
def synonym_table(kind_code: str) -> dict[str, str]:
    """Normalised header (with and without its unit) → field name, for one sheet kind."""
    table: dict[str, str] = {}
    for f in SHEET_KINDS[kind_code].fields:
        for spelling in (f.label, *f.synonyms):
            h = normalise_header(spelling)
            table.setdefault(h, f.name)
            table.setdefault(strip_unit(h), f.name)
    return table


def match_field(kind_code: str, header: str) -> str | None:
    """The field a normalised header names in this kind, or None."""
    table = synonym_table(kind_code)
    return table.get(header) or table.get(strip_unit(header))


@dataclass
class Column:
    index: int
    header: str  # as written (lower row, or "group/lower" when the group heading decided)
    field: str | None  # None: unrecognised; "" (IGNORE): dropped by the user's mapping
    from_group: bool = False  # the row above the header helped name this column


@dataclass
class Header:
    kind: SheetKind
    row: int  # 0-based index of the (lower) header row
    first_row: int  # 0-based index of the first header row (row - 1 for a two-row header)
    columns: list[Column] = field(default_factory=list)
    score: int = 0


def _merge_lookup(merges) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    """Every covered (row, col) of a merged range → (r0, c0, r1, c1)."""
    out = {}
    for (r0, c0), (r1, c1) in merges:
        if (r1 - r0 + 1) * (c1 - c0 + 1) > 5000:  # a whole-sheet merge: only its corner matters
            out[(r0, c0)] = (r0, c0, r1, c1)
            continue
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                out[(r, c)] = (r0, c0, r1, c1)
    return out


def _text(value) -> str:
    """A header cell as shown (invisible characters written out: see cells.visible_name)."""
    if isinstance(value, str):
        return visible_name(value.strip()[:MAX_HEADER_CHARS])
    return "" if value in (None, "") else cell_text(value)


def _header_cells(rows, r: int, merged) -> tuple[list[tuple[int, str, str, bool]], bool]:
    """(col, header text, group heading above, header comes from the upper row) per column.

    The upper row gives a group heading when it is merged across several columns or is a
    row of headings itself (≥ 2 cells); a header cell merged down over both rows, or
    written only in the upper row of a heading row, is the column's header.
    """
    lower = rows[r]
    upper = rows[r - 1] if r > 0 else ()
    upper_headings = sum(1 for v in upper if isinstance(v, str) and v.strip()) >= 2
    out = []
    for c in range(len(lower)):
        text, group, from_upper = _text(lower[c]), "", False
        if r > 0:
            span = merged.get((r - 1, c))
            if span:
                r0, c0, r1, c1 = span
                head = _text(rows[r0][c0]) if c0 < len(rows[r0]) else ""
                if r1 >= r and c0 == c1 and not text:  # one header cell merged down
                    text, from_upper = head, True
                elif r0 == r - 1 and r1 == r - 1 and (c1 > c0 or upper_headings):
                    group = head
            elif upper_headings and c < len(upper):
                group = _text(upper[c])
                if not text and group:
                    text, group, from_upper = group, "", True
        out.append((c, text, group, from_upper))
    return out, upper_headings or any(cell[3] for cell in out)


def _resolve(kind: SheetKind, col: int, text: str, group: str, from_upper: bool,
             mapping: dict) -> Column | None:
    """Which field one header cell names in ``kind`` (mapping first, then synonyms)."""
    if not text:
        return None
    shown = f"{group}/{text}" if group else text
    for key in (shown, text):
        if key in mapping:
            name = mapping[key] or IGNORE
            if name and name not in kind_fields(kind.code):
                name = None
            return Column(col, key, name, from_upper)
    h = normalise_header(text)
    if h in IGNORED_HEADERS:
        return Column(col, text, IGNORE, from_upper)
    if group:
        combined = match_field(kind.code, normalise_header(group) + h)
        if combined:
            return Column(col, shown, combined, True)
    return Column(col, text, match_field(kind.code, h), from_upper)


def _assign(kind: SheetKind, cells, mapping: dict) -> tuple[list[Column], bool]:
    columns, used_group, seen = [], False, set()
    for c, text, group, from_upper in cells:
        column = _resolve(kind, c, text, group, from_upper, mapping)
        if column is None:
            continue
        if column.field:
            if column.field in seen:  # a second column for the same field: let the user decide
                column.field = None
            else:
                seen.add(column.field)
                used_group = used_group or column.from_group
        columns.append(column)
    return columns, used_group


@lru_cache(maxsize=None)
def kind_fields(kind_code: str) -> frozenset[str]:
    return frozenset(f.name for f in SHEET_KINDS[kind_code].fields)


def _qualifies(kind: SheetKind, fields: set[str], context_words: str, forced: bool) -> int:
    """2 when a signature field set is present, 1 for a weak one backed by the sheet's
    words (or a forced kind), 0 when this sheet cannot be of this kind."""
    if any(sig <= fields for sig in kind.signature):
        return 2
    if kind.weak_signature and any(sig <= fields for sig in kind.weak_signature):
        return 1 if forced or any(word in context_words for word in kind.sheet_words) else 0
    return 0


def find_header(rows, merges, *, kinds, mapping: dict, context_words: str, forced: bool,
                scan_rows: int = 20) -> Header | None:
    """The best (row, kind) among the first ``scan_rows`` rows, or None.

    A kind counts only when one of its signature field sets is present (or a weak one
    with the kind's words in the sheet name, title or file name). Among those, a kind
    named by those words wins (a "…名单" with a 所属产业 column is a list, not a
    roster), then a full signature, then the number of distinct fields recognised
    (序号 aside), then the earlier row.
    """
    merged = _merge_lookup(merges)
    best: tuple | None = None
    for r in range(min(scan_rows, len(rows))):
        row = rows[r]
        if sum(1 for v in row if isinstance(v, str) and v.strip()) < 2:
            continue
        cells, two_row = _header_cells(rows, r, merged)
        for kind in kinds:
            columns, used_group = _assign(kind, cells, mapping)
            used_group = used_group or two_row
            fields = {c.field for c in columns if c.field and c.field != "seq"}
            strength = _qualifies(kind, fields, context_words, forced) if fields else 0
            if not strength:
                continue
            worded = any(word in context_words for word in kind.sheet_words)
            key = (worded, strength, len(fields), -r)
            if best is None or key > best[0]:
                header = Header(kind, r, r - 1 if used_group else r, columns, len(fields))
                best = (key, header)
    return best[1] if best else None
