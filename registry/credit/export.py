"""The loans of a pool year, and their repayments and compensations, as a workbook.

Through the one exporter; the 科技信贷 sheet carries the headers the loan import
recognises (specs_finance.LOANS), so an export can be corrected and imported back.
"""
from __future__ import annotations

from datetime import date

from registry.credit.services import LoanFilter, balance, loan_query, pool_line, programme_names
from registry.excel.exporter import DATE, MONEY, TEXT, Column, Sheet, write_workbook
from registry.extensions import db
from registry.vouchers.amounts import wan

LOAN_COLUMNS = [
    Column("序号", width=6), Column("企业名称"), Column("统一社会信用代码", number_format=TEXT),
    Column("所在镇（街道）"), Column("风险池年度", number_format="0"), Column("贷款银行"),
    Column("授信额度（万元）", number_format=MONEY), Column("贷款金额（万元）", number_format=MONEY),
    Column("放款日期", number_format=DATE), Column("到期日期", number_format=DATE), Column("状态"),
    Column("已还本金（万元）", number_format=MONEY), Column("未还本金（万元）", number_format=MONEY),
    Column("代偿金额（万元）", number_format=MONEY), Column("备注", wrap=True),
]
#: The loan is named in one column (bank, date, amount): with separate 贷款银行/放款日期
#: columns the import would take this sheet for a second list of loans.
EVENT_COLUMNS = [
    Column("企业名称"), Column("统一社会信用代码", number_format=TEXT), Column("所属贷款", width=36),
    Column("事项"), Column("发生日期", number_format=DATE), Column("金额（万元）", number_format=MONEY),
    Column("说明", wrap=True),
]


def loans_workbook(user, f: LoanFilter, *, bureau: str, today: date | None = None) -> bytes:
    loans = list(db.session.scalars(loan_query(user, f)))
    rows, events = [], []
    for n, loan in enumerate(loans, 1):
        firm, b = loan.firm, balance(loan)
        rows.append([n, firm.name, firm.uscc, firm.town.name if firm.town else None, loan.pool_year, loan.bank,
                     loan.credit_line, loan.amount, loan.loan_on, loan.due_on, loan.status_label, b.repaid,
                     b.outstanding, b.compensated, loan.note])
        for e in loan.events:
            events.append([firm.name, firm.uscc, f"{loan.bank} {loan.loan_on.isoformat()} {wan(loan.amount)}",
                           e.kind_label, e.occurred_on, e.amount, e.note])
    stamp = (today or date.today()).strftime("%Y-%m-%d")
    title = f"{bureau} {f.year}年科技信贷风险池贷款情况（{len(rows)}笔，导出于{stamp}）"
    if f.year and user.can_view_all:
        line = pool_line(f.year)
        if line.pool is not None:
            title += (f"\n风险池规模{wan(line.pool.size)}，代偿比例{line.pool.compensation_rate.normalize():f}%，"
                      f"准入：{programme_names(line.pool.eligible_programmes)}")
    return write_workbook([Sheet("科技信贷", LOAN_COLUMNS, rows, title_row=title),
                           Sheet("还款与代偿", EVENT_COLUMNS, events)], title="科技信贷")
