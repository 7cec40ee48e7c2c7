"""What an uploaded file really is, before any cell is read.

The name says little: an old .xls renamed .xlsx, an encrypted workbook (an OLE2 file
holding an ``EncryptedPackage`` stream), a macro-enabled workbook, a zip of something
else, a CSV saved by Chinese-locale Excel. ``open_file`` looks at the bytes, refuses what
cannot be imported with a message the sender can act on, bounds the decompressed size
and the row count (zip bombs, runaway sheets), and returns either the xlsx bytes or the
decoded CSV rows.

Hostile workbooks: every XML part is refused when its prolog declares a DTD (entity
bombs, external entities), before any XML parser sees it; the zip's directory is bounded
(member count, declared sizes; zipfile and calamine both stop at a member's declared
size, so a member that lies about it fails instead of inflating). ``scan_sheet`` reads
each worksheet's XML once, before calamine does, for its formulas and for the cells'
extent: calamine allocates the whole rectangle from A1 to the farthest cell (32 bytes a
cell), so one cell at XFD1048576 would ask for half a terabyte and abort the process.

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
import struct
import zipfile
from dataclasses import dataclass, replace
from functools import lru_cache
from posixpath import join as posix_join, normpath

from defusedxml import DefusedXmlException, ElementTree

from registry.excel.types import FileRefused

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


@dataclass(frozen=True)
class Limits:
    """Bounds on one upload; every one is configurable (config IMPORT_LIMITS / CLI)."""

    max_file_bytes: int = 50 * 2**20  # the upload itself
    # sum of the zip members' sizes: a 100,000-row roster is about 65 MB; the cap keeps the
    # worst a file this size can do to one worker (calamine holds every string) under 300 MiB
    max_uncompressed_bytes: int = 128 * 2**20
    max_rows: int = 200_000  # rows in one sheet (and in a CSV)
    max_columns: int = 200
    max_cells: int = 5_000_000  # rows × columns of one sheet's used range (32 bytes each in calamine)
    max_members: int = 5_000  # files inside the zip (a workbook has a dozen, plus one per sheet)
    header_scan_rows: int = 20  # how far down to look for the header

    @classmethod
    def from_config(cls, config) -> "Limits":
        """The limits an app runs with: ``IMPORT_LIMITS`` (a dict or Limits) and, unless it
        sets ``max_file_bytes``, the upload size the web server accepts
        (``MAX_CONTENT_LENGTH``, from MAX_UPLOAD_MB), so the command line refuses what the
        upload page would."""
        raw = config.get("IMPORT_LIMITS")
        limits = cls.of(raw)
        if isinstance(raw, cls) or (isinstance(raw, dict) and "max_file_bytes" in raw):
            return limits
        upload = config.get("MAX_CONTENT_LENGTH")
        return replace(limits, max_file_bytes=int(upload)) if upload else limits

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


def precheck(data: bytes, filename: str, limits: Limits) -> None:
    """The refusals ``open_file`` makes from the file's structure alone — empty, too big,
    .xls, a zip that is no workbook, a zip bomb, a DTD — without decoding a CSV. Cheap (the
    zip directory and each part's first bytes), so a large upload bound for a background
    job is refused in the request, before anything is kept."""
    if not data or len(data) > limits.max_file_bytes or data.startswith(OLE2_MAGIC) \
            or data.startswith(ZIP_MAGIC) or data[:4] == b"PK\x05\x06":
        open_file(data, filename, limits)


_BROKEN = "文件已损坏或不是有效的 Excel 工作簿（.xlsx），请重新导出后上传"


def _member_count(data: bytes) -> int | None:
    """Entries the zip's end record declares (read before zipfile builds one object each)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return None
    (count,) = struct.unpack_from("<H", data, end + 10)
    if count == 0xFFFF:  # zip64: the count is in the zip64 end record
        locator = data.rfind(b"PK\x06\x07", max(0, end - 20), end)
        if locator >= 0:
            (offset,) = struct.unpack_from("<Q", data, locator + 8)
            if offset + 56 <= len(data) and data[offset:offset + 4] == b"PK\x06\x06":
                (count,) = struct.unpack_from("<Q", data, offset + 32)
    return count


def _check_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    members = _member_count(data)
    if members is not None and members > limits.max_members:
        raise FileRefused(f"压缩包内含 {members} 个文件，远多于 Excel 工作簿应有的数量，可能是恶意文件，不予导入")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, struct.error, EOFError):
        raise FileRefused(_BROKEN) from None
    if len(infos) > limits.max_members:
        raise FileRefused(f"压缩包内含 {len(infos)} 个文件，远多于 Excel 工作簿应有的数量，可能是恶意文件，不予导入")
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
    for info in infos:
        _check_prolog(zf, info)
    return zf


