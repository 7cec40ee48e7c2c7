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

from sqlalchemy import BigInteger, and_, case, func, literal, literal_column, or_, select, text, union_all

from registry.extensions import db
from registry.firms.models import Firm
from registry.institutions.models import RdInstitution, RdLevelChange
from registry.recognitions.models import Programme, Recognition
from registry.reference import programmes
from registry.stats.sqlfuncs import as_bigint, greatest, last_year_end, least, pow2, year_of
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


WINDOW = 54  # years per bit mask: 251 rows (one per year 1950-2200) × 2**54 stays < 2**62
KEY_BITS = 20  # packed group keys: programme, town and industry ids below 2**20


def year_span():
    """(first, last) SQL integers: the years at whose end a recognition is in force.

    The same rule as ``valid_on``, per row instead of per (row, year), in integer year
    arithmetic: in force on 31 December y ⟺ first ≤ y ≤ last, where first is the year of
    ``valid_from`` (else the recognition year); last is the last year-end on or before
    ``valid_until`` (else year + validity_years − 1), capped at the year before
    ``revoked_on``; a revocation without a date gives a ``last`` before any year (never).
    """
    R = Recognition
    first = func.coalesce(year_of(R.valid_from), R.year)
    ends = case((R.valid_until.is_(None), R.year + _validity_years() - 1),
                else_=last_year_end(R.valid_until))
    cap = case((R.status != "revoked", literal(9999)),
               else_=func.coalesce(year_of(R.revoked_on) - 1, literal(-9999)))
    return first, least(ends, cap)


def _validity_years():
    """Programme.validity_years of the row's programme: the programmes inlined as a CASE
    (no per-row join), with a correlated lookup for one created since they were read."""
    lookup = (select(Programme.validity_years).where(Programme.id == Recognition.programme_id)
              .scalar_subquery())
    progs = programmes()
    if not progs:
        return lookup
    return case({p.id: literal(p.validity_years) for p in progs},
                value=Recognition.programme_id, else_=lookup)


def _mask(first, last, lo: int, hi: int):
    """The recognition's year-ends in [lo, hi] as bits (bit 0 = lo): 2**(b+1) − 2**a for
    the run a..b, 0 when empty. Each argument is evaluated once per row."""
    top = greatest(least(last, literal(hi)), literal(lo - 1)) - (lo - 1)
    bottom = greatest(least(first, literal(hi + 1)), literal(lo)) - lo  # shifts stay in 0..hi-lo+1
    return greatest(pow2(top) - pow2(bottom), literal(0))


def _span_len(first, last, lo: int, hi: int):
    """How many year-ends of [lo, hi] the recognition covers (the popcount of ``_mask``)."""
    return greatest(least(last, literal(hi)) - greatest(first, literal(lo)) + 1, literal(0))


def _cell():
    """town and industry packed into one integer (see ``_cell_key``)."""
    return (func.coalesce(Firm.town_id, 0) * literal(1 << KEY_BITS, BigInteger)
            + func.coalesce(Firm.industry_id, 0)).label("cell")


def cell_rows(stmt) -> list[tuple]:
    """``rows`` of a statement whose first column is ``_cell()``: (town_id, industry_id, …)."""
    return [unpack_key(cell)[1:] + tuple(rest) for cell, *rest in rows(stmt)]


def _cell_key(programme_id):
    """programme, town and industry packed into one integer: SQLite sorts one integer
    key about twice as fast as three columns; NULL town/industry become 0."""
    return (programme_id * literal(1 << 2 * KEY_BITS, BigInteger)
            + func.coalesce(Firm.town_id, 0) * literal(1 << KEY_BITS, BigInteger)
            + func.coalesce(Firm.industry_id, 0))


def unpack_key(key: int) -> tuple:
    """(programme_id, town_id, industry_id) from ``_cell_key`` (0 back to None)."""
    mask = (1 << KEY_BITS) - 1
    town, industry = (key >> KEY_BITS) & mask, key & mask
    return key >> 2 * KEY_BITS, town or None, industry or None


