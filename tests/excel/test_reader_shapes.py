"""Shapes of real bureau workbooks that the samples don't show, built here with openpyxl."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from registry.excel.reader import read_workbook
from registry.excel.types import FileRefused
from registry.firms.uscc import make_uscc
from tests.excel.test_values import INDUSTRIES, TOWNS

TODAY = date(2016, 12, 31)
CODES = [make_uscc("91330282", f"{30_000_000 + i:08d}") for i in range(20)]
DIGITS = next(c for c in (make_uscc("91330282", f"{40_000_000 + i:08d}") for i in range(200)) if c.isdigit())


def xlsx(sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None,
         hidden_rows: dict[str, list[int]] | None = None) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(r, c, value)
        for ref in (merges or {}).get(name, ()):
            ws.merge_cells(ref)
        for r in (hidden_rows or {}).get(name, ()):
            ws.row_dimensions[r].hidden = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read(data: bytes, filename: str = "upload.xlsx", **kw):
    kw.setdefault("towns", TOWNS)
    kw.setdefault("industries", INDUSTRIES)
    kw.setdefault("today", TODAY)
    return read_workbook(data, filename, **kw)


def all_errors(book):
    return [e.as_dict() for e in book.errors] + [e.as_dict() for r in book.all_rows() for e in r.errors]


ROSTER_HEADERS = ["序号", "企业 名称", "社会信用代码", "所在镇(街道)", "成立时间", "注册资金(万元)", "规上企业", "经营范围"]


def messy_roster() -> bytes:
    firm = lambda i, town=None: [i, f"慈溪市样例{i}电器有限公司", CODES[i], town, "2009.05.12",  # noqa: E731
                                 "1,200", "是", f"家电{i}"]
    rows = [
        ["附件1"],
        ["2016年慈溪市企业名录"],
        ["（共5家）"],
        [None, None, None, None, None, "单位：万元"],
        [],
        ROSTER_HEADERS,
        ["一、浒山街道（2家）"],  # merged across
        firm(1), firm(2),
        ["二、周巷镇（3家）"],  # only the first cell filled
        firm(3, "坎墩街道"), firm(4), firm(5),  # town merged down over three rows
        [6],  # a numbered blank line
        ["合计", None, None, None, None, "=SUM(F8:F14)"],  # a formula outside the data is fine
        ["注：数据截至2016年底"],
        ["说明：规上企业指规模以上工业企业"],
        [], [],
    ]
    return xlsx({"企业名录": rows}, {"企业名录": ["A2:H2", "A7:H7", "D11:D13", "A16:H16"]},
                hidden_rows={"企业名录": [18, 19]})


def test_title_rows_group_rows_merges_totals_and_footnotes():
    book = read(messy_roster())
    assert not all_errors(book)
    sheet = book.sheets[0]
    assert sheet.header_row == 6
    assert sheet.title.splitlines() == ["附件1", "2016年慈溪市企业名录", "（共5家）", "单位：万元"]
    assert [r.row for r in sheet.rows] == [8, 9, 11, 12, 13]
    assert book.inferred["count"] == "标题注明共5家，读取到5行"
    assert [r.values["town"] for r in sheet.rows] == ["浒山街道", "浒山街道", "坎墩街道", "坎墩街道", "坎墩街道"]
    assert sheet.rows[0].context == {"town": "浒山街道"} and sheet.rows[3].context == {"town": "周巷镇"}
    first = sheet.rows[0].values
    assert first["name"] == "慈溪市样例1电器有限公司" and first["uscc"] == CODES[1]
    assert (first["founded_on"], first["registered_capital"], first["above_scale"]) == \
        (date(2009, 5, 12), Decimal(1200), True)
    assert sheet.columns["name"] == "企业 名称" and sheet.columns["town"] == "所在镇(街道)"
    assert sheet.unmapped == ["经营范围"] and sheet.samples == {"经营范围": ["家电1", "家电2", "家电3"]}


def test_group_row_town_fills_a_roster_without_a_town_column():
    rows = [["企业名称", "统一社会信用代码", "成立日期"], ["（一）龙山镇"], ["甲公司", CODES[0], date(2010, 1, 1)],
            ["掌起镇（1家）"], ["乙公司", CODES[1], date(2011, 1, 1)], ["丙公司", CODES[2], date(2012, 1, 1)]]
    sheet = read(xlsx({"名录": rows})).sheets[0]
    assert [(r.values["name"], r.values.get("town")) for r in sheet.rows] == \
        [("甲公司", "龙山镇"), ("乙公司", "掌起镇"), ("丙公司", "掌起镇")]


def test_unknown_town_in_a_group_row_is_a_heading_not_data():
    rows = [["企业名称", "统一社会信用代码", "成立日期"], ["一、其他地区（1家）"], ["甲公司", CODES[0], 40000]]
    sheet = read(xlsx({"名录": rows})).sheets[0]
    assert len(sheet.rows) == 1 and sheet.rows[0].context == {"group": "其他地区"}
    assert sheet.rows[0].values["founded_on"] == date(2009, 7, 6)  # an Excel serial number


def two_row_institutions() -> bytes:
    rows = [
        ["2016年慈溪市企业研发机构汇总表"],
        ["序号", "研发机构", None, "依托企业", None, "认定年份"],
        [None, "名称", "级别", "名称", "统一社会信用代码", None],
        ["一、国家级"],
        [1, "甲国家企业技术中心", None, "甲公司", CODES[0], 2012],
        ["二、省级（1家）"],
        [2, "乙省级企业研究院", "省级", "乙公司", CODES[1], 2014],
    ]
    merges = ["A1:F1", "A2:A3", "B2:C2", "D2:E2", "F2:F3"]
    return xlsx({"研发机构": rows}, {"研发机构": merges})


def test_two_row_header_with_group_headings_and_vertical_header_merges():
    book = read(two_row_institutions())
    assert book.kind == "institutions" and not all_errors(book)
    sheet = book.sheets[0]
    assert sheet.header_row == 3 and sheet.title == "2016年慈溪市企业研发机构汇总表"
    assert sheet.columns == {"seq": "序号", "inst_name": "研发机构/名称", "level": "级别", "name": "依托企业/名称",
                             "uscc": "依托企业/统一社会信用代码", "recognised_year": "认定年份"}
    assert [(r.values["inst_name"], r.values["name"], r.values["level"], r.values["recognised_year"])
            for r in sheet.rows] == [("甲国家企业技术中心", "甲公司", "national", 2012),
                                     ("乙省级企业研究院", "乙公司", "provincial", 2014)]


def test_year_column_revocation_sheet_org_code_and_uscc_stored_as_number():
    org = CODES[3][8:17]
    lists = [
        ["2015年度慈溪市创新型瞪羚企业名单"],
        ["序号", "企业名称", "组织机构代码", "年度", "所在镇街"],
        [1, "甲公司", f"{org[:8]}-{org[8]}", 2014, "浒山"],
        [2, "乙公司", int(DIGITS), None, "周巷镇"],
        [3, "丙公司", CODES[5], "2016年", "新区"],
    ]
    revoked = [["企业名称", "统一社会信用代码", "年度", "取消原因"], ["丁公司", CODES[6], 2013, "发生重大安全事故"]]
    book = read(xlsx({"瞪羚企业": lists, "取消资格名单": revoked}), "名单.xlsx")
    assert book.kind == "recognitions" and book.programme == "gazelle"
    assert [s.sheet_kind for s in book.sheets] == ["recognitions", "revocations"]
    rows = book.sheets[0].rows
    assert [r.values["year"] for r in rows] == [2014, 2015, 2016]  # the blank one from the title
    assert rows[0].values["uscc"].kind == "org_code" and rows[0].values["uscc"].code == org
    assert [(r.values["town"]) for r in rows] == ["浒山街道", "周巷镇", "杭州湾新区"]
    assert [e.as_dict() for e in rows[1].errors] == [{
        "sheet": "瞪羚企业", "row": 4, "column": "组织机构代码", "value": format(float(DIGITS), ".15G"),
        "reason": "统一社会信用代码被Excel存成了数字，已丢失末位数字，请将该列设为文本后重新填写"}]
    assert rows[1].errors[0].value.endswith("E+17")  # as Excel's formula bar shows it
    revocation = book.sheets[1].rows[0].values
    assert revocation == {"name": "丁公司", "uscc": CODES[6], "year": 2013, "reason": "发生重大安全事故",
                          "programme": "gazelle"}
    assert "由“年度”列逐行读取" in book.inferred["year"]
    assert book.inferred["programme"].startswith("由标题“2015年度慈溪市创新型瞪羚企业名单”推断为 瞪羚企业")


def test_year_and_programme_from_sheet_name_or_file_name():
    rows = [["企业名称", "统一社会信用代码", "所在镇（街道）"], ["甲公司", CODES[0], "浒山街道"]]
    book = read(xlsx({"2013年度": rows}), "chuying_list.xlsx", kind="recognitions")
    assert (book.programme, book.year) == ("eaglet", 2013)
    assert book.inferred["programme"] == "由文件名“chuying_list.xlsx”推断为 雏鹰企业"
    assert book.inferred["year"] == "由工作表名“2013年度”推断为 2013 年"
    book = read(xlsx({"Sheet1": rows}), "chuying_2016.xlsx", kind="recognitions")
    assert book.year == 2016 and book.inferred["year"] == "由文件名“chuying_2016.xlsx”推断为 2016 年"


def test_a_list_without_any_year_says_so():
    rows = [["企业名称", "统一社会信用代码", "所在镇（街道）"], ["甲公司", CODES[0], "浒山街道"]]
    book = read(xlsx({"Sheet1": rows}), "list.xlsx", kind="recognitions", programme="eaglet")
    assert book.year is None and any("无法确定" in e.reason and "年度" in e.reason for e in book.errors)


def test_unrecognised_header_and_a_saved_mapping():
    rows = [["企业名称", "统一社会信用代码", "成立日期", "所属片区", "企业规模（亿元）"],
            ["甲公司", CODES[0], date(2010, 1, 1), None, 3],
            ["乙公司", CODES[1], date(2011, 1, 1), "浒山街道", 4],
            ["丙公司", CODES[2], date(2012, 1, 1), "周巷镇", None],
            ["丁公司", CODES[3], date(2013, 1, 1), "龙山镇", 5],
            ["戊公司", CODES[4], date(2014, 1, 1), "掌起镇", 6]]
    data = xlsx({"名录": rows})
    sheet = read(data).sheets[0]
    assert sheet.unmapped == ["所属片区", "企业规模（亿元）"]
    assert sheet.samples == {"所属片区": ["浒山街道", "周巷镇", "龙山镇"], "企业规模（亿元）": ["3", "4", "5"]}
    mapped = read(data, mapping={"所属片区": "town", "企业规模（亿元）": ""}).sheets[0]
    assert mapped.unmapped == [] and mapped.columns["town"] == "所属片区" and "企业规模（亿元）" in mapped.headers
    assert [r.values.get("town") for r in mapped.rows] == [None, "浒山街道", "周巷镇", "龙山镇", "掌起镇"]


def test_a_mapping_can_make_a_sheet_recognisable():
    rows = [["单位", "代码", "注册资本额"], ["甲公司", CODES[0], 100]]
    data = xlsx({"Sheet1": rows})
    with pytest.raises(FileRefused, match="未找到可识别的表头"):
        read(data)
    book = read(data, mapping={"单位": "name", "代码": "uscc", "注册资本额": "registered_capital"})
    assert book.kind == "firms" and book.sheets[0].rows[0].values["registered_capital"] == Decimal(100)


def test_duplicate_uscc_across_two_sheets_and_name_required():
    head = ["企业名称", "统一社会信用代码", "成立日期"]
    data = xlsx({"一": [head, ["甲公司", CODES[0], 40000]],
                 "二": [head, ["乙公司", CODES[1], 40000], [None, CODES[0], 40000]]})
    errors = all_errors(read(data))
    assert errors == [
        {"sheet": "二", "row": 3, "column": "企业名称", "value": "", "reason": "企业名称不能为空"},
        {"sheet": "二", "row": 3, "column": "统一社会信用代码", "value": CODES[0],
         "reason": "与工作表“一”第2行的统一社会信用代码重复"}]


def test_a_list_row_needs_a_name_or_a_code():
    rows = [["2016年度慈溪市创新型雏鹰企业名单"], ["企业名称", "统一社会信用代码", "所在镇（街道）", "备注"],
            ["甲公司", None, "浒山街道"], [None, None, "周巷镇", "新增"], [None, None, "周巷镇"]]
    book = read(xlsx({"名单": rows}))
    assert [(e["row"], e["reason"]) for e in all_errors(book)] == [(4, "企业名称和统一社会信用代码不能都为空")]
    assert len(book.sheets[0].rows) == 2  # row 5, a town's name alone, is a group row


def test_money_in_yuan_is_flagged():
    rows = [["单位：元"], ["企业名称", "统一社会信用代码", "营业收入"], ["甲公司", CODES[0], 12_000_000]]
    book = read(xlsx({"2016年度数据": rows}))
    assert [e.reason for e in book.errors] == ["表头上方注明金额单位为“元”，本系统按万元导入：请换算为万元后再上传"]


def test_sheets_of_another_kind_are_reported_not_imported():
    roster = [["企业名称", "统一社会信用代码", "成立日期"], ["甲公司", CODES[0], 40000]]
    annual = [["企业名称", "统一社会信用代码", "营业收入"], ["甲公司", CODES[0], 100]]
    book = read(xlsx({"名录": roster, "说明": [["填表说明：请勿修改表头"]], "年度数据": annual}))
    assert book.kind == "firms" and [s.name for s in book.sheets] == ["名录"]
    assert set(book.skipped_sheets) == {"说明", "年度数据"}
    assert "“年度数据”属于其他类型" in book.inferred["kind"]


def test_header_found_below_blank_and_offset_columns():
    rows = [[], [], [None, None, "企业名称", "统一社会信用代码", "注册资本（万元）"], [None, None, "甲公司", CODES[0], "1200万元"]]
    sheet = read(xlsx({"S": rows})).sheets[0]
    assert sheet.header_row == 3 and sheet.rows[0].row == 4
    assert sheet.rows[0].values == {"name": "甲公司", "uscc": CODES[0], "registered_capital": Decimal(1200)}


def test_words_tell_a_list_with_roster_columns_from_a_roster():
    head = ["企业名称", "统一社会信用代码", "所在镇（街道）", "所属产业"]
    row = ["甲公司", CODES[0], "浒山街道", "智能家电"]
    listed = read(xlsx({"Sheet1": [["2016年度慈溪市创新型雏鹰企业名单"], head, row]}))
    assert (listed.kind, listed.programme, listed.sheets[0].unmapped) == ("recognitions", "eaglet", ["所属产业"])
    roster = read(xlsx({"Sheet1": [head, row]}))
    assert roster.kind == "firms" and roster.sheets[0].rows[0].values["industry"] == "智能家电"
