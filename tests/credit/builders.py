"""Builders for credit tests."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from registry.credit.models import CreditLoan, CreditPool


def pool(make, year=2016, size="500", max_loan="800", rate="40", programmes=("high_tech", "tech_sme")):
    row = make.session.get(CreditPool, year)
    if row is None:
        row = CreditPool(year=year, size=Decimal(size), max_loan=Decimal(max_loan) if max_loan else None,
                         compensation_rate=Decimal(rate), eligible_programmes=list(programmes))
        make.session.add(row)
        make.session.flush()
    return row


def loan(make, firm, *, year=2016, amount="300", bank="中国银行慈溪分行", loan_on=None, status="outstanding"):
    pool(make, year)
    row = CreditLoan(firm=firm, pool_year=year, bank=bank, credit_line=Decimal(amount), amount=Decimal(amount),
                     loan_on=loan_on or date(year, 5, 10), due_on=date(year + 1, 5, 9), status=status)
    make.session.add(row)
    make.session.flush()
    return row


def sample_loan(make, firm) -> int:
    """For tests/web/test_access_matrix.py: an outstanding loan of the sample firm."""
    return loan(make, firm).id
