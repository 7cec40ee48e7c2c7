"""Ladder movement from a constructed history; 高企 expiry, missing 年报, certificate numbers."""
from __future__ import annotations

from datetime import date

import pytest

from registry.errors import ConflictError, ValidationError
from registry.lists.certificates import certificate_problem, validate_certificate_no
from registry.lists.ladder import expiring_high_tech, ladder_movement, missing_reports, record_report


@pytest.fixture
def staff(make):
    return make.user("staff")


def rung(make, firm, code, year, **kw):
    return make.recognition(firm, code, year, valid_from=date(year, 1, 1), valid_until=date(year + 2, 12, 31), **kw)


def test_movement_counts_match_a_constructed_history(make, staff):
    f = {n: make.firm(f"梯队{n}") for n in range(1, 10)}
    rung(make, f[1], "eaglet", 2016)                                     # new 雏鹰
    rung(make, f[2], "eaglet", 2014), rung(make, f[2], "gazelle", 2016)  # 雏鹰 → 瞪羚
    rung(make, f[3], "gazelle", 2016)                                    # 瞪羚 directly
    rung(make, f[4], "gazelle", 2014), rung(make, f[4], "lead_goose", 2016)  # 瞪羚 → 头雁
    rung(make, f[5], "lead_goose", 2016)                                 # 头雁 directly
    rung(make, f[6], "eaglet", 2013)                                     # ran out at the end of 2015: exit
    rung(make, f[7], "eaglet", 2014)                                     # still a 雏鹰 in 2016: no move
    rung(make, f[8], "gazelle", 2015, status="revoked", revoked_on=date(2015, 6, 30))  # revoked: exit
    rung(make, f[9], "eaglet", 2013), rung(make, f[9], "eaglet", 2016)   # recognised again at the same rung
    ladder = ladder_movement(staff, 2016)
    assert ladder.counts == {"new_eaglet": 1, "eaglet_to_gazelle": 1, "direct_gazelle": 1, "gazelle_to_lead": 1,
                             "direct_lead": 1, "renewed": 1, "exit": 2}
    assert {m.firm.name for m in ladder.of("exit")} == {"梯队6", "梯队8"}
    move = ladder.of("eaglet_to_gazelle")[0]
    assert (move.firm.name, move.before, move.after) == ("梯队2", "雏鹰企业", "瞪羚企业")
    # 2015: f6's 2013 雏鹰 still held; f8 became a 瞪羚 directly
    earlier = ladder_movement(staff, 2015).counts
    assert earlier["direct_gazelle"] == 1 and earlier["exit"] == 0


def test_a_town_officer_sees_the_movement_of_their_towns(make):
    rung(make, make.firm("本镇", town="周巷镇"), "eaglet", 2016)
    rung(make, make.firm("外镇", town="龙山镇"), "eaglet", 2016)
    officer = make.user("town", towns=["周巷镇"])
    assert [m.firm.name for m in ladder_movement(officer, 2016).moves] == ["本镇"]


def ht(make, firm, year, number=None, **kw):
    return make.recognition(firm, "high_tech", year, certificate_no=number or f"GR{year}3310{firm.id % 10000:04d}",
                            valid_from=date(year, 11, 1), valid_until=date(year + 3, 10, 31), **kw)


def test_expiring_certificates_and_their_numbers(make, staff):
    a, b, c, d, e = (make.firm(f"高企{x}") for x in "ABCDE")
    ht(make, a, 2014)
    ht(make, b, 2014, number="GR201533100099")  # the year in the number is wrong
    ht(make, c, 2015)  # runs until 2018
    ht(make, d, 2014, status="revoked", revoked_on=date(2015, 8, 1))
    ht(make, e, 2011), ht(make, e, 2014, number="GR2014331")  # renewed once; the latest is malformed
    got = {x.firm.name: x.problem for x in expiring_high_tech(staff, 2016)}
    assert set(got) == {"高企A", "高企B", "高企E"}
    assert got["高企A"] is None
    assert "年份2015与认定年度2014不一致" in got["高企B"]
    assert "格式不符" in got["高企E"]


def test_missing_annual_reports(make, staff):
    a, b, c, d = (make.firm(f"年报{x}") for x in "ABCD")
    ht(make, a, 2014)
    ht(make, b, 2014)
    ht(make, c, 2015)
    ht(make, d, 2014, status="revoked", revoked_on=date(2015, 8, 1))
    record_report(staff, b, 2016, date(2017, 5, 20))
    record_report(staff, c, 2015, date(2016, 5, 30))
    with pytest.raises(ConflictError, match="已登记"):
        record_report(staff, b, 2016, None)
    with pytest.raises(ValidationError, match="早于"):
        record_report(staff, a, 2016, date(2015, 1, 1))
    got = {m.firm.name: m.missed_before for m in missing_reports(staff, 2016)}
    assert got == {"年报A": True, "年报C": False}


@pytest.mark.parametrize("number, year, problem", [
    ("GR201633100123", 2016, None),
    (" gr2016 3310 0123 ", 2016, None),
    ("ＧＲ201633100123", 2016, None),
    ("GR20163310012", 2016, "格式不符"),
    ("GB201633100123", 2016, "格式不符"),
    ("GR201633100123", 2015, "不一致"),
    ("", 2016, "为空"),
])
def test_certificate_number_format(number, year, problem):
    found = certificate_problem(number, year)
    if problem is None:
        assert found is None
        assert validate_certificate_no(number, year) == "GR201633100123"
    else:
        assert problem in found
        with pytest.raises(ValidationError):
            validate_certificate_no(number, year)
