"""Voucher rules through the services: budget, filing, 核发 within the budget, 未通过, 兑付,
optimistic locking, audit — and two clerks issuing at once never pass the budget."""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditLog
from registry.errors import NotFound, RegistryError, ValidationError
from registry.records import StaleEdit
from registry.vouchers import services
from registry.vouchers.models import VoucherApplication, VoucherBudget
from tests.vouchers.builders import application, budget

TODAY = date(2016, 12, 31)


@pytest.fixture
def staff(make):
    return make.user("staff")


def test_budget_is_created_changed_and_never_below_what_is_issued(make, staff):
    b = services.set_budget(staff, 2016, "２２８.３万元", note="年度预算", today=TODAY)
    assert b.amount == Decimal("228.30")
    firm = make.firm()
    app = services.create_application(staff, firm_id=firm.id, year=2016, provider="宁波大学", purpose="检验检测",
                                      requested="50", today=TODAY)
    services.issue(staff, app, version=app.version, amount="40", issued_on="2016-06-01", today=TODAY)
    with pytest.raises(ValidationError, match="已核发创新券40万元，预算不能低于已核发金额"):
        services.set_budget(staff, 2016, "39.99", today=TODAY)
    services.set_budget(staff, 2016, "40", today=TODAY)
    assert make.session.get(VoucherBudget, 2016).amount == Decimal("40.00")
    line = services.budget_line(2016)
    assert (line.budget, line.issued, line.remaining, line.applications, line.firms) == (
        Decimal("40.00"), Decimal("40.00"), Decimal("0.00"), 1, 1)
    kinds = list(make.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "voucher_budget")))
    assert kinds == ["create", "update"]  # the refused change wrote nothing
    with pytest.raises(ValidationError, match="预算金额不能为负数"):
        services.set_budget(staff, 2017, "-1", today=TODAY)


def test_issuing_above_the_remaining_budget_is_refused_with_the_figures(make, staff):
    budget(make, 2016, "100")
    a, b = make.firm(), make.firm()
    application(make, a, requested="70", status="approved", issued="70")
    app = application(make, b, requested="50")
    with pytest.raises(ValidationError) as exc:
        services.issue(staff, app, version=app.version, amount="30.01", today=TODAY)
    assert exc.value.message == ("核发金额30.01万元超过2016年创新券预算余额30万元（预算100万元，已核发70万元），未核发")
    assert exc.value.field == "amount"
    assert app.status == "submitted" and app.issued is None  # refused before anything changed
    services.issue(staff, app, version=app.version, amount="30", today=TODAY)
    assert (app.status, app.issued, app.issued_on, app.reviewed_by_id) == ("approved", Decimal("30.00"), TODAY, staff.id)
    assert services.budget_line(2016).remaining == Decimal("0.00")


def test_no_budget_no_issue_and_amount_rules(make, staff):
    app = application(make, make.firm(), year=2015, requested="20")
    with pytest.raises(ValidationError, match="2015年尚未设定创新券预算"):
        services.issue(staff, app, version=app.version, amount="10", today=TODAY)
    budget(make, 2015, "100")
    with pytest.raises(ValidationError, match="核发金额不能为负数"):
        services.issue(staff, app, version=app.version, amount="-5", today=TODAY)
    with pytest.raises(ValidationError, match="核发金额25万元不能超过申请金额20万元"):
        services.issue(staff, app, version=app.version, amount="25", today=TODAY)
    with pytest.raises(ValidationError, match="申请金额不能为负数"):
        services.create_application(staff, firm_id=app.firm_id, year=2015, provider="x", purpose="testing",
                                    requested="-3", today=TODAY)
    with pytest.raises(ValidationError, match="请选择券种"):
        services.create_application(staff, firm_id=app.firm_id, year=2015, provider="x", purpose="旅游",
                                    requested="3", today=TODAY)


