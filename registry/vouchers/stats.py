"""The voucher figures of a year for the statistics JSON ("vouchers").

One GROUP BY over the year's applications per town, so the zone filter works like every
other figure (``sql_towns`` in SQL where it can, ``cell_filter`` on the few aggregated
rows otherwise). The budget is the city's and not split by town: ``budget`` and
``remaining`` are the whole city's whatever the zone (the README says so).
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, func, literal_column, null, select, union_all

from registry.extensions import db
from registry.firms.models import Firm
from registry.vouchers.models import VoucherApplication, VoucherBudget
from registry.vouchers.services import ISSUED


def money(value) -> float:
    """万元 as a JSON number with two decimals."""
    return round(float(Decimal(value or 0)), 2)


def voucher_figures(year: int, towns, keep) -> dict:
    """``towns``: town ids to filter on in SQL (None: no SQL filter); ``keep``: which
    towns' rows belong to the zone (``registry.stats.services.sql_towns`` / ``cell_filter``).

    One statement: the zone's rows per town, then the city's budget and issued total as two
    more rows (UNION ALL; one-letter row kinds: MySQL may size a
    UNION's text column by its first branch), so the dashboard pays one query for the vouchers."""
    A = VoucherApplication
    zero, none = literal_column("0"), null()
    per_town = (select(literal_column("'t'").label("k"), Firm.town_id, func.count(A.id),
                       func.count(A.firm_id.distinct()), func.sum(case((A.status.in_(ISSUED), A.issued))),
                       func.sum(case((A.status == "redeemed", A.redeemed))))
                .join(Firm, A.firm_id == Firm.id).where(A.year == year).group_by(Firm.town_id))
    if towns is not None:
        per_town = per_town.where(Firm.town_id.in_(towns))
    budget = select(literal_column("'b'"), none, zero, zero, VoucherBudget.amount, none).where(
        VoucherBudget.year == year)
    city = select(literal_column("'c'"), none, zero, zero, func.sum(A.issued), none).where(
        A.year == year, A.status.in_(ISSUED))
    applications = firms = 0
    issued = redeemed = Decimal(0)
    budget_amount = city_issued = None
    for kind, town_id, n, f, i, r in db.session.execute(union_all(per_town, budget, city)):
        if kind == "b":
            budget_amount = Decimal(i)
        elif kind == "c":
            city_issued = Decimal(i or 0)
        elif keep(town_id):
            applications, firms = applications + int(n), firms + int(f)
            issued, redeemed = issued + Decimal(i or 0), redeemed + Decimal(r or 0)
    return {
        "applicant_firms": firms,
        "applications": applications,
        "issued_amount": money(issued),
        "redeemed_amount": money(redeemed),
        "budget": money(budget_amount) if budget_amount is not None else None,
        "remaining": money(budget_amount - (city_issued or 0)) if budget_amount is not None else None,
    }


def _wan(value) -> str:
    from registry.vouchers.amounts import wan

    return wan(Decimal(str(value or 0)))


def finance_sentence(stats: dict) -> str:
    """The bureau's phrasing: "全年受理26家企业申请，合计发放创新券金额228.3万元 … 授信科技企业8家，
    累计发放贷款2460万元" (no clause for a part with nothing to say)."""
    parts = []
    v = stats.get("vouchers")
    if v and (v["applications"] or v["budget"] is not None):
        text = (f"全年受理{v['applicant_firms']}家企业科技创新券申请（{v['applications']}件），"
                f"合计发放创新券金额{_wan(v['issued_amount'])}，已兑付{_wan(v['redeemed_amount'])}")
        if v["budget"] is not None:
            text += f"（全市年度预算{_wan(v['budget'])}，余额{_wan(v['remaining'])}）"
        parts.append(text)
    c = stats.get("credit")
    if c and (c["loans"] or c["pool_size"] is not None):
        text = (f"科技信贷风险池授信科技企业{c['firms_with_credit']}家，当年发放贷款{c['loans']}笔、"
                f"{_wan(c['loan_amount'])}，累计发放贷款{_wan(c['cumulative_loan_amount'])}")
        if c["pool_size"] is not None:
            text += f"（风险池规模{_wan(c['pool_size'])}）"
        if c["compensated_amount"]:
            text += f"，当年风险池代偿{_wan(c['compensated_amount'])}"
        parts.append(text)
    return "；".join(parts) + "。" if parts else ""


def finance_sheet(stats: dict, title: str):
    """The statistics workbook's sheet of voucher and credit figures."""
    from registry.excel.exporter import Column, Sheet

    v, c = stats["vouchers"], stats["credit"]
    rows = [("科技创新券·受理企业（家）", v["applicant_firms"]), ("科技创新券·申请（件）", v["applications"]),
            ("科技创新券·核发金额（万元）", v["issued_amount"]), ("科技创新券·兑付金额（万元）", v["redeemed_amount"]),
            ("科技创新券·全市年度预算（万元）", v["budget"]), ("科技创新券·全市预算余额（万元）", v["remaining"]),
            ("科技信贷·全市风险池规模（万元）", c["pool_size"]), ("科技信贷·授信企业（家）", c["firms_with_credit"]),
            ("科技信贷·当年贷款（笔）", c["loans"]), ("科技信贷·当年贷款金额（万元）", c["loan_amount"]),
            ("科技信贷·累计贷款金额（万元）", c["cumulative_loan_amount"]),
            ("科技信贷·当年代偿金额（万元）", c["compensated_amount"])]
    return Sheet("创新券与信贷", [Column("指标", width=34), Column("数值", width=16)], rows, title_row=title)
