"""The demo dataset holds projects (with tracking) and awards at every level, each of
which passes the rules the forms and imports apply."""
from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select

from registry.awards import services as awards
from registry.awards.models import Award
from registry.demo.services import load_demo
from registry.projects import services as projects
from registry.projects.models import Project
from registry.stats.services import compute

END = date(2016, 12, 31)


def test_demo_projects_and_awards_are_valid_and_counted(ctx):
    counts = load_demo()
    rows = list(ctx.scalars(select(Project)))
    won = list(ctx.scalars(select(Award)))
    assert counts["科技计划项目"] == len(rows) > 100 and counts["科技奖励"] == len(won) > 20
    assert counts["项目过程跟踪"] == sum(len(p.milestones) for p in rows)
    assert set(Counter(p.level for p in rows)) == {"national", "provincial", "ningbo", "cixi"}
    assert {"in_progress", "completed"} <= {p.status for p in rows}
    assert set(Counter(a.level for a in won)) == {"national", "provincial", "ningbo", "cixi"}
    for p in rows:
        values = {k: getattr(p, k) for k in projects.EDITABLE}
        assert projects.clean_values(p.firm, values, today=END) == values, p.name
        for m in p.milestones:
            assert m.done_on is None or m.done_on <= END
    for a in won:
        values = {k: getattr(a, k) for k in ("project_name", "award", "level", "grade", "year", "firm_rank", "note")}
        assert awards.clean_values(a.firm, values, today=END) == values, a.project_name
    figures = compute(2016)
    assert figures["projects"]["national"]["undertaken_5y"] > 0 and figures["awards"]["total"]["won_5y"] > 0
