"""Project and award figures of the statistics service on a constructed dataset, for each
zone and for an earlier year; the summary sentence; the dashboard's JSON carries them."""
from __future__ import annotations

from decimal import Decimal

import pytest

from registry.awards.models import Award
from registry.projects.models import Project
from registry.stats.services import compute
from registry.stats.summary import summary_text


@pytest.fixture
def data(make):
    A = make.firm("慈溪市统计甲电器有限公司", town="浒山街道")
    B = make.firm("慈溪市统计乙电器有限公司", town="周巷镇")
    C = make.firm("慈溪市统计丙电器有限公司", town="杭州湾新区")
    D = make.firm("慈溪市统计丁电器有限公司", town=None)

    def p(firm, level, role, start, end, status, funding=None, acceptance_year=None, n=[0]):
        n[0] += 1
        make.session.add(Project(firm=firm, name=f"统计项目{n[0]}", plan="计划", level=level, role=role,
                                 start_year=start, end_year=end, status=status, acceptance_year=acceptance_year,
                                 funding=None if funding is None else Decimal(funding)))

    p(A, "national", "lead", 2014, 2017, "in_progress", "100")                  # 1
    p(A, "national", "participant", 2012, 2014, "completed", "50", 2015)        # 2 closed 2015
    p(B, "national", "lead", 2011, 2016, "in_progress", "30")                   # 3 before the window
    p(C, "national", "lead", 2015, 2016, "completed", "20", 2016)               # 4
    p(C, "provincial", "lead", 2016, None, "in_progress")                       # 5
    p(D, "ningbo", "participant", 2013, 2014, "terminated")                     # 6
    p(B, "cixi", "lead", 2017, None, "in_progress", "9")                        # 7 after the year
    p(B, "national", "lead", 2016, None, "completed")                           # 8 closed, no year

    def a(firm, level, grade, year, rank, n=[0]):
        n[0] += 1
        make.session.add(Award(firm=firm, project_name=f"获奖{n[0]}", award="奖", level=level, grade=grade,
                               year=year, firm_rank=rank))

    a(A, "national", "second", 2014, 1)
    a(A, "provincial", "first", 2016, 2)
    a(C, "provincial", "third", 2012, 1)
    a(B, "ningbo", "first", 2016, 1)
    a(D, "cixi", "special", 2010, None)
    a(B, "national", "special", 2016, 3)
    make.session.commit()


def figures(undertaken, lead, in_progress, completed, running, funding):
    return {"undertaken_5y": undertaken, "lead_5y": lead, "in_progress": in_progress, "completed_5y": completed,
            "running": running, "funding_5y": funding}


ZERO = figures(0, 0, 0, 0, 0, 0.0)


def test_projects_for_each_zone(ctx, data):
    got = compute(2016)["projects"]
    assert got == {
        "window": {"from": 2012, "to": 2016},
        "national": figures(4, 3, 1, 3, 2, 170.0),
        "provincial": figures(1, 1, 1, 0, 1, 0.0),
        "ningbo": figures(1, 0, 0, 0, 0, 0.0),
        "cixi": ZERO,
        "total": figures(6, 4, 2, 3, 3, 170.0),
        "firms_5y": 4,
    }
    excl = compute(2016, "exclude-new-area")["projects"]
    assert excl["national"] == figures(3, 2, 1, 2, 2, 150.0)
    assert excl["provincial"] == ZERO and excl["ningbo"]["undertaken_5y"] == 1  # no town: not in the new area
    assert excl["firms_5y"] == 3
    new = compute(2016, "new-area")["projects"]
    assert new["national"] == figures(1, 1, 0, 1, 0, 20.0) and new["provincial"]["in_progress"] == 1
    assert new["firms_5y"] == 1 and new["ningbo"] == ZERO
    town = compute(2016, "浒山街道")["projects"]
    assert town["total"] == figures(2, 1, 1, 1, 1, 150.0) and town["firms_5y"] == 1


def test_an_earlier_year_counts_what_was_running_then(ctx, data):
    got = compute(2014)["projects"]
    assert got["window"] == {"from": 2010, "to": 2014}
    # project 2 was accepted in 2015, so it was still running at the end of 2014
    assert got["national"] == figures(3, 2, 3, 0, 3, 180.0)
    assert got["ningbo"] == figures(1, 0, 0, 0, 0, 0.0)  # terminated in 2014


def test_awards_for_each_zone(ctx, data):
    got = compute(2016)["awards"]
    assert got["window"] == {"from": 2012, "to": 2016}
    assert got["national"] == {"won_5y": 2, "in_year": 1, "first_rank_5y": 1, "cumulative": 2,
                               "by_grade_5y": {"special": 1, "first": 0, "second": 1, "third": 0}}
    assert got["provincial"] == {"won_5y": 2, "in_year": 1, "first_rank_5y": 1, "cumulative": 2,
                                 "by_grade_5y": {"special": 0, "first": 1, "second": 0, "third": 1}}
    assert got["cixi"]["won_5y"] == 0 and got["cixi"]["cumulative"] == 1
    assert {k: got["total"][k] for k in ("won_5y", "in_year", "first_rank_5y", "cumulative")} == {
        "won_5y": 5, "in_year": 3, "first_rank_5y": 3, "cumulative": 6}
    assert got["provincial_and_above_5y"] == 4
    assert compute(2016, "exclude-new-area")["awards"]["provincial_and_above_5y"] == 3
    assert compute(2016, "new-area")["awards"]["total"]["won_5y"] == 1
    assert compute(2016, "周巷镇")["awards"]["total"]["in_year"] == 2


def test_empty_registry_and_summary_sentence(ctx, make):
    empty = compute(2016)
    assert empty["projects"]["total"] == ZERO and empty["awards"]["provincial_and_above_5y"] == 0


def test_summary_sentence(ctx, data):
    text = summary_text(compute(2016))
    assert text.endswith("近五年（2012—2016年）累计承担国家科技计划项目4项（其中牵头3项），其中在研1项、结题3项；"
                         "承担省级科技计划项目1项、宁波市级1项、慈溪市级0项，共4家企业承担，获资助经费170.00万元；"
                         "近五年获得省级以上科技奖励4项（其中国家级2项，省级2项），当年获奖3项。")


def test_statistics_workbook_sheet(client, login, data):
    from io import BytesIO

    from openpyxl import load_workbook

    login("staff")
    wb = load_workbook(BytesIO(client.get("/stats/export?year=2016&zone=all").data))
    ws = wb["计划项目与奖励"]
    assert "科技计划项目与科技奖励" in ws["A1"].value
    rows = {r[0]: r[1:] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert rows["国家级"] == (4, 3, 1, 3, 2, 170, 2, 1, 1, 2)
    assert rows["合计"] == (6, 4, 2, 3, 3, 170, 5, 3, 3, 6)
    assert rows["承担项目企业（家）"][0] == 4 and rows["省级以上科技奖励（近五年，项）"][0] == 4
