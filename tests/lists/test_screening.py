"""Screening a constructed dataset: the exact outcome of every criterion, missing data included."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from registry.errors import ValidationError
from registry.extensions import db
from registry.lists.criteria import validate_params
from registry.lists.defaults import seed_default_criteria
from registry.lists.models import CriteriaSet
from registry.lists.screening import screen
from tests.lists.builders import annual, criteria


@pytest.fixture
def staff(make):
    return make.user("staff")


def outcomes(result):
    """firm name → (result, [status per criterion], [value per criterion])."""
    return {r.facts.name: (r.result, [o.status for o in r.outcomes], [o.value for o in r.outcomes])
            for r in result.rows}


def test_each_criterion_passes_fails_or_reports_missing_data(make, staff):
    s = make.session
    ok = make.firm("甲·全部符合", founded_on=date(2012, 3, 1))
    annual(s, ok, 2015, revenue=1000, rd_expense=50, employees=50, tech_staff=10, invention_patents=2)
    annual(s, ok, 2013, revenue=500)
    poor = make.firm("乙·研发不足", founded_on=date(2000, 1, 1))  # too old, R&D 1%, slow growth
    annual(s, poor, 2015, revenue=1000, rd_expense=10, employees=50, tech_staff=5, invention_patents=0)
    annual(s, poor, 2013, revenue=990)
    blank = make.firm("丙·缺数据", founded_on=None)  # nothing recorded at all
    half = make.firm("丁·部分缺失", founded_on=date(2014, 1, 1))
    annual(s, half, 2015, revenue=800, rd_expense=None, employees=None, tech_staff=5, invention_patents=1)
    unchecked = make.firm("戊·未审核", founded_on=date(2014, 1, 1))
    annual(s, unchecked, 2015, revenue=800, rd_expense=80, employees=10, tech_staff=5, status="submitted")
    make.firm("己·已注销", status="deregistered")
    cset = criteria(s, make.programme("eaglet"), 2016, [
        ("firm_age", {"min": 1, "max": 8}),
        ("revenue", {"min": 100, "max": 3000}),
        ("rd_intensity", {"min": 3}),
        ("revenue_growth", {"years": 2, "min": 15}),
        ("tech_staff_share", {"min": 10}),
        ("invention_patents", {"min": 1}),
    ])
    got = outcomes(screen(staff, cset))
    assert set(got) == {"甲·全部符合", "乙·研发不足", "丙·缺数据", "丁·部分缺失", "戊·未审核"}  # no deregistered firm
    assert got["甲·全部符合"][:2] == ("pass", ["pass"] * 6)
    assert got["甲·全部符合"][2][:3] == ["4年", "1,000.00万元", "5.00%"]
    assert got["乙·研发不足"][:2] == ("fail", ["fail", "pass", "fail", "fail", "pass", "fail"])
    assert got["丙·缺数据"][:2] == ("missing", ["missing"] * 6)
    # revenue known, R&D and staff missing, growth base year missing
    assert got["丁·部分缺失"][:2] == ("missing", ["pass", "pass", "missing", "missing", "missing", "pass"])
    # a figure nobody accepted is not used: all missing except the firm's own record (age)
    assert got["戊·未审核"][1] == ["pass", "missing", "missing", "missing", "missing", "missing"]
    order = [r.facts.name for r in screen(staff, cset).rows]
    assert order[0] == "甲·全部符合" and order[-1] == "乙·研发不足"  # closest first, failures last


def test_banded_ratios_holds_institutions_location_and_scale(make, staff):
    s = make.session
    small = make.firm("小·4.5%", above_scale=True)  # < 5000万: needs 5%
    annual(s, small, 2015, revenue=4000, rd_expense=180)
    mid = make.firm("中·4.5%", above_scale=False)  # 5000万–2亿: needs 4%
    annual(s, mid, 2015, revenue=10000, rd_expense=450)
    big = make.firm("大·3%", town="杭州湾新区")  # > 2亿: needs 3%
    annual(s, big, 2015, revenue=30000, rd_expense=900)
    make.recognition(mid, "high_tech", 2014, valid_from=date(2014, 10, 1), valid_until=date(2017, 9, 30))
    make.recognition(big, "high_tech", 2012, valid_from=date(2012, 10, 1), valid_until=date(2015, 9, 30))
    make.recognition(small, "eaglet", 2014)
    from registry.institutions.models import RdInstitution

    s.add(RdInstitution(firm=big, name="省级研究院", type="省级企业研究院", level="provincial"))
    s.add(RdInstitution(firm=mid, name="市级中心", type="企业工程（技术）中心", level="cixi"))
    s.flush()
    cset = criteria(s, make.programme("high_tech"), 2016, [
        ("rd_intensity", {"bands": [{"below": 5000, "min": 5}, {"below": 20000, "min": 4}, {"min": 3}]}),
        ("holds_programme", {"programme": "high_tech", "mode": "holds"}),
        ("holds_programme", {"programme": "eaglet", "mode": "held"}),
        ("rd_institution", {"level": "provincial"}),
        ("location", {"zone": "cixi"}),
        ("above_scale", {"value": True}),
    ])
    got = outcomes(screen(staff, cset))
    assert got["小·4.5%"][1] == ["fail", "fail", "pass", "fail", "pass", "pass"]
    assert got["中·4.5%"][1] == ["pass", "pass", "fail", "fail", "pass", "fail"]
    assert got["大·3%"][1] == ["pass", "fail", "fail", "pass", "fail", "fail"]  # 2012 certificate ended 2015


def test_rubric_with_mandatory_item_and_direct_admission(make, staff):
    s = make.session
    seed_default_criteria(staff, 2016)
    cset = s.query(CriteriaSet).filter_by(programme=make.programme("tech_sme"), year=2016).one()
    rich = make.firm("评分76")  # staff 25% → 16, R&D 4.5% → 30 (cost share 9% → 0), 1 invention → 30: 76
    annual(s, rich, 2015, revenue=2000, rd_expense=90, total_cost=1000, employees=40, tech_staff=10,
           invention_patents=1)
    no_staff = make.firm("科技人员零分")  # 5% staff → 0 points: fails however high the rest
    annual(s, no_staff, 2015, revenue=2000, rd_expense=200, total_cost=1000, employees=100, tech_staff=5,
           invention_patents=3)
    unknown_ip = make.firm("知识产权未填")  # 20 + 50 known = 70 ≥ 60: passes without the IP figures
    annual(s, unknown_ip, 2015, revenue=1000, rd_expense=100, total_cost=500, employees=10, tech_staff=4)
    open_case = make.firm("尚难判断")  # 4 + 10 known, 30 unknown: < 60 whatever IP → fail
    annual(s, open_case, 2015, revenue=1000, rd_expense=20, total_cost=900, employees=100, tech_staff=10)
    undecided = make.firm("待补数据")  # staff unknown (mandatory): missing, not fail
    annual(s, undecided, 2015, revenue=1000, rd_expense=100, total_cost=500, invention_patents=2)
    certified = make.firm("高企直通", founded_on=date(2010, 1, 1))  # no data at all, but a valid 高企
    make.recognition(certified, "high_tech", 2015, valid_from=date(2015, 11, 1), valid_until=date(2018, 10, 31))
    got = outcomes(screen(staff, cset))
    rubric = 2  # 职工总数, 年销售收入, 评分, 直通车×2
    assert got["评分76"][0] == "pass" and got["评分76"][2][rubric].startswith("76分")
    assert got["科技人员零分"][0] == "fail" and got["科技人员零分"][1][rubric] == "fail"
    assert got["知识产权未填"][1][rubric] == "pass"
    assert got["尚难判断"][1][rubric] == "fail"
    assert got["待补数据"][1][rubric] == "missing" and got["待补数据"][0] == "missing"
    assert got["高企直通"][0] == "direct" and got["高企直通"][1][3] == "pass"


def test_screening_loads_facts_in_a_fixed_number_of_queries(make, staff):
    s = make.session
    for i in range(30):
        firm = make.firm(f"批量{i}")
        annual(s, firm, 2015, revenue=1000 + i, rd_expense=40)
        annual(s, firm, 2013, revenue=500)
        make.recognition(firm, "eaglet", 2014)
    seed_default_criteria(staff, 2016)
    cset = s.query(CriteriaSet).filter_by(programme=make.programme("gazelle"), year=2016).one()
    s.expire_all()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        cset = s.get(CriteriaSet, cset.id)
        result = screen(staff, cset)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(result.rows) == 30
    assert len(statements) <= 8, statements


@pytest.mark.parametrize("kind, params, message", [
    ("revenue", {"min": 3000, "max": 100}, "大于上限"),
    ("firm_age", {"min": -1}, "不能为负数"),
    ("revenue", {}, "至少填写"),
    ("rd_intensity", {"min": 120}, "0%到100%"),
    ("tech_staff_share", {"min": "abc"}, "不是有效的数字"),
    ("revenue_growth", {"min": 10, "years": 0}, "1到10"),
    ("rd_intensity", {"bands": [{"below": 20000, "min": 4}, {"below": 5000, "min": 5}, {"min": 3}]}, "逐档递增"),
    ("holds_programme", {"programme": "nope"}, "认定类别"),
    ("location", {"towns": ["火星镇"]}, "未知的镇"),
    ("rubric", {"pass_mark": 120, "items": [{"label": "人员", "options": [
        {"metric": "tech_staff_share", "bands": [[10, 20]]}]}]}, "高于满分"),
    ("rubric", {"pass_mark": 10, "items": [{"label": "人员", "options": [
        {"metric": "tech_staff_share", "bands": [[20, 10], [10, 20]]}]}]}, "逐档递增"),
])
def test_impossible_criteria_are_refused_with_a_reason(kind, params, message):
    with pytest.raises(ValidationError, match=message):
        validate_params(kind, params, programme_codes={"eaglet"}, town_names={"浒山街道"})


def test_defaults_are_seeded_once_and_marked_as_defaults(make, staff):
    first = seed_default_criteria(staff, 2016)
    assert {c.programme.code for c in first} == {"eaglet", "gazelle", "lead_goose", "high_tech", "tech_sme"}
    assert all(c.is_default and "不是政策原文" in c.note for c in first)
    assert seed_default_criteria(staff, 2016) == []  # idempotent
    high_tech = next(c for c in first if c.programme.code == "high_tech")
    kinds = {c.kind: c.params for c in high_tech.criteria}
    assert kinds["rd_intensity"]["bands"] == [{"below": 5000, "min": 5}, {"below": 20000, "min": 4}, {"min": 3}]
    assert kinds["high_tech_revenue_share"] == {"min": 60} and kinds["tech_staff_share"] == {"min": 10}
    for cset in first:  # every default passes the same validation an admin's edit does
        for c in cset.criteria:
            validate_params(c.kind, c.params, programme_codes={"eaglet", "gazelle", "lead_goose", "high_tech",
                                                               "tech_sme"}, town_names=set())


def test_the_seed_command_loads_the_defaults_once(app, ctx):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lists", "seed-criteria", "2016"])
    assert first.exit_code == 0 and "已载入5个类别" in first.output
    again = runner.invoke(args=["lists", "seed-criteria", "2016"])
    assert "已载入0个类别" in again.output
    assert ctx.query(CriteriaSet).filter_by(year=2016).count() == 5