def test_reject_redeem_and_delete(make, staff):
    budget(make, 2016, "100")
    firm = make.firm()
    app = application(make, firm, requested="20")
    with pytest.raises(ValidationError, match="请填写审核意见"):
        services.reject(staff, app, version=app.version, comment=" ")
    services.reject(staff, app, version=app.version, comment="服务机构不在目录内")
    assert app.status == "rejected"
    with pytest.raises(ValidationError, match="该申请未通过，不能再核发"):
        services.issue(staff, app, version=app.version, amount="10", today=TODAY)
    other = application(make, firm, requested="20", provider="中国计量大学")
    with pytest.raises(ValidationError, match="只有已核发的创新券可以兑付"):
        services.redeem(staff, other, version=other.version, amount="5", redeemed_on="2016-09-01", today=TODAY)
    services.issue(staff, other, version=other.version, amount="15", issued_on="2016-07-01", today=TODAY)
    with pytest.raises(ValidationError, match="兑付金额16万元不能超过核发金额15万元"):
        services.redeem(staff, other, version=other.version, amount="16", redeemed_on="2016-09-01", today=TODAY)
    with pytest.raises(ValidationError, match="兑付日期不能早于核发日期"):
        services.redeem(staff, other, version=other.version, amount="15", redeemed_on="2016-06-01", today=TODAY)
    services.redeem(staff, other, version=other.version, amount="14.5", redeemed_on="2016-09-01", today=TODAY)
    assert (other.status, other.redeemed) == ("redeemed", Decimal("14.50"))
    line = services.budget_line(2016)
    assert (line.issued, line.redeemed, line.applications, line.firms) == (Decimal("15.00"), Decimal("14.50"), 2, 1)
    with pytest.raises(RegistryError, match="不能删除"):
        services.delete_application(staff, other, version=other.version)
    third = application(make, firm, requested="1")
    services.delete_application(staff, third, version=third.version)
    assert make.session.get(VoucherApplication, third.id) is None
    actions = list(make.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "voucher_application")
                                        .order_by(AuditLog.id)))
    assert actions == ["review", "review", "update", "delete"]


def test_stale_version_and_scope(make, staff):
    firm = make.firm(town="周巷镇")
    app = services.create_application(staff, firm_id=firm.id, year=2016, provider="宁波大学", purpose="cooperation",
                                      requested="20", today=TODAY)
    services.update_application(staff, app, version=app.version, provider="浙江大学宁波研究院",
                                purpose="consulting", requested="25")
    make.session.flush()
    with pytest.raises(StaleEdit) as exc:
        services.update_application(staff, app, version=1, provider="别的", purpose="consulting")
    assert "已被他人修改" in exc.value.message and exc.value.changes[0].fields
    officer = make.user("town", towns=["浒山街道"])
    with pytest.raises(NotFound):
        services.get_application_for(officer, app.id)
    mine = make.user("town", towns=["周巷镇"])
    assert services.get_application_for(mine, app.id) is app
    firm_user = make.user("firm", firm=make.firm())
    with pytest.raises(NotFound):
        services.get_application_for(firm_user, app.id)
    with pytest.raises(ValidationError):
        services.create_application(officer, firm_id=firm.id, year=2016, provider="x", purpose="testing",
                                    requested="1", today=TODAY)
    entry = make.session.scalars(select(AuditLog).where(AuditLog.entity_type == "voucher_application",
                                                        AuditLog.action == "create")).one()
    assert entry.firm_id == firm.id and entry.after["requested"] == "20.00"


TIMEOUT = 120


def test_two_clerks_issuing_at_once_never_pass_the_budget(app, ctx, make):
    """Two clerks each issue 60 of a 100 budget at the same moment: one is issued, the
    other refused with the remaining budget (the budget row is locked while checking)."""
    from registry.auth.models import User
    from registry.extensions import db

    budget(make, 2016, "100")
    clerks = [make.user("staff").id for _ in range(2)]
    ids = [application(make, make.firm(), requested="60").id for _ in range(2)]
    ctx.commit()
    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def run(n):
        with app.app_context():
            try:
                mine = db.session.get(VoucherApplication, ids[n])
                actor = db.session.get(User, clerks[n])
                version = mine.version
                barrier.wait(timeout=TIMEOUT)
                services.issue(actor, mine, version=version, amount="60", today=TODAY)
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
        t.join(timeout=TIMEOUT)
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"], outcomes
    refusal = next(msg for kind, msg in outcomes if kind == "refused")
    assert "超过2016年创新券预算余额40万元" in refusal
    ctx.rollback()
    ctx.expire_all()
    total = ctx.scalar(select(func.sum(VoucherApplication.issued)).where(VoucherApplication.status == "approved"))
    assert Decimal(total) == Decimal("60.00")
