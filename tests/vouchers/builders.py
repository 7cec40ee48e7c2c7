"""Builders for voucher tests (tests/factories.py is shared: kept here)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from registry.vouchers.models import VoucherApplication, VoucherBudget


def budget(make, year=2016, amount="300"):
    row = make.session.get(VoucherBudget, year)
    if row is None:
        row = VoucherBudget(year=year, amount=Decimal(amount))
        make.session.add(row)
        make.session.flush()
    return row


def application(make, firm, *, year=2016, requested="20", provider="宁波大学", purpose="cooperation",
                status="submitted", issued=None, issued_on=None):
    app = VoucherApplication(firm=firm, year=year, provider=provider, purpose=purpose,
                             requested=Decimal(requested), status=status,
                             issued=Decimal(issued) if issued is not None else None,
                             issued_on=issued_on or (date(year, 6, 30) if issued is not None else None))
    make.session.add(app)
    make.session.flush()
    return app


def sample_voucher(make, firm) -> int:
    """For tests/web/test_access_matrix.py: a submitted application of the sample firm."""
    budget(make, 2016)
    return application(make, firm).id
