"""The demo dataset: reproducible, valid codes, and internally consistent like real data."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from registry.demo.services import database_is_empty, load_demo
from registry.extensions import db
from registry.firms.models import AnnualData, Firm, FirmName
from registry.firms.uscc import is_valid_uscc
from registry.institutions.models import RdInstitution
from registry.lists.models import TierList
from registry.recognitions.models import Programme, Recognition
from registry.teams.models import Team
from registry.teams.titles import title_grade
from registry.vocab import LEVEL_RANK

LADDER = ("eaglet", "gazelle", "lead_goose")


@pytest.fixture
def demo(ctx):
    """The default dataset, flushed (not committed) into the test's session."""
    return load_demo()


def _fingerprint(session):
    firms = session.execute(select(Firm.uscc, Firm.name, Firm.founded_on).order_by(Firm.uscc)).all()
    certs = session.scalars(select(Recognition.certificate_no)
                            .where(Recognition.certificate_no.is_not(None))
                            .order_by(Recognition.certificate_no)).all()
    return firms, certs


def _held(session, code):
    """firm id -> years the firm was recognised under programme ``code``."""
    rows = session.execute(select(Recognition.firm_id, Recognition.year).join(Programme)
                           .where(Programme.code == code)).all()
    held = {}
    for firm_id, year in rows:
        held.setdefault(firm_id, []).append(year)
    return held


def test_same_seed_same_data_other_seed_other_data(ctx):
    assert database_is_empty()
    first = load_demo(seed=2016)
    fingerprint = _fingerprint(ctx)
    ctx.rollback()
    assert database_is_empty()
    assert load_demo(seed=2016) == first
    assert _fingerprint(ctx) == fingerprint
    ctx.rollback()
    load_demo(seed=7)
    other = _fingerprint(ctx)
    assert {u for u, _, _ in other[0]} != {u for u, _, _ in fingerprint[0]}


def test_appending_never_repeats_unique_values(ctx, demo):
    """``flask demo --force`` loads a second dataset next to the first without clashes."""
    again = load_demo(seed=2016)
    assert again["企业"] == demo["企业"] and again["发布名单"] == 0  # the 2016 lists exist
    firms = ctx.scalars(select(Firm)).all()
    assert len(firms) == 2 * demo["企业"]
    assert len({f.uscc for f in firms}) == len(firms) and all(is_valid_uscc(f.uscc) for f in firms)
    names = [f.name for f in firms] + list(ctx.scalars(select(FirmName.name)))
    assert len(set(names)) == len(names)
    numbers = ctx.execute(select(Recognition.programme_id, Recognition.certificate_no)
                          .where(Recognition.certificate_no.is_not(None))).all()
    assert len(set(numbers)) == len(numbers)
    assert ctx.scalar(select(func.count(TierList.id))) == 3


def test_firms_codes_and_names(ctx, demo):
    firms = ctx.scalars(select(Firm)).all()
    assert demo["企业"] == len(firms)
    assert 380 <= len(firms) <= 420
    codes = [f.uscc for f in firms]
    assert all(is_valid_uscc(c) for c in codes)
    assert len(set(codes)) == len(codes)
    prefixes = Counter(c[:8] for c in codes)
    assert set(prefixes) <= {"91330282", "91330201"} and prefixes["91330282"] > 0.85 * len(firms)
    reformed = [f for f in firms if f.uscc[8:12] == "MA28"]
    assert reformed and all(f.founded_on >= date(2015, 10, 1) for f in reformed)
    assert all(f.uscc[8:12] == "MA28" for f in firms if f.founded_on >= date(2015, 10, 1))

    names = [f.name for f in firms]
    assert len(set(names)) == len(names)
    former = ctx.scalars(select(FirmName)).all()
    assert 5 <= len(former) <= 20 and not {n.name for n in former} & set(names)
    assert all(n.changed_on and n.firm.founded_on < n.changed_on <= date(2016, 12, 31) for n in former)

    new_area = sum(f.town.zone == "new_area" for f in firms)
    assert 0.07 * len(firms) <= new_area <= 0.13 * len(firms)
    assert len({f.town_id for f in firms}) == 20 and len({f.industry_id for f in firms}) == 7
    assert 0.38 * len(firms) <= sum(f.above_scale for f in firms) <= 0.52 * len(firms)
    statuses = Counter(f.status for f in firms)
    assert statuses["deregistered"] >= 2 and statuses["moved_out"] >= 2
    assert all(f.status_changed_on for f in firms if f.status != "active")
    assert all(f.registered_capital > 0 and f.legal_representative and f.phone for f in firms)
    assert all(f.founded_on <= date(2016, 12, 31) for f in firms)


