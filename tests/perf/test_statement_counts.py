"""No N+1: the main pages issue a fixed, small number of SQL statements, whatever they show.

Each page is rendered twice — over a few rows and over many (a full list page, a firm
with one and with twenty of everything) — while an engine ``before_cursor_execute``
listener counts the statements. The two counts must be equal (a per-row query would
make the second larger) and at most the page's budget. Times are never asserted here;
``bench/pages.py`` measures them.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event

from registry.audit.models import AuditLog
from registry.extensions import db
from registry.firms.models import AnnualData, FirmName
from registry.institutions.models import RdInstitution, RdLevelChange
from registry.lists.models import TierList, TierListEntry
from registry.teams.models import Team, TeamEvaluation, TeamMember

#: Statement budgets per page (login and session checks included), measured on 2026-12-06:
#: firm list 8 (9 sorted by town or industry: per-group counts and the groups' order), search
#: 8 (9 for a fragment that must be scanned: its ids first), 档案 18 and portal home 20 (with
#: the innovation-archive sections), institutions 8 (its page ids first: per-level counts,
#: ids, rows), teams 8, tier list 3, dashboard 30 for 2016 (32 on PostgreSQL: two SET LOCAL
#: for the statistics; one query per figure, the trend lines from the same holdings query,
#: institutions and teams over the years in one query each — none grows with the rows).
#: A change that adds a query raises its budget here, in review; a per-row query fails
#: the few-vs-many equality whatever the budget.
BUDGET = {"firm list": 9, "firm search": 9, "firm 档案": 20, "institutions": 8, "teams": 9,
          "tier list": 5, "dashboard": 34, "portal home": 22}


@contextmanager
def statements():
    """Collect the SQL statements the engine sends while the block runs."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def fetch(client, path: str) -> list[str]:
    """GET ``path`` (once to warm caches, once counted) and return the statements."""
    assert client.get(path).status_code == 200, path
    with statements() as seen:
        resp = client.get(path)
    assert resp.status_code == 200, path
    return seen


def assert_flat(name: str, few: list[str], many: list[str]) -> None:
    detail = "\n".join(s.split("\n")[0][:160] for s in many)
    assert len(few) == len(many), f"{name}: {len(few)} statements for few rows, " \
                                  f"{len(many)} for many — a per-row query?\n{detail}"
    assert len(many) <= BUDGET[name], f"{name}: {len(many)} statements > {BUDGET[name]}\n{detail}"


def add_firms(make, n: int, prefix: str):
    return [make.firm(f"慈溪市{prefix}{i:03d}电器有限公司", town="周巷镇" if i % 2 else "浒山街道")
            for i in range(n)]


def test_firm_list_and_search(app, client, login, make, ctx):
    login("staff")
    add_firms(make, 5, "少量")
    ctx.commit()
    few = fetch(client, "/firms/"), fetch(client, "/firms/?q=少量"), fetch(client, "/firms/?q=少")
    add_firms(make, 45, "大量")
    for firm in add_firms(make, 40, "少量加"):
        firm.former_names.append(FirmName(name=firm.name + "厂", changed_on=date(2015, 1, 1)))
    ctx.commit()
    many = fetch(client, "/firms/"), fetch(client, "/firms/?q=少量"), fetch(client, "/firms/?q=少")
    assert_flat("firm list", few[0], many[0])
    assert_flat("firm search", few[1], many[1])
    assert_flat("firm search", few[2], many[2])
    # a deep page of a filtered, sorted list costs no more than the first
    town = make.town("周巷镇").id
    deep = fetch(client, f"/firms/?town={town}&sort=founded&dir=desc&page=2")
    assert_flat("firm list", few[0], deep)
    by_town = [fetch(client, f"/firms/?sort=town&page={n}") for n in (1, 2, 5)]
    assert_flat("firm list", by_town[0], by_town[1])
    assert_flat("firm list", by_town[0], by_town[2])


def fill_firm(ctx, make, firm, n: int) -> None:
    """``n`` of everything the 档案 page lists: recognitions, institutions with level
    changes, teams with members and evaluations, annual data, former names, audit entries."""
    codes = ["high_tech", "tech_sme", "nb_startup", "eaglet", "gazelle", "lead_goose"]
    for i in range(n):
        make.recognition(firm, codes[i % len(codes)], 2000 + i)
        inst = RdInstitution(firm_id=firm.id, name=f"研发中心{firm.id}-{i}", type="企业技术中心", level="cixi",
                             recognised_year=2010 + i % 7)
        inst.level_changes.append(RdLevelChange(kind="initial", to_level="cixi", year=2010 + i % 7))
        team = Team(firm_id=firm.id, name=f"创新团队{firm.id}-{i}", recognised_year=2012)
        team.members.append(TeamMember(name=f"成员{i}", title="高级工程师", title_grade="associate"))
        team.evaluations.append(TeamEvaluation(year=2015, result="good"))
        ctx.add_all([inst, team, AnnualData(firm_id=firm.id, year=2000 + i, revenue=100 + i),
                     FirmName(firm_id=firm.id, name=f"旧名{firm.id}-{i}"),
                     AuditLog(action="update", entity_type="firm", entity_id=firm.id, firm_id=firm.id,
                              summary=f"修改{i}")])
        ctx.add_all(archive_rows(ctx, firm, i))
    ctx.flush()


