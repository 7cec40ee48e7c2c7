"""The SQL behind the statistics: each query aggregates in the database, grouped by cell.

A *cell* is a (town_id, industry_id) pair. Every firm lies in exactly one cell, so a count
of distinct firms per cell adds up exactly to the count of distinct firms over any set of
cells: one GROUP BY per figure gives the total, the by-town and the by-industry breakdowns
at once, and Python only adds up the few hundred aggregated cells (never rows).

Recognitions are read from the programme holdings (``registry.recognitions.holdings``):
each firm's years under each programme, worked out with ``Recognition.is_valid_on``'s rule
when the recognitions are written (``tests/stats`` checks the figures against that rule).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, and_, case, func, literal, literal_column, or_, select, text, union_all

from registry.extensions import db
from registry.firms.models import Firm
from registry.institutions.models import RdInstitution, RdLevelChange
from registry.recognitions.holdings import join
from registry.recognitions.models import ProgrammeHolding, Recognition
from registry.teams.models import Team, TeamMember
from registry.vocab import LEVELS


def year_end(year: int) -> date:
    return date(year, 12, 31)


def tune_session() -> None:
    """PostgreSQL: let this transaction's aggregates hash in memory (the default 4 MB
    work_mem makes the per-firm step spill to disk at 100,000 firms), and no JIT: these
    statements' estimated cost crosses jit_above_cost, and compiling them took ~70 ms of
    a ~250 ms query at 100,000 firms. SET LOCAL ends with the transaction; other
    databases need nothing."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
        db.session.execute(text("SET LOCAL jit = off"))


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


KEY_BITS = 20  # packed group keys: town and industry ids below 2**20


def _cell():
    """town and industry packed into one integer (see ``_cell_key``)."""
    return (func.coalesce(Firm.town_id, 0) * literal(1 << KEY_BITS, BigInteger)
            + func.coalesce(Firm.industry_id, 0)).label("cell")


def cell_rows(stmt) -> list[tuple]:
    """``rows`` of a statement whose first column is ``_cell()``: (town_id, industry_id, …)."""
    return [unpack_key(cell)[1:] + tuple(rest) for cell, *rest in rows(stmt)]


def unpack_key(key: int) -> tuple:
    """(programme_id, town_id, industry_id) from ``_cell_key`` (0 back to None)."""
    mask = (1 << KEY_BITS) - 1
    town, industry = (key >> KEY_BITS) & mask, key & mask
    return key >> 2 * KEY_BITS, town or None, industry or None


def holding_cells(town_ids) -> list[tuple]:
    """(programme_id, town_id, industry_id, valid years, recognised years, first year,
    firms): the programme holdings (``registry.recognitions.holdings``) grouped by all they
    record, the year bit sets joined back into Python ints (bit i = year 1990 + i).

    Every recognition figure of every year is a count over these few thousand groups;
    the grouping is read from the table's covering index, without touching the rows."""
    H = ProgrammeHolding
    stmt = (select(H.programme_id, H.town_id, H.industry_id, H.valid_bits, H.valid_late,
                   H.recognized_bits, H.recognized_late, H.first_year, func.count())
            .group_by(H.programme_id, H.town_id, H.industry_id, H.valid_bits, H.valid_late,
                      H.recognized_bits, H.recognized_late, H.first_year))
    if town_ids is not None:
        stmt = stmt.where(H.town_id.in_(town_ids))
    return [(pid, town, industry, join(valid, valid_late), join(rec, rec_late), first, int(n))
            for pid, town, industry, valid, valid_late, rec, rec_late, first, n
            in db.session.execute(stmt)]


def first_recognition_year(programme_id: int):
    return db.session.scalar(select(func.min(Recognition.year))
                             .where(Recognition.programme_id == programme_id))


def _level_index(column):
    """A level code as its index in ``LEVELS`` (0 = 国家级 … 3 = 慈溪市级)."""
    return case({code: i for i, code in enumerate(LEVELS)}, value=column, else_=len(LEVELS))