def recognition_cells(year: int, by_year_ids, lo: int, town_ids, *, with_recognized: bool = False):
    """Every recognition figure in one pass: (figures, by_year, recognized_by_year).

    ``figures`` maps (programme_id, town_id, industry_id) to [recognized, cumulative,
    valid] at the end of ``year``; ``by_year`` maps (programme_id, y, town_id,
    industry_id) to the firms in force at the end of each year y in ``lo`` … ``year``
    (≤ ``WINDOW`` years) for the programmes in ``by_year_ids``; ``recognized_by_year``
    maps the same keys, for every programme, to the firms recognised in year y (with
    ``with_recognized`` only: the extra bits cost about a tenth more; else empty).

    Two levels, no COUNT(DISTINCT): one row per (firm, programme) — recognised that year
    (the year is unique per firm and programme), its first year, and the SUM of each
    row's year-end bits with the SUM of their counts — then per cell, grouped by those
    sums. Summing bits is an OR when a firm's spans are disjoint, which holds exactly when
    the popcount of the sum equals the summed counts (a carry loses a bit); the rare
    groups where spans overlap are recounted exactly by ``_overlap_cells``.
    """
    assert year - lo + 1 <= WINDOW
    R = Recognition
    first, last = year_span()
    by_year_ids = list(by_year_ids)
    tracked = R.programme_id.in_(by_year_ids) if by_year_ids else literal(False)
    in_force = case((and_(first <= year, last >= year), 1), else_=0)
    # PostgreSQL and MySQL have an OR aggregate: exact at once, no counts needed
    bit_or = db.session.get_bind().dialect.name in ("postgresql", "mysql", "mariadb")
    row_bits = case((tracked, _mask(first, last, lo, year)), else_=in_force)
    # the years it was recognised in lo … year as bits too: a SUM is an exact OR here, as
    # the year is unique per firm and programme (the dashboard's "recognised per year")
    in_window = and_(R.year >= lo, R.year <= year)
    rec_bits = (as_bigint(func.sum(case((in_window, pow2(R.year - lo)), else_=0)))
                if with_recognized else literal(0))
    per_firm = (
        select(R.firm_id.label("firm_id"), R.programme_id.label("programme_id"),
               func.max(case((R.year == year, 1), else_=0)).label("rec"),
               func.min(R.year).label("first_year"),
               rec_bits.label("rec_bits"),
               (as_bigint(func.bit_or(row_bits)) if bit_or
                else func.sum(row_bits)).label("bits"),
               (literal(0) if bit_or else
                func.sum(case((tracked, _span_len(first, last, lo, year)), else_=0)))
               .label("spans"))
        .group_by(R.firm_id, R.programme_id)
        .subquery("per_firm")
    )
    p = per_firm.c
    tracked_p = p.programme_id.in_(by_year_ids) if by_year_ids else literal(False)
    bits = case((tracked_p, p.bits), (p.bits > 0, 1), else_=0).label("bits")
    spans = case((tracked_p, p.spans), else_=0).label("spans")
    key = _cell_key(p.programme_id).label("cell")
    stmt = (
        select(key, bits, spans, p.rec_bits, func.count(), func.sum(p.rec),
               func.sum(case((p.first_year <= year, 1), else_=0)))
        .join(Firm, Firm.id == p.firm_id)
        .group_by(key, bits, spans, p.rec_bits)
    )
    figures, by_year, overlapping = {}, {}, set()
    recognized_by_year: dict = {}
    tracked_set = set(by_year_ids)
    for cell, mask, span_count, rec_bits, firms, recognized, cumulative in rows(
            _firm_filter(stmt, town_ids)):
        programme_id, town_id, industry_id = unpack_key(cell)
        counts = figures.setdefault((programme_id, town_id, industry_id), [0, 0, 0])
        counts[0] += recognized
        counts[1] += cumulative
        offset = 0
        while rec_bits:
            if rec_bits & 1:
                k = (programme_id, lo + offset, town_id, industry_id)
                recognized_by_year[k] = recognized_by_year.get(k, 0) + firms
            rec_bits >>= 1
            offset += 1
        if programme_id not in tracked_set:
            counts[2] += firms if mask else 0
            continue
        if not bit_or and mask.bit_count() != span_count:  # a carry: spans overlapped
            overlapping.add((programme_id, mask, span_count))
            continue
        if mask >> (year - lo) & 1:
            counts[2] += firms
        for offset in range(year - lo + 1):
            if mask >> offset & 1:
                k = (programme_id, lo + offset, town_id, industry_id)
                by_year[k] = by_year.get(k, 0) + firms
    if overlapping:
        for (programme_id, y, town_id, industry_id), n in _overlap_cells(
                year, lo, overlapping, town_ids):
            if y == year:
                figures[(programme_id, town_id, industry_id)][2] += n
            k = (programme_id, y, town_id, industry_id)
            by_year[k] = by_year.get(k, 0) + n
    return figures, by_year, recognized_by_year


