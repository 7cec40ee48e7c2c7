"""Cell parsers: every spelling the bureau's workbooks use, and every refusal's wording."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from registry.excel.values import (
    PARSERS, CellProblem, LegacyCode, build_parsers, cell_text, normalise_header, parse_bool,
    parse_count, parse_decimal, parse_int, parse_level, parse_phone, parse_programme, parse_role,
    parse_text, parse_uscc, parse_year, strip_unit,
)
from registry.excel.specs import SHEET_KINDS
from registry.firms.uscc import make_uscc

TOWNS = ["浒山街道", "白沙路街道", "古塘街道", "宗汉街道", "坎墩街道", "周巷镇", "观海卫镇", "逍林镇",
         "新浦镇", "胜山镇", "横河镇", "匡堰镇", "长河镇", "崇寿镇", "庵东镇", "桥头镇", "附海镇",
         "掌起镇", "龙山镇", "杭州湾新区"]
INDUSTRIES = ["智能家电", "高端机械基础件", "汽车及关键零部件", "智能装备", "新材料", "生命健康", "其他"]
TODAY = date(2016, 12, 31)
P = build_parsers(towns=TOWNS, industries=INDUSTRIES, today=TODAY)


def reason(parser, value, label="") -> str:
    with pytest.raises(CellProblem) as info:
        parser(value)
    return info.value.reason(label)


def test_every_parser_key_of_the_specs_exists():
    keys = {f.parser for kind in SHEET_KINDS.values() for f in kind.fields}
    assert keys <= set(PARSERS) and keys <= set(P)


@pytest.mark.parametrize("raw", [date(2009, 5, 12), datetime(2009, 5, 12, 0, 0), 39945, 39945.0,
                                 "2009.05.12", "2009.5.12", "2009年5月12日", "2009-5-12", "2009/5/12",
                                 " 2009-05-12 ", "２００９．０５．１２", "20090512", "2009-05-12 00:00:00",
                                 "2009 年 5 月 12 日"])
def test_dates_in_every_spelling(raw):
    assert P["date"](raw) == date(2009, 5, 12)


def test_future_and_nonsense_dates():
    assert reason(P["date"], date(2031, 6, 18), "成立日期") == "成立日期 2031-06-18 晚于今天"
    assert "不是有效的日期" in reason(P["date"], "2009.02.30", "成立日期")
    assert "不是可识别的日期" in reason(P["date"], "去年五月", "成立日期")
    assert P["date"]("  ") is None
    # "today" defaults to the real today: a date next century is always in the future
    assert "晚于今天" in reason(PARSERS["date"], "2099-01-01")


@pytest.mark.parametrize("raw, expected", [
    (200.0, Decimal(200)), (2380.5, Decimal("2380.5")), (68.8, Decimal("68.8")), (500, Decimal(500)),
    ("1,200", Decimal(1200)), ("12,000", Decimal(12000)), ("1200万元", Decimal(1200)),
    ("１２００", Decimal(1200)), ("1，200 万", Decimal(1200)), (" 3,000 ", Decimal(3000)),
    ("0", Decimal(0)), ("-", None), ("无", None),
])
def test_money(raw, expected):
    assert parse_decimal(raw) == expected


def test_money_refusals():
    assert reason(parse_decimal, -500, "注册资本") == "注册资本不能为负数：-500"
    assert reason(parse_decimal, "-500", "注册资本") == "注册资本不能为负数：-500"
    assert reason(parse_decimal, "三百万", "注册资本") == "注册资本“三百万”不是数字，请填写阿拉伯数字"
    assert "万元" in reason(parse_decimal, "1200元", "注册资本")
    assert "逻辑值" in reason(parse_decimal, True)


def test_whole_numbers_and_counts():
    assert parse_int(172.0) == 172 and parse_int("12人") == 12 and parse_int("1,024") == 1024
    assert "整数" in reason(parse_int, 12.5, "职工人数")
    assert reason(parse_int, -3, "职工人数") == "职工人数不能为负数：-3"
    assert parse_count(None) == 0 and parse_count("") == 0 and parse_count("  ") == 0
    assert parse_count(3.0) == 3 and parse_count("5件") == 5


@pytest.mark.parametrize("raw", [2016, 2016.0, "2016", "2016年", "2016年度", "２０１６", date(2016, 3, 1)])
def test_years(raw):
    assert parse_year(raw) == 2016


def test_year_refusals():
    assert "1950" in reason(parse_year, 1949, "年度")
    assert "2100" in reason(parse_year, "2101", "年度")
    assert "四位年份" in reason(parse_year, "十六年", "年度")
    assert "四位年份" in reason(parse_year, 2016.5, "年度")


@pytest.mark.parametrize("raw, expected", [
    ("是", True), ("否", False), ("√", True), ("×", False), ("Y", True), ("n", False), ("yes", True),
    ("NO", False), (1.0, True), (0, False), ("1", True), ("0", False), (True, True), (" 是 ", True),
    ("", None), ("  ", None),
])
def test_yes_no(raw, expected):
    assert parse_bool(raw) is expected


def test_yes_no_refusal():
    assert reason(parse_bool, "可能", "是否规上企业") == "是否规上企业应填“是”或“否”：可能"
    assert "是" in reason(parse_bool, 2.0)


def test_text_normalisation():
    assert parse_text("宁波 溯澜电器(慈溪)有限公司 ") == "宁波溯澜电器（慈溪）有限公司"
    assert parse_text("宁波溯澜电器（慈溪）有限公司") == "宁波溯澜电器（慈溪）有限公司"
    assert parse_text("\u3000潘\u3000萍燕") == "潘萍燕"
    assert parse_text("ABB   Motors  Ltd") == "ABB Motors Ltd"
    assert parse_text("ＡＢＣ１２３") == "ABC123"
    assert parse_text("第一行\n第二行") == "第一行第二行"
    assert parse_text(13812345678.0) == "13812345678"
    assert parse_text("   ") is None


def test_phone():
    assert parse_phone(13812345678.0) == "13812345678"
    assert parse_phone("0574-63123456") == "0574-63123456"
    assert parse_phone(" 138 1234 5678 ") == "138 1234 5678"
    assert "电话" in reason(parse_phone, "无人接听", "联系电话")


def test_towns_against_the_reference_list():
    town = P["town"]
    assert town("浒山街道") == "浒山街道"
    assert town(" 浒山 街道") == "浒山街道"
    assert town("浒山") == "浒山街道"  # unambiguous prefix
    assert town("周巷") == "周巷镇"
    assert town("慈溪市周巷镇") == "周巷镇"
    assert town("新区") == "杭州湾新区"
    assert reason(town, "慈溪镇") == "未知的镇（街道）：慈溪镇"
    assert reason(town, "宁波") == "未知的镇（街道）：宁波"
    # without a reference list any name is accepted as written (normalised)
    assert PARSERS["town"](" 慈溪镇 ") == "慈溪镇"


def test_ambiguous_town_is_an_error():
    town = build_parsers(towns=["东山镇", "东山街道"])["town"]
    assert "不明确" in reason(town, "东山")


def test_industries():
    industry = P["industry"]
    assert industry("智能家电") == "智能家电" and industry("其它") == "其他"
    assert industry("汽车零部件") == "汽车及关键零部件"
    assert reason(industry, "纺织服装") == "未知的产业：纺织服装"


def test_levels_roles_programmes():
    assert [parse_level(x) for x in ("国家级", "省级", "宁波市级", "市级", "慈溪市级", " 省 级 ")] == \
        ["national", "provincial", "ningbo", "cixi", "cixi", "provincial"]
    assert "未知的级别" in reason(parse_level, "区级")
    assert [parse_role(x) for x in ("带头人", "核心成员", "成员", "负责人")] == ["leader", "core", "member", "leader"]
    assert "角色" in reason(parse_role, "顾问")
    assert parse_programme("高新技术企业") == "high_tech"
    assert parse_programme("慈溪市创新型“雏鹰”企业") == "eaglet"
    assert parse_programme("科技型中小企业") == "tech_sme"
    assert parse_programme("宁波市创新型初创企业") == "nb_startup"
    assert "认定类别" in reason(parse_programme, "专精特新")


GOOD = make_uscc("91330282", "07078578")


def test_uscc_valid_and_normalised():
    assert parse_uscc(GOOD) == GOOD
    assert parse_uscc(" " + GOOD.lower() + " ") == GOOD
    assert parse_uscc("".join(chr(ord(c) + 0xFEE0) for c in GOOD)) == GOOD  # full-width
    assert parse_uscc("913302827538474177") == "913302827538474177"  # all digits, as text
    assert parse_uscc("") is None


def test_uscc_errors_carry_the_uscc_module_messages():
    assert "第18位" in reason(parse_uscc, "91330201392122743T")
    assert reason(parse_uscc, "91330282742682653") == "统一社会信用代码应为18位，实际为17位：91330282742682653"
    assert "第17位" in reason(parse_uscc, GOOD[:16] + "1" + GOOD[17])


@pytest.mark.parametrize("raw", [9.13302827E+17, 913302827538474177, 91330282753847417, 9133028275384740.0,
                                 "9.13302827E+17", "9.13302827538474E+17"])
def test_uscc_stored_as_a_number_is_never_guessed(raw):
    assert reason(parse_uscc, raw) == "统一社会信用代码被Excel存成了数字，已丢失末位数字，请将该列设为文本后重新填写"


def test_legacy_codes():
    org = GOOD[8:17]
    assert parse_uscc(org[:8] + "-" + org[8]) == LegacyCode("org_code", org)
    assert parse_uscc(org) == LegacyCode("org_code", org)
    assert str(parse_uscc(org)) == org and parse_uscc(org).label == "组织机构代码"
    assert parse_uscc("330282000012345") == LegacyCode("registration_no", "330282000012345")
    assert parse_uscc(330282000012345.0) == LegacyCode("registration_no", "330282000012345")
    bad_check = org[:8] + ("0" if org[8] != "0" else "1")
    assert "组织机构代码校验位错误" in reason(parse_uscc, bad_check)


def test_headers():
    assert normalise_header(" *企业\n名称 ") == "企业名称"
    assert normalise_header("注册资本（万元）") == "注册资本(万元)"
    assert strip_unit("注册资本(万元)") == "注册资本"
    assert strip_unit("在研项目(项)") == "在研项目"
    assert strip_unit("企业(单位)名称") == "企业(单位)名称"


def test_cell_text():
    assert cell_text(200.0) == "200" and cell_text(2380.5) == "2380.5" and cell_text(None) == ""
    assert cell_text(date(2009, 5, 12)) == "2009-05-12"
    assert cell_text(datetime(2009, 5, 12)) == "2009-05-12"
