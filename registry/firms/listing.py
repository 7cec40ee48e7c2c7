"""One page of the firm list, fast on any page number at 100,000 firms.

``LIMIT 20 OFFSET 99,000`` over ``SELECT firms.*`` makes the database build and sort
every row it skips. Here a page is fetched in two steps (a "deferred join"):

1. the ids of the page only — ``SELECT id … ORDER BY <sort key>, id LIMIT n OFFSET m``.
   For the default sort by name this walks the name index without touching the table
   (SQLite keeps the rowid in every index entry; PostgreSQL can scan ix_firms_name in
   order); for other sorts the database sorts narrow (key, id) tuples, not whole rows;
2. those twenty firms by id, put back in the order of step 1.

Sorted by town or industry (a joined reference ``sort_order``), step 1 first narrows the
query to the few towns or industries the page falls in (``_within_groups``).

The total for the pager is a ``count(*)`` of the same filtered selection (no cache: the
app stays stateless across workers). Page-number links keep working as before; nothing
is remembered between requests.
"""
from __future__ import annotations

from collections import defaultdict

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from registry.extensions import db
from registry.firms.models import Firm, Industry, Town


MAX_OFFSET = 2**31 - 1  # beyond any table here, and within every database's integer


class FirmPage(Pagination):
    """A Flask-SQLAlchemy pagination whose items come from the two-step fetch above."""

    def _query_items(self) -> list:
        stmt = self._query_args["select"]
        offset = (self.page - 1) * self.per_page
        self._total = None
        if offset > MAX_OFFSET:  # ?page=99999999999999999999: no rows, not a database overflow
            return []
        if self._query_args.get("group"):
            stmt, offset = self._within_groups(stmt, offset, *self._query_args["group"])
            if stmt is None:
                return []
        ids = list(db.session.scalars(
            stmt.with_only_columns(Firm.id).limit(self.per_page).offset(offset)))
        if not ids:
            return []
        rows = db.session.scalars(
            select(Firm).where(Firm.id.in_(ids))
            .options(selectinload(Firm.town), selectinload(Firm.industry)))
        by_id = {firm.id: firm for firm in rows}
        return [by_id[i] for i in ids if i in by_id]

    def _query_count(self) -> int:
        if self._total is not None:
            return self._total
        stmt = self._query_args["select"]
        ids = stmt.with_only_columns(Firm.id).order_by(None).subquery()
        return db.session.scalar(select(func.count()).select_from(ids))

    def _within_groups(self, stmt, offset: int, column, model, descending: bool):
        """Sorted by town or industry: find the groups the page falls in, sort only those.

        Ordering 100,000 firms by a joined ``sort_order`` sorts them all. The firms per town
        (or industry) are counted from the index instead; walking the groups in their sort
        order shows which ones hold the page's rows, and the page query is narrowed to
        them (a few thousand rows) with the offset made local. Groups are keyed by the
        sort value, not the id: towns sharing a sort_order interleave by name, as in the
        plain ORDER BY. The counts also give the total.
        """
        counts = db.session.execute(
            stmt.with_only_columns(column, func.count()).group_by(column).order_by(None)).all()
        self._total = sum(n for _, n in counts)
        rank = dict(db.session.execute(select(model.id, model.sort_order)).all())
        sizes: dict = defaultdict(int)
        members: dict = defaultdict(list)
        for group_id, n in counts:
            key = rank.get(group_id) if group_id is not None else None
            sizes[key] += n
            members[key].append(group_id)
        ordered = sorted((k for k in sizes if k is not None), reverse=descending)
        ordered += [None] if None in sizes else []  # empty last in either direction
        skipped, covered, touched = 0, 0, []
        for key in ordered:
            if not touched and skipped + sizes[key] <= offset:
                skipped += sizes[key]
                continue
            touched.append(key)
            covered += sizes[key]
            if skipped + covered >= offset + self.per_page:
                break
        if not touched:
            return None, 0
        ids = [i for key in touched if key is not None for i in members[key]]
        condition = column.in_(ids) if ids else None
        if None in touched:
            condition = column.is_(None) if condition is None else or_(condition, column.is_(None))
        return stmt.where(condition), offset - skipped


#: Sorts by a reference table's order: (the firm's column, the reference model).
GROUPED_SORTS = {"town": (Firm.town_id, Town), "industry": (Firm.industry_id, Industry)}


def firm_page(stmt, f=None, *, page: int | None = None, per_page: int,
              max_per_page: int = 100) -> FirmPage:
    """Page ``page`` (the request's ``page`` argument when None) of ``firm_query``'s firms;
    ``f`` (the FirmFilter the query was built from) tells a sort by town or industry."""
    group = None
    if f is not None and f.sort in GROUPED_SORTS:
        group = (*GROUPED_SORTS[f.sort], f.descending)
    return FirmPage(page=page, per_page=per_page, max_per_page=max_per_page, error_out=False,
                    select=stmt, group=group)
