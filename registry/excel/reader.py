"""The reading stage: uploaded bytes → ParsedWorkbook (parsed rows and cell errors).

Pure Python, no database: the caller passes the valid town and industry names. The
stages inside are ``container`` (what the file is; refusals; CSV decoding; formula
scan), ``layout`` (where the header is, which column is which field) and ``rows`` (the
per-row loop). This module ties them together and infers what the workbook is — import
kind, programme and year — recording each inference as a sentence for the preview.

Values are read with python-calamine (about ten times faster than openpyxl's streaming
reader; see ``sheets``, which streams each sheet's rows into the parser); openpyxl is not
needed to read.
"""
from __future__ import annotations

import gc
import hashlib
import re
from contextlib import contextmanager
from datetime import date
from pathlib import PurePath
from typing import Callable, Iterable, Iterator

from registry.excel import container
from registry.excel.container import Limits
from registry.excel.layout import find_header
from registry.excel.rows import SheetParser, find_duplicates
from registry.excel.sheets import sheet_rows
from registry.excel.specs import (
    IMPORT_SHEETS, KIND_ALIASES, PROGRAMME_LABELS, SHEET_KINDS, YEAR_FROM_CONTEXT,
)
from registry.excel.types import CellError, FileRefused, ParsedSheet, ParsedWorkbook
from registry.excel.values import build_parsers, cell_text, parse_text, programme_code
from registry.vocab import IMPORT_KINDS

__all__ = ["read_workbook", "Limits", "FileRefused"]

def read_workbook(data: bytes, filename: str, *, kind: str | None = None,
                  programme: str | None = None, year: int | None = None,
                  mapping: dict[str, str] | None = None, towns: Iterable[str] = (),
                  industries: Iterable[str] = (), today: date | None = None,
                  limits: Limits | dict | None = None,
                  progress: Callable[[int, int], None] | None = None) -> ParsedWorkbook:
    """Read and parse every recognisable sheet of an upload; raise FileRefused when the
    file as a whole cannot be imported.

    ``kind`` forces the import kind (firms / recognitions / institutions / teams /
    annual, or a KIND_ALIASES spelling); ``programme`` (code or Chinese name) and
    ``year`` force what would otherwise be inferred; ``mapping`` maps headers as written
    to field names ("" = ignore the column); ``towns``/``industries`` are the valid
    reference names (empty: accept any name as written). ``progress(rows read, rows
    known)`` is called every PROGRESS_EVERY rows, for a large import's progress bar (the
    total grows as each sheet is opened).
    """
    with _gc_paused():
        return _read(data, filename, kind=kind, programme=programme, year=year, mapping=mapping,
                     towns=towns, industries=industries, today=today, limits=Limits.of(limits),
                     progress=progress)


PROGRESS_EVERY = 1000


def _counted(rows: Iterator, progress, done: int, total: int) -> Iterator:
    """``rows`` passed through, telling ``progress`` how many have gone by."""
    for n, row in enumerate(rows, start=1):
        if n % PROGRESS_EVERY == 0:
            progress(done + n, total)
        yield row