def _level_at_end_of(year: int):
    """Subquery (institution_id, level): the index in ``LEVELS`` of the ``to_level`` of
    each institution's last change with year ≤ ``year`` (ties broken by id); institutions
    without any change fall back to their stored level when first recognised (or of
    unknown year) by then.

    The last change is a MAX over (year, id, level) packed into one integer, grouped by
    institution: PostgreSQL estimates a GROUP BY's rows from the statistics (a
    ``row_number() … = 1`` filter it guessed at ~1% and chose nested loops for 20,000
    institutions), and neither database has to sort the changes for a window.
    """
    C = RdLevelChange
    packed = func.max(C.year * literal(1 << 40, BigInteger) + C.id * 8 + _level_index(C.to_level))
    latest = (
        select(C.institution_id.label("institution_id"), packed.label("packed"))
        .where(C.year <= year)
        .group_by(C.institution_id)
        .subquery("latest")
    )
    from_changes = select(latest.c.institution_id, (latest.c.packed % 8).label("level"))
    I = RdInstitution
    first = func.coalesce(I.first_recognised_year, I.recognised_year)
    no_history = (
        select(I.id, _level_index(I.level))
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
    I, L, cell = RdInstitution, _level_at_end_of(year), _cell()
    host = and_(Firm.above_scale.is_(True), firm_alive(year))
    stmt = (
        select(cell,
               *[func.count(case((L.c.level == i, I.id))) for i in range(len(LEVELS))],
               func.count(func.distinct(case((host, Firm.id)))))
        .select_from(L)
        .join(I, I.id == L.c.institution_id)
        .join(Firm, Firm.id == I.firm_id)
        .where(_institution_open(year))
        .group_by(cell)
    )
    return cell_rows(_firm_filter(stmt, town_ids))


def institution_spans(town_ids) -> list:
    """(town_id, start, stop, institutions): the years at whose end institutions are
    counted, for every year at once — the rule of ``institution_cells`` as a span.

    ``start`` is the year of the first level change, else (no history) the first
    recognition year, None when unknown (counted from the start); ``stop`` is the year an
    institution closed or was revoked (open until its end: counted while y < stop), None
    while active, and 0 — never counted — for a closed one of unknown year.
    """
    I, C = RdInstitution, RdLevelChange
    first_change = (select(C.institution_id.label("institution_id"), func.min(C.year).label("year"))
                    .group_by(C.institution_id).subquery("first_change"))
    start = case((first_change.c.year.is_not(None), first_change.c.year),
                 else_=func.coalesce(I.first_recognised_year, I.recognised_year))
    stop = case((I.status == "active", None), else_=func.coalesce(I.closed_year, 0))
    stmt = (select(_town(), start.label("start"), stop.label("stop"), func.count())
            .select_from(I)
            .join(Firm, Firm.id == I.firm_id)
            .outerjoin(first_change, first_change.c.institution_id == I.id)
            .group_by(_town(), start, stop))
    return rows(_firm_filter(stmt, town_ids))


def team_years(town_ids) -> list:
    """(town_id, recognised_year, teams): teams are counted from their recognition year
    on (``team_counted``; a team of unknown year always), for every year at once."""
    stmt = (select(_town(), Team.recognised_year, func.count())
            .join(Firm, Firm.id == Team.firm_id)
            .group_by(_town(), Team.recognised_year))
    return rows(_firm_filter(stmt, town_ids))


def above_scale_cells(year: int, town_ids) -> list:
    """(town_id, industry_id, 规上 firms registered and still here at the end of year)."""
    cell = _cell()
    stmt = (
        select(cell, func.count())
        .where(Firm.above_scale.is_(True), firm_alive(year))
        .group_by(cell)
    )
    return cell_rows(_firm_filter(stmt, town_ids))


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
