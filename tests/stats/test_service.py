"""The statistics service on a constructed history: every figure, for each zone, exactly."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from registry.errors import ValidationError
from registry.recognitions.models import Programme, Recognition
from registry.stats.services import compute, parse_year, parse_zone
from registry.stats.trends import ladder, trends
from tests.stats import history


@pytest.fixture
def built(make):
    return history.build(make)


def _names(session) -> dict:
    return {p.code: p.short_name for p in session.scalars(select(Programme))}


def _programmes(session, by_code: dict) -> dict:
    names = _names(session)
    return {names[code]: dict(zip(("recognized", "cumulative", "valid"), v))
            for code, v in by_code.items()}


@pytest.mark.parametrize("zone", list(history.EXPECTED_2016))
def test_every_figure_for_2016(ctx, built, zone):
    expected = history.EXPECTED_2016[zone]
    got = compute(2016, zone)
    assert got["year"] == 2016 and got["zone"] == zone
    assert got["programmes"] == _programmes(ctx, expected["programmes"])
    assert got["high_tech_valid_by_year"] == expected["high_tech_valid_by_year"]
    assert got["rd_institutions"] == expected["rd_institutions"]
    assert got["rd_institution_rate"] == expected["rd_institution_rate"]
    assert got["teams"] == expected["teams"]


def test_json_shape_is_the_documented_one(ctx, built):
    got = compute(2016)
    assert list(got)[:9] == ["year", "zone", "programmes", "high_tech_valid_by_year", "rd_institutions",
                             "rd_institution_rate", "teams", "by_town", "by_industry"]
    assert {"projects", "awards"} <= set(got)  # the innovation archive's keys follow (issue #8)
    assert list(got["rd_institutions"]) == ["国家级", "省级", "宁波市级", "慈溪市级", "total"]
    assert list(got["teams"]) == ["cumulative", "active", "ningbo_level", "members",
                                  "senior_members", "zhenggao", "fugao", "projects_in_progress"]
    part = got["by_town"]["浒山街道"]
    assert set(part) == {"programmes", "high_tech_valid_by_year", "rd_institutions",
                         "rd_institution_rate", "teams"}


def test_breakdowns_add_up_and_name_each_town_and_industry(ctx, built):
    got = compute(2016)
    names = _names(ctx)
    ht = names["high_tech"]
    town = {t: p["programmes"][ht]["valid"] for t, p in got["by_town"].items() if
            p["programmes"][ht]["valid"]}
    assert town == {"浒山街道": 1, "周巷镇": 1, "杭州湾新区": 2, "未填写": 1}
    assert got["by_town"]["浒山街道"]["rd_institutions"]["total"] == 3  # I1, I2 (A) and I5 (D)
    assert got["by_town"]["周巷镇"]["rd_institution_rate"] == 0.0  # B's institution was revoked
    assert got["by_town"]["杭州湾新区"]["teams"]["members"] == 3
    assert len(got["by_town"]) == 21  # 19 towns, 杭州湾新区 and the firm without a town
    industry = got["by_industry"]
    assert industry["智能家电"]["programmes"][ht] == {"recognized": 1, "cumulative": 3, "valid": 3}
    assert industry["新材料"]["programmes"][ht] == {"recognized": 2, "cumulative": 3, "valid": 2}
    assert industry["新材料"]["teams"]["cumulative"] == 2
    for key in ("rd_institutions", "teams"):
        for field, total in got[key].items():
            assert sum(p[key][field] for p in got["by_town"].values()) == total
            assert sum(p[key][field] for p in got["by_industry"].values()) == total
    for year, total in got["high_tech_valid_by_year"].items():
        assert sum(p["high_tech_valid_by_year"][year] for p in got["by_town"].values()) == total


def test_zones_cover_the_right_towns(ctx, built):
    assert set(compute(2016, "new-area")["by_town"]) == {"杭州湾新区"}
    excl = compute(2016, "exclude-new-area")["by_town"]
    assert "杭州湾新区" not in excl and "未填写" in excl
    one = compute(2016, "浒山街道")
    assert one["zone"] == "浒山街道" and list(one["by_town"]) == ["浒山街道"]
    ht = _names(ctx)["high_tech"]
    assert one["programmes"][ht] == {"recognized": 1, "cumulative": 2, "valid": 1}  # A; D revoked
    assert one["teams"]["cumulative"] == 2
    assert compute(2016, "hushan") == one  # a town's code works as well as its name


def test_an_earlier_year_uses_the_level_and_team_state_of_that_year(ctx, built):
    got = compute(2014)
    # I1 宁波 (promoted 2013), I2 宁波, I3 慈溪 (revoked only in 2015), I4 省级; I5/I6 not yet
    assert got["rd_institutions"] == {"国家级": 0, "省级": 1, "宁波市级": 2, "慈溪市级": 1, "total": 4}
    # T1, T2 and T3 (exits in 2015); T1's 宁波 selection comes in 2015; the member who left
    # in 2014 is no longer counted
    assert got["teams"] == {"cumulative": 3, "active": 3, "ningbo_level": 0, "members": 9,
                            "senior_members": 6, "zhenggao": 3, "fugao": 3, "projects_in_progress": 5}
    # 规上 A, B, C, F and G (deregistered only in 2015): hosts A, B (I3 still open), C
    assert got["rd_institution_rate"] == 0.6
    assert list(got["high_tech_valid_by_year"]) == [str(y) for y in range(2008, 2015)]


def test_sql_validity_agrees_with_the_per_row_rule(ctx, built):
    """Recognition.is_valid_on states the rule for one row; the SQL must give the same."""
    recs = ctx.scalars(select(Recognition)).all()
    names = _names(ctx)
    for year in range(2007, 2019):
        got = compute(year)["programmes"]
        day = date(year, 12, 31)
        for code, name in names.items():
            by_rule = {r.firm_id for r in recs if r.programme.code == code and r.is_valid_on(day)}
            assert got[name]["valid"] == len(by_rule), (year, code)
    # the year series take another road (a span of year-ends per row): same answers
    series = trends(2018)
    for i, year in enumerate(series["years"]):
        day = date(year, 12, 31)
        for code, name in names.items():
            by_rule = {r.firm_id for r in recs if r.programme.code == code and r.is_valid_on(day)}
            assert series["valid"][name][i] == len(by_rule), (year, code)
            recognised = {r.firm_id for r in recs if r.programme.code == code and r.year == year}
            assert series["recognized"][name][i] == len(recognised), (year, code)


def test_trend_lines_across_both_bit_columns(ctx, built):
    """From 2011 to 2070 is 60 years, past 2051 where a holding's second bit column
    starts: the lines still follow the per-row rule everywhere."""
    recs = ctx.scalars(select(Recognition)).all()
    names = _names(ctx)
    series = trends(2070, "all")
    assert series["years"] == list(range(2011, 2071))
    for i, year in enumerate(series["years"]):
        day = date(year, 12, 31)
        for code, name in names.items():
            valid = {r.firm_id for r in recs if r.programme.code == code and r.is_valid_on(day)}
            recognised = {r.firm_id for r in recs if r.programme.code == code and r.year == year}
            assert (series["valid"][name][i], series["recognized"][name][i]) == \
                (len(valid), len(recognised)), (year, code)


def test_a_year_without_data_gives_zeros(ctx, built):
    got = compute(1995)
    assert all(v == {"recognized": 0, "cumulative": 0, "valid": 0} for v in got["programmes"].values())
    assert got["high_tech_valid_by_year"] == {"1995": 0}
    assert got["rd_institutions"]["total"] == 0 and got["rd_institution_rate"] == 0.0
    assert set(got["teams"].values()) == {0}


def test_an_empty_registry_gives_zeros(ctx):
    got = compute(2016, "exclude-new-area")
    assert got["high_tech_valid_by_year"] == {"2016": 0}
    assert got["rd_institution_rate"] == 0.0


@pytest.mark.parametrize("value", ["1989", "2101", "abc", "", None, "20.5"])
def test_years_outside_1990_2100_are_refused(ctx, value):
    with pytest.raises(ValidationError) as err:
        parse_year(value)
    assert "年份" in err.value.message


@pytest.mark.parametrize("value", ["火星镇", "exclude", "nowhere", "ALL"])
def test_unknown_zones_and_towns_are_refused(ctx, value):
    with pytest.raises(ValidationError) as err:
        parse_zone(value)
    assert "未知的区域或镇（街道）" in err.value.message


def test_trends_and_ladder_for_the_dashboard(ctx, built):
    names = _names(ctx)
    t = trends(2016, "all")
    assert t["years"] == list(range(2011, 2017))
    assert t["valid"][names["high_tech"]] == [3, 3, 3, 3, 3, 5]
    assert t["recognized"][names["high_tech"]] == [1, 1, 1, 2, 2, 3]
    assert t["institutions"] == [2, 3, 3, 4, 4, 5]  # I7 closed: never; I3 gone in 2015
    assert t["teams"] == [0, 1, 2, 3, 3, 4]
    assert trends(2016, "new-area")["valid"][names["high_tech"]] == [0, 1, 1, 2, 2, 2]
    rungs = ladder(2016, "all")
    assert [(r["name"], r["firms"], r["from_below"]) for r in rungs] == [
        (names["eaglet"], 1, 0), (names["gazelle"], 1, 1), (names["lead_goose"], 1, 0)]
    assert [r["firms"] for r in ladder(2016, "new-area")] == [0, 0, 0]


def test_overlapping_spans_of_one_firm_count_once(ctx, built):
    """E holds two overlapping 高企 certificates (2014 and 2015, three years each): its
    holding ORs their years (2014-2017 in force), and E counts once a year, not twice."""
    from registry.recognitions.holdings import BASE_YEAR, join
    from registry.recognitions.models import ProgrammeHolding

    high_tech = ctx.scalar(select(Programme.id).where(Programme.code == "high_tech"))
    row = ctx.get(ProgrammeHolding, (built["E"].id, high_tech))
    valid = join(row.valid_bits, row.valid_late)
    assert {BASE_YEAR + i for i in range(valid.bit_length()) if valid >> i & 1} == {2014, 2015, 2016, 2017}
    assert row.first_year == 2014
    got = compute(2016, "new-area")
    assert got["high_tech_valid_by_year"] == history.EXPECTED_2016["new-area"]["high_tech_valid_by_year"]


def test_a_history_across_both_bit_columns(ctx, make):
    """高企 since 1990 asked in 2100: 111 year-ends, more than one BIGINT column holds
    (1990-2051 and 2052-2113): the years after 2051 come from the second."""
    from registry.recognitions.models import ProgrammeHolding

    firm = make.firm("慈溪市长寿电器有限公司", town="浒山街道", industry="智能家电")
    make.recognition(firm, "high_tech", 1990)  # in force 1990-1992
    make.recognition(firm, "high_tech", 2099)  # in force 2099-2101
    got = compute(2100)["high_tech_valid_by_year"]
    assert len(got) == 111
    row = ctx.scalars(select(ProgrammeHolding).where(ProgrammeHolding.firm_id == firm.id)).one()
    assert row.valid_bits == 0b111 and row.valid_late == 0b111 << (2099 - 2052)
    assert {y for y, n in got.items() if n} == {"1990", "1991", "1992", "2099", "2100"}
    assert all(n in (0, 1) for n in got.values())
