"""The SQL behind the statistics: each query aggregates in the database, grouped by cell.

A *cell* is a (town_id, industry_id) pair. Every firm lies in exactly one cell, so a count
of distinct firms per cell adds up exactly to the count of distinct firms over any set of
cells: one GROUP BY per figure gives the total, the by-town and the by-industry breakdowns
at once, and Python only adds up the few hundred aggregated cells (never rows).

The validity rule is ``Recognition.is_valid_on`` written as SQL; ``valid_on`` below must
stay in step with it (``tests/stats`` checks the two against each other).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, and_, case, func, literal, or_, select, union_all

from registry.extensions import db
from registry.firms.models import Firm
from registry.institutions.models import RdInstitution, RdLevelChange
from registry.recognitions.models import Programme, Recognition
from registry.teams.models import Team, TeamMember
from registry.vocab import LEVELS

Cell = tuple  # (town_id, industry_id), either may be None


def year_end(year: int) -> date:
    return date(year, 12, 31)


def valid_on(day, year):
    """SQL truth of ``Recognition.is_valid_on(day)``; ``day`` and ``year`` may be columns.

    Not revoked by ``day`` (a revocation without a date counts from the start), started
    (``valid_from``, else 1 January of the recognition year) and not ended (``valid_until``,
    else 31 December of year + validity_years - 1). ``year`` is the calendar year of ``day``.
    """
    R, P = Recognition, Programme
    return and_(
        or_(R.status != "revoked", and_(R.revoked_on.is_not(None), R.revoked_on > day)),
        or_(R.valid_from <= day, and_(R.valid_from.is_(None), R.year <= year)),
        or_(R.valid_until >= day,
            and_(R.valid_until.is_(None), R.year + P.validity_years - 1 >= year)),
    )


def _firm_filter(stmt, town_ids):
    return stmt if town_ids is None else stmt.where(Firm.town_id.in_(town_ids))


def _distinct_if(condition, column=Recognition.firm_id):
    return func.count(func.distinct(case((condition, column))))


def programme_cells(year: int, town_ids) -> list:
    """(programme_id, town_id, industry_id, recognized, cumulative, valid) per group."""
    R = Recognition
    stmt = (
        select(R.programme_id, Firm.town_id, Firm.industry_id,
               _distinct_if(R.year == year), _distinct_if(R.year <= year),
               _distinct_if(valid_on(year_end(year), year)))
        .join(Programme, Programme.id == R.programme_id)
        .join(Firm, Firm.id == R.firm_id)
        .group_by(R.programme_id, Firm.town_id, Firm.industry_id)
    )
    return db.session.execute(_firm_filter(stmt, town_ids)).all()


def _years_table(years):
    """A derived table (y, d): each year and its 31 December."""
    parts = [select(literal(y, Integer).label("y"), literal(year_end(y), Date).label("d"))
             for y in years]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("years")


def valid_by_year_cells(programme_ids, years, town_ids) -> list:
    """(programme_id, y, town_id, industry_id, valid firms) for each year in ``years``."""
    if not years or not programme_ids:
        return []
    R, Y = Recognition, _years_table(years)
    stmt = (
        select(R.programme_id, Y.c.y, Firm.town_id, Firm.industry_id,
               func.count(func.distinct(R.firm_id)))
        .select_from(R)
        .join(Programme, Programme.id == R.programme_id)
        .join(Firm, Firm.id == R.firm_id)
        # R.year <= y is implied by a start on or before 31 December y unless valid_from is
        # set earlier than the recognition year; both branches keep the rule exact.
        .join(Y, valid_on(Y.c.d, Y.c.y))
        .where(R.programme_id.in_(programme_ids))
        .group_by(R.programme_id, Y.c.y, Firm.town_id, Firm.industry_id)
    )
    return db.session.execute(_firm_filter(stmt, town_ids)).all()


def first_recognition_year(programme_id: int):
    return db.session.scalar(select(func.min(Recognition.year))
                             .where(Recognition.programme_id == programme_id))


def _level_at_end_of(year: int):
    """Subquery (institution_id, level): the ``to_level`` of each institution's last change
    with year ≤ ``year`` (ties broken by id); institutions without any change fall back to
    their stored level when first recognised (or of unknown year) by then."""
    C = RdLevelChange
    ranked = (
        select(C.institution_id.label("institution_id"), C.to_level.label("level"),
               func.row_number().over(partition_by=C.institution_id,
                                      order_by=(C.year.desc(), C.id.desc())).label("rn"))
        .where(C.year <= year)
        .subquery("ranked")
    )
    from_changes = select(ranked.c.institution_id, ranked.c.level).where(ranked.c.rn == 1)
    I = RdInstitution
    first = func.coalesce(I.first_recognised_year, I.recognised_year)
    no_history = (
        select(I.id, I.level)
        .where(~select(C.id).where(C.institution_id == I.id).exists())
        .where(or_(first.is_(None), first <= year))
    )
    return union_all(from_changes, no_history).subquery("levels")


def _institution_open(year: int):
    """Not closed or revoked by the end of ``year`` (an end without a year counts as always)."""
    I = RdInstitution
    return or_(I.status == "active", and_(I.closed_year.is_not(None), I.closed_year > year))


def firm_alive(year: int):
    """The firm was registered and still here at the end of ``year``."""
    day = year_end(year)
    return and_(or_(Firm.founded_on.is_(None), Firm.founded_on <= day),
                or_(Firm.status == "active",
                    and_(Firm.status_changed_on.is_not(None), Firm.status_changed_on > day)))


def institution_cells(year: int, town_ids) -> list:
    """(town_id, industry_id, 国家级, 省级, 宁波市级, 慈溪市级, 规上 hosts) at the end of year.

    Each institution open at the end of ``year`` counts once, at its level then; the last
    column counts distinct 规上 firms (alive then) hosting at least one of them.
    """
    I, L = RdInstitution, _level_at_end_of(year)
    host = and_(Firm.above_scale.is_(True), firm_alive(year))
    stmt = (
        select(Firm.town_id, Firm.industry_id,
               *[func.count(case((L.c.level == code, I.id))) for code in LEVELS],
               func.count(func.distinct(case((host, Firm.id)))))
        .select_from(L)
        .join(I, I.id == L.c.institution_id)
        .join(Firm, Firm.id == I.firm_id)
        .where(_institution_open(year))
        .group_by(Firm.town_id, Firm.industry_id)
    )
    return db.session.execute(_firm_filter(stmt, town_ids)).all()


def above_scale_cells(year: int, town_ids) -> list:
    """(town_id, industry_id, 规上 firms registered and still here at the end of year)."""
    stmt = (
        select(Firm.town_id, Firm.industry_id, func.count())
        .where(Firm.above_scale.is_(True), firm_alive(year))
        .group_by(Firm.town_id, Firm.industry_id)
    )
    return db.session.execute(_firm_filter(stmt, town_ids)).all()


def team_counted(year: int):
    """Teams recognised by the end of ``year`` (a team of unknown year counts)."""
    return or_(Team.recognised_year.is_(None), Team.recognised_year <= year)


def team_active(year: int):
    """Not exited by the end of ``year`` (an exit without a year counts as always)."""
    return or_(Team.status != "exit", and_(Team.exit_year.is_not(None), Team.exit_year > year))


def team_cells(year: int, town_ids) -> list:
    """(town_id, industry_id, cumulative, active, ningbo_level, projects_in_progress)."""
    active = team_active(year)
    ningbo = or_(Team.ningbo_year <= year, and_(Team.ningbo_year.is_(None), Team.level == "ningbo"))
    stmt = (
        select(Firm.town_id, Firm.industry_id, func.count(),
               func.count(case((active, Team.id))), func.count(case((ningbo, Team.id))),
               func.coalesce(func.sum(case((active, Team.projects_in_progress), else_=0)), 0))
        .join(Firm, Firm.id == Team.firm_id)
        .where(team_counted(year))
        .group_by(Firm.town_id, Firm.industry_id)
    )
    return db.session.execute(_firm_filter(stmt, town_ids)).all()


def member_cells(year: int, town_ids) -> list:
    """(town_id, industry_id, members, 正高, 副高) of teams active at the end of ``year``."""
    M = TeamMember
    stmt = (
        select(Firm.town_id, Firm.industry_id, func.count(),
               func.count(case((M.title_grade == "senior", M.id))),
               func.count(case((M.title_grade == "associate", M.id))))
        .join(Team, Team.id == M.team_id)
        .join(Firm, Firm.id == Team.firm_id)
        .where(team_counted(year), team_active(year),
               or_(M.joined_year.is_(None), M.joined_year <= year),
               or_(M.left_year.is_(None), M.left_year > year))
        .group_by(Firm.town_id, Firm.industry_id)
    )
    return db.session.execute(_firm_filter(stmt, town_ids)).all()