# --- XML prologs ------------------------------------------------------------------------
_PROLOG_BYTES = 64 * 1024
_DTD = "工作簿的 XML 部件“{name}”含有文档类型（DTD）或实体声明，Excel 从不写入这种内容，可能是恶意构造的文件，不予导入"


def _check_prolog(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse a member whose XML prolog declares a DTD (``<!DOCTYPE``, where entities are
    declared: billion laughs, external entities). A DTD can only stand before the root
    element, so reading the prolog is enough; members that are not XML are left alone."""
    if info.is_dir() or info.file_size == 0:
        return
    try:
        with zf.open(info) as fh:
            head = fh.read(_PROLOG_BYTES)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        raise FileRefused(_BROKEN) from None
    text = _xml_text(head)
    if text is None:
        return  # not XML (an image, a printer-settings blob)
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos >= end:
            break
        if text.startswith("<?", pos):
            closing = "?>"
        elif text.startswith("<!--", pos):
            closing = "-->"
        elif text.startswith("<!", pos):  # <!DOCTYPE, <!ENTITY, <!ELEMENT …
            raise FileRefused(_DTD.format(name=info.filename))
        else:
            return  # the root element (or text): no DTD can follow
        close = text.find(closing, pos)
        if close < 0:
            break
        pos = close + len(closing)
    # the prolog never ended: cut off, or longer than any writer makes it
    raise FileRefused(_BROKEN)


def _xml_text(head: bytes) -> str | None:
    """The start of a member as text when it looks like XML (UTF-8 or UTF-16), else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head[:len(head) // 2 * 2].decode("utf-16", "replace")
    elif head[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        text = head[:len(head) // 2 * 2].decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", "replace")
    else:
        text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
    stripped = text.lstrip(" \t\r\n")
    if stripped.startswith("<"):
        return text
    if _ANY_DOCTYPE.search(head) or _ANY_DOCTYPE.search(head.replace(b"\x00", b"")):
        return "<!DOCTYPE"  # junk before a DTD: still a DTD to whatever parses it leniently
    return None


_ANY_DOCTYPE = re.compile(rb"<!\s*doctype", re.IGNORECASE)


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
    try:
        workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        try:
            rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        except KeyError:
            return {}
    except (DefusedXmlException, ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused(_BROKEN) from None
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posix_join("xl", target)
        targets[rel.get("Id")] = normpath(path)
    members = set(zf.namelist())
    out = {}
    for sheet in workbook.iter(f"{ns_main}sheet"):
        path = targets.get(sheet.get(f"{ns_rel}id"))
        if path in members:  # a target outside the zip is no sheet (the caller scans every part)
            out[sheet.get("name")] = path
    return out


def _letters_above(n: int) -> bytes:
    """A regex for column letters (A = 1 … XFD) naming a column after column ``n``."""
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    if not letters:
        return rb"[A-Z]+"
    alts = [f"[A-Z]{{{len(letters) + 1},}}"]
    for i, ch in enumerate(letters):
        if ch < "Z":
            rest = len(letters) - i - 1
            alts.append(f"{letters[:i]}[{chr(ord(ch) + 1)}-Z]" + (f"[A-Z]{{{rest}}}" if rest else ""))
    return ("(?:" + "|".join(alts) + ")").encode()


def _number_above(n: int) -> bytes:
    """A regex for decimal numbers (no leading zero) greater than ``n``."""
    digits = str(n)
    alts = [f"[1-9]\\d{{{len(digits)},}}"]
    for i, ch in enumerate(digits):
        if ch < "9":
            rest = len(digits) - i - 1
            alts.append(f"{digits[:i]}[{int(ch) + 1}-9]" + (f"\\d{{{rest}}}" if rest else ""))
    return ("(?:" + "|".join(alts) + ")").encode()


def _cells_beyond(rows: int | None, cols: int | None) -> re.Pattern:
    """A cell written the usual way (``<c r="…"``) whose reference lies below row ``rows``
    or right of column ``cols`` (either bound may be None). Empty cells match too: it only
    costs precision, never safety."""
    alts = []
    if cols is not None:
        alts.append(_letters_above(cols) + rb"\d")
    if rows is not None:
        alts.append(rb"[A-Z]+0*" + _number_above(rows) + rb'"')
    return re.compile(rb'<c r="(?:' + b"|".join(alts) + rb")")


_PREFIXED_HINT = re.compile(rb":c[\s/>]")  # maybe a namespace-prefixed cell (<x:c r=…>)
_UNUSUAL_CELL = re.compile(rb'<c(?:[\t\n\r/>]| (?!r="[A-Z]))|<[\w.-]+:c[\s/>]')
_TOKEN = re.compile(rb"<(?:[\w.-]+:)?(row|c)(\s[^>]*?)?(/?)>")
_REF_ATTR = re.compile(rb'\sr\s*=\s*["\']\$?([A-Za-z]*)\$?(\d+)["\']')
_ANY_REF = re.compile(rb"\sr\s*=")


def _column_number(letters: bytes) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + (ch - 64)
    return col


@lru_cache(maxsize=8)
def _extent_patterns(max_rows: int, max_columns: int, max_cells: int):
    """(the pattern of a cell below the last row allowed, [(column threshold, its pattern)])
    for these limits; the last threshold is the column limit itself.

    The column ladder starts at the widest sheet that may use every allowed row and climbs
    in small steps: a sheet is classed by the first threshold no cell passes, and may then
    use ``max_cells // threshold`` rows."""
    first = max(1, min(max_columns, max_cells // max_rows))
    ladder, t = [], first
    while t < max_columns:
        ladder.append(t)
        t = max(t + 1, int(t * 1.2))
    ladder.append(max_columns)
    # every cell written the usual way, in a column before ladder[0] and a row with fewer
    # digits than the limit: a chunk with no other ``<c`` needs no further look
    last = chr(64 + min(first, 26))
    digits = len(str(max_rows)) - 2
    plain = re.compile(rb'<c(?=[\s/>])(?! r="[A-' + last.encode() + rb"][1-9]\d{0,%d}\")" % max(digits, 0))
    return plain, _cells_beyond(max_rows, None), [(t, _cells_beyond(None, t)) for t in ladder]


def scan_sheet(zf: zipfile.ZipFile, path: str, name: str, limits: Limits) -> bool:
    """Read one worksheet's XML once, before calamine: refuse a sheet whose cells reach
    past the row, column or cell limits (calamine would allocate the whole rectangle from
    A1 to the farthest cell) and say whether it holds any formula.

    Nothing in the file is trusted (not ``<dimension>``): C-speed regex searches per chunk
    look for a cell beyond the row or column limit and class the sheet's width on a ladder
    of thresholds; a sheet wider than ``max_cells // max_rows`` columns gets a second pass
    for the rows its width allows. A sheet whose cells are written unusually (no ``r``, a
    namespace prefix) is measured exactly, tag by tag, the way calamine places cells.
    """
    max_rows = limits.max_rows + limits.header_scan_rows
    plain, beyond, ladder = _extent_patterns(max_rows, limits.max_columns, limits.max_cells)
    formulas = exact = False
    level = 0  # index into the ladder: no cell seen right of ladder[level] so far
    tail = b""
    with zf.open(path) as fh:
        while chunk := fh.read(_CHUNK):
            buf = tail + chunk
            if not formulas and (b"<f" in buf or b":f" in buf) and _FORMULA.search(buf):
                formulas = True
            if not exact and (plain.search(buf) or _PREFIXED_HINT.search(buf)):
                hit = beyond.search(buf)
                if hit:
                    _check_extent(_extent_of(hit.group()), name, limits)
                while level < len(ladder) and (hit := ladder[level][1].search(buf)):
                    level += 1
                if level == len(ladder):  # right of the column limit
                    _check_extent(_extent_of(hit.group() + b'1"'), name, limits)
                odd = _UNUSUAL_CELL.search(buf)
                # a tag cut at the chunk's end is looked at again with the next chunk
                exact = odd is not None and odd.start() < len(buf) - 32
            elif formulas:
                break
            tail = buf[-64:]
    if exact:
        _check_extent(_measure(zf, path), name, limits)
    elif ladder[level][0] * max_rows > limits.max_cells:
        width = ladder[level][0]
        rows = limits.max_cells // width
        taller = _cells_beyond(rows, None)
        with zf.open(path) as fh:
            tail = b""
            while chunk := fh.read(_CHUNK):
                buf = tail + chunk
                if taller.search(buf):
                    raise FileRefused(f"工作表“{name}”的使用区域过大（超过 {rows} 行 × {width} 列）："
                                      "请删除表格右侧和下方多余的行列后再上传")
                tail = buf[-64:]
    return formulas


def _extent_of(tag: bytes) -> tuple[int, int, int]:
    """(row, column, 1) of the cell named by a ``<c r="XFD1048576"`` match (whose row may
    be cut short: only the part the limits looked at)."""
    ref = tag[len(b'<c r="'):].rstrip(b'"')
    letters = ref.rstrip(b"0123456789")
    digits = ref[len(letters):]
    return (int(digits) if digits else 0), _column_number(letters), 1


def _measure(zf: zipfile.ZipFile, path: str) -> tuple[int, int, int]:
    """(last row, last column, 1-based) of the cells calamine would keep, and their count:
    a cell's ``r`` places it, else it follows the previous cell of its row; a row's ``r``
    places the row, else it follows the previous one. Self-closing cells hold no value."""
    max_row = max_col = count = 0
    row = col = 0
    tail = b""
    with zf.open(path) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            buf = tail + chunk
            cut = buf.rfind(b"<") if chunk else len(buf)
            if cut < 0:
                cut = len(buf)
            body, tail = buf[:cut], buf[cut:]
            for match in _TOKEN.finditer(body):
                tag, attrs, closed = match.groups()
                ref = _REF_ATTR.search(attrs) if attrs else None
                if ref is None and attrs and _ANY_REF.search(attrs):
                    raise FileRefused(_BROKEN)  # a reference written some way calamine may read otherwise
                if tag == b"row":
                    row = int(ref.group(2)) if ref else row + 1
                    col = 0
                    continue
                if ref:
                    col = _column_number(ref.group(1)) if ref.group(1) else col + 1
                    cell_row = int(ref.group(2))
                else:
                    col += 1
                    cell_row = max(row, 1)
                if not closed:
                    count += 1
                    max_row = max(max_row, cell_row)
                    max_col = max(max_col, col)
            if not chunk:
                break
            if len(tail) > 1 << 20:  # one tag longer than a MiB: not a worksheet anyone wrote
                raise FileRefused(_BROKEN)
    return max_row, max_col, count


def _check_extent(extent: tuple[int, int, int], name: str, limits: Limits) -> None:
    rows, cols, _count = extent
    if rows > limits.max_rows + limits.header_scan_rows:
        raise FileRefused(f"工作表“{name}”用到了第 {rows} 行，超过上限 {limits.max_rows} 行：请拆分后分批上传")
    if cols > limits.max_columns:
        raise FileRefused(f"工作表“{name}”用到了第 {cols} 列，列数超过上限 {limits.max_columns} 列："
                          "请删除表格右侧多余的列后再上传")
    if rows * cols > limits.max_cells:
        raise FileRefused(f"工作表“{name}”的使用区域过大（{rows} 行 × {cols} 列）："
                          "请删除表格右侧和下方多余的行列后再上传")


def unnamed_parts(zf: zipfile.ZipFile, named) -> list[str]:
    """Every XML part that could be a worksheet and is not one of ``named`` (used when the
    workbook's own list does not account for a sheet calamine found)."""
    skip = set(named)
    return [i.filename for i in zf.infolist()
            if i.filename not in skip and i.filename.lower().endswith(".xml") and not i.is_dir()]


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
