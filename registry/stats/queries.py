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
from decimal import Decimal

from sqlalchemy import (
    Integer, and_, case, extract, func, literal_column, or_, select, text, union_all,
)

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


def tune_session() -> None:
    """PostgreSQL: let this transaction's aggregates hash in memory (the default 4 MB
    work_mem makes the per-firm step spill to disk at 100,000 firms). SET LOCAL ends with
    the transaction; other databases need nothing."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))


def _town():
    """Firm.town_id as an expression: grouping by the bare column makes SQLite walk the
    whole firms table in ix_firms_town_id order, one random row lookup per firm (2-3x
    slower than a scan and a sort); an expression it cannot match to the index avoids that.
    """
    return (Firm.town_id + literal_column("0")).label("town_id")


def rows(stmt) -> list[tuple]:
    """The rows, with counts and sums as ints (MariaDB returns SUM as a Decimal)."""
    return [tuple(int(v) if isinstance(v, Decimal) else v for v in row)
            for row in db.session.execute(stmt)]


def _firm_filter(stmt, town_ids):
    return stmt if town_ids is None else stmt.where(Firm.town_id.in_(town_ids))


def programme_cells(year: int, town_ids) -> list:
    """(programme_id, town_id, industry_id, recognized, cumulative, valid) per group.

    Two levels instead of COUNT(DISTINCT): one row per (firm, programme) with three 0/1
    flags, then sums per cell — a firm holds each flag once, so the sums count firms.
    """
    R = Recognition
    flag = lambda condition: func.max(case((condition, 1), else_=0))  # noqa: E731
    per_firm = (
        select(R.firm_id.label("firm_id"), R.programme_id.label("programme_id"),
               flag(R.year == year).label("rec"), flag(R.year <= year).label("cum"),
               flag(valid_on(year_end(year), year)).label("val"))
        .join(Programme, Programme.id == R.programme_id)
        .group_by(R.firm_id, R.programme_id)
        .subquery("per_firm")
    )
    stmt = (
        select(per_firm.c.programme_id, _town(), Firm.industry_id,
               func.sum(per_firm.c.rec), func.sum(per_firm.c.cum), func.sum(per_firm.c.val))
        .join(Firm, Firm.id == per_firm.c.firm_id)
        .group_by(per_firm.c.programme_id, _town(), Firm.industry_id)
    )
    return rows(_firm_filter(stmt, town_ids))


def _year_of(column):
    return func.cast(extract("year", column), Integer)


def valid_years():
    """(first, last) SQL integers: the years at whose end a recognition is in force.

    The same rule as ``valid_on``, per row instead of per (row, year): in force on
    31 December y ⟺ first ≤ y ≤ last, where first is the year of ``valid_from`` (else the
    recognition year); last is the year of ``valid_until`` (one less unless it is a
    31 December; else year + validity_years − 1), capped at the year before
    ``revoked_on``; a revocation without a date gives last = first − 1 (never).
    """
    R, P = Recognition, Programme
    first = case((R.valid_from.is_(None), R.year), else_=_year_of(R.valid_from))
    ends_dec31 = and_(func.cast(extract("month", R.valid_until), Integer) == 12,
                      func.cast(extract("day", R.valid_until), Integer) == 31)
    end = case((R.valid_until.is_(None), R.year + P.validity_years - 1),
               (ends_dec31, _year_of(R.valid_until)),
               else_=_year_of(R.valid_until) - 1)
    revoked = R.status == "revoked"
    last = case((and_(revoked, R.revoked_on.is_(None)), first - 1),
                (and_(revoked, _year_of(R.revoked_on) - 1 < end), _year_of(R.revoked_on) - 1),
                else_=end)
    return first, last


def valid_by_year_cells(programme_ids, years, town_ids) -> list:
    """(programme_id, y, town_id, industry_id, valid firms) for each year in ``years``.

    Each recognition's span of year-ends is computed once (DISTINCT keeps the databases
    from inlining it into every later use), then one row per (programme, firm) carries a
    0/1 flag per year — overlapping recognitions of one firm count once — and the flags
    are summed per cell. No join to a table of years: the years are columns.
    """
    if not years or not programme_ids:
        return []
    R = Recognition
    first, last = valid_years()
    spans = (
        select(R.programme_id.label("programme_id"), R.firm_id.label("firm_id"),
               first.label("first"), last.label("last"))
        .join(Programme, Programme.id == R.programme_id)
        .where(R.programme_id.in_(programme_ids))
        .distinct()
        .subquery("spans")
    )
    per_firm = (
        select(spans.c.programme_id, spans.c.firm_id,
               *[func.max(case((and_(spans.c.first <= y, spans.c.last >= y), 1), else_=0))
                 .label(f"y{y}") for y in years])
        .group_by(spans.c.programme_id, spans.c.firm_id)
        .subquery("per_firm")
    )
    stmt = (
        select(per_firm.c.programme_id, _town(), Firm.industry_id,
               *[func.sum(per_firm.c[f"y{y}"]) for y in years])
        .join(Firm, Firm.id == per_firm.c.firm_id)
        .group_by(per_firm.c.programme_id, _town(), Firm.industry_id)
    )
    out = []
    for programme_id, town_id, industry_id, *counts in rows(_firm_filter(stmt, town_ids)):
        out += [(programme_id, y, town_id, industry_id, n) for y, n in zip(years, counts) if n]
    return out


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
        select(_town(), Firm.industry_id,
               *[func.count(case((L.c.level == code, I.id))) for code in LEVELS],
               func.count(func.distinct(case((host, Firm.id)))))
        .select_from(L)
        .join(I, I.id == L.c.institution_id)
        .join(Firm, Firm.id == I.firm_id)
        .where(_institution_open(year))
        .group_by(_town(), Firm.industry_id)
    )
    return rows(_firm_filter(stmt, town_ids))


def above_scale_cells(year: int, town_ids) -> list:
    """(town_id, industry_id, 规上 firms registered and still here at the end of year)."""
    stmt = (
        select(_town(), Firm.industry_id, func.count())
        .where(Firm.above_scale.is_(True), firm_alive(year))
        .group_by(_town(), Firm.industry_id)
    )
    return rows(_firm_filter(stmt, town_ids))


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
        select(_town(), Firm.industry_id, func.count(),
               func.count(case((active, Team.id))), func.count(case((ningbo, Team.id))),
               func.coalesce(func.sum(case((active, Team.projects_in_progress), else_=0)), 0))
        .join(Firm, Firm.id == Team.firm_id)
        .where(team_counted(year))
        .group_by(_town(), Firm.industry_id)
    )
    return rows(_firm_filter(stmt, town_ids))


def member_cells(year: int, town_ids) -> list:
    """(town_id, industry_id, members, 正高, 副高) of teams active at the end of ``year``."""
    M = TeamMember
    stmt = (
        select(_town(), Firm.industry_id, func.count(),
               func.count(case((M.title_grade == "senior", M.id))),
               func.count(case((M.title_grade == "associate", M.id))))
        .join(Team, Team.id == M.team_id)
        .join(Firm, Firm.id == Team.firm_id)
        .where(team_counted(year), team_active(year),
               or_(M.joined_year.is_(None), M.joined_year <= year),
               or_(M.left_year.is_(None), M.left_year > year))
        .group_by(_town(), Firm.industry_id)
    )
    return rows(_firm_filter(stmt, town_ids))
