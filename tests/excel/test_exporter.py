"""The exporter: formula safety, text codes, real dates, widths, dropdowns, error workbooks."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from registry.excel import exporter
from registry.excel.exporter import DATE, TEXT, Column, Sheet, Validation, write_workbook
from registry.excel.types import (
    ERROR, NEW, CellError, ImportPlan, ParsedRow, ParsedSheet, ParsedWorkbook, PlannedRow,
)

SAMPLES = Path(__file__).resolve().parents[2] / "imports" / "samples"
DANGEROUS = ["=1+2", "=HYPERLINK(\"http://x\",\"y\")", "+86 574 6312", "-500", "-2+3", "@SUM(A1:A2)",
             "\tinjected", "\r=1+1", "=cmd|' /C calc'!A0"]


def reopen(data: bytes):
    return load_workbook(io.BytesIO(data))


def all_cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from row


def test_formula_like_strings_are_never_formulas():
    data = write_workbook([Sheet("注入", [Column("内容"), Column("说明")],
                                 rows=[[v, "正常文本"] for v in DANGEROUS] + [["#N/A", None]],
                                 title_row="=标题也不能是公式")])
    wb = reopen(data)
    assert not [c.coordinate for c in all_cells(wb) if c.data_type == "f"]
    ws = wb["注入"]
    assert ws["A1"].value == "=标题也不能是公式" and ws["A1"].quotePrefix
    values = [ws.cell(row=r, column=1) for r in range(3, 3 + len(DANGEROUS))]
    # the text is kept character for character (XML turns a CR into LF)
    assert [c.value for c in values] == [v.replace("\r", "\n") for v in DANGEROUS]
    assert all(c.data_type == "s" and c.quotePrefix for c in values)
    assert ws.cell(row=3 + len(DANGEROUS), column=1).data_type == "s"  # "#N/A" is text, not an error
    assert ws["B3"].quotePrefix is False  # ordinary text is left alone
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # and no <f> element anywhere in the file
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in z.namelist())


def test_calamine_reads_the_neutralised_strings_back_as_text():
    from python_calamine import CalamineWorkbook

    data = write_workbook([Sheet("s", [Column("v")], rows=[[v] for v in DANGEROUS])])
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("s").to_python()
    assert [r[0] for r in rows[1:]] == [v.replace("\r", "\n") for v in DANGEROUS]


def test_codes_and_phones_stay_text():
    cols = [Column("统一社会信用代码", number_format=TEXT), Column("联系电话", number_format=TEXT),
            Column("长数字")]
    rows = [["913302820707857810", 13812345678, 913302827000000001],
            [913302820707857811, 13812345678.0, 12]]
    ws = reopen(write_workbook([Sheet("名录", cols, rows=rows)]))["名录"]
    assert ws["A2"].value == "913302820707857810" and ws["A3"].value == "913302820707857811"
    assert ws["B2"].value == ws["B3"].value == "13812345678"
    assert all(ws[c].data_type == "s" and ws[c].number_format == "@" for c in ("A2", "A3", "B2", "B3"))
    assert ws.column_dimensions["A"].number_format == "@"  # cells typed in later are text too
    assert ws["C2"].value == "913302827000000001"  # beyond 15 digits: text, never 9.13E+17
    assert ws["C3"].value == 12 and ws["C3"].data_type == "n"


def test_dates_are_dates_and_money_has_two_decimals():
    rows = [[date(2016, 5, 12), Decimal("1200.50"), datetime(2016, 11, 30, 9, 30),
             datetime(2016, 3, 1, 2, 0, tzinfo=timezone.utc), True, False, None]]
    ws = reopen(write_workbook([Sheet("s", [Column(h) for h in "abcdefg"], rows=rows)]))["s"]
    assert ws["A2"].is_date and ws["A2"].value == datetime(2016, 5, 12) and ws["A2"].number_format == DATE
    assert ws["B2"].data_type == "n" and ws["B2"].value == 1200.5 and ws["B2"].number_format == "#,##0.00"
    assert ws["C2"].is_date and ws["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["D2"].value == datetime(2016, 3, 1, 10, 0)  # shown in Beijing time
    assert (ws["E2"].value, ws["F2"].value, ws["G2"].value) == ("是", "否", None)


def test_widths_count_chinese_characters_double():
    assert exporter.text_width("企业名称") == 8 and exporter.text_width("abcd") == 4
    assert exporter.text_width("（万元）") == 8
    rows = [["慈溪市某某智能电器有限公司", "abc", "x"]]
    cols = [Column("企业名称"), Column("编号"), Column("固定", width=33)]
    ws = reopen(write_workbook([Sheet("s", cols, rows=rows)]))["s"]
    assert ws.column_dimensions["A"].width == 2 * 13 + 2
    assert ws.column_dimensions["B"].width == 8  # the minimum
    assert ws.column_dimensions["C"].width == 33


def test_title_row_header_styling_and_frozen_header():
    ws = reopen(write_workbook([Sheet("名单", [Column("序号"), Column("企业名称", required=True, note="全称")],
                                      rows=[[1, "甲"]], title_row="2016年名单")]))["名单"]
    assert "A1:B1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.freeze_panes == "A3"
    assert ws["A2"].font.b and ws["A2"].fill.fgColor.rgb.endswith("DDEBF7")
    assert ws["B2"].fill.fgColor.rgb.endswith("FCE4D6") and ws["B2"].comment.text == "全称"
    assert ws["B3"].value == "甲"


def test_highlights_and_comments_land_on_their_cells():
    sheet = Sheet("s", [Column("a"), Column("b")], rows=[[1, 2], [3, 4]],
                  highlights={(1, 0): "error"}, comments={(1, 0): "不对"})
    ws = reopen(write_workbook([sheet]))["s"]
    assert ws["A3"].fill.fgColor.rgb.endswith("FFC7CE") and ws["A3"].comment.text == "不对"
    assert ws["A2"].fill.fill_type is None and ws["B3"].comment is None


def test_short_lists_inline_long_lists_on_a_hidden_sheet():
    towns = [f"慈溪市第{i}号街道" for i in range(30)]  # > 255 characters written inline
    sheet = Sheet("s", [Column("镇"), Column("是否")], validations=[
        Validation(0, towns, name="镇街选项", rows=10), Validation(1, ["是", "否"], rows=10)])
    wb = reopen(write_workbook([sheet]))
    dvs = {str(dv.sqref): dv.formula1 for dv in wb["s"].data_validations.dataValidation}
    assert dvs == {"A2:A11": "list_1", "B2:B11": '"是,否"'}
    assert wb["选项"].sheet_state == "hidden"
    assert [c.value for c in wb["选项"]["A"]][1:] == towns
    assert wb.defined_names["list_1"].attr_text.endswith("$A$2:$A$31")


def test_sheet_titles_are_made_legal_and_unique():
    wb = reopen(write_workbook([Sheet("a/b:c", [Column("x")]), Sheet("A/B:C", [Column("x")]),
                                Sheet("很长" * 20, [Column("x")])]))
    assert wb.sheetnames == ["a_b_c", "A_B_C(2)", ("很长" * 20)[:31]]


def test_large_export_streams():
    rows = ([i, f"慈溪市企业{i}", date(2016, 1, 1)] for i in range(20_000))
    data = write_workbook([Sheet("大表", [Column("序号"), Column("企业名称"), Column("日期")], rows=rows)])
    ws = load_workbook(io.BytesIO(data), read_only=True)["大表"]
    last = None
    for last in ws.iter_rows(values_only=True):
        pass
    assert last == (19_999, "慈溪市企业19999", datetime(2016, 1, 1))


# --- error workbook, from a hand-made plan (no reader needed) ----------------------------

def _plan():
    sheet = ParsedSheet(name="企业名录", sheet_kind="firms", header_row=3,
                        columns={"seq": "序号", "name": "企业名称", "uscc": "信用代码", "town": "镇街"},
                        headers=["序号", "企业名称", "信用代码", "镇街", "自定义"], unmapped=["自定义"],
                        samples={})
    good = ParsedRow("企业名录", 4, {}, {"seq": 1, "name": "甲公司", "uscc": "913302820707857810",
                                       "town": "浒山街道", "自定义": "x"})
    bad = ParsedRow("企业名录", 5, {}, {"seq": 2, "name": "=乙公司", "uscc": 9.13302827e17,
                                      "town": "慈溪镇"})
    errors = [CellError("企业名录", 5, "信用代码", "9.13302827E+17", "统一社会信用代码被存成了数字，末几位已丢失"),
              CellError("企业名录", 5, "镇街", "慈溪镇", "未知的镇（街道）：慈溪镇"),
              CellError("企业名录", 5, "", "", "企业不存在")]
    wb = ParsedWorkbook("名录.xlsx", "0" * 64, "firms", sheets=[sheet],
                        errors=[CellError("企业名录", 0, "", "", "第30行以后的合计行已忽略")])
    return ImportPlan(wb, [PlannedRow(good, NEW), PlannedRow(bad, ERROR, errors=errors)])


def test_error_workbook_keeps_the_senders_layout_and_marks_bad_cells():
    wb = reopen(exporter.error_workbook(_plan()))
    ws = wb["企业名录"]
    assert "名录.xlsx" in ws["A1"].value and "合计行已忽略" in ws["A1"].value
    assert [c.value for c in ws[2]] == ["序号", "企业名称", "信用代码", "镇街", "自定义", "错误原因"]
    assert ws.max_row == 3  # the good row is left out
    row = [c for c in ws[3]]
    assert row[1].value == "=乙公司" and row[1].data_type == "s"
    assert row[2].value == "913302827000000000" and row[2].number_format == "@"
    red = [c.column_letter for c in row if c.fill.fill_type == "solid"]
    assert red == ["C", "D", "F"]
    assert row[3].comment.text == "未知的镇（街道）：慈溪镇"
    assert row[5].value.startswith("原表第5行：") and "企业不存在" in row[5].value
    assert not [c for c in all_cells(wb) if c.data_type == "f"]


def test_error_workbook_can_keep_every_row():
    ws = reopen(exporter.error_workbook(_plan(), all_rows=True))["企业名录"]
    assert ws.max_row == 4 and ws["B3"].value == "甲公司" and ws["E3"].value == "x"
    assert ws["F3"].value == "原表第4行" and ws["B3"].fill.fill_type is None


DIRTY_BAD = {6: "统一社会信用代码", 9: "统一社会信用代码", 12: "统一社会信用代码", 15: "企业名称",
             18: "所在镇（街道）", 21: "成立日期", 24: "注册资本（万元）", 27: "注册资本（万元）"}


def check_dirty_error_workbook(data: bytes) -> None:
    """The dirty roster's error workbook: its 8 bad rows, exactly the bad cells red."""
    wb = reopen(data)
    assert wb.sheetnames == ["企业名录"]
    ws = wb["企业名录"]
    headers = [c.value for c in ws[2]]
    assert headers[:3] == ["序号", "企业名称", "统一社会信用代码"] and headers[-1] == "错误原因"
    rows = list(ws.iter_rows(min_row=3))
    assert len(rows) == 8
    found = {}
    for row in rows:
        origin = int(row[-1].value.split("：")[0].removeprefix("原表第").removesuffix("行"))
        red = [headers[c.column - 1] for c in row[:-1] if c.fill.fill_type == "solid"]
        assert len(red) == 1, (origin, red)
        cell = next(c for c in row[:-1] if c.fill.fill_type == "solid")
        assert cell.comment and cell.comment.text in row[-1].value
        found[origin] = red[0]
    assert found == DIRTY_BAD
    by_origin = {int(r[-1].value.split("：")[0][3:-1]): r for r in rows}
    uscc_col = headers.index("统一社会信用代码")
    assert by_origin[6][uscc_col].value == "91330201392122743T"
    assert all(r[uscc_col].data_type == "s" for r in rows)  # codes stay text
    assert by_origin[27][headers.index("注册资本（万元）")].value == "三百万"
    assert by_origin[24][headers.index("注册资本（万元）")].value == -500
    assert not [c for c in all_cells(wb) if c.data_type == "f"]