@contextmanager
def _gc_paused():
    """No cyclic garbage collection while a million cells become Python objects.

    Nothing the reader builds is cyclic, yet each collection walks every object made so
    far: pausing the collector saves a fifth of the time on a 100,000-row workbook.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read(data: bytes, filename: str, *, kind, programme, year, mapping, towns, industries, today,
          limits: Limits, progress=None) -> ParsedWorkbook:
    forced_kind = _resolve_kind(kind)
    opened = container.open_file(data, filename, limits)
    town_names = [t for t in (parse_text(t) for t in towns) if t]
    industry_names = [i for i in (parse_text(i) for i in industries) if i]
    parsers = build_parsers(towns=town_names, industries=industry_names, today=today)
    mapping = dict(mapping or {})
    forced_programme = _resolve_programme(programme)
    kinds = [SHEET_KINDS[k] for k in IMPORT_SHEETS[forced_kind]] if forced_kind else list(SHEET_KINDS.values())
    stem = PurePath(filename).stem

    # Each sheet is parsed as soon as it is read (and its cells then dropped), whatever
    # the import kind turns out to be: a workbook mixing kinds is rare, memory is not.
    found = []  # (ParsedSheet, Header)
    skipped: list[str] = []
    towns_set, industries_set = frozenset(town_names), frozenset(industry_names)
    done = known = 0  # rows read in the sheets finished, rows in the sheets opened
    for name, rows, merges, formulas in sheet_rows(opened, data, stem, limits):
        known += rows.total
        words = " ".join([name, filename, _loose_title(rows.head, limits.header_scan_rows),
                          "名单" if forced_programme else ""])
        header = find_header(rows.head, merges, kinds=kinds, mapping=mapping, context_words=words,
                             forced=forced_kind is not None, scan_rows=limits.header_scan_rows)
        if header is None:
            skipped.append(name)
            del rows
            done = known
            continue
        title = _title(rows.head, header.first_row)
        data_rows = rows.data(header.row + 1)
        if progress is not None:
            data_rows = _counted(data_rows, progress, done + header.row + 1, known)
        sheet = SheetParser(name, header, parsers, towns_set, industries_set).parse(
            data_rows, title, merges)
        del rows, data_rows
        done = known
        if progress is not None:
            progress(done, known)
        if formulas is not None:
            _check_formulas(sheet, header, formulas())
        found.append((sheet, header))
    if not found:
        wanted = f"“{IMPORT_KINDS[forced_kind]}”的" if forced_kind else ""
        raise FileRefused(f"未找到可识别的{wanted}表头：请确认表头行（前{limits.header_scan_rows}行内）"
                          "包含“企业名称”“统一社会信用代码”等列名，或下载模板对照填写")

    import_kind = forced_kind or _majority_kind([h.kind.import_kind for _s, h in found])
    book = ParsedWorkbook(filename=filename, sha256=hashlib.sha256(data).hexdigest(), kind=import_kind)
    book.skipped_sheets = skipped
    others = [s.name for s, h in found if h.kind.import_kind != import_kind]
    skipped.extend(others)
    if not forced_kind:
        book.inferred["kind"] = f"由表头推断为 {IMPORT_KINDS[import_kind]}"
        if others:
            book.inferred["kind"] += "；工作表" + "、".join(f"“{n}”" for n in others) + "属于其他类型，本次未导入"
    for sheet, header in found:
        if header.kind.import_kind == import_kind:
            _check_units(book, sheet)
            book.sheets.append(sheet)

    _check_counts(book)
    _infer_programme(book, forced_programme, programme)
    _infer_year(book, year)
    find_duplicates(book.sheets, SHEET_KINDS)
    return book


def _loose_title(rows, scan: int) -> str:
    """Text of the single-cell rows near the top (titles), before the header is known."""
    parts = []
    for row in rows[:scan]:
        texts = [v for v in row if isinstance(v, str) and v.strip()]
        if len(texts) == 1:
            parts.append(texts[0].strip())
    return " ".join(parts)


def _title(rows, first_header_row: int) -> str:
    """Everything written above the header: title, 附件 line, （共N家）, 单位：万元."""
    lines = []
    for row in rows[:first_header_row]:
        texts = [cell_text(v).strip() for v in row if v not in ("", None)]
        texts = [t for t in texts if t]
        if texts:
            lines.append(" ".join(texts))
    return "\n".join(lines)


def _majority_kind(kinds: list[str]) -> str:
    """The import kind most sheets belong to (the first sheet's on a tie)."""
    return max(dict.fromkeys(kinds), key=kinds.count)


# --- checks -------------------------------------------------------------------------------
def _col_letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _check_formulas(sheet: ParsedSheet, header, cells: set[tuple[int, int]]) -> None:
    """Refuse formulas in imported cells; formulas elsewhere (合计, 序号) are harmless."""
    imported = {c.index for c in header.columns if c.field and c.field != "seq"}
    data_rows = {row.row - 1 for row in sheet.rows}
    bad = sorted((r, c) for r, c in cells if c in imported and r in data_rows)
    if bad:
        where = "、".join(f"{_col_letters(c)}{r + 1}" for r, c in bad[:5])
        more = f" 等 {len(bad)} 个单元格" if len(bad) > 5 else ""
        raise FileRefused(f"工作表“{sheet.name}”的 {where}{more} 是公式而不是数值：请复制后“选择性粘贴 → 数值”"
                          "保存，再上传")


_YUAN = re.compile(r"单位\s*[:：]\s*元")


def _check_units(book: ParsedWorkbook, sheet: ParsedSheet) -> None:
    """A sheet that says 单位：元 holds money in yuan; the registry stores 万元."""
    kind = SHEET_KINDS[sheet.sheet_kind]
    money = [h for f, h in sheet.columns.items() if kind.field(f).parser == "decimal"]
    if money and _YUAN.search(sheet.title):
        book.errors.append(CellError(sheet.name, 0, money[0], "单位：元",
                                     "表头上方注明金额单位为“元”，本系统按万元导入：请换算为万元后再上传"))


_DECLARED = re.compile(r"[（(]\s*共\s*(\d+)\s*(?:家|个|项|人|条)\s*[)）]")


def _check_counts(book: ParsedWorkbook) -> None:
    """Compare a "（共N家）" line above the header with the rows read (shown in the preview)."""
    notes = []
    for sheet in book.sheets:
        match = _DECLARED.search(sheet.title)
        if match:
            declared, found = int(match.group(1)), len(sheet.rows)
            where = f"工作表“{sheet.name}”" if len(book.sheets) > 1 else ""
            notes.append(f"{where}标题注明共{declared}家，读取到{found}行" +
                         ("" if declared == found else "，请核对是否有遗漏或多余的行"))
    if notes:
        book.inferred["count"] = "；".join(notes)


# --- inference ------------------------------------------------------------------------------
def _resolve_kind(kind: str | None) -> str | None:
    if not kind:
        return None
    code = KIND_ALIASES.get(kind.strip()) or KIND_ALIASES.get(kind.strip().lower())
    if code is None:
        raise FileRefused(f"未知的导入类型：{kind}（可选：{'、'.join(IMPORT_KINDS)}）")
    return code


def _resolve_programme(programme: str | None) -> str | None:
    if not programme:
        return None
    text = programme.strip()
    if text in PROGRAMME_LABELS:
        return text
    return programme_code(text) or text  # a programme the table does not know: the importer decides


def _programme_label(code: str) -> str:
    return PROGRAMME_LABELS.get(code, code)


def _infer_programme(book: ParsedWorkbook, forced: str | None, given: str | None) -> None:
    if book.kind != "recognitions":
        return
    if forced:
        book.programme = forced
        book.inferred["programme"] = f"按指定：{_programme_label(forced)}"
    sentences = []
    for sheet in book.sheets:
        code, why = None, ""
        cert = sheet.columns.get("certificate_no", "")
        if cert and "登记" not in cert and sheet.sheet_kind == "recognitions":
            code, why = "high_tech", f"由“{cert}”列"
        elif (code := programme_code(sheet.title)) is not None:
            why = f"由标题“{_title_line(sheet.title)}”"
        elif (code := programme_code(sheet.name)) is not None:
            why = f"由工作表名“{sheet.name}”"
        elif (code := programme_code(book.filename)) is not None:
            why = f"由文件名“{book.filename}”"
        sheet.programme = forced or code
        if code and not forced:
            sentence = f"{why}推断为 {_programme_label(code)}"
            if sentence not in sentences:
                sentences.append(sentence)
    if not forced:
        codes = [s.programme for s in book.sheets if s.programme]
        main = [s.programme for s in book.sheets if s.programme and s.sheet_kind == "recognitions"]
        book.programme = (main or codes or [None])[0]
        for sheet in book.sheets:
            sheet.programme = sheet.programme or book.programme
        if sentences:
            book.inferred["programme"] = "；".join(sentences)
        else:
            book.errors.append(CellError(book.sheets[0].name, 0, "", "",
                                         "无法判断认定类别（如高新技术企业、雏鹰企业）：请在导入时指定类别"))
    for sheet in book.sheets:
        for row in sheet.rows:
            if row.values.get("programme") is None:
                row.values["programme"] = sheet.programme


def _title_line(title: str) -> str:
    """The title line that names the programme (or the longest line)."""
    lines = [line for line in title.splitlines() if line.strip()]
    for line in lines:
        if programme_code(line):
            return line
    return max(lines, key=len, default="")


_SHEET_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def _year_in(text: str, pattern=_SHEET_YEAR) -> int | None:
    match = pattern.search(text or "")
    if match and 1950 <= int(match.group(1)) <= 2100:
        return int(match.group(1))
    return None


def _infer_year(book: ParsedWorkbook, forced: int | None) -> None:
    uses_year = [s for s in book.sheets if s.sheet_kind in YEAR_FROM_CONTEXT]
    sentences = []
    for sheet in book.sheets:
        found, why = None, ""
        if forced:
            found = forced
        elif (found := _year_in(sheet.name) or (_year_in(sheet.name, _ANY_YEAR)
                                                if sheet.name.strip().isdigit() else None)):
            why = f"由工作表名“{sheet.name}”"
        elif (found := _year_in(sheet.title)) is not None:
            why = f"由标题“{_title_line(sheet.title)}”"
        elif (found := _year_in(book.filename, _ANY_YEAR)) is not None:
            why = f"由文件名“{book.filename}”"
        sheet.year = found
        if sheet in uses_year and why:
            sentences.append(f"{why}推断为 {found} 年")
    if forced:
        book.year = forced
        if uses_year:
            book.inferred["year"] = f"按指定：{forced} 年"
    else:
        years = {s.year for s in uses_year if s.year}
        book.year = years.pop() if len(years) == 1 else None
        column = [s for s in uses_year if "year" in s.columns]
        if column:
            sentences.insert(0, "由“" + column[0].columns["year"] + "”列逐行读取（空白处按工作表推断）")
        if sentences:
            book.inferred["year"] = "；".join(dict.fromkeys(sentences))
    for sheet in uses_year:
        missing = 0
        for row in sheet.rows:
            if row.values.get("year") is None and row.raw_cell("year") in (None, ""):
                if sheet.year is None:
                    missing += 1
                else:
                    row.values["year"] = sheet.year
        if missing:
            book.errors.append(CellError(sheet.name, 0, sheet.columns.get("year", ""), "",
                                         f"无法确定工作表“{sheet.name}”中 {missing} 行的年度：请增加“年度”列，"
                                         "或在工作表名、标题中注明年份，或在导入时指定年度"))
