"""The demo's vouchers and loans: reproducible, shaped on the 2016 report, and every row
within the rules the services apply (budget, eligibility on the loan date, cap, rate)."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select

from registry.credit.models import CreditEvent, CreditLoan, CreditPool
from registry.credit.services import balance, eligible
from registry.demo.services import load_demo
from registry.stats.services import compute
from registry.vouchers.models import VoucherApplication, VoucherBudget
from registry.vouchers.services import budget_line


def _fingerprint(session):
    return (session.execute(select(VoucherApplication.year, VoucherApplication.provider, VoucherApplication.requested,
                                   VoucherApplication.status, VoucherApplication.issued)
                            .order_by(VoucherApplication.id)).all(),
            session.execute(select(CreditLoan.pool_year, CreditLoan.bank, CreditLoan.amount, CreditLoan.loan_on)
                            .order_by(CreditLoan.id)).all())


def test_demo_vouchers_and_loans_follow_the_rules(ctx):
    counts = load_demo(seed=2016)
    assert counts["创新券申请"] > 60 and counts["科技信贷贷款"] == 19 and counts["信贷还款与代偿"] > 0
    first = _fingerprint(ctx)
    for year in (2014, 2015, 2016):
        line = budget_line(year)
        assert line.budget is not None and Decimal(0) <= line.remaining <= line.budget
    stats = compute(2016, "all")
    assert stats["vouchers"]["applicant_firms"] == 26
    assert (stats["credit"]["firms_with_credit"], stats["credit"]["loan_amount"]) == (8, 2460.0)
    borrowed = defaultdict(Decimal)
    for loan in ctx.scalars(select(CreditLoan)):
        pool = ctx.get(CreditPool, loan.pool_year)
        assert loan.loan_on.year == loan.pool_year and eligible(loan.firm_id, pool, loan.loan_on)
        borrowed[(loan.firm_id, loan.pool_year)] += loan.amount
        b = balance(loan)
        assert b.outstanding >= 0
        if loan.status == "repaid":
            assert b.outstanding == 0
        if b.compensated:
            assert loan.status == "compensated"
            assert b.compensated <= (b.outstanding * pool.compensation_rate / 100)
    assert max(borrowed.values()) <= Decimal("500")
    assert ctx.scalar(select(func.count(VoucherBudget.year))) == 3
    ctx.rollback()
    load_demo(seed=2016)
    assert _fingerprint(ctx) == first


def test_appending_a_second_demo_keeps_the_budgets(ctx):
    load_demo(seed=2016)
    again = load_demo(seed=2016)
    assert again["创新券申请"] == 0 and again["科技信贷贷款"] == 0
    assert ctx.scalar(select(func.count(CreditEvent.id))) > 0