def test_error_workbook_of_the_dirty_roster_read_alone(ctx):
    """Reader only (no database match): its row errors are the sample's 8 bad rows."""
    reader = pytest.importorskip("registry.excel.reader")
    from registry import reference

    book = reader.read_workbook((SAMPLES / "firms_roster_dirty.xlsx").read_bytes(), "firms_roster_dirty.xlsx",
                                towns=[t.name for t in reference.towns()],
                                industries=[i.name for i in reference.industries()], today=date(2016, 12, 31))
    plan = ImportPlan(book, [PlannedRow(r, ERROR if r.errors else NEW, errors=list(r.errors))
                             for r in book.all_rows()])
    check_dirty_error_workbook(exporter.error_workbook(plan))


def test_error_workbook_gives_back_every_cell_the_sender_wrote(ctx):
    """序号 and unrecognised columns come back too, and its 错误原因 column is not asked about."""
    from io import BytesIO

    from openpyxl import Workbook, load_workbook

    from registry.excel import services
    from registry.excel.exporter import error_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "企业名录"
    ws.append(["序号", "企业名称", "统一社会信用代码", "成立日期", "内部编号"])
    ws.append([7, "慈溪市回传电器有限公司", "91330201392122743T", "2010-05-12", "K-0042"])
    buf = BytesIO()
    wb.save(buf)
    _batch, plan = services.stage_upload(None, buf.getvalue(), "回传.xlsx")
    out = load_workbook(BytesIO(error_workbook(plan)))
    values = [c for row in out.worksheets[0].iter_rows(values_only=True) for c in row]
    assert 7 in values and "K-0042" in values

    # The corrected workbook comes back with the 错误原因 column: nothing to map.
    back = Workbook()
    ws = back.active
    ws.title = "企业名录"
    ws.append(["序号", "企业名称", "统一社会信用代码", "成立日期", "错误原因"])
    ws.append([7, "慈溪市回传电器有限公司", "9133028207078578XK", "2010-05-12", "第2行：校验码错误"])
    buf = BytesIO()
    back.save(buf)
    _batch, plan = services.stage_upload(None, buf.getvalue(), "回传-修改.xlsx")
    assert plan.workbook.sheets[0].unmapped == []