def _overlap_cells(year: int, lo: int, groups, town_ids):
    """Exact per-year counts for the (firm, programme) groups whose spans overlap,
    identified by their (programme, summed bits, summed counts): a flag per year per
    group (MAX), then summed per cell. Only runs when such groups exist."""
    R = Recognition
    first, last = year_span()
    years = list(range(lo, year + 1))
    per_firm = (
        select(R.firm_id.label("firm_id"), R.programme_id.label("programme_id"),
               *[func.max(case((and_(first <= y, last >= y), 1), else_=0)).label(f"y{y}")
                 for y in years])
        .where(R.programme_id.in_({g[0] for g in groups}))
        .group_by(R.firm_id, R.programme_id)
        .having(or_(*[and_(R.programme_id == pid,
                           as_bigint(func.sum(_mask(first, last, lo, year))) == bits,
                           as_bigint(func.sum(_span_len(first, last, lo, year))) == spans)
                      for pid, bits, spans in groups]))
        .subquery("overlapping")
    )
    p = per_firm.c
    stmt = (
        select(p.programme_id, Firm.town_id, Firm.industry_id,
               *[func.sum(p[f"y{y}"]) for y in years])
        .join(Firm, Firm.id == p.firm_id)
        .group_by(p.programme_id, Firm.town_id, Firm.industry_id)
    )
    out = []
    for programme_id, town_id, industry_id, *counts in rows(_firm_filter(stmt, town_ids)):
        out += [((programme_id, y, town_id, industry_id), n) for y, n in zip(years, counts) if n]
    return out


def valid_by_year_cells(programme_ids, years, town_ids) -> list:
    """(programme_id, y, town_id, industry_id, valid firms) for each year in ``years``
    (consecutive), through ``recognition_cells`` one window of years at a time."""
    if not years or not programme_ids:
        return []
    out = []
    for start in range(years[0], years[-1] + 1, WINDOW):
        stop = min(start + WINDOW - 1, years[-1])
        _, by_year, _ = recognition_cells(stop, programme_ids, start, town_ids)
        out += [(pid, y, t, i, n) for (pid, y, t, i), n in by_year.items() if n]
    return out


def recognized_by_year_cells(years, town_ids) -> list:
    """(programme_id, y, town_id, firms recognised in y) for ``years``, by town only (for
    the years before one bit mask's window; ``recognition_cells`` gives the rest)."""
    R = Recognition
    stmt = (select(R.programme_id, R.year, _town(), func.count())
            .join(Firm, Firm.id == R.firm_id)
            .where(R.year.between(years[0], years[-1]))
            .group_by(R.programme_id, R.year, _town()))  # (firm, programme, year) is unique
    return rows(_firm_filter(stmt, town_ids))


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
