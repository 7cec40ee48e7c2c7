"""Programme holdings: each firm's years under each programme, kept in step with its
recognitions so the statistics read one small row per (firm, programme).

A recognition is in force at the end of the years ``first`` … ``last`` (``year_span``,
the rule of ``Recognition.is_valid_on`` in whole years); a firm's holding ORs the years of
all its recognitions of the programme into bit sets (see ``ProgrammeHolding``), and keeps
its first recognition year and its town and industry.

Every write path keeps the table in step, in the writer's own transaction, with the
firm's row locked while it does (``lock_firms``):
- ORM changes (services, tier-list publishing, the firm portal, the demo) through a
  session ``after_flush`` hook: the firms whose recognitions, town or industry changed, and
  every holder of a programme whose validity changed, are recomputed after each flush;
- Core bulk writes call ``refresh`` themselves (the Excel importer's ``Writer``) or
  ``rebuild`` (the bulk demo); a deleted firm's rows go with it (ON DELETE CASCADE).
``drift()`` compares the table with a recomputation (``flask holdings``; ``--rebuild`` repairs).
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import delete, event, inspect, select
from sqlalchemy.orm import Session

from registry.firms.models import Firm
from registry.recognitions.models import Programme, ProgrammeHolding, Recognition

BASE_YEAR = 1990  # bit 0 of *_bits; the statistics cover 1990–2100
BITS = 62  # per BIGINT column: *_bits 1990–2051, *_late 2052–2113
LAST_YEAR = BASE_YEAR + 2 * BITS - 1
CHUNK = 500  # firm ids per IN (…) list
HOLDINGS = ProgrammeHolding.__table__
REC = Recognition.__table__
FIRMS = Firm.__table__
COLUMNS = ("firm_id", "programme_id", "town_id", "industry_id", "first_year",
           "valid_bits", "valid_late", "recognized_bits", "recognized_late")


def year_span(year: int, valid_from: date | None, valid_until: date | None, status: str,
              revoked_on: date | None, validity_years: int) -> tuple[int, int]:
    """(first, last): the recognition is in force at the end of years first … last (empty
    when last < first) — ``Recognition.is_valid_on(date(y, 12, 31))`` for every y at once.

    It starts with ``valid_from``'s year (else the recognition year) and runs to the last
    31 December on or before ``valid_until`` (else year + validity_years − 1), ending the
    year before ``revoked_on`` if revoked (a revocation without a date: never in force).
    """
    first = valid_from.year if valid_from else year
    if valid_until is None:
        last = year + validity_years - 1
    else:
        last = valid_until.year - (0 if (valid_until.month, valid_until.day) == (12, 31) else 1)
    if status == "revoked":
        last = min(last, revoked_on.year - 1 if revoked_on else first - 1)
    return first, last


def bits(first: int, last: int) -> int:
    """The years first … last (clipped to BASE_YEAR … LAST_YEAR) as one bit set."""
    first, last = max(first, BASE_YEAR), min(last, LAST_YEAR)
    if last < first:
        return 0
    return (1 << (last - BASE_YEAR + 1)) - (1 << (first - BASE_YEAR))


def split(value: int) -> tuple[int, int]:
    """A bit set as its two BIGINT columns (each below 2**62, so signed 64-bit is safe)."""
    return value & ((1 << BITS) - 1), value >> BITS


def join(low: int, late: int) -> int:
    """The two BIGINT columns back as one bit set."""
    return int(low or 0) | int(late or 0) << BITS


def _validity(connection) -> dict[int, int]:
    return dict(connection.execute(select(Programme.id, Programme.validity_years)).all())


def _holdings(recognitions: Iterable, validity: dict[int, int]) -> list[dict]:
    """The holding rows of the given recognition rows (firm_id, programme_id, year,
    valid_from, valid_until, status, revoked_on, town_id, industry_id)."""
    acc: dict[tuple, list] = {}
    for firm_id, programme_id, year, start, until, status, revoked_on, town, industry in recognitions:
        first, last = year_span(year, start, until, status, revoked_on,
                                validity.get(programme_id) or 1)
        entry = acc.get((firm_id, programme_id))
        if entry is None:
            entry = acc[(firm_id, programme_id)] = [town, industry, year, 0, 0]
        entry[2] = min(entry[2], year)
        entry[3] |= bits(first, last)
        entry[4] |= bits(year, year)
    out = []
    for (firm_id, programme_id), (town, industry, first_year, valid, recognized) in acc.items():
        out.append(dict(zip(COLUMNS, (firm_id, programme_id, town, industry, first_year,
                                      *split(valid), *split(recognized)))))
    return out


def _recognitions(firm_ids=None):
    stmt = (select(REC.c.firm_id, REC.c.programme_id, REC.c.year, REC.c.valid_from,
                   REC.c.valid_until, REC.c.status, REC.c.revoked_on, FIRMS.c.town_id,
                   FIRMS.c.industry_id)
            .join(FIRMS, FIRMS.c.id == REC.c.firm_id))
    return stmt if firm_ids is None else stmt.where(REC.c.firm_id.in_(firm_ids))


def _ids(firm_ids: Iterable) -> list[int]:
    return sorted({int(i) for i in firm_ids if i is not None})


def lock_firms(connection, firm_ids: Iterable[int]) -> None:
    """Lock the firms' rows (FOR UPDATE, in id order) so that one transaction at a time
    writes a firm's recognitions and recomputes its holdings: a second writer waits, then
    reads what the first committed. SQLite has one writer at a time anyway."""
    ids = _ids(firm_ids)
    if not ids or connection.dialect.name == "sqlite":
        return
    for start in range(0, len(ids), CHUNK):
        connection.execute(select(FIRMS.c.id).where(FIRMS.c.id.in_(ids[start:start + CHUNK]))
                           .order_by(FIRMS.c.id).with_for_update()).all()


def refresh(connection, firm_ids: Iterable[int]) -> None:
    """Recompute the holdings of these firms (all their programmes) from their rows, with
    the firms locked (``lock_firms``)."""
    ids = _ids(firm_ids)
    if not ids:
        return
    lock_firms(connection, ids)
    validity = _validity(connection)
    # MariaDB/MySQL's REPEATABLE READ would read the recognitions as of the transaction's
    # first read; a locking read sees what a writer committed while this one waited
    current = connection.dialect.name in ("mysql", "mariadb")
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        connection.execute(delete(HOLDINGS).where(HOLDINGS.c.firm_id.in_(chunk)))
        stmt = _recognitions(chunk)
        rows = _holdings(connection.execute(
            stmt.with_for_update(read=True) if current else stmt), validity)
        if rows:
            connection.execute(HOLDINGS.insert(), rows)


def rebuild(connection) -> int:
    """Recompute the whole table (after a bulk load, or to repair it); the rows written."""
    connection.execute(delete(HOLDINGS))
    rows = _holdings(connection.execute(_recognitions()), _validity(connection))
    for start in range(0, len(rows), 5000):
        connection.execute(HOLDINGS.insert(), rows[start:start + 5000])
    return len(rows)


def drift(connection) -> list[tuple]:
    """(firm_id, programme_id) of the holdings that differ from a recomputation."""
    stored = {tuple(r[:2]): tuple(r) for r in connection.execute(
        select(*[HOLDINGS.c[c] for c in COLUMNS]))}
    fresh = {(r["firm_id"], r["programme_id"]): tuple(r[c] for c in COLUMNS)
             for r in _holdings(connection.execute(_recognitions()),
                                _validity(connection))}
    return sorted(k for k in stored.keys() | fresh.keys() if stored.get(k) != fresh.get(k))


PENDING = "holdings_firms"  # session.info: firms to recompute after the flush


def _moved_from(state) -> set[int]:
    """The firm a recognition is moved away from in this flush, if any."""
    out = set()
    for attr in ("firm_id", "firm"):
        for old in state.attrs[attr].history.deleted:
            out.add(old.id if isinstance(old, Firm) else old)
    return out


def _before_flush(session: Session, _context, _instances) -> None:
    """Note the firms of recognitions about to be deleted or moved while their rows can
    still be read (after the flush a deleted row's columns may not load any more), and
    lock every firm whose recognitions this flush writes before it writes them (taken
    after the writes, two writers of one firm could each wait for the other)."""
    pending = session.info.setdefault(PENDING, set())
    touched = set()
    for obj in session.deleted:
        if isinstance(obj, Recognition):
            pending.add(obj.firm_id)
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Recognition):
            firm = obj.firm if obj.firm_id is None else None
            touched.add(obj.firm_id if firm is None else firm.id)
            if obj not in session.new:
                pending |= _moved_from(inspect(obj))
    if pending or touched:
        lock_firms(session.connection(), pending | touched)


def _after_flush(session: Session, _context) -> None:
    """Recompute the firms whose recognitions, town or industry changed, and every holder
    of a programme whose validity changed."""
    firms, programmes = session.info.pop(PENDING, set()), set()
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Recognition):
            firms.add(obj.firm_id)
        elif isinstance(obj, Firm) and obj not in session.new:
            state = inspect(obj)
            if any(state.attrs[a].history.has_changes()
                   for a in ("town_id", "town", "industry_id", "industry")):
                firms.add(obj.id)
        elif isinstance(obj, Programme) and inspect(obj).attrs.validity_years.history.has_changes():
            programmes.add(obj.id)
    if not firms and not programmes:
        return
    connection = session.connection()
    if programmes:
        firms |= set(connection.scalars(select(REC.c.firm_id).distinct()
                                         .where(REC.c.programme_id.in_(programmes))))
    refresh(connection, firms)


def _forget(session: Session, *_args) -> None:
    session.info.pop(PENDING, None)


def install() -> None:
    """Keep holdings in step with every ORM flush (once per process)."""
    for name, fn in (("before_flush", _before_flush), ("after_flush", _after_flush),
                     ("after_soft_rollback", _forget)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)