# --- official-list options: borders, footnote, print setup; the reused styled cells ------

def test_borders_footnote_and_print_setup():
    from registry.excel.exporter import PrintSetup

    sheet = Sheet("名单", [Column("序号", align="center"), Column("企业名称", wrap=True), Column("备注")],
                  rows=[[1, "甲", None], [2, "=乙", "x"]], title_row="2016年度名单", title_size=16,
                  borders=True, header_fill=False, footnote="注：排名不分先后。",
                  print_setup=PrintSetup(landscape=True, paper="A3"))
    ws = reopen(write_workbook([sheet]))["名单"]
    assert ws["A1"].font.sz == 16 and ws["A1"].alignment.horizontal == "center"
    assert ws["A2"].fill.fill_type is None and ws["A2"].border.left.style == "thin"
    for ref in ("A3", "B3", "C3", "A4", "B4", "C4"):  # empty cells of the table are bordered too
        assert ws[ref].border.top.style == "thin" and ws[ref].border.right.style == "thin", ref
    assert ws["A3"].alignment.horizontal == "center" and ws["B3"].alignment.wrap_text
    assert ws["B4"].quotePrefix and ws["B4"].data_type == "s"
    assert ws["A5"].value == "注：排名不分先后。" and "A5:C5" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.print_title_rows == "$1:$2" and ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 8 and ws.page_setup.fitToWidth == 1
    assert ws.freeze_panes == "A3"


