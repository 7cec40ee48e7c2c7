"""A workbook's sheets as streams of rows, for the reader.

calamine reads a whole sheet into its own (Rust) copy of the cells; turning that copy
into one Python list per row all at once would hold every cell twice. ``sheet_rows``
hands the reader each sheet as a :class:`SheetRows`: the first rows in a list (the
header search and the title read them), the rest one row at a time, each row's list
garbage once the parser has kept the cells it needs. When the last row is read calamine's
copy is freed and the heap pages it used go back to the operating system.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import io
import itertools
import logging
import zipfile
from typing import Iterator

from python_calamine import CalamineWorkbook

from registry.excel import container
from registry.excel.cells import visible_name
from registry.excel.container import Limits
from registry.excel.types import FileRefused

log = logging.getLogger(__name__)
_UNREADABLE = "无法读取工作簿：文件已损坏或结构异常，请在 Excel 中打开后另存为 .xlsx 再上传"
_UNREADABLE_SHEET = "工作表已损坏或结构异常，请在 Excel 中打开后另存为 .xlsx 再上传"


def _calamine_failed(exc: BaseException) -> bool:
    """calamine's own errors, and a panic inside its Rust code (pyo3's PanicException
    derives from BaseException, so ``except Exception`` would let it crash the request)."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _scan(zf, path: str, shown: str, limits: Limits) -> bool:
    """container.scan_sheet, with a broken part (bad CRC, a size that lies) refused."""
    try:
        return container.scan_sheet(zf, path, shown, limits)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        log.info("sheet part %s unreadable: %s", path, exc)
        raise FileRefused(f"无法读取工作表“{shown}”：" + _UNREADABLE_SHEET) from None


def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to do
        return None


_TRIM = _malloc_trim()


def release_memory() -> None:
    """Hand the heap pages freed by calamine back to the operating system.

    calamine's copy of a sheet (tens of MiB for 100,000 rows) is freed with the Rust
    allocator, i.e. C malloc, whose free pages stay in the process; Python's own small
    objects live in separate arenas and never reuse them. Trimming keeps the process's
    peak at the parse's own size instead of calamine's plus the parse's.
    """
    if _TRIM is not None:
        _TRIM(0)


class SheetRows:
    """A sheet's rows as a stream: the first ``head`` rows are kept in a list (the header
    search and the title read them), the rest reach the row parser one at a time. The
    whole grid of Python cells never exists at once; each row's list is garbage once the
    parser has taken the cells it keeps."""

    def __init__(self, rows: Iterator[list], head: int, pad: int = 0, total: int = 0):
        self.total = total  # the sheet's rows, header included: a progress bar's total
        if pad:  # calamine leaves out the empty columns left of the used range
            rows = ([""] * pad + row for row in rows)
        self._rest = iter(rows)
        self.head = list(itertools.islice(self._rest, head))

    def data(self, start: int) -> Iterator[tuple[int, list]]:
        """(0-based row index, cells) for every row from ``start`` on."""
        head = self.head
        for i in range(start, len(head)):
            yield i, head[i]
        for i, row in enumerate(self._rest, start=max(start, len(head))):
            yield i, row


def _drain(rows: list):
    """Hand out a list's items, letting go of each as it goes."""
    for i in range(len(rows)):
        row = rows[i]
        rows[i] = None
        yield row


def sheet_rows(opened: container.Opened, data: bytes, stem: str, limits: Limits):
    """(name, SheetRows, merges, formula-cells thunk or None) for every worksheet; the
    caller parses each sheet before asking for the next."""
    if opened.fmt == "csv":
        rows = opened.csv_rows
        width = max((len(r) for r in rows), default=0)
        if width > limits.max_columns:
            raise FileRefused(f"文件列数过多（{width} 列），上限为 {limits.max_columns} 列")
        for r in rows:
            if len(r) < width:
                r.extend([""] * (width - len(r)))
        yield visible_name(stem), SheetRows(_drain(rows), limits.header_scan_rows,
                                                  total=len(rows)), [], None
        return
    zf = opened.zip
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as exc:  # calamine raises its own error types for broken parts
        if not _calamine_failed(exc):
            raise
        log.info("calamine refused %s: %s", stem, exc)
        raise FileRefused(_UNREADABLE) from None
    closed = False
    try:
        names = [meta.name for meta in book.sheets_metadata if "WorkSheet" in str(meta.typ)]
        paths = container.sheet_paths(zf) if names else {}
        stray_formulas = False
        if any(name not in paths for name in names):
            # calamine found a sheet whose part we cannot name: scan every part it could be
            for member in container.unnamed_parts(zf, paths.values()):
                stray_formulas = _scan(zf, member, member, limits) or stray_formulas
        for name in names:
            path = paths.get(name)
            if path is None and stray_formulas:
                raise FileRefused(f"工作表“{visible_name(name)}”含有公式，且无法确定公式所在的单元格："
                                  "请复制后“选择性粘贴 → 数值”保存，再上传")
            formulas = None
            if path and _scan(zf, path, visible_name(name), limits):
                formulas = (lambda p=path: container.formula_cells(zf, p))
            try:
                sheet = book.get_sheet_by_name(name)
            except BaseException as exc:
                if not _calamine_failed(exc):
                    raise
                log.info("calamine refused sheet %r: %s", name, exc)
                raise FileRefused(f"无法读取工作表“{visible_name(name)}”：" + _UNREADABLE_SHEET) from None
            if sheet.height > limits.max_rows + limits.header_scan_rows:
                raise FileRefused(f"工作表“{visible_name(name)}”有 {sheet.height} 行，超过上限 {limits.max_rows} 行："
                                  "请拆分后分批上传")
            if sheet.height * sheet.width > limits.max_cells:
                raise FileRefused(f"工作表“{visible_name(name)}”的使用区域过大（{sheet.height} 行 × {sheet.width} 列）："
                                  "请删除表格右侧和下方多余的行列后再上传")
            merges = list(sheet.merged_cell_ranges or ())
            # iter_rows starts at row 0 but at the used range's first column
            rows = SheetRows(sheet.iter_rows(), limits.header_scan_rows, pad=(sheet.start or (0, 0))[1],
                             total=sheet.height)
            del sheet  # the iterator holds calamine's copy of the cells until it is done
            if name == names[-1]:
                book.close()  # the file's bytes and shared strings: the last sheet has its copy
                closed = True
                release_memory()
            yield visible_name(name), rows, merges, formulas
            del rows
            release_memory()  # calamine's copy of the sheet, parsed by now
    finally:
        if not closed:
            book.close()
        release_memory()
