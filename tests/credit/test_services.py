"""Credit rules through the services: the pool and its rules, eligibility on the loan date,
the per-firm cap, repayments, 逾期, compensation at most rate % of the outstanding
principal and within the pool, recovery; audit, locking and scope."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditLog
from registry.credit import services
from registry.credit.models import CreditEvent, CreditLoan, CreditPool
from registry.errors import NotFound, ValidationError
from registry.records import StaleEdit
from tests.credit.builders import loan, pool

TODAY = date(2017, 12, 31)


@pytest.fixture
def staff(make):
    return make.user("staff")


def high_tech(make, firm, year=2015):
    return make.recognition(firm, "high_tech", year=year, valid_from=date(year, 1, 1),
                            valid_until=date(year + 2, 12, 31))


def test_pool_rules_are_set_and_checked(make, staff):
    p = services.set_pool(staff, 2016, size="1000", max_loan="500", compensation_rate="40",
                          eligible_programmes=["high_tech", "科技型中小企业"], today=TODAY)
    assert (p.size, p.max_loan, p.compensation_rate, p.eligible_programmes) == (
        Decimal("1000.00"), Decimal("500.00"), Decimal("40.00"), ["high_tech", "tech_sme"])
    with pytest.raises(ValidationError, match="代偿比例应在0–100"):
        services.set_pool(staff, 2016, size="1000", compensation_rate="120", today=TODAY)
    with pytest.raises(ValidationError, match="风险池规模不能为负数"):
        services.set_pool(staff, 2017, size="-1", compensation_rate="40", today=TODAY)
    with pytest.raises(ValidationError, match="未知的认定类别：火炬计划"):
        services.set_pool(staff, 2017, size="1", compensation_rate="40", eligible_programmes=["火炬计划"], today=TODAY)
    services.set_pool(staff, 2016, size="1200", max_loan="500", compensation_rate="40",
                      eligible_programmes=["high_tech", "tech_sme"], version=p.version, today=TODAY)
    assert [a for a in make.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "credit_pool"))] \
        == ["create", "update"]


def test_a_firm_outside_the_pool_eligibility_is_refused(make, staff):
    pool(make, 2016, programmes=("high_tech",))
    firm = make.firm("慈溪市无高企测试电器有限公司")
    with pytest.raises(ValidationError) as exc:
        services.create_loan(staff, firm_id=firm.id, pool_year=2016, bank="中国银行慈溪分行", amount="100",
                             loan_on="2016-05-10", today=TODAY)
    assert exc.value.message == ("企业“慈溪市无高企测试电器有限公司”在放款日2016-05-10不持有有效的高新技术企业认定，"
                                 "不符合2016年科技信贷风险池的准入条件")
    # a recognition that ended before the loan date does not count; one valid that day does
    make.recognition(firm, "high_tech", year=2012, valid_from=date(2012, 1, 1), valid_until=date(2014, 12, 31))
    with pytest.raises(ValidationError, match="不符合2016年科技信贷风险池的准入条件"):
        services.create_loan(staff, firm_id=firm.id, pool_year=2016, bank="中国银行慈溪分行", amount="100",
                             loan_on="2016-05-10", today=TODAY)
    high_tech(make, firm, 2016)
    created = services.create_loan(staff, firm_id=firm.id, pool_year=2016, bank="中国银行慈溪分行", amount="100",
                                   credit_line="200", loan_on="2016-05-10", due_on="2017-05-09", today=TODAY)
    assert (created.status, created.amount, created.credit_line) == ("outstanding", Decimal("100.00"), Decimal("200.00"))
    entry = make.session.scalars(select(AuditLog).where(AuditLog.entity_type == "credit_loan")).one()
    assert entry.firm_id == firm.id and entry.after["amount"] == "100.00"


def test_loan_input_rules(make, staff):
    pool(make, 2016, max_loan="500")
    firm = make.firm()
    high_tech(make, firm)
    kw = dict(firm_id=firm.id, pool_year=2016, bank="农业银行", today=TODAY)
    with pytest.raises(ValidationError, match="贷款金额不能为负数"):
        services.create_loan(staff, amount="-100", loan_on="2016-05-10", **kw)
    with pytest.raises(ValidationError, match="贷款金额应大于0"):
        services.create_loan(staff, amount="0", loan_on="2016-05-10", **kw)
    with pytest.raises(ValidationError, match="放款日期2015-05-10不在2016年风险池年度内"):
        services.create_loan(staff, amount="100", loan_on="2015-05-10", **kw)
    with pytest.raises(ValidationError, match="到期日期不能早于放款日期"):
        services.create_loan(staff, amount="100", loan_on="2016-05-10", due_on="2016-01-01", **kw)
    with pytest.raises(ValidationError, match="授信额度不能小于贷款金额"):
        services.create_loan(staff, amount="100", credit_line="50", loan_on="2016-05-10", **kw)
    with pytest.raises(ValidationError, match="2014年尚未设立科技信贷风险池"):
        services.create_loan(staff, **dict(kw, pool_year=2014), amount="100", loan_on="2014-05-10")
    services.create_loan(staff, amount="300", loan_on="2016-03-10", **kw)
    with pytest.raises(ValidationError, match="超过单户贷款上限：2016年风险池单户上限500万元，该企业已贷300万元，本笔300万元"):
        services.create_loan(staff, amount="300", loan_on="2016-05-10", **kw)
    services.create_loan(staff, amount="200", loan_on="2016-05-10", **kw)


def test_repayment_default_compensation_recovery(make, staff):
    pool(make, 2016, size="100", rate="40")
    firm = make.firm()
    l = loan(make, firm, amount="300")
    with pytest.raises(ValidationError, match="只有逾期（违约）的贷款才能由风险池代偿"):
        services.add_event(staff, l, version=l.version, kind="compensation", amount="10", occurred_on="2016-12-01",
                           today=TODAY)
    services.add_event(staff, l, version=l.version, kind="repayment", amount="100", occurred_on="2016-11-01",
                       today=TODAY)
    assert services.balance(l).outstanding == Decimal("200.00") and l.status == "outstanding"
    with pytest.raises(ValidationError, match="还款金额250万元超过未还本金200万元"):
        services.add_event(staff, l, version=l.version, kind="repayment", amount="250", occurred_on="2016-12-01",
                           today=TODAY)
    with pytest.raises(ValidationError, match="日期不能早于放款日期"):
        services.add_event(staff, l, version=l.version, kind="repayment", amount="1", occurred_on="2016-01-01",
                           today=TODAY)
    services.mark_overdue(staff, l, version=l.version, note="银行报告违约")
    assert l.status == "overdue" and "逾期：银行报告违约" in l.note
    # 40 % of the 200 outstanding is 80: 80.01 is refused with the rule spelled out
    with pytest.raises(ValidationError) as exc:
        services.add_event(staff, l, version=l.version, kind="compensation", amount="80.01",
                           occurred_on="2017-06-01", today=TODAY)
    assert exc.value.message == ("代偿金额80.01万元超过风险池规则：2016年风险池代偿比例40%，未还本金200万元，"
                                 "已代偿0万元，本笔最多80万元")
    services.add_event(staff, l, version=l.version, kind="compensation", amount="50", occurred_on="2017-06-01",
                       today=TODAY)
    assert l.status == "compensated"
    assert services.compensation_cap(l, make.session.get(CreditPool, 2016)) == Decimal("30.00")
    with pytest.raises(ValidationError, match="本笔最多30万元"):
        services.add_event(staff, l, version=l.version, kind="compensation", amount="31", occurred_on="2017-06-02",
                           today=TODAY)
    with pytest.raises(ValidationError, match="追偿金额60万元超过待追偿的代偿款50万元"):
        services.add_event(staff, l, version=l.version, kind="recovery", amount="60", occurred_on="2017-09-01",
                           today=TODAY)
    services.add_event(staff, l, version=l.version, kind="recovery", amount="20", occurred_on="2017-09-01",
                       today=TODAY)
    b = services.balance(l)
    assert (b.repaid, b.compensated, b.recovered, b.outstanding) == (
        Decimal("100.00"), Decimal("50.00"), Decimal("20.00"), Decimal("200.00"))
    events = make.session.scalars(select(AuditLog.summary).where(AuditLog.entity_type == "credit_event")).all()
    assert len(events) == 3 and any("代偿" in s for s in events)


def test_compensations_stay_within_the_pool(make, staff):
    pool(make, 2016, size="100", rate="100", max_loan=None)
    a = loan(make, make.firm(), amount="80", status="overdue")
    b = loan(make, make.firm(), amount="80", status="overdue")
    services.add_event(staff, a, version=a.version, kind="compensation", amount="80", occurred_on="2017-01-10",
                       today=TODAY)
    with pytest.raises(ValidationError, match="代偿金额超过2016年风险池余额20万元（规模100万元，已代偿80万元）"):
        services.add_event(staff, b, version=b.version, kind="compensation", amount="21", occurred_on="2017-01-10",
                           today=TODAY)
    services.add_event(staff, b, version=b.version, kind="compensation", amount="20", occurred_on="2017-01-10",
                       today=TODAY)
    assert services.pool_line(2016).compensated == Decimal("100.00")


def test_repaying_in_full_closes_the_loan_and_edits_are_locked(make, staff):
    firm = make.firm(town="周巷镇")
    l = loan(make, firm, amount="100")
    services.add_event(staff, l, version=l.version, kind="repayment", amount="100", occurred_on="2017-05-01",
                       today=TODAY)
    assert l.status == "repaid"
    with pytest.raises(ValidationError, match="该贷款已结清，不能再登记还款"):
        services.add_event(staff, l, version=l.version, kind="repayment", amount="1", occurred_on="2017-05-02",
                           today=TODAY)
    with pytest.raises(StaleEdit):
        services.update_loan(staff, l, version=1, bank="别的银行", amount="100", loan_on="2016-05-10", today=TODAY)
    with pytest.raises(ValidationError, match="贷款金额不能小于已还款金额100万元"):
        services.update_loan(staff, l, version=l.version, bank="别的银行", amount="90", loan_on="2016-05-10",
                             today=TODAY)
    with pytest.raises(NotFound):
        services.get_loan_for(make.user("town", towns=["浒山街道"]), l.id)
    assert services.get_loan_for(make.user("firm", firm=firm), l.id).id == l.id
    with pytest.raises(NotFound):
        services.get_loan_for(staff, "abc")


def test_two_clerks_compensating_at_once_never_drain_more_than_the_pool(app, ctx, make):
    """Two defaulted loans, a pool of 100: two clerks each compensate 60 at the same moment;
    one is paid, the other refused with what is left (the pool row is locked while checking)."""
    import threading

    from registry.auth.models import User
    from registry.errors import RegistryError
    from registry.extensions import db

    pool(make, 2016, size="100", rate="50", max_loan=None)
    ids = [loan(make, make.firm(), amount="200", status="overdue").id for _ in range(2)]
    clerks = [make.user("staff").id for _ in range(2)]
    ctx.commit()
    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def run(n):
        with app.app_context():
            try:
                mine = db.session.get(CreditLoan, ids[n])
                actor = db.session.get(User, clerks[n])
                version = mine.version
                barrier.wait(timeout=120)
                services.add_event(actor, mine, version=version, kind="compensation", amount="60",
                                   occurred_on="2017-03-01", today=TODAY)
                db.session.commit()
                outcomes[n] = ("ok", None)
            except RegistryError as exc:
                db.session.rollback()
                outcomes[n] = ("refused", exc.message)
            except Exception as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                outcomes[n] = ("error", repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"], outcomes
    assert "代偿金额超过2016年风险池余额40万元" in next(m for k, m in outcomes if k == "refused")
    ctx.rollback()
    assert ctx.scalar(select(func.sum(CreditEvent.amount))) == Decimal("60.00")
