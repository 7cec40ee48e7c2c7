"""Builders of hostile uploads, generated in the tests (no binary is committed).

Every builder returns the file's bytes. The big ones never hold their inflated size in
memory: the zip bomb's worksheet is written as a raw deflate stream made of one
compressed block repeated (each block ends with a full flush, so the copies are
independent and simply concatenate), then wrapped in a zip by ``zipfile`` itself.
"""
from __future__ import annotations

import io
import random
import re
import zipfile
import zlib
from typing import Callable

from openpyxl import Workbook

from registry.firms.uscc import make_uscc

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEADERS = ["序号", "企业名称", "统一社会信用代码", "所在镇（街道）", "注册资本（万元）"]
CODES = [make_uscc("91330282", f"{50_000_000 + i:08d}") for i in range(400)]
TOWN = "浒山街道"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def firm_row(i: int, name: str | None = None) -> list:
    return [i + 1, name or f"慈溪市测试{i + 1}电器有限公司", CODES[i], TOWN, 100 + i]


def roster(n: int = 3, *, names: dict[int, str] | None = None) -> list[list]:
    return [HEADERS] + [firm_row(i, (names or {}).get(i)) for i in range(n)]


def workbook(sheets: dict[str, list[list]]) -> bytes:
    """A plain .xlsx written by openpyxl: {sheet name: rows}."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def valid_roster(n: int = 3) -> bytes:
    return workbook({"企业名录": roster(n)})


def rezip(data: bytes, parts: dict[str, bytes | Callable[[bytes], bytes]] | None = None,
          drop: frozenset[str] = frozenset()) -> bytes:
    """The same zip with some members replaced (bytes, or a function of the old bytes),
    added or dropped."""
    parts = dict(parts or {})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            body = src.read(info.filename)
            new = parts.pop(info.filename, None)
            if callable(new):
                body = new(body)
            elif new is not None:
                body = new
            dst.writestr(info.filename, body)
        for name, body in parts.items():
            dst.writestr(name, body if isinstance(body, bytes) else body(b""))
    return out.getvalue()


def sheet_xml(rows_xml: str, dimension: str | None = None) -> bytes:
    """A worksheet part around ``<row>`` elements written by hand (inline strings)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<worksheet xmlns="{MAIN[1:-1]}">{dim}<sheetData>{rows_xml}</sheetData></worksheet>'
            ).encode()


