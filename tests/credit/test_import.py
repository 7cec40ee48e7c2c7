"""Loan imports: eligibility on the loan date and the per-firm cap on every row (in file
order), negative amounts, 已结清 with its repayment, all-or-nothing, a messy workbook."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from registry.credit.models import CreditEvent, CreditLoan
from registry.credit.services import balance
from registry.errors import RegistryError
from registry.excel.importer import apply_plan, plan_import
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED
from tests.credit.builders import loan, pool
from tests.excel.test_importer import book, new_batch, reasons, sheet, statuses

TODAY = date(2017, 12, 31)


def eligible_firm(make, name=None):
    firm = make.firm(name)
    make.recognition(firm, "high_tech", year=2015, valid_from=date(2015, 1, 1), valid_until=date(2017, 12, 31))
    return firm


def row(firm, **kw):
    values = {"uscc": firm.uscc, "name": firm.name, "year": 2016, "bank": "中国银行慈溪分行",
              "amount": Decimal("300"), "loan_on": date(2016, 5, 10), "due_on": date(2017, 5, 9)}
    values.update(kw)
    return values


def test_loans_are_written_and_a_repaid_loan_gets_its_repayment(make):
    pool(make, 2016, max_loan="500")
    a, b = eligible_firm(make), eligible_firm(make)
    wb = book("loans", sheet("loans", [row(a, credit_line=Decimal("500")), row(b, status="已结清")]))
    plan = plan_import(wb, today=TODAY)
    assert statuses(plan) == [NEW, NEW], reasons(plan)
    apply_plan(plan, None, new_batch(make.session, "loans"))
    loans = make.session.scalars(select(CreditLoan).order_by(CreditLoan.id)).all()
    assert [(x.firm_id, x.status, x.amount, x.credit_line) for x in loans] == [
        (a.id, "outstanding", Decimal("300.00"), Decimal("500.00")), (b.id, "repaid", Decimal("300.00"), None)]
    assert balance(loans[1]).outstanding == Decimal("0.00")
    event = make.session.scalars(select(CreditEvent)).one()
    assert (event.kind, event.occurred_on, event.amount) == ("repayment", date(2017, 5, 9), Decimal("300.00"))
    assert statuses(plan_import(wb, today=TODAY)) == [UNCHANGED, UNCHANGED]
    again = plan_import(book("loans", sheet("loans", [row(a, due_on=date(2017, 6, 30))])), today=TODAY)
    assert statuses(again) == [UPDATED]
    assert [(c.label, c.old, c.new) for c in again.changes] == [("到期日期", date(2017, 5, 9), date(2017, 6, 30))]


def test_ineligible_firms_caps_and_negative_amounts_are_refused_and_nothing_is_written(make):
    pool(make, 2016, max_loan="500")
    good = eligible_firm(make)
    outsider = make.firm("慈溪市无资格测试电器有限公司")
    loan(make, good, amount="100", loan_on=date(2016, 2, 1))  # already borrowed 100
    rows = [row(good, amount=Decimal("300")), row(good, bank="农业银行", amount=Decimal("150")),
            row(outsider), row(good, bank="工商银行", amount=Decimal("-5")),
            row(good, bank="建设银行", amount=Decimal("50"), loan_on=date(2015, 12, 1)), row(good, bank="交通银行", year=2014)]
    plan = plan_import(book("loans", sheet("loans", rows)), today=TODAY)
    assert statuses(plan) == [NEW, ERROR, ERROR, ERROR, ERROR, ERROR]
    assert [r[1:] for r in reasons(plan)] == [
        ("贷款金额（万元）", "超过单户贷款上限：2016年风险池单户上限500万元，该企业已贷400万元，本笔150万元"),
        ("统一社会信用代码", "企业“慈溪市无资格测试电器有限公司”在放款日2016-05-10不持有有效的高新技术企业、科技型中小企业认定，"
                     "不符合2016年科技信贷风险池的准入条件"),
        ("贷款金额（万元）", "贷款金额不能为负数"),
        ("放款日期", "放款日期2015-12-01不在2016年风险池年度内"),
        ("风险池年度", "2014年尚未设立科技信贷风险池")]
    with pytest.raises(RegistryError, match="未导入任何数据"):
        apply_plan(plan, None, new_batch(make.session, "loans"))
    assert make.session.scalar(select(func.count()).select_from(CreditLoan)) == 1


def test_compensated_status_is_not_imported(make):
    pool(make, 2016)
    firm = eligible_firm(make)
    plan = plan_import(book("loans", sheet("loans", [row(firm, status="已代偿")])), today=TODAY)
    assert reasons(plan)[0][2] == "已代偿的贷款请在系统中登记代偿（代偿比例须核对），不能通过导入"


def _messy_xlsx(firm) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "授信明细"
    ws["A1"] = "2016年度慈溪市科技信贷风险池贷款发放情况"
    ws.merge_cells("A1:G1")
    ws.append(["序号", "借款企业", "统一社会信用代码", "合作银行", "贷款金额（万元）", "贷款日期", "贷款到期日"])
    ws.append([1, firm.name, firm.uscc, "宁波银行慈溪支行", "２００", "2016-08-18", "2017-08-17"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_messy_workbook_through_the_upload_services(make):
    from registry.excel.services import confirm_batch, stage_upload

    pool(make, 2016)
    firm = eligible_firm(make, "慈溪市杂乱信贷测试电器有限公司")
    staff = make.user("staff")
    batch, plan = stage_upload(staff, _messy_xlsx(firm), "信贷.xlsx")
    assert plan.workbook.kind == "loans"
    assert statuses(plan) == [NEW], reasons(plan)
    confirm_batch(staff, batch)
    got = make.session.scalars(select(CreditLoan)).one()
    assert (got.firm_id, got.pool_year, got.bank, got.amount, got.loan_on, got.due_on, got.status) == (
        firm.id, 2016, "宁波银行慈溪支行", Decimal("200.00"), date(2016, 8, 18), date(2017, 8, 17), "outstanding")


def test_an_exported_list_imports_back_unchanged(make):
    from registry.credit.export import loans_workbook
    from registry.credit.services import LoanFilter, add_event, mark_overdue
    from registry.excel.services import stage_upload

    pool(make, 2016)
    staff = make.user("staff")
    a, b, c = eligible_firm(make), eligible_firm(make), eligible_firm(make)
    loan(make, a, amount="300")
    repaid = loan(make, b, amount="200", bank="宁波银行慈溪支行")
    add_event(staff, repaid, version=repaid.version, kind="repayment", amount="200", occurred_on="2017-05-01",
              today=TODAY)
    bad = loan(make, c, amount="100", bank="慈溪农村商业银行")
    mark_overdue(staff, bad, version=bad.version)
    add_event(staff, bad, version=bad.version, kind="compensation", amount="40", occurred_on="2017-07-01",
              today=TODAY)
    make.session.flush()
    data = loans_workbook(staff, LoanFilter(year=2016), bureau="慈溪市科学技术局")
    _batch, plan = stage_upload(staff, data, "科技信贷_2016年.xlsx")
    assert plan.workbook.kind == "loans"
    assert statuses(plan) == [UNCHANGED] * 3, reasons(plan)
