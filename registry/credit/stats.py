"""The credit figures of a year for the statistics JSON ("credit").

Grouped by town like the other figures, so the zone filter applies to firms, loans and
amounts; ``pool_size`` is the city's pool and the same in every zone. ``loan_amount`` is
the year's pool, ``cumulative_loan_amount`` every pool up to the year, and
``compensated_amount`` the compensations (代偿) paid during the year, net of nothing
(recoveries are reported apart on the pages).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, literal_column, null, select, union_all

from registry.credit.models import CreditEvent, CreditLoan, CreditPool
from registry.extensions import db
from registry.firms.models import Firm
from registry.vouchers.stats import money


def credit_figures(year: int, towns, keep) -> dict:
    """``towns``: town ids to filter on in SQL (None: no SQL filter); ``keep``: which
    towns' rows belong to the zone. One statement (UNION ALL): loans per town, the year's
    compensations per town, and the city's pool as a last row."""
    L, E = CreditLoan, CreditEvent
    this_year = L.pool_year == year
    zero, none = literal_column("0"), null()
    loans = (select(literal_column("'l'").label("k"), Firm.town_id,
                    func.count(case((this_year, L.firm_id)).distinct()), func.count(case((this_year, L.id))),
                    func.sum(case((this_year, L.amount))), func.sum(L.amount))
             .join(Firm, L.firm_id == Firm.id).where(L.pool_year <= year).group_by(Firm.town_id))
    paid = (select(literal_column("'p'"), Firm.town_id, zero, zero, func.sum(E.amount), none)
            .join(L, E.loan_id == L.id).join(Firm, L.firm_id == Firm.id)
            .where(E.kind == "compensation", E.occurred_on >= date(year, 1, 1), E.occurred_on <= date(year, 12, 31))
            .group_by(Firm.town_id))
    if towns is not None:
        loans, paid = loans.where(Firm.town_id.in_(towns)), paid.where(Firm.town_id.in_(towns))
    pool = select(literal_column("'s'"), none, zero, zero, CreditPool.size, none).where(CreditPool.year == year)
    firms = count = 0
    amount = cumulative = compensated = Decimal(0)
    pool_size = None
    for kind, town_id, f, n, a, c in db.session.execute(union_all(loans, paid, pool)):
        if kind == "s":
            pool_size = Decimal(a)
        elif not keep(town_id):
            continue
        elif kind == "p":
            compensated += Decimal(a or 0)
        else:
            firms, count = firms + int(f), count + int(n)
            amount, cumulative = amount + Decimal(a or 0), cumulative + Decimal(c or 0)
    return {
        "pool_size": money(pool_size) if pool_size is not None else None,
        "firms_with_credit": firms,
        "loans": count,
        "loan_amount": money(amount),
        "cumulative_loan_amount": money(cumulative),
        "compensated_amount": money(compensated),
    }
