"""Synthetic demo dataset: a realistic, reproducible 慈溪市 registry for 2011–2016.

``load_demo`` fills an empty database with about 400 fictitious firms and everything the
bureau keeps about them: recognitions (高企 certificates, 科技型中小企业, 宁波初创, the
雏鹰→瞪羚→头雁 ladder), published 2016 tier lists, R&D institutions with their 晋级
history, innovation teams with members and yearly evaluations, and annual data. The
same seed always gives the same rows (one ``random.Random``, no clock), so screenshots,
bug reports and the figures on the dashboard can be reproduced.

Like every service it flushes and never commits; ``flask demo`` commits.
"""
from __future__ import annotations

from sqlalchemy import select

from registry.demo.archive_finance import make_credit, make_vouchers
from registry.demo.archive_projects import make_awards, make_projects
from registry.demo.base import Demo
from registry.demo.capacity import make_institutions, make_teams
from registry.demo.firms import make_annual_data, make_firms
from registry.demo.recognitions import fill_tier_lists, make_recognitions, make_tier_lists
from registry.extensions import db
from registry.firms.models import Firm
from registry.lists.defaults import seed_default_criteria


def database_is_empty() -> bool:
    """True when no firm exists yet: the only state ``flask demo`` loads into by default."""
    return db.session.scalar(select(Firm.id).limit(1)) is None


def load_demo(seed: int = 2016) -> dict:
    """Generate and insert the demo dataset; return row counts keyed by Chinese labels.

    Generation runs in memory first; rows are inserted in two bulk flushes (the 2016
    tier lists first, so recognitions can carry their list's id without an UPDATE).
    """
    demo = Demo(seed)
    session = db.session
    session.add_all(make_tier_lists(demo))
    session.flush()

    former_names = make_firms(demo)
    demo.plan_of = {plan.firm: plan for plan in demo.plans}
    recognitions = make_recognitions(demo)
    institutions = make_institutions(demo)
    teams = make_teams(demo)
    annual = make_annual_data(demo)
    entries = fill_tier_lists(demo, recognitions)
    projects = make_projects(demo)
    awards = make_awards(demo, projects)
    budgets, vouchers = make_vouchers(demo)
    pools, loans = make_credit(demo, recognitions)

    firms = [plan.firm for plan in demo.plans]
    session.add_all(firms)
    session.add_all(former_names)
    session.add_all(recognitions)
    session.add_all(institutions)
    session.add_all(teams)
    session.add_all(annual)
    session.add_all(entries)
    session.add_all(projects)
    session.add_all(awards)
    session.add_all(budgets + pools)
    session.flush()  # budgets and pools before the rows that name their year
    session.add_all(vouchers)
    session.add_all(loans)
    session.flush()
    criteria = seed_default_criteria(None, 2016)  # so screening works right after `make run`
    return {
        "企业": len(firms),
        "企业曾用名": len(former_names),
        "认定记录": len(recognitions),
        "发布名单": len(demo.tier_lists),
        "名单企业": len(entries),
        "研发机构": len(institutions),
        "研发机构级别变动": sum(len(i.level_changes) for i in institutions),
        "科技创新团队": len(teams),
        "团队成员": sum(len(t.members) for t in teams),
        "团队考核": sum(len(t.evaluations) for t in teams),
        "年度数据": len(annual),
        "科技计划项目": len(projects),
        "项目过程跟踪": sum(len(p.milestones) for p in projects),
        "科技奖励": len(awards),
        "创新券申请": len(vouchers),
        "科技信贷贷款": len(loans),
        "信贷还款与代偿": sum(len(loan.events) for loan in loans),
        "认定标准（2016年默认）": len(criteria),
    }
