"""The voucher list of a year as a workbook, through the one exporter.

The columns carry the headers the voucher import recognises (specs_finance.VOUCHERS), so
an exported file can be corrected and imported back; the budget line is the title row.
"""
from __future__ import annotations

from datetime import date

from registry.excel.exporter import DATE, MONEY, TEXT, Column, Sheet, write_workbook
from registry.extensions import db
from registry.vouchers.amounts import wan
from registry.vouchers.services import VoucherFilter, budget_line, voucher_query

COLUMNS = [
    Column("序号", width=6), Column("企业名称"), Column("统一社会信用代码", number_format=TEXT),
    Column("所在镇（街道）"), Column("年度", number_format="0"), Column("服务机构"), Column("券种"),
    Column("申请金额（万元）", number_format=MONEY), Column("状态"), Column("核发金额（万元）", number_format=MONEY),
    Column("核发日期", number_format=DATE), Column("兑付金额（万元）", number_format=MONEY),
    Column("兑付日期", number_format=DATE), Column("审核意见", wrap=True), Column("备注", wrap=True),
]


def voucher_rows(apps) -> list[list]:
    rows = []
    for n, app in enumerate(apps, 1):
        firm = app.firm
        rows.append([n, firm.name, firm.uscc, firm.town.name if firm.town else None, app.year, app.provider,
                     app.purpose_label, app.requested, app.status_label, app.issued, app.issued_on,
                     app.redeemed, app.redeemed_on, app.review_comment, app.note])
    return rows


def vouchers_workbook(user, f: VoucherFilter, *, bureau: str, today: date | None = None) -> bytes:
    apps = list(db.session.scalars(voucher_query(user, f)))
    rows = voucher_rows(apps)
    stamp = (today or date.today()).strftime("%Y-%m-%d")
    title = f"{bureau} {f.year}年科技创新券申请与发放情况（{len(rows)}条，导出于{stamp}）"
    if f.year and user.can_view_all:
        line = budget_line(f.year)
        if line.budget is not None:
            title += f"\n年度预算{wan(line.budget)}，已核发{wan(line.issued)}，余额{wan(line.remaining)}"
    return write_workbook([Sheet("创新券申请", COLUMNS, rows, title_row=title)], title="科技创新券")
