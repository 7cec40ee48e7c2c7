"""What an uploaded file really is, before any cell is read.

The name says little: an old .xls renamed .xlsx, an encrypted workbook (an OLE2 file
holding an ``EncryptedPackage`` stream), a macro-enabled workbook, a zip of something
else, a CSV saved by Chinese-locale Excel. ``open_file`` looks at the bytes, refuses what
cannot be imported with a message the sender can act on, bounds the decompressed size
and the row count (zip bombs, runaway sheets), and returns either the xlsx bytes or the
decoded CSV rows.

Formulas: calamine returns a formula cell's cached value, and nothing at all when the
file was written by a program that saved no cached value. ``formula_cells`` scans the
sheet XML (streamed, bounded by the size limit) for ``<f>`` elements; the reader refuses a
workbook whose *imported* cells hold formulas and ignores formulas elsewhere (a 合计
row's SUM, a 序号 written as =ROW()-3).
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from posixpath import join as posix_join

from defusedxml import ElementTree

from registry.excel.types import FileRefused

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


@dataclass(frozen=True)
class Limits:
    """Bounds on one upload; every one is configurable (config IMPORT_LIMITS / CLI)."""

    max_file_bytes: int = 50 * 2**20  # the upload itself
    max_uncompressed_bytes: int = 200 * 2**20  # sum of the zip members' sizes
    max_rows: int = 200_000  # rows in one sheet (and in a CSV)
    max_columns: int = 200
    header_scan_rows: int = 20  # how far down to look for the header

    @classmethod
    def of(cls, value) -> "Limits":
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        return cls(**{k: v for k, v in dict(value).items() if k in cls.__dataclass_fields__})


@dataclass
class Opened:
    fmt: str  # "xlsx" or "csv"
    zip: zipfile.ZipFile | None = None
    csv_rows: list[list[str]] | None = None
    encoding: str = ""


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


def open_file(data: bytes, filename: str, limits: Limits) -> Opened:
    """Classify the bytes; raise FileRefused for anything that cannot be imported."""
    if not data:
        raise FileRefused("文件是空的（0 字节），请重新选择文件")
    if len(data) > limits.max_file_bytes:
        raise FileRefused(f"文件过大（{_mib(len(data))}），上限为 {_mib(limits.max_file_bytes)}")
    if data.startswith(OLE2_MAGIC):
        if _ENCRYPTED in data:
            raise FileRefused("工作簿设置了打开密码（已加密），无法读取：请在 Excel 中取消密码后另存为 .xlsx 再上传")
        raise FileRefused("文件实际是旧版 Excel（.xls）格式，请另存为 .xlsx 后再上传")
    if data.startswith(ZIP_MAGIC):
        return Opened("xlsx", zip=_check_zip(data, limits))
    if data[:4] == b"PK\x05\x06":
        raise FileRefused("文件是一个空的压缩包，不是 Excel 工作簿")
    rows, encoding = _decode_csv(data, filename, limits)
    return Opened("csv", csv_rows=rows, encoding=encoding)


def _check_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused("文件已损坏或不是有效的 Excel 工作簿（.xlsx），请重新导出后上传") from None
    names = {i.filename for i in infos}
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        raise FileRefused(f"工作簿解压后过大（{_mib(total)}），上限为 {_mib(limits.max_uncompressed_bytes)}："
                          "请拆分后分批上传")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise FileRefused("工作簿含有宏（.xlsm），出于安全考虑不予导入：请另存为不含宏的 .xlsx 后再上传")
    if "[Content_Types].xml" not in names:
        raise FileRefused("文件是压缩包，但不是 Excel 工作簿（.xlsx）：请上传 .xlsx 或 .csv 文件")
    content_types = zf.read("[Content_Types].xml")
    if b"macroEnabled" in content_types:
        raise FileRefused("工作簿为启用宏的格式（.xlsm），不予导入：请另存为 .xlsx 后再上传")
    if "xl/workbook.bin" in names:
        raise FileRefused("文件是 Excel 二进制工作簿（.xlsb），请另存为 .xlsx 后再上传")
    if "xl/workbook.xml" not in names:
        raise FileRefused("文件是压缩包，但不是 Excel 工作簿（.xlsx）：请上传 .xlsx 或 .csv 文件")
    return zf


# --- CSV ------------------------------------------------------------------------------
def _decode_csv(data: bytes, filename: str, limits: Limits) -> tuple[list[list[str]], str]:
    text, encoding = _decode_text(data)
    if text is None or not _looks_like_text(text):
        if filename.lower().endswith((".xlsx", ".xls", ".xlsm")):
            raise FileRefused("文件内容不是 Excel 工作簿（可能已损坏或扩展名有误），请重新导出为 .xlsx 后上传")
        raise FileRefused("无法识别的文件格式：请上传 Excel 工作簿（.xlsx）或 CSV 文件")
    sample = text[:4096]
    first = sample.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    if first.count(delimiter) == 0 and len(text.splitlines()) > 1 and "," not in text:
        delimiter = ","
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > limits.max_rows:
                raise FileRefused(f"文件行数超过上限（{limits.max_rows} 行），请拆分后分批上传")
    except csv.Error as exc:
        raise FileRefused(f"CSV 文件格式有误（第{reader.line_num}行）：{exc}") from None
    return rows, encoding


def _decode_text(data: bytes) -> tuple[str | None, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return _try(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _try(data, "utf-16"), "utf-16"
    for encoding in ("utf-8", "gb18030"):
        text = _try(data, encoding)
        if text is not None:
            return text, encoding
    return None, ""


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _looks_like_text(text: str) -> bool:
    sample = text[:20000]
    if not sample.strip():
        return False
    if "\x00" in sample or len(_CONTROL.findall(sample)) > len(sample) // 200:
        return False
    # GB18030 decodes almost any byte string: demand mostly CJK, ASCII and punctuation.
    odd = sum(1 for ch in sample if not (ch.isascii() or "\u4e00" <= ch <= "\u9fff"
                                         or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
                                         or ch in "·—‘’“”…×√"))
    return odd <= len(sample) // 50


# --- formulas ---------------------------------------------------------------------------
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_FORMULA_CELL = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?(?<!/)>'  # an opening (non-empty) cell tag
    rb"(?:(?!</?(?:\w+:)?c[\s>/]).){0,200}?"  # without leaving the cell
    rb"<(?:\w+:)?f[\s>/]",
    re.DOTALL)
_CHUNK = 1 << 20


def sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → worksheet XML path inside the zip (from workbook.xml and its rels)."""
    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    try:
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else posix_join("xl", target)
    out = {}
    for sheet in workbook.iter(f"{ns_main}sheet"):
        path = targets.get(sheet.get(f"{ns_rel}id"))
        if path:
            out[sheet.get("name")] = path
    return out


def has_formulas(zf: zipfile.ZipFile, path: str) -> bool:
    """A cheap streamed check: does this worksheet hold any formula at all?"""
    tail = b""
    with zf.open(path) as fh:
        while chunk := fh.read(_CHUNK):
            buf = tail + chunk
            # bytes.find is far faster than a regex over tens of MB; confirm hits with it
            if (b"<f" in buf or b":f" in buf) and _FORMULA.search(buf):
                return True
            tail = chunk[-16:]
    return False


def formula_cells(zf: zipfile.ZipFile, path: str, limit: int = 100_000) -> set[tuple[int, int]]:
    """0-based (row, col) of every formula cell of one worksheet (read only when needed)."""
    xml = zf.read(path)
    cells = set()
    for match in _FORMULA_CELL.finditer(xml):
        letters, number = match.groups()
        col = 0
        for ch in letters:
            col = col * 26 + (ch - 64)
        cells.add((int(number) - 1, col - 1))
        if len(cells) >= limit:
            break
    return cells