def _col(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _escape(text: str) -> str:
    """XML text; C0 controls as Excel writes them (_x0001_): raw ones are not XML."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _C0.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


_C0 = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def row_xml(r: int, values: list) -> str:
    cells = []
    for c, v in enumerate(values):
        ref = f"{_col(c)}{r}"
        if v is None:
            continue
        if isinstance(v, (int, float)):
            cells.append(f'<c r="{ref}"><v>{v}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_escape(v)}</t></is></c>')
    return f'<row r="{r}">{"".join(cells)}</row>'


def rows_xml(rows: list[list], first: int = 1) -> str:
    return "".join(row_xml(first + i, row) for i, row in enumerate(rows))


def with_sheet(sheet: bytes, base: bytes | None = None) -> bytes:
    """``base`` (a one-sheet roster) with its worksheet part replaced."""
    return rezip(base or valid_roster(), {"xl/worksheets/sheet1.xml": sheet})


# --- XML entity bombs -------------------------------------------------------------------
def _laughs(depth: int = 9) -> str:
    ents = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    ents += [f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, depth + 1)]
    return "".join(ents)


def entity_bomb(part: str = "xl/sharedStrings.xml") -> bytes:
    """Billion laughs (10⁹ × "lol") declared in one part of an otherwise valid workbook."""
    def bomb(root: str, body: str) -> bytes:
        return (f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE {root} [{_laughs()}]>' + body).encode()

    base = valid_roster()
    if part == "xl/sharedStrings.xml":
        body = (f'<sst xmlns="{MAIN[1:-1]}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>')
        new = bomb("sst", body)
    elif part == "xl/workbook.xml":
        def new(old: bytes) -> bytes:
            text = old.decode().split("?>", 1)[-1]
            return bomb("workbook", text.replace('name="企业名录"', 'name="&lol9;"', 1))
    elif part == "xl/worksheets/sheet1.xml":
        new = bomb("worksheet", sheet_xml(rows_xml(roster(1)) + '<row r="9"><c r="B9" t="inlineStr">'
                                          "<is><t>&lol9;</t></is></c></row>").decode().split("?>", 1)[1])
    elif part == "[Content_Types].xml":
        def new(old: bytes) -> bytes:
            return bomb("Types", old.decode().split("?>", 1)[-1])
    else:
        raise ValueError(part)
    return rezip(base, {part: new})


def external_entity() -> bytes:
    """XXE: a shared string that would read a local file."""
    body = (f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f'<sst xmlns="{MAIN[1:-1]}" count="1" uniqueCount="1"><si><t>&x;</t></si></sst>')
    return rezip(valid_roster(), {"xl/sharedStrings.xml": body.encode()})


# --- zip bombs --------------------------------------------------------------------------
_BOMB_ROW = ('<row><c t="inlineStr"><is><t>慈溪市炸弹电器有限公司</t></is></c>'
             '<c t="inlineStr"><is><t>x</t></is></c></row>').encode()


def _deflate_repeated(prefix: bytes, chunk: bytes, copies: int, suffix: bytes):
    """(raw deflate bytes, crc32, inflated size) of prefix + chunk × copies + suffix,
    computed without materialising the inflated stream."""
    def block(data: bytes) -> bytes:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)

    body = block(chunk)
    crc = zlib.crc32(prefix)
    for _ in range(copies):  # ~0.5 s per GiB: cheap next to inflating it
        crc = zlib.crc32(chunk, crc)
    end = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = end.compress(suffix) + end.flush(zlib.Z_FINISH)
    crc = zlib.crc32(suffix, crc)
    parts = [block(prefix), body * copies, tail]
    return b"".join(parts), crc & 0xFFFFFFFF, len(prefix) + len(chunk) * copies + len(suffix)


def zip_bomb(gib: float = 2.0, *, lie: bool = False) -> bytes:
    """A valid roster whose worksheet inflates to ``gib`` GiB of rows (about 2 MB on disk
    per GiB). With ``lie`` the zip's directory claims the sheet is 20 KB, as a bomb that
    wants to pass a size check on the declared sizes would."""
    prefix = sheet_xml(rows_xml(roster(2))).split(b"</sheetData>")[0]
    suffix = b"</sheetData></worksheet>"
    chunk = _BOMB_ROW * (2**20 // len(_BOMB_ROW))
    copies = int(gib * 2**30 / len(chunk))
    raw, crc, size = _deflate_repeated(prefix, chunk, copies, suffix)
    base = valid_roster()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                continue
            dst.writestr(info.filename, src.read(info.filename))
        _write_precompressed(dst, "xl/worksheets/sheet1.xml", raw, crc, 20_000 if lie else size)
    return out.getvalue()


def _write_precompressed(zf: zipfile.ZipFile, name: str, raw: bytes, crc: int, size: int) -> None:
    """Add a member whose deflate stream is already made (zipfile has no public call for
    it): the local header, the bytes, and the directory entry zipfile writes on close."""
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.CRC, info.compress_size, info.file_size = crc, len(raw), min(size, 0xFFFFFFFE)
    zip64 = size > 0xFFFFFFFE
    if zip64:
        info.file_size = size
    info.header_offset = zf.fp.tell()
    zf.fp.write(info.FileHeader(zip64))
    zf.fp.write(raw)
    zf.start_dir = zf.fp.tell()
    zf.filelist.append(info)
    zf.NameToInfo[info.filename] = info


# --- not workbooks ----------------------------------------------------------------------
def legacy_xls() -> bytes:
    """What an Excel 97–2003 file starts with (an OLE2 compound file)."""
    return OLE2_MAGIC + bytes(504) + "Workbook".encode("utf-16-le") + bytes(4000)


def csv_renamed() -> bytes:
    """A roster saved as CSV (GBK, as Chinese-locale Excel saves it), to be named .xlsx."""
    lines = [",".join(HEADERS)] + [",".join(map(str, firm_row(i))) for i in range(3)]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def random_bytes(n: int = 64 * 1024, seed: int = 9) -> bytes:
    return random.Random(seed).randbytes(n)


def random_zip(seed: int = 9) -> bytes:
    """A zip start (PK\\x03\\x04) followed by noise."""
    return b"PK\x03\x04" + random_bytes(16 * 1024, seed)


def macro_workbook() -> bytes:
    """A roster with a VBA project and the macro-enabled content type (.xlsm)."""
    def content_types(old: bytes) -> bytes:
        return old.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                           b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    return rezip(valid_roster(), {"[Content_Types].xml": content_types,
                                  "xl/vbaProject.bin": OLE2_MAGIC + b"Attribute VB_Name" * 100})


# --- shapes -----------------------------------------------------------------------------
def huge_dimension() -> bytes:
    """Three rows, but the sheet declares the whole grid (A1:XFD1048576) as used."""
    return with_sheet(sheet_xml(rows_xml(roster(3)), dimension="A1:XFD1048576"))


def far_cell() -> bytes:
    """Three rows and one cell in the very last row and column: a used range of 17 × 10⁹ cells."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return with_sheet(sheet_xml(rows_xml(roster(3)) + far, dimension="A1:XFD1048576"))


def many_rows_declared(rows: int = 1_048_576) -> bytes:
    """A header and one row at the bottom of the grid (row 1,048,576)."""
    last = row_xml(rows, firm_row(0))
    return with_sheet(sheet_xml(rows_xml(roster(0)) + last))


def empty_sheets(n: int = 500, *, with_roster: bool = False) -> bytes:
    sheets = {f"空表{i}": [] for i in range(n)}
    if with_roster:
        sheets["企业名录"] = roster(3)
    return workbook(sheets)


def long_cells(length: int = 100_000) -> bytes:
    """A roster whose name, town and capital cells hold ``length`` characters."""
    big = "慈" * length
    rows = roster(3)
    rows[1][1] = big
    rows[2][3] = big
    rows[3][4] = "9" * length
    # openpyxl would write them, but keep the part small and explicit: inline strings
    return with_sheet(sheet_xml(rows_xml(rows)))


def control_names() -> bytes:
    """Names with C0 controls, a right-to-left override (U+202E) and other invisible
    formatting characters, in cells and in the sheet's name."""
    names = {0: "慈溪市\u202egnp.exe电器有限公司", 1: "慈溪市\x07\x1b[31m控制字符有限公司",
             2: "慈溪市\u200b\u2066隐形\u2069字符有限公司"}
    data = with_sheet(sheet_xml(rows_xml(roster(3, names=names))))
    return rezip(data, {"xl/workbook.xml": lambda b: b.replace("企业名录".encode(), "企业\u202e名录".encode())})


def formula_workbook(*, cached: bool = True) -> bytes:
    """Formulas in imported cells (a HYPERLINK, a DDE-style payload, arithmetic)."""
    values = ['HYPERLINK("http://example.invalid","点我")', "cmd|' /C calc'!A0", "100*12"]
    rows = roster(3)
    xml = [row_xml(1, rows[0])]
    for i, formula in enumerate(values):
        r = i + 2
        cached_v = "<v>1</v>" if cached else ""
        cells = (f'<c r="A{r}"><v>{i + 1}</v></c>'
                 f'<c r="B{r}" t="str"><f>{_escape(formula)}</f>{cached_v}</c>'
                 f'<c r="C{r}" t="inlineStr"><is><t>{CODES[i]}</t></is></c>'
                 f'<c r="D{r}" t="inlineStr"><is><t>{TOWN}</t></is></c>'
                 f'<c r="E{r}"><f>{_escape(formula)}</f>{cached_v}</c>')
        xml.append(f'<row r="{r}">{cells}</row>')
    return with_sheet(sheet_xml("".join(xml)))


def shared_formula_workbook() -> bytes:
    """A formula written once and shared down a column (``<f t="shared" si="0"/>``)."""
    rows = roster(3)
    xml = [row_xml(1, rows[0])]
    for i in range(3):
        r = i + 2
        f = f'<f t="shared" ref="E2:E4" si="0">ROW()*100</f>' if i == 0 else '<f t="shared" si="0"/>'
        xml.append(f'<row r="{r}"><c r="A{r}"><v>{r - 1}</v></c>'
                   f'<c r="B{r}" t="inlineStr"><is><t>慈溪市共享{r}公式有限公司</t></is></c>'
                   f'<c r="C{r}" t="inlineStr"><is><t>{CODES[i]}</t></is></c>'
                   f'<c r="D{r}" t="inlineStr"><is><t>{TOWN}</t></is></c>'
                   f'<c r="E{r}">{f}<v>{r * 100}</v></c></row>')
    return with_sheet(sheet_xml("".join(xml)))






def long_cells_everywhere(length: int = 100_000, columns: int = 10, rows: int = 20) -> bytes:
    """``length``-character cells filling the rows the header search reads and the data
    rows below a real header: about 117 MB of text, just under the decompressed-size limit."""
    big = "慈" * length
    head = [[big] * columns for _ in range(19)]
    data = [[i + 1, big, CODES[i % len(CODES)], big, big] + [big] * (columns - 5) for i in range(rows)]
    return with_sheet(sheet_xml(rows_xml(head + [HEADERS + ["备注"] * (columns - 5)] + data)))


def prefixed_far_cell() -> bytes:
    """The far cell again, written with a namespace prefix (``<x:c>``) and a dimension that lies."""
    ns = MAIN[1:-1]
    rows = rows_xml(roster(3)).replace("<row", "<x:row").replace("</row>", "</x:row>") \
        .replace("<c ", "<x:c ").replace("</c>", "</x:c>").replace("<is>", "<x:is>") \
        .replace("</is>", "</x:is>").replace("<t ", "<x:t ").replace("</t>", "</x:t>") \
        .replace("<v>", "<x:v>").replace("</v>", "</x:v>")
    far = '<x:row r="900000"><x:c r="C900000"><x:v>1</x:v></x:c></x:row>'
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{ns}"><x:dimension ref="A1:E4"/>'
           f"<x:sheetData>{rows}{far}</x:sheetData></x:worksheet>")
    return with_sheet(xml.encode())


