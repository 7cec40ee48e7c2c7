"""Award figures for the statistics service: "获得省级以上科技奖励X项".

One GROUP BY over awards joined to their firms, per (town, level, grade), for the awards
won by the end of Y; the zone applies as in ``registry.stats`` (``town_ids`` in SQL,
``keep`` on each town's cell). 近五年 = Y-4..Y, as for projects.
"""
from __future__ import annotations

from sqlalchemy import and_, case, func, select

from registry.awards.models import Award
from registry.extensions import db
from registry.firms.models import Firm
from registry.projects.stats import window
from registry.vocab import AWARD_GRADES, LEVELS

KEYS = ("won_5y", "in_year", "first_rank_5y", "cumulative")


def award_cells(year: int, town_ids):
    """(town_id, level, grade, won in window, won in year, as first completer in window, all)."""
    lo, hi = window(year)
    A = Award
    in_window = and_(A.year >= lo, A.year <= hi)
    stmt = (select(Firm.town_id, A.level, A.grade, func.count(case((in_window, A.id))),
                   func.count(case((A.year == year, A.id))),
                   func.count(case((and_(in_window, A.firm_rank == 1), A.id))), func.count())
            .join(Firm, Firm.id == A.firm_id).where(A.year <= year).group_by(Firm.town_id, A.level, A.grade))
    if town_ids is not None:
        stmt = stmt.where(Firm.town_id.in_(town_ids))
    return db.session.execute(stmt).all()


def award_figures(year: int, town_ids, keep) -> dict:
    """The ``awards`` entry of the statistics JSON (see the README)."""
    def empty():
        return dict.fromkeys(KEYS, 0) | {"by_grade_5y": dict.fromkeys(AWARD_GRADES, 0)}

    levels = {code: empty() for code in LEVELS}
    total = empty()
    for town_id, level, grade, *counts in award_cells(year, town_ids):
        if not keep(town_id) or level not in levels:
            continue
        for scope in (levels[level], total):
            for key, n in zip(KEYS, counts):
                scope[key] += int(n)
            if grade in AWARD_GRADES:
                scope["by_grade_5y"][grade] += int(counts[0])
    lo, hi = window(year)
    out = {"window": {"from": lo, "to": hi}, **levels, "total": total}
    out["provincial_and_above_5y"] = levels["national"]["won_5y"] + levels["provincial"]["won_5y"]
    return out