def test_a_sheet_without_the_options_is_written_as_before():
    ws = reopen(write_workbook([Sheet("s", [Column("a"), Column("b")], rows=[[1, None]])]))["s"]
    assert ws["A2"].border.left.style is None and ws["B2"].value is None
    assert ws.print_title_rows is None and ws.max_row == 2
    assert ws["A1"].fill.fgColor.rgb.endswith("DDEBF7")


def test_reused_cells_keep_each_value_type_and_style():
    rows = [[date(2016, 1, 2), Decimal("1.50"), "=x", "正常", 7, datetime(2016, 1, 2, 3, 4)],
            [datetime(2016, 1, 2), 3, "正常", "=y", None, datetime(2016, 1, 3)],
            ["文本", None, "-1", "+1", 8.5, None]] * 3
    cols = [Column(h) for h in "abcdef"]
    ws = reopen(write_workbook([Sheet("s", cols, rows=rows, highlights={(4, 1): "error"})]))["s"]
    for r in (2, 5, 8):
        assert ws.cell(r, 1).is_date and ws.cell(r, 1).number_format == DATE
        assert ws.cell(r, 2).value == 1.5 and ws.cell(r, 2).number_format == "#,##0.00"
        assert ws.cell(r, 3).quotePrefix and not ws.cell(r, 4).quotePrefix
        assert ws.cell(r, 5).value == 7 and ws.cell(r, 6).number_format == "yyyy-mm-dd hh:mm"
    for r in (3, 6, 9):
        assert ws.cell(r, 1).number_format == DATE and ws.cell(r, 2).number_format == "General"
        assert ws.cell(r, 4).quotePrefix and ws.cell(r, 4).data_type == "s"
        assert ws.cell(r, 6).number_format == DATE
    for r in (4, 7, 10):
        assert ws.cell(r, 1).value == "文本" and ws.cell(r, 3).value == "-1" and ws.cell(r, 3).quotePrefix
    assert ws["B6"].fill.fgColor.rgb.endswith("FFC7CE") and ws["B3"].fill.fill_type is None


