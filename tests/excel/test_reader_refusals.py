"""Files refused as a whole, and CSV input in the encodings Chinese-locale Excel saves."""
from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from registry.excel.container import OLE2_MAGIC
from registry.excel.reader import read_workbook
from registry.excel.types import FileRefused
from tests.excel.test_reader_shapes import CODES, DIGITS, messy_roster, xlsx
from tests.excel.test_values import TOWNS

SAMPLES = Path(__file__).resolve().parents[2] / "imports" / "samples"
ROSTER = (SAMPLES / "firms_roster_2016.xlsx").read_bytes()


def refused(data: bytes, filename: str = "upload.xlsx", **kw) -> str:
    with pytest.raises(FileRefused) as info:
        read_workbook(data, filename, **kw)
    return info.value.message


def rezip(data: bytes, add: dict[str, bytes] | None = None, drop=(), patch=None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            body = src.read(info.filename)
            if patch and info.filename in patch:
                body = patch[info.filename](body)
            dst.writestr(info.filename, body)
        for name, body in (add or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def test_old_xls_renamed_xlsx():
    data = OLE2_MAGIC + bytes(504) + "Workbook".encode("utf-16-le") + bytes(4000)
    assert refused(data) == "文件实际是旧版 Excel（.xls）格式，请另存为 .xlsx 后再上传"


def test_password_protected_workbook():
    data = OLE2_MAGIC + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(4000)
    assert "密码" in refused(data) and "加密" in refused(data)


def test_empty_and_random_files():
    assert "空的" in refused(b"")
    noise = random.Random(3).randbytes(8192)
    assert "不是 Excel 工作簿" in refused(noise, "roster.xlsx")
    assert "无法识别的文件格式" in refused(noise, "roster.dat")
    assert "无法识别的文件格式" in refused(b"\x00\x01\x02" * 100, "x.csv")
    assert "无法识别的文件格式" in refused(b"   \r\n  ", "x.csv")


def test_macro_enabled_workbooks():
    with_vba = rezip(ROSTER, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    assert "宏" in refused(with_vba, "roster.xlsm") and "宏" in refused(with_vba, "roster.xlsx")
    xlsm_type = rezip(ROSTER, patch={"[Content_Types].xml": lambda b: b.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")})
    assert ".xlsm" in refused(xlsm_type)


def test_zips_that_are_not_workbooks():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert "不是 Excel 工作簿" in refused(out.getvalue())
    docx_like = rezip(ROSTER, drop={"xl/workbook.xml"})
    assert "不是 Excel 工作簿" in refused(docx_like)
    assert "已损坏" in refused(ROSTER[: len(ROSTER) // 2])
    assert ".xlsb" in refused(rezip(ROSTER, add={"xl/workbook.bin": b"x"}))


def test_size_and_row_limits():
    assert "解压后过大" in refused(ROSTER, limits={"max_uncompressed_bytes": 50_000})
    assert "文件过大" in refused(ROSTER, limits={"max_file_bytes": 10_000})
    assert "超过上限 100 行" in refused(ROSTER, limits={"max_rows": 100})
    csv = ("企业名称,统一社会信用代码\r\n" + "甲公司,%s\r\n" % CODES[0] * 30).encode()
    assert "行数超过上限" in refused(csv, "x.csv", limits={"max_rows": 20})
    assert len(read_workbook(ROSTER, "r.xlsx", limits={"max_rows": 200}).sheets[0].rows) == 140


def test_no_recognisable_header():
    data = xlsx({"Sheet1": [["会议纪要"], ["时间", "地点"], ["上午", "三楼"]]})
    message = refused(data)
    assert message.startswith("未找到可识别的表头") and "企业名称" in message


def test_formulas_in_imported_cells_are_refused():
    rows = [["企业名称", "统一社会信用代码", "注册资本（万元）", "序号"],
            ["甲公司", CODES[0], "=100*12", "=ROW()-1"], ["乙公司", CODES[1], 300, "=ROW()-1"]]
    message = refused(xlsx({"名录": rows}))
    assert message == "工作表“名录”的 C2 是公式而不是数值：请复制后“选择性粘贴 → 数值”保存，再上传"


def test_formulas_outside_the_data_are_harmless():
    assert len(read_workbook(messy_roster(), "m.xlsx", towns=TOWNS).sheets[0].rows) == 5  # =SUM in 合计


CSV_TEXT = ("序号,企业名称,统一社会信用代码,所在镇（街道）,成立日期,注册资本（万元）\r\n"
            f"1,慈溪市甲电器有限公司,{DIGITS},浒山街道,2009/5/12,\"1,200\"\r\n"
            f"2,慈溪市乙电器有限公司,{CODES[1]},周巷镇,2010.01.02,300\r\n"
            "3,慈溪市丙电器有限公司,9.13302827E+17,龙山镇,2011-3-4,50\r\n")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8", "utf-16"])
def test_csv_in_every_encoding_excel_saves(encoding):
    text = CSV_TEXT.replace(",", "\t") if encoding == "utf-16" else CSV_TEXT
    text = text.replace('"1\t200"', "1,200")
    book = read_workbook(text.encode(encoding), "名录.csv", towns=TOWNS)
    rows = book.sheets[0].rows
    assert book.kind == "firms" and len(rows) == 3 and rows[0].row == 2
    assert rows[0].values["uscc"] == DIGITS and rows[0].values["registered_capital"] == 1200
    assert rows[0].values["name"] == "慈溪市甲电器有限公司" and rows[1].values["founded_on"].year == 2010
    assert [e.reason for e in rows[2].errors] == [
        "统一社会信用代码被Excel存成了数字，已丢失末位数字，请将该列设为文本后重新填写"]


def test_csv_recognised_by_content_whatever_its_name():
    book = read_workbook(CSV_TEXT.encode("gbk"), "roster.xlsx", towns=TOWNS)
    assert len(book.sheets[0].rows) == 3 and book.sheets[0].name == "roster"
