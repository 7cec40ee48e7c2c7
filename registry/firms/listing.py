"""One page of the firm list, fast on any page number at 100,000 firms.

``LIMIT 20 OFFSET 99,000`` over ``SELECT firms.*`` makes the database build and sort
every row it skips. Here a page is fetched in two steps (a "deferred join"):

1. the ids of the page only — ``SELECT id … ORDER BY <sort key>, id LIMIT n OFFSET m``.
   For the default sort by name this walks the name index without touching the table
   (SQLite keeps the rowid in every index entry; PostgreSQL can scan ix_firms_name in
   order); for other sorts the database sorts narrow (key, id) tuples, not whole rows;
2. those twenty firms by id, put back in the order of step 1.

The total for the pager is a ``count(*)`` of the same filtered selection (no cache: the
app stays stateless across workers). Page-number links keep working as before; nothing
is remembered between requests.
"""
from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from registry.extensions import db
from registry.firms.models import Firm


class FirmPage(Pagination):
    """A Flask-SQLAlchemy pagination whose items come from the two-step fetch above."""

    def _query_items(self) -> list:
        stmt = self._query_args["select"]
        offset = (self.page - 1) * self.per_page
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
        stmt = self._query_args["select"]
        ids = stmt.with_only_columns(Firm.id).order_by(None).subquery()
        return db.session.scalar(select(func.count()).select_from(ids))


def firm_page(stmt, *, page: int | None = None, per_page: int, max_per_page: int = 100) -> FirmPage:
    """Page ``page`` (the request's ``page`` argument when None) of ``firm_query``'s firms."""
    return FirmPage(page=page, per_page=per_page, max_per_page=max_per_page, error_out=False,
                    select=stmt)