def unreferenced_wide_row(cells: int = 20_000) -> bytes:
    """Cells without an ``r`` reference: calamine places each after the previous one, so one
    row of 20,000 such cells is 20,000 columns wide."""
    wide = '<row r="5">' + "<c><v>1</v></c>" * cells + "</row>"
    return with_sheet(sheet_xml(rows_xml(roster(3)) + wide))


def odd_references() -> bytes:
    """A far cell whose reference has leading zeros (row 0001048576)."""
    far = '<row r="7"><c r="B0001048576"><v>1</v></c></row>'
    return with_sheet(sheet_xml(rows_xml(roster(3)) + far, dimension="A1:E4"))


def wide_and_tall(width_col: str = "GR", rows: int = 30_000) -> bytes:
    """Two cells, one in column 200 and one in row 30,000: each within its own limit, the
    rectangle between them (6 million cells) over the cell limit."""
    extra = (f'<row r="5"><c r="{width_col}5"><v>1</v></c></row>'
             f'<row r="{rows}"><c r="A{rows}"><v>1</v></c></row>')
    return with_sheet(sheet_xml(rows_xml(roster(3)) + extra))


def many_members(n: int = 6_000) -> bytes:
    """A workbook carrying thousands of extra (empty) files in its zip."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(valid_roster())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        for i in range(n):
            dst.writestr(f"xl/media/x{i}.bin", b"")
    return out.getvalue()


def utf16_entity_bomb() -> bytes:
    """The billion laughs again, in a part encoded as UTF-16 (a DTD that a byte search for
    ``<!DOCTYPE`` would miss)."""
    body = (f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE sst [{_laughs()}]>'
            f'<sst xmlns="{MAIN[1:-1]}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    return rezip(valid_roster(), {"xl/sharedStrings.xml": body.encode("utf-16")})
