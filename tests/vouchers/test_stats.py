"""The "vouchers" and "credit" statistics on a constructed dataset, in all four kinds of
zone, and the sentences of the annual summary."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from registry.credit.models import CreditEvent
from registry.stats.services import compute
from registry.stats.summary import summary_text
from tests.credit.builders import loan, pool
from tests.vouchers.builders import application, budget


@pytest.fixture
def dataset(make):
    budget(make, 2016, "300")
    a = make.firm(town="浒山街道")
    b = make.firm(town="杭州湾新区")
    c = make.firm(town="周巷镇")
    d = make.firm(town=None)
    app = application(make, a, requested="120", status="approved", issued="100")
    app.status, app.redeemed, app.redeemed_on = "redeemed", Decimal("80"), date(2016, 9, 1)
    application(make, a, requested="20", provider="中国计量大学")
    application(make, b, requested="60", status="approved", issued="50")
    application(make, c, requested="10", status="rejected")
    application(make, d, requested="5")
    application(make, a, year=2015, requested="30", status="approved", issued="30")
    pool(make, 2015, size="400")
    pool(make, 2016, size="500")
    loan(make, a, amount="300", loan_on=date(2016, 3, 1))
    bad = loan(make, b, amount="200", loan_on=date(2016, 3, 1), status="compensated")
    bad.events.append(CreditEvent(kind="compensation", occurred_on=date(2016, 11, 20), amount=Decimal("40")))
    bad.events.append(CreditEvent(kind="compensation", occurred_on=date(2017, 1, 5), amount=Decimal("9")))
    loan(make, c, year=2015, amount="100", loan_on=date(2015, 6, 1))
    make.session.flush()


EXPECTED = {
    "all": ({"applicant_firms": 4, "applications": 5, "issued_amount": 150.0, "redeemed_amount": 80.0,
             "budget": 300.0, "remaining": 150.0},
            {"pool_size": 500.0, "firms_with_credit": 2, "loans": 2, "loan_amount": 500.0,
             "cumulative_loan_amount": 600.0, "compensated_amount": 40.0}),
    "exclude-new-area": ({"applicant_firms": 3, "applications": 4, "issued_amount": 100.0, "redeemed_amount": 80.0,
                          "budget": 300.0, "remaining": 150.0},
                         {"pool_size": 500.0, "firms_with_credit": 1, "loans": 1, "loan_amount": 300.0,
                          "cumulative_loan_amount": 400.0, "compensated_amount": 0.0}),
    "new-area": ({"applicant_firms": 1, "applications": 1, "issued_amount": 50.0, "redeemed_amount": 0.0,
                  "budget": 300.0, "remaining": 150.0},
                 {"pool_size": 500.0, "firms_with_credit": 1, "loans": 1, "loan_amount": 200.0,
                  "cumulative_loan_amount": 200.0, "compensated_amount": 40.0}),
    "周巷镇": ({"applicant_firms": 1, "applications": 1, "issued_amount": 0.0, "redeemed_amount": 0.0,
              "budget": 300.0, "remaining": 150.0},
             {"pool_size": 500.0, "firms_with_credit": 0, "loans": 0, "loan_amount": 0.0,
              "cumulative_loan_amount": 100.0, "compensated_amount": 0.0}),
}


@pytest.mark.parametrize("zone", list(EXPECTED))
def test_figures_per_zone(make, dataset, zone):
    stats = compute(2016, zone)
    assert (stats["vouchers"], stats["credit"]) == EXPECTED[zone]


def test_a_year_without_budget_or_pool(make, dataset):
    stats = compute(2014, "all")
    assert stats["vouchers"] == {"applicant_firms": 0, "applications": 0, "issued_amount": 0.0,
                                 "redeemed_amount": 0.0, "budget": None, "remaining": None}
    assert stats["credit"]["pool_size"] is None and stats["credit"]["cumulative_loan_amount"] == 0.0
    assert "创新券" not in summary_text(stats)


def test_summary_sentences(make, dataset):
    text = summary_text(compute(2016, "all"))
    assert ("全年受理4家企业科技创新券申请（5件），合计发放创新券金额150万元，已兑付80万元"
            "（全市年度预算300万元，余额150万元）") in text
    assert ("科技信贷风险池授信科技企业2家，当年发放贷款2笔、500万元，累计发放贷款600万元"
            "（风险池规模500万元），当年风险池代偿40万元") in text