def archive_rows(ctx, firm, i: int) -> list:
    """One of each innovation-archive record (the sections the archive areas add to 档案)."""
    from registry.awards.models import Award
    from registry.credit.models import CreditEvent, CreditLoan, CreditPool
    from registry.projects.models import Project, ProjectMilestone
    from registry.vouchers.models import VoucherApplication

    if ctx.get(CreditPool, 2016) is None:
        ctx.add(CreditPool(year=2016, size=Decimal("5000"), compensation_rate=Decimal("60")))
        ctx.flush()
    project = Project(firm_id=firm.id, name=f"项目{firm.id}-{i}", plan="宁波市重大科技专项",
                      level="ningbo", start_year=2014, end_year=2016)
    project.milestones += [ProjectMilestone(kind="midterm", title="中期检查", done_on=date(2015, 6, 1),
                                            result="passed"),
                           ProjectMilestone(title="样机完成")]
    loan = CreditLoan(firm_id=firm.id, pool_year=2016, bank="慈溪农商银行", amount=Decimal("200"),
                      loan_on=date(2016, 3, 1))
    loan.events.append(CreditEvent(kind="repayment", occurred_on=date(2016, 9, 1), amount=Decimal("50")))
    return [project, loan,
            Award(firm_id=firm.id, project_name=f"获奖项目{firm.id}-{i}", award="慈溪市科学技术奖",
                  level="cixi", grade="second", year=2000 + i),
            VoucherApplication(firm_id=firm.id, year=2000 + i, provider="宁波检测中心", purpose="testing",
                               requested=Decimal("5"))]


def test_firm_detail_page(app, client, login, make, ctx):
    login("staff")
    one, twenty = make.firm("慈溪市一项有限公司"), make.firm("慈溪市二十项有限公司")
    fill_firm(ctx, make, one, 1)
    fill_firm(ctx, make, twenty, 20)
    ctx.commit()
    assert_flat("firm 档案", fetch(client, f"/firms/{one.id}"), fetch(client, f"/firms/{twenty.id}"))


def test_portal_home(app, client, make, ctx):
    one, twenty = make.firm("慈溪市门户一有限公司"), make.firm("慈溪市门户二有限公司")
    fill_firm(ctx, make, one, 1)
    fill_firm(ctx, make, twenty, 20)
    for firm in (one, twenty):
        make.user("firm", username=f"firm{firm.id}", firm=firm)
    ctx.commit()
    counts = []
    for firm in (one, twenty):
        client.get("/auth/logout")
        resp = client.post("/auth/login", data={"username": f"firm{firm.id}",
                                                "password": "correct-horse-1"})
        assert resp.status_code == 302
        counts.append(fetch(client, "/portal/"))
    assert_flat("portal home", *counts)


def add_institutions_and_teams(ctx, firms) -> None:
    for firm in firms:
        inst = RdInstitution(firm_id=firm.id, name=f"{firm.name}技术中心", type="企业技术中心",
                             level="ningbo", recognised_year=2014, first_recognised_year=2012)
        inst.level_changes += [RdLevelChange(kind="initial", to_level="cixi", year=2012),
                               RdLevelChange(kind="promotion", from_level="cixi", to_level="ningbo",
                                             year=2014)]
        team = Team(firm_id=firm.id, name=f"{firm.name}创新团队", recognised_year=2013,
                    leader_name="胡建国")
        team.members += [TeamMember(name="胡建国", title="正高级工程师", title_grade="senior",
                                    role="leader"),
                         TeamMember(name="陈伟", title="工程师", title_grade="intermediate")]
        team.evaluations.append(TeamEvaluation(year=2015, result="good"))
        ctx.add_all([inst, team])
    ctx.flush()


def test_institution_and_team_lists(app, client, login, make, ctx):
    login("staff")
    add_institutions_and_teams(ctx, add_firms(make, 3, "机构少"))
    ctx.commit()
    few = fetch(client, "/institutions/"), fetch(client, "/teams/")
    add_institutions_and_teams(ctx, add_firms(make, 30, "机构多"))
    ctx.commit()
    many = fetch(client, "/institutions/"), fetch(client, "/teams/")
    assert_flat("institutions", few[0], many[0])
    assert_flat("teams", few[1], many[1])


def test_tier_list_page(app, client, login, make, ctx):
    login("staff")
    programme = make.programme("eaglet")
    lists = []
    for n in (3, 40):
        tier_list = TierList(programme_id=programme.id, year=2016, batch=f"第{n}批",
                             title=f"2016年雏鹰企业名单（{n}家）")
        for i, firm in enumerate(add_firms(make, n, f"名单{n}-")):
            make.recognition(firm, "eaglet", 2016)
            tier_list.entries.append(TierListEntry(firm_id=firm.id, seq=i + 1, source="search"))
        ctx.add(tier_list)
        lists.append(tier_list)
    ctx.commit()
    assert_flat("tier list", fetch(client, f"/lists/{lists[0].id}"),
                fetch(client, f"/lists/{lists[1].id}"))


def test_dashboard(app, client, login, make, ctx):
    """The statistics page aggregates in SQL: its count does not grow with the data."""
    from registry.demo.bulk import load_bulk

    login("staff")
    load_bulk(20, 3, last_year=2016, seed=3)
    ctx.commit()
    few = fetch(client, "/stats/?year=2016")
    load_bulk(300, 3, last_year=2016, seed=4)
    ctx.commit()
    assert_flat("dashboard", few, fetch(client, "/stats/?year=2016"))


@pytest.mark.parametrize("path", ["/firms/", "/institutions/", "/teams/", "/stats/?year=2016"])
def test_pages_render_on_an_empty_registry(app, client, login, path):
    """The budgets above hold from the first request on (nothing else is lazily loaded)."""
    login("staff")
    assert len(fetch(client, path)) <= BUDGET[{"/firms/": "firm list", "/institutions/": "institutions",
                                               "/teams/": "teams", "/stats/?year=2016": "dashboard"}[path]]
