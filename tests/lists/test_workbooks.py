"""The official workbook, cell by cell; formula-like names; the combined workbook; other exports."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook

from registry.lists import services
from registry.lists.exports import (
    combined_workbook, notice_workbook, official_list_workbook, screening_workbook,
)
from registry.lists.workbooks import OFFICIAL_COLUMNS, official_sheet, official_workbook
from tests.lists.builders import noticed_list

AFTER = date(2016, 12, 1)


@pytest.fixture
def staff(make):
    return make.user("staff")


def test_the_official_workbook_has_title_headers_widths_print_setup_and_footnote(make, staff):
    firms = [make.firm(f"慈溪市官方{i}电器有限公司", town=t) for i, t in enumerate(["浒山街道", "周巷镇", "龙山镇"])]
    tier_list = noticed_list(make, staff, firms)
    services.update_entry_note(staff, tier_list, tier_list.entries[1].id, "由雏鹰晋级")
    services.publish(staff, tier_list, today=AFTER)
    wb = load_workbook(io.BytesIO(official_list_workbook(tier_list)))
    assert wb.sheetnames == ["雏鹰企业"]
    ws = wb["雏鹰企业"]
    assert ws["A1"].value == "2016年度慈溪市创新型“雏鹰”企业名单"
    assert "A1:E1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].font.b and ws["A1"].font.sz == 16 and ws["A1"].alignment.horizontal == "center"
    assert [c.value for c in ws[2]] == ["序号", "企业名称", "统一社会信用代码", "所在镇（街道）", "备注"]
    assert all(c.font.b for c in ws[2])
    assert [ws.column_dimensions[x].width for x in "ABCDE"] == [7, 46, 24, 16, 16]
    assert ws.freeze_panes == "A3"
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=5)]
    assert rows == [[1, firms[0].name, firms[0].uscc, "浒山街道", None],
                    [2, firms[1].name, firms[1].uscc, "周巷镇", "由雏鹰晋级"],
                    [3, firms[2].name, firms[2].uscc, "龙山镇", None]]
    assert all(ws.cell(row=r, column=3).data_type == "s" and ws.cell(row=r, column=3).number_format == "@"
               for r in (3, 4, 5))
    # thin borders on every cell of the table, header and data
    for row in ws.iter_rows(min_row=2, max_row=5):
        for c in row:
            assert all(getattr(c.border, side).style == "thin" for side in ("left", "right", "top", "bottom")), c
    assert ws["A3"].alignment.horizontal == "center" and ws["B3"].alignment.wrap_text
    # footnote row merged under the data
    assert ws["A6"].value == "注：共3家企业，排名不分先后（慈科〔2016〕58号）。"
    assert "A6:E6" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.max_row == 6
    # A4 portrait, fitted to the page width, title and header repeated on every page
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$2"
    assert ws.print_options.horizontalCentered
    assert "&P" in ws.oddFooter.center.text


def test_formula_like_names_round_trip_as_text(make, staff):
    names = ["=HYPERLINK(\"http://x\",\"点我\")", "+86有限公司", "-减号有限公司", "@SUM(A1)有限公司"]
    firms = [make.firm(n) for n in names]
    tier_list = noticed_list(make, staff, firms)
    services.update_entry_note(staff, tier_list, tier_list.entries[0].id, "=1+1")
    services.publish(staff, tier_list, today=AFTER)
    data = official_list_workbook(tier_list)
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    got = [ws.cell(row=r, column=2) for r in range(3, 7)]
    assert [c.value for c in got] == names
    assert all(c.data_type == "s" and c.quotePrefix for c in got)
    assert ws["E3"].value == "=1+1" and ws["E3"].data_type == "s"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in z.namelist())
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert [r[1] for r in rows[2:6]] == names


def test_the_combined_workbook_has_one_sheet_per_programme(make, staff):
    e1, e2, g = make.firm("雏鹰一"), make.firm("雏鹰二"), make.firm("瞪羚一")
    first = noticed_list(make, staff, [e1], batch="第一批")
    second = noticed_list(make, staff, [e2], batch="第二批")
    gazelle = noticed_list(make, staff, [g], code="gazelle")
    noticed_list(make, staff, [make.firm("未发布")], code="lead_goose")  # not published: left out
    for t in (first, second, gazelle):
        services.publish(staff, t, today=AFTER)
    wb = load_workbook(io.BytesIO(combined_workbook(2016)))
    assert wb.sheetnames == ["雏鹰企业", "瞪羚企业"]
    ws = wb["雏鹰企业"]
    assert ws["A1"].value == "2016年度慈溪市创新型“雏鹰”企业名单"
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=3, max_row=4)] == [
        [1, "雏鹰一", e1.uscc, "浒山街道", "第一批"], [2, "雏鹰二", e2.uscc, "浒山街道", "第二批"]]
    assert wb["瞪羚企业"]["B3"].value == "瞪羚一" and wb["瞪羚企业"].print_title_rows == "$1:$2"
    empty = load_workbook(io.BytesIO(combined_workbook(2015)))
    assert empty.sheetnames == ["说明"]


def test_the_notice_workbook_states_the_period(make, staff):
    tier_list = noticed_list(make, staff, [make.firm()])
    ws = load_workbook(io.BytesIO(notice_workbook(tier_list))).worksheets[0]
    assert "公示" in ws["A1"].value
    assert "公示期：2016-11-18至2016-11-24" in ws["A4"].value


def test_the_screening_workbook_marks_failures_and_missing_data(make, staff):
    from registry.lists.defaults import seed_default_criteria
    from registry.lists.screening import screen
    from tests.lists.builders import annual

    seed_default_criteria(staff, 2016)
    firm = make.firm("筛选企业", founded_on=date(2013, 1, 1))
    annual(make.session, firm, 2015, revenue=500, rd_expense=5)
    from registry.lists.models import CriteriaSet

    cset = make.session.query(CriteriaSet).filter_by(programme=make.programme("eaglet"), year=2016).one()
    ws = load_workbook(io.BytesIO(screening_workbook(screen(staff, cset), {}))).worksheets[0]
    assert "资格筛选" in ws["A1"].value
    header = [c.value for c in ws[2]]
    assert header[:5] == ["序号", "企业名称", "统一社会信用代码", "所在镇（街道）", "筛选结论"]
    row = {h: c for h, c in zip(header, ws[3])}
    assert row["筛选结论"].value == "不符合"
    judged = [c for h, c in zip(header, ws[3]) if h == "判定"]
    assert [c.value for c in judged] == ["符合", "符合", "不符合", "符合", "符合"]
    assert judged[2].fill.fgColor.rgb.endswith("FFC7CE")


def test_official_sheet_stays_plain_tuples_for_the_bench():
    data = official_workbook([official_sheet("测试名单", [(1, "甲", "913302820707857810", "浒山街道", None)],
                                             footnote=None)])
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.header for c in OFFICIAL_COLUMNS] == [c.value for c in ws[2]]
    assert ws.max_row == 3
