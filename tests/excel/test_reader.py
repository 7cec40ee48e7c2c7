"""read_workbook on every sample workbook, with the counts imports/samples/README.md gives.

Shapes the samples don't show (titles, group rows, merges, two-row headers …) and the
refused files are built in the tests (test_reader_shapes.py, test_reader_refusals.py).
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from registry.excel.reader import read_workbook
from registry.excel.types import ParsedWorkbook
from tests.excel.test_values import INDUSTRIES, TOWNS

SAMPLES = Path(__file__).resolve().parents[2] / "imports" / "samples"
TODAY = date(2016, 12, 31)


def read(name: str, **kw) -> ParsedWorkbook:
    kw.setdefault("towns", TOWNS)
    kw.setdefault("industries", INDUSTRIES)
    kw.setdefault("today", TODAY)
    return read_workbook((SAMPLES / name).read_bytes(), name, **kw)


def errors_of(book: ParsedWorkbook) -> list[dict]:
    return [e.as_dict() for e in book.errors] + [e.as_dict() for r in book.all_rows() for e in r.errors]


def test_roster():
    book = read("firms_roster_2016.xlsx")
    assert book.kind == "firms" and len(book.sheets) == 1 and not errors_of(book)
    sheet = book.sheets[0]
    assert (sheet.name, sheet.sheet_kind, sheet.header_row) == ("企业名录", "firms", 3)
    assert sheet.title == "2016年慈溪市企业名录（样例）"
    assert sheet.unmapped == [] and "seq" in sheet.columns
    rows = sheet.rows
    assert len(rows) == 140 and [r.row for r in rows] == list(range(4, 144))
    assert "seq" not in rows[0].values
    assert Counter(r.values["above_scale"] for r in rows) == {True: 65, False: 75}
    towns = Counter(r.values["town"] for r in rows)
    assert towns["杭州湾新区"] == 14 and towns["浒山街道"] == 10 and towns["周巷镇"] == 14
    assert towns["长河镇"] == 1 and sum(towns.values()) == 140
    assert Counter(r.values["industry"] for r in rows) == {
        "智能家电": 33, "高端机械基础件": 25, "汽车及关键零部件": 22, "智能装备": 17, "新材料": 13,
        "生命健康": 13, "其他": 17}
    by_row = {r.row: r for r in rows}
    for n in (12, 18, 34, 36, 42, 48, 53, 55, 60, 66, 70, 83, 111, 116):  # text dates
        assert isinstance(by_row[n].raw["founded_on"], str)
        assert isinstance(by_row[n].values["founded_on"], date)
    assert [by_row[n].values["registered_capital"] for n in (38, 57, 95, 115, 116)] == \
        [Decimal(1000), Decimal(1200), Decimal(1200), Decimal(12000), Decimal(1000)]
    for n in (71, 86, 94):  # mobiles stored as numbers come back whole
        assert isinstance(by_row[n].raw["phone"], float)
        assert len(by_row[n].values["phone"]) == 11 and by_row[n].values["phone"].isdigit()
    assert all(isinstance(r.values["uscc"], str) and len(r.values["uscc"]) == 18 for r in rows)
    assert len({r.values["uscc"] for r in rows}) == 140


def test_hightech_three_sheets_one_year_each():
    book = read("hightech_2014_2016.xlsx")
    assert book.kind == "recognitions" and book.programme == "high_tech" and not errors_of(book)
    assert [(s.name, s.year, len(s.rows)) for s in book.sheets] == [("2014年", 2014, 26), ("2015年", 2015, 22),
                                                                    ("2016年", 2016, 30)]
    assert sum(len(s.rows) for s in book.sheets) == 78
    assert book.year is None  # three years: each row carries its own
    assert book.inferred["programme"] == "由“证书编号”列推断为 高新技术企业"
    assert "由工作表名“2014年”推断为 2014 年" in book.inferred["year"]
    rows = list(book.all_rows())
    assert Counter(r.values["year"] for r in rows) == {2014: 26, 2015: 22, 2016: 30}
    assert {r.values["programme"] for r in rows} == {"high_tech"}
    assert len({r.values["uscc"] for r in rows}) == 78
    assert Counter(r.values["issued_on"] for r in rows)[date(2016, 11, 30)] == 20
    first = book.sheets[2].rows[0]
    assert first.row == 3 and first.values["certificate_no"] == "GR201633100026"


def test_chuying_programme_and_year_from_the_title():
    book = read("chuying_2016.xlsx")
    assert book.kind == "recognitions" and not errors_of(book)
    assert (book.programme, book.year) == ("eaglet", 2016)
    assert book.inferred["programme"] == "由标题“关于公布2016年度慈溪市创新型雏鹰企业名单的通知”推断为 雏鹰企业"
    assert book.inferred["year"] == "由标题“关于公布2016年度慈溪市创新型雏鹰企业名单的通知”推断为 2016 年"
    rows = book.sheets[0].rows
    assert len(rows) == 20 and rows[-1].row == 22  # the 注： footnote on row 24 is not a firm
    assert [r.row for r in rows if r.values["note"]] == [4, 5, 7, 16, 17]
    assert {r.values["year"] for r in rows} == {2016} and {r.values["programme"] for r in rows} == {"eaglet"}


def test_rd_institutions_and_promotions():
    book = read("rd_institutions.xlsx")
    assert book.kind == "institutions" and not errors_of(book)
    inst, changes = book.sheets
    assert (inst.sheet_kind, len(inst.rows), changes.sheet_kind, len(changes.rows)) == \
        ("institutions", 42, "level_changes", 5)
    assert Counter(r.values["level"] for r in inst.rows) == {"national": 2, "provincial": 11, "ningbo": 14,
                                                            "cixi": 15}
    assert Counter(r.values["type"] for r in inst.rows)["企业工程（技术）中心"] == 25
    assert len({r.values["uscc"] for r in inst.rows}) == 39
    assert inst.columns["name"] == "依托企业"
    assert [(r.row, r.values["from_level"], r.values["to_level"], r.values["year"]) for r in changes.rows] == [
        (2, "cixi", "ningbo", 2010), (3, "provincial", "national", 2012), (4, "cixi", "ningbo", 2013),
        (5, "ningbo", "provincial", 2014), (6, "cixi", "ningbo", 2015)]


def test_teams_and_members():
    book = read("teams.xlsx")
    assert book.kind == "teams" and not errors_of(book)
    teams, members = book.sheets
    assert (teams.sheet_kind, len(teams.rows), members.sheet_kind, len(members.rows)) == ("teams", 6, "members", 40)
    assert sum(r.values["is_ningbo"] for r in teams.rows) == 2
    assert sum(r.values["projects_in_progress"] for r in teams.rows) == 12
    assert teams.rows[0].values["recognised_year"] == 2012
    assert Counter(r.values["role"] for r in members.rows)["leader"] == 6
    leaders = {r.values["team_name"]: r.values["member_name"] for r in members.rows if r.values["role"] == "leader"}
    assert leaders == {r.values["team_name"]: r.values["leader_name"] for r in teams.rows}
    assert Counter(r.values["title"] for r in members.rows)["副研究员"] == 7


def test_annual_two_row_header_and_blank_ip_cells():
    book = read("annual_data_2016.xlsx")
    assert book.kind == "annual" and book.year == 2016 and not errors_of(book)
    sheet = book.sheets[0]
    assert sheet.header_row == 2 and sheet.title == "" and sheet.unmapped == []
    rows = sheet.rows
    assert len(rows) == 100 and rows[0].row == 3
    ip = ("invention_patents", "utility_patents", "design_patents", "software_copyrights")
    blank = [(r.row, f) for r in rows for f in ip if r.raw[f] is None]
    assert len(blank) == 25 and all(rows[n - 3].values[f] == 0 for n, f in blank)
    assert sorted({n for n, _f in blank}) == [11, 17, 18, 22, 23, 24, 35, 36, 43, 45, 48, 55, 56, 63, 71, 74,
                                              80, 82, 92, 93, 96, 99]
    total = lambda f: sum(r.values[f] for r in rows)  # noqa: E731
    assert total("revenue") == Decimal("1996953.54") and total("rd_expense") == Decimal("98338.06")
    assert total("high_tech_revenue") == Decimal("1372601.51")
    assert (total("employees"), total("tech_staff")) == (23504, 5003)
    assert [total(f) for f in ip] == [481, 1484, 595, 89]
    assert {r.values["year"] for r in rows} == {2016}


def test_gbk_csv_matches_the_workbook():
    book = read("firms_roster_gbk.csv")
    assert book.kind == "firms" and not errors_of(book)
    rows = book.sheets[0].rows
    assert len(rows) == 20 and book.sheets[0].header_row == 1 and rows[0].row == 2
    assert all(isinstance(v, str) for r in rows for v in r.raw.values() if v is not None)
    xlsx = {r.values["uscc"]: r.values for r in read("firms_roster_2016.xlsx").sheets[0].rows}
    for r in rows:
        assert r.values == xlsx[r.values["uscc"]]
    digits = [r.values["uscc"] for r in rows if r.values["uscc"].isdigit()]
    assert digits and all(len(code) == 18 for code in digits)


def test_dirty_roster_has_exactly_the_eight_expected_errors():
    book = read("firms_roster_dirty.xlsx")
    rows = book.sheets[0].rows
    assert len(rows) == 25 and not book.errors
    found = sorted((e["row"], e["column"], e["value"]) for e in errors_of(book))
    assert found == [
        (6, "统一社会信用代码", "91330201392122743T"),
        (9, "统一社会信用代码", "91330282742682653"),
        (12, "统一社会信用代码", "9133028207078578XK"),
        (15, "企业名称", ""),
        (18, "所在镇（街道）", "慈溪镇"),
        (21, "成立日期", "2031-06-18"),
        (24, "注册资本（万元）", "-500"),
        (27, "注册资本（万元）", "三百万"),
    ]
    reasons = {e["row"]: e["reason"] for e in errors_of(book)}
    assert "第18位" in reasons[6] and "18位" in reasons[9]
    assert reasons[12] == "与第5行的统一社会信用代码重复"
    assert reasons[15] == "企业名称不能为空"
    assert reasons[18] == "未知的镇（街道）：慈溪镇"
    assert reasons[21] == "成立日期 2031-06-18 晚于今天"
    assert reasons[24] == "注册资本不能为负数：-500"
    assert "不是数字" in reasons[27]
    assert sum(1 for r in rows if r.ok) == 17
    by_row = {r.row: r for r in rows}
    assert by_row[13].values["registered_capital"] == Decimal(3000)
    assert by_row[4].values["founded_on"] == date(1999, 4, 18)


def test_kind_can_be_forced_and_a_wrong_kind_finds_no_header():
    from registry.excel.types import FileRefused

    book = read("chuying_2016.xlsx", kind="名录")
    assert book.kind == "firms" and len(book.sheets[0].rows) == 20 and "kind" not in book.inferred
    with pytest.raises(FileRefused, match="未找到可识别的“年度数据”的表头"):
        read("firms_roster_2016.xlsx", kind="annual")
    with pytest.raises(FileRefused, match="未知的导入类型"):
        read("firms_roster_2016.xlsx", kind="spreadsheet")


def test_programme_and_year_can_be_forced():
    book = read("chuying_2016.xlsx", programme="瞪羚", year=2015)
    assert (book.programme, book.year) == ("gazelle", 2015)
    assert book.inferred["programme"] == "按指定：瞪羚企业" and book.inferred["year"] == "按指定：2015 年"
    assert {r.values["year"] for r in book.all_rows()} == {2015}


def test_without_reference_lists_every_town_is_taken_as_written():
    book = read_workbook((SAMPLES / "firms_roster_dirty.xlsx").read_bytes(), "x.xlsx", today=TODAY)
    assert [e.row for e in book.sheets[0].rows[14].errors] == []  # row 18: 慈溪镇 not checked
    assert book.sheets[0].rows[14].values["town"] == "慈溪镇"