def test_annual_data_constraints(ctx, demo):
    rows = ctx.scalars(select(AnnualData)).all()
    assert demo["年度数据"] == len(rows) >= 1500
    assert {r.year for r in rows} == set(range(2011, 2017))
    assert all(r.status == "accepted" for r in rows)
    for r in rows:
        assert r.tech_staff <= r.employees and r.rd_staff <= r.tech_staff
        assert r.rd_expense <= r.revenue and r.high_tech_revenue <= r.revenue
        assert Decimal("1") <= r.rd_intensity <= Decimal("8"), (r.firm.name, r.year, r.rd_intensity)
        assert r.firm.founded_on.year <= r.year
    # In the years a 高企 certificate covers, 高新技术产品收入 is at least 60% of revenue.
    certified = {(r.firm_id, y) for r in ctx.scalars(select(Recognition).join(Programme)
                                                      .where(Programme.code == "high_tech",
                                                             Recognition.status == "valid"))
                 for y in range(r.year, r.year + 3)}
    checked = [r for r in rows if (r.firm_id, r.year) in certified]
    assert len(checked) > 200
    assert all(r.high_tech_revenue >= r.revenue * Decimal("0.6") for r in checked)
    # 规上 follows the last year's revenue (营业收入 ≥ 2000 万元).
    last = {r.firm_id: r.revenue for r in rows if r.year == 2016}
    assert all((last[f.id] >= 2000) == f.above_scale
               for f in ctx.scalars(select(Firm)) if f.id in last)
    # A firm that left has no data after it left; most firms report every year.
    assert all(r.year < r.firm.status_changed_on.year for r in rows if r.firm.status != "active")
    assert len({r.firm_id for r in rows}) > 0.9 * demo["企业"]


def test_high_tech_certificates(ctx, demo):
    certs = ctx.scalars(select(Recognition).join(Programme).where(Programme.code == "high_tech")).all()
    numbers = [c.certificate_no for c in certs]
    assert len(set(numbers)) == len(numbers) >= 100
    for c in certs:
        match = re.fullmatch(r"GR(\d{4})3310\d{4}", c.certificate_no)
        assert match and int(match.group(1)) == c.year
        assert c.valid_from == c.issued_on and c.issued_on.year == c.year
        assert c.valid_until == date(c.year + 3, c.issued_on.month, c.issued_on.day) - timedelta(days=1)
        assert c.batch in ("第一批", "第二批") and c.document_no
        assert c.firm.founded_on.year < c.year
    years = _held(ctx, "high_tech")
    renewed = [ys for ys in years.values() if len(ys) > 1]
    assert len(renewed) >= 20
    assert all(b - a == 3 for ys in renewed for a, b in zip(sorted(ys), sorted(ys)[1:]))
    revoked = [c for c in certs if c.status == "revoked"]
    assert 1 <= len(revoked) <= 3
    assert all(c.revoke_reason and c.valid_from < c.revoked_on <= c.valid_until for c in revoked)
    all_numbers = ctx.execute(select(Recognition.programme_id, Recognition.certificate_no)
                              .where(Recognition.certificate_no.is_not(None))).all()
    assert len(set(all_numbers)) == len(all_numbers)


def test_programmes_and_ladder(ctx, demo):
    per_programme = dict(ctx.execute(select(Programme.code, func.count(Recognition.id))
                                     .join(Recognition).group_by(Programme.code)).all())
    assert sum(per_programme.values()) == demo["认定记录"]
    assert per_programme["tech_sme"] >= 100 and per_programme["nb_startup"] >= 30
    eaglets, gazelles, geese = (_held(ctx, code) for code in LADDER)
    assert 40 <= len(eaglets) <= 90 and 15 <= len(gazelles) <= 35 and 3 <= len(geese) <= 8
    assert all(len(years) == 1 for held in (eaglets, gazelles, geese) for years in held.values())
    # The ladder is a path: most 瞪羚 were 雏鹰 in an earlier year.
    climbed = [f for f, (year,) in gazelles.items() if f in eaglets and eaglets[f][0] < year]
    assert len(climbed) >= 0.7 * len(gazelles)
    # 雏鹰 are young, 宁波初创 younger still.
    for code, max_age in (("eaglet", 8), ("nb_startup", 5)):
        for rec in ctx.scalars(select(Recognition).join(Programme).where(Programme.code == code)):
            assert 1 <= rec.year - rec.firm.founded_on.year <= max_age


