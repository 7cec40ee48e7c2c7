"""One page of the firm list, fast on any page number at 100,000 firms: fetched ids first
(``registry.paging.IdsFirstPage``, which explains the two steps); sorted by town or
industry (a joined reference ``sort_order``), the page is first narrowed to the few towns
or industries it falls in. Page-number links keep working as before; nothing is
remembered between requests.
"""
from __future__ import annotations

from sqlalchemy.orm import selectinload

from registry.firms.models import Firm, Industry, Town
from registry.paging import IdsFirstPage


#: Sorts by a reference table's order: (the firm's column, the reference model).
GROUPED_SORTS = {"town": (Firm.town_id, Town), "industry": (Firm.industry_id, Industry)}


def firm_page(stmt, f=None, *, page: int | None = None, per_page: int,
              max_per_page: int = 100) -> IdsFirstPage:
    """Page ``page`` (the request's ``page`` argument when None) of ``firm_query``'s firms;
    ``f`` (the FirmFilter the query was built from) tells a sort by town or industry."""
    group = None
    if f is not None and f.sort in GROUPED_SORTS:
        group = (*GROUPED_SORTS[f.sort], f.descending, (Firm.name, Firm.id))
    return IdsFirstPage(page=page, per_page=per_page, max_per_page=max_per_page, error_out=False,
                        select=stmt, model=Firm, group=group,
                        options=(selectinload(Firm.town), selectinload(Firm.industry)))