def test_streaming_rows_match_openpyxls_own_path(monkeypatch):
    """The fast rows (one shared style per column and kind) give the same cells, styles and
    formats as openpyxl's own append path, which is what runs should the hook disappear."""
    from registry.excel import streaming

    sheet = Sheet("名单", [Column("企业名称"), Column("统一社会信用代码", number_format=TEXT),
                         Column("认定日期"), Column("营业收入"), Column("备注", wrap=True)],
                  [["慈溪市甲电器有限公司", "91330282MA2AJ2XG5B", date(2016, 5, 1), Decimal("12.50"), "=1+1"],
                   ["慈溪市乙电器有限公司", "0123", datetime(2016, 5, 2, 9, 30), Decimal("0"), None],
                   ["-负数开头", "", None, 3, "正常文字"]],
                  highlights={(1, 0): "error"}, comments={(1, 0): "名称有误"})

    def cells(data):
        ws = reopen(data).worksheets[0]
        return [(c.coordinate, c.value, c.data_type, c.number_format, c.quotePrefix,
                 c.fill.fgColor.rgb, c.alignment.wrap_text, c.comment.text if c.comment else None)
                for row in ws.iter_rows() for c in row]

    fast = cells(write_workbook([sheet]))
    monkeypatch.setattr(streaming, "FAST", False)
    assert cells(write_workbook([sheet])) == fast
    assert streaming.install(object()) is False