def test_published_tier_lists(ctx, demo):
    lists = ctx.scalars(select(TierList)).all()
    assert sorted(t.programme.code for t in lists) == sorted(LADDER)
    for tier_list in lists:
        assert tier_list.status == "published" and tier_list.year == 2016 and tier_list.published_at
        assert tier_list.notice_from < tier_list.notice_until < tier_list.published_at.date()
        recs = ctx.scalars(select(Recognition).where(Recognition.programme_id == tier_list.programme_id,
                                                     Recognition.year == 2016)).all()
        assert recs and all(r.tier_list_id == tier_list.id for r in recs)
        assert all(r.document_no == tier_list.document_no for r in recs)
        assert sorted(e.firm_id for e in tier_list.entries) == sorted(r.firm_id for r in recs)
        assert [e.seq for e in tier_list.entries] == list(range(1, len(recs) + 1))
        for e in tier_list.entries:
            assert (e.firm_name, e.uscc, e.town_name, e.industry_name) == (
                e.firm.name, e.firm.uscc, e.firm.town.name, e.firm.industry.name)
    assert demo["名单企业"] == sum(len(t.entries) for t in lists)


def test_rd_institutions_and_promotions(ctx, demo):
    institutions = ctx.scalars(select(RdInstitution)).all()
    assert demo["研发机构"] == len(institutions) and 90 <= len(institutions) <= 110
    levels = Counter(i.level for i in institutions)
    assert levels["national"] == 2 and 12 <= levels["provincial"] <= 18 and 25 <= levels["ningbo"] <= 35
    assert len({i.name for i in institutions}) == len(institutions)
    promoted = 0
    for inst in institutions:
        changes = inst.level_changes
        first, last = changes[0], changes[-1]
        assert first.kind == "initial" and first.from_level is None
        assert inst.level == last.to_level
        assert inst.recognised_year == last.year and inst.first_recognised_year == first.year
        assert inst.document_no == last.document_no
        assert re.fullmatch(r".+〔\d{4}〕\d+号", last.document_no)
        for before, after in zip(changes, changes[1:]):
            assert after.kind == "promotion" and after.from_level == before.to_level
            assert LEVEL_RANK[after.to_level] == LEVEL_RANK[after.from_level] - 1
            assert after.year > before.year
            promoted += 1
        assert inst.firm.founded_on.year < first.year
    assert promoted >= 15
    assert all(i.type == "企业技术中心" for i in institutions if i.level == "national")
    assert all(i.type == "企业工程（技术）中心" for i in institutions if i.level == "cixi")


def test_teams_members_and_evaluations(ctx, demo):
    teams = ctx.scalars(select(Team)).all()
    assert demo["科技创新团队"] == len(teams) and 18 <= len(teams) <= 24
    ningbo = [t for t in teams if t.ningbo_year]
    assert 4 <= len(ningbo) <= 6 and all(t.level == "ningbo" for t in ningbo)
    assert all(t.level == "cixi" for t in teams if not t.ningbo_year)
    assert sum(len(t.members) for t in teams) == demo["团队成员"]
    for team in teams:
        assert 5 <= len(team.members) <= 9
        leaders = [m for m in team.members if m.role == "leader"]
        assert len(leaders) == 1 and leaders[0].name == team.leader_name
        assert all(m.title_grade == title_grade(m.title) for m in team.members)
        results = [e.result for e in team.evaluations]
        assert [e.year for e in team.evaluations] == list(
            range(team.recognised_year + 1, (team.exit_year or 2016) + 1))
        if team.status == "exit":
            assert results[-1] == "fail" and "fail" not in results[:-1] and team.exit_reason
        else:
            assert "fail" not in results and team.exit_year is None
    assert 1 <= sum(t.status == "exit" for t in teams) <= 2
    grades = Counter(m.title_grade for t in teams for m in t.members)
    assert grades["senior"] and grades["associate"] and grades["intermediate"] and grades["junior"]


def test_cli_loads_once_then_refuses_or_skips(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "演示数据已加载" in result.output
    with app.app_context():
        firms = db.session.scalar(select(func.count(Firm.id)))
    assert firms >= 380

    again = runner.invoke(args=["demo"])
    assert again.exit_code != 0 and "--force" in again.output
    skipped = runner.invoke(args=["demo", "--if-empty"])
    assert skipped.exit_code == 0 and "跳过" in skipped.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Firm.id))) == firms

    forced = runner.invoke(args=["demo", "--force", "--seed", "7"])
    assert forced.exit_code == 0, forced.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Firm.id))) == 2 * firms
