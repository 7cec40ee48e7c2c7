"""Firm list pages (registry.firms.listing): every page, in every sort and direction, holds
exactly the rows the plain ``ORDER BY … LIMIT … OFFSET`` of ``firm_query`` would give.

The page fetch takes shortcuts for speed (ids first, and for town/industry sorts only the
groups the page falls in); these tests pin its answers to the plain query's.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from registry.firms.listing import firm_page
from registry.firms.services import FirmFilter, firm_query

TOWNS = ["浒山街道", "周巷镇", "杭州湾新区", "龙山镇", None]
INDUSTRIES = ["智能家电", "新材料", "智能装备", None]


@pytest.fixture
def catalogue(ctx, make):
    """37 firms over towns and industries (some without), dates and capitals (some empty),
    a few sharing a name."""
    for i in range(37):
        make.firm(f"慈溪市{'同名' if i % 9 == 0 else f'列表{i:02d}'}电器有限公司",
                  town=TOWNS[i % len(TOWNS)], industry=INDUSTRIES[i % len(INDUSTRIES)],
                  founded_on=None if i % 7 == 0 else date(2000 + i % 13, 1 + i % 12, 1),
                  registered_capital=None if i % 5 == 0 else Decimal(100 + (i * 37) % 11),
                  status="deregistered" if i % 11 == 0 else "active")
    ctx.commit()


def pages_of(user, f: FirmFilter, per_page: int) -> list[list[int]]:
    out, number = [], 1
    while True:
        page = firm_page(firm_query(user, f), f, page=number, per_page=per_page)
        if not page.items:
            return out
        out.append([firm.id for firm in page.items])
        number += 1


@pytest.mark.parametrize("sort", ["name", "town", "industry", "founded", "capital"])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("status", [None, "active"])
def test_pages_match_the_plain_query(ctx, make, catalogue, sort, descending, status):
    staff = make.user("staff")
    f = FirmFilter(sort=sort, descending=descending, status=status)
    plain = [firm.id for firm in ctx.scalars(firm_query(staff, f))]
    for per_page in (4, 7, 50):
        pages = pages_of(staff, f, per_page)
        assert [i for p in pages for i in p] == plain, (sort, descending, per_page)
        assert all(len(p) == per_page for p in pages[:-1])
        page = firm_page(firm_query(staff, f), f, page=1, per_page=per_page)
        assert page.total == len(plain) and page.pages == -(-len(plain) // per_page)


def test_towns_sharing_a_sort_order_interleave_by_name(ctx, make, catalogue):
    """Groups are keyed by the sort value: equal sort_orders mix, as ORDER BY mixes them."""
    staff = make.user("staff")
    a, b = make.town("浒山街道"), make.town("龙山镇")
    saved = a.sort_order, b.sort_order
    try:
        b.sort_order = a.sort_order
        ctx.commit()
        f = FirmFilter(sort="town")
        plain = [firm.id for firm in ctx.scalars(firm_query(staff, f))]
        assert [i for p in pages_of(staff, f, 3) for i in p] == plain
    finally:
        a.sort_order, b.sort_order = saved
        ctx.commit()


def test_pages_beyond_the_end_and_town_scope(ctx, make, catalogue):
    officer = make.user("town", towns=["周巷镇"])
    f = FirmFilter(sort="town")
    page = firm_page(firm_query(officer, f), f, page=99, per_page=5)
    assert page.items == [] and page.total == len([t for t in range(37) if TOWNS[t % 5] == "周巷镇"])
    seen = [i for p in pages_of(officer, f, 2) for i in p]
    assert seen == [firm.id for firm in ctx.scalars(firm_query(officer, f))]
    assert all(firm.town.name == "周巷镇" for firm in ctx.scalars(firm_query(officer, f)))


def test_absurd_page_numbers_are_empty_pages(client, login, make):
    make.firm("慈溪市页码测试有限公司")
    make.session.commit()
    login("staff")
    for page in ("99999999999999999999", "2147483648", "-3", "abc"):
        for sort in ("name", "town"):
            resp = client.get(f"/firms/?page={page}&sort={sort}")
            assert resp.status_code == 200, (page, sort)
