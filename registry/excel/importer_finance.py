"""Vouchers (科技创新券) from a workbook: plan and write; and the helpers the loan importer
(``importer_loans``) shares.

The same rules as the pages, on every row: a voucher's amounts (申请 ≥ 核发 ≥ 兑付, none
negative), its status agreeing with them, and the year's issued total within the year's
budget — counted in file order over the stored applications, so the row that would cross
the budget is the one in error, with the figures. Writing locks the year's budget row and
checks the total again (a clerk may have issued vouchers between the preview and the
confirmation): if it no longer fits, nothing is written. A voucher is keyed by (firm,
year, 服务机构, 券种).
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from registry.errors import RegistryError
from registry.excel.importer_base import (
    Context, changed_labels, check_lengths, chunks, fail, in_error, max_lengths, name_key, same, seen_at, shown,
)
from registry.excel.importer_lists import firm_field
from registry.excel.importer_write import Writer
from registry.excel.specs_finance import VOUCHERS
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED, Change, PlannedRow
from registry.extensions import db
from registry.vocab import LOAN_STATUSES, VOUCHER_PURPOSES, VOUCHER_STATUSES
from registry.vouchers import services as vouchers
from registry.vouchers.amounts import wan
from registry.vouchers.models import VoucherApplication, VoucherBudget

VOUCH = VoucherApplication.__table__
ZERO = Decimal("0.00")
V_LABELS = {f.name: f.label for f in VOUCHERS.fields}
PURPOSES = {**{name_key(v): k for k, v in VOUCHER_PURPOSES.items()}, **{k: k for k in VOUCHER_PURPOSES},
            "技术合作券": "cooperation", "检验检测券": "testing", "科技咨询券": "consulting", "研发设计券": "design"}
V_STATUSES = {**{v: k for k, v in VOUCHER_STATUSES.items()}, **{k: k for k in VOUCHER_STATUSES},
              "受理": "submitted", "待审核": "submitted", "核发": "approved", "已发放": "approved",
              "不予通过": "rejected", "不通过": "rejected", "兑付": "redeemed", "已兑现": "redeemed"}
RANK = {"submitted": 0, "rejected": 0, "approved": 1, "redeemed": 2}


def firm_of(ctx: Context, prow: PlannedRow, sheet):
    firm, code = ctx.firms.resolve(prow, sheet, what="企业")
    if firm is None:
        if code:
            fail(prow, sheet, firm_field(sheet), f"企业（统一社会信用代码{code}）不在库中，请先导入企业名录")
        return None
    prow.uscc, prow.firm_id = firm.uscc, firm.id
    return firm


def amount_of(prow, sheet, values, field, label, *, positive=False):
    value = values.get(field)
    if value is None:
        return None
    if value < 0:
        fail(prow, sheet, field, f"{label}不能为负数")
        return None
    if positive and value == 0:
        fail(prow, sheet, field, f"{label}应大于0")
        return None
    return Decimal(value).quantize(Decimal("0.01"))


def compare(prow, sheet, existing, clean: dict, labels: dict, columns) -> None:
    writes, before = {}, {}
    for column in columns:
        old, new = getattr(existing, column), clean[column]
        if same(old, new):
            continue
        writes[column], before[column] = new, old
        if column == "status":
            old, new = {**VOUCHER_STATUSES, **LOAN_STATUSES}.get(old, old), {**VOUCHER_STATUSES, **LOAN_STATUSES}[new]
        prow.changes.append(Change(sheet.name, prow.parsed.row, prow.uscc, column, labels.get(column, column),
                                   shown(old), shown(new)))
    if writes:
        prow.status, prow.writes, prow.extra["before"] = UPDATED, writes, before
    else:
        prow.status = UNCHANGED


# --- vouchers ------------------------------------------------------------------------

def _voucher_values(ctx, prow, sheet) -> dict | None:
    v = prow.parsed.values
    year = ctx.year_of(prow, sheet)
    purpose = PURPOSES.get(name_key(v.get("purpose"))) if v.get("purpose") else None
    if v.get("purpose") and purpose is None:
        fail(prow, sheet, "purpose", f"券种“{v['purpose']}”无法识别：应为" + "、".join(VOUCHER_PURPOSES.values()))
    requested = amount_of(prow, sheet, v, "requested", "申请金额", positive=True)
    issued = amount_of(prow, sheet, v, "issued", "核发金额", positive=True)
    redeemed = amount_of(prow, sheet, v, "redeemed", "兑付金额", positive=True)
    status = V_STATUSES.get(str(v.get("status")).strip()) if v.get("status") else None
    if v.get("status") and status is None:
        fail(prow, sheet, "status", f"状态“{v['status']}”无法识别：应为" + "、".join(VOUCHER_STATUSES.values()))
    if in_error(prow):
        return None
    status = status or ("redeemed" if redeemed is not None else "approved" if issued is not None else "submitted")
    word = VOUCHER_STATUSES[status]
    if status in vouchers.ISSUED and issued is None:
        fail(prow, sheet, "issued", f"状态为{word}时须填写核发金额", value="")
    if status not in vouchers.ISSUED and issued is not None:
        fail(prow, sheet, "issued", f"状态为{word}时不应有核发金额")
    if status == "redeemed" and redeemed is None:
        fail(prow, sheet, "redeemed", "状态为已兑付时须填写兑付金额", value="")
    if status != "redeemed" and redeemed is not None:
        fail(prow, sheet, "redeemed", f"状态为{word}时不应有兑付金额")
    if issued is not None and requested is not None and issued > requested:
        fail(prow, sheet, "issued", f"核发金额{wan(issued)}不能超过申请金额{wan(requested)}")
    if redeemed is not None and issued is not None and redeemed > issued:
        fail(prow, sheet, "redeemed", f"兑付金额{wan(redeemed)}不能超过核发金额{wan(issued)}")
    issued_on, redeemed_on = v.get("issued_on"), v.get("redeemed_on")
    if issued_on and redeemed_on and redeemed_on < issued_on:
        fail(prow, sheet, "redeemed_on", "兑付日期不能早于核发日期")
    if in_error(prow):
        return None
    return {"year": year, "provider": v["provider"], "purpose": purpose, "requested": requested, "status": status,
            "issued": issued, "issued_on": issued_on if issued is not None else None,
            "redeemed": redeemed, "redeemed_on": redeemed_on if redeemed is not None else None, "note": v.get("note")}


def plan_vouchers(ctx: Context, sheets) -> None:
    entries = []
    for sheet in sheets:
        for parsed in sheet.rows:
            prow = ctx.rows.start(parsed)
            prow.entity = "voucher_application"
            prow.extra["title"] = parsed.values.get("provider") or ""
            check_lengths(prow, sheet, parsed.values, max_lengths(VOUCH), {"provider": "provider"})
            firm = firm_of(ctx, prow, sheet)
            clean = _voucher_values(ctx, prow, sheet) if not in_error(prow) else None
            entries.append((prow, sheet, firm, clean))
    stored = {}
    for chunk in chunks({f.id for _p, _s, f, _c in entries if f is not None}):
        for row in db.session.execute(select(VOUCH).where(VOUCH.c.firm_id.in_(chunk))):
            stored[(row.firm_id, row.year, name_key(row.provider), row.purpose)] = row
    seen, years = {}, set()
    for prow, sheet, firm, clean in entries:
        if firm is None or clean is None or in_error(prow):
            prow.status = ERROR
            continue
        key = (firm.id, clean["year"], name_key(clean["provider"]), clean["purpose"])
        if key in seen:
            fail(prow, sheet, "provider", f"与{seen_at(seen[key], sheet)}重复（企业、年度、服务机构、券种相同）")
            continue
        seen[key] = (sheet.name, prow.parsed.row)
        existing = stored.get(key)
        prow.extra["clean"] = clean
        years.add(clean["year"])
        if existing is None:
            prow.status, prow.writes = NEW, dict(clean, firm_id=firm.id)
            prow.extra["final_issued"] = clean["issued"] or ZERO
            continue
        prow.entity_id = existing.id
        columns = [c for c in ("requested", "issued", "issued_on", "redeemed", "redeemed_on", "note")
                   if c in sheet.columns]
        # without a 状态 column the status follows the amounts, but never moves back
        if "status" in sheet.columns or RANK[clean["status"]] > RANK[existing.status]:
            columns.append("status")
        compare(prow, sheet, existing, clean, V_LABELS, columns)
        final = dict(existing._mapping, **(prow.writes or {}))
        prow.extra["final_issued"] = (final["issued"] or ZERO) if final["status"] in vouchers.ISSUED else ZERO
    _check_budgets(entries, years)


def _issued_by_year(years) -> dict[int, dict[int, Decimal]]:
    """Stored issued amounts per year, by application id."""
    out: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for chunk in chunks(sorted(years)):
        stmt = select(VOUCH.c.id, VOUCH.c.year, VOUCH.c.issued).where(
            VOUCH.c.year.in_(chunk), VOUCH.c.status.in_(vouchers.ISSUED))
        for i, year, issued in db.session.execute(stmt):
            out[year][i] = issued or ZERO
    return out


def _check_budgets(entries, years) -> None:
    """The year's issued total, over the stored rows and this file's rows in order."""
    if not years:
        return
    budgets = dict(db.session.execute(select(VoucherBudget.year, VoucherBudget.amount)
                                      .where(VoucherBudget.year.in_(sorted(years)))).all())
    stored = _issued_by_year(years)
    replaced = {p.entity_id for p, _s, _f, _c in entries if p.entity_id and "final_issued" in p.extra}
    running = {y: sum((v for i, v in stored[y].items() if i not in replaced), ZERO) for y in years}
    for prow, sheet, _firm_row, clean in entries:
        if "final_issued" not in prow.extra:
            continue
        year, amount = clean["year"], prow.extra["final_issued"]
        if not amount:
            continue
        budget = budgets.get(year)
        if budget is None:
            fail(prow, sheet, "issued", f"{year}年尚未设定创新券预算，不能导入核发金额（请先在“科技创新券”页面设定预算）")
            continue
        if running[year] + amount > budget:
            fail(prow, sheet, "issued", f"核发金额{wan(amount)}超过{year}年创新券预算余额{wan(budget - running[year])}"
                                        f"（预算{wan(budget)}，库中及本文件此前各行已核发{wan(running[year])}）")
            continue
        running[year] += amount


def apply_vouchers(writer: Writer, rows: list[PlannedRow]) -> None:
    apps = [r for r in rows if r.entity == "voucher_application" and r.status in (NEW, UPDATED)]
    if not apps:
        return
    _recheck_budgets(apps)
    new = [r for r in apps if r.status == NEW]
    writer.insert_new(VOUCH, new, ("firm_id", "year", "provider", "purpose"), names=("provider",))
    for r in new:
        w = r.writes
        writer.log("voucher_application", r.entity_id, r.firm_id,
                   f"新增创新券申请 {w['provider']}（{w['year']}年{VOUCHER_PURPOSES[w['purpose']]}，"
                   f"{VOUCHER_STATUSES[w['status']]}）", None, w)
    changed = [r for r in apps if r.status == UPDATED]
    writer.update(VOUCH, [(r.entity_id, r.writes) for r in changed])
    for r in changed:
        writer.log("voucher_application", r.entity_id, r.firm_id,
                   f"更新创新券申请 {r.extra['title']}（{changed_labels(r)}）", r.extra["before"], r.writes)


def _recheck_budgets(apps) -> None:
    """With the budget rows locked: the stored total (others may have issued since the
    preview) plus this batch's amounts still fits each year's budget, or nothing is written."""
    years = sorted({r.extra["clean"]["year"] for r in apps})
    replaced = {r.entity_id for r in apps if r.status == UPDATED}
    for year in years:
        budget = vouchers.lock_budget(year)
        planned = sum((r.extra["final_issued"] for r in apps if r.extra["clean"]["year"] == year), ZERO)
        if planned == 0:
            continue
        stmt = select(VOUCH.c.id, VOUCH.c.issued).where(VOUCH.c.year == year, VOUCH.c.status.in_(vouchers.ISSUED))
        if db.session.get_bind().dialect.name != "sqlite":
            stmt = stmt.with_for_update(read=True)
        stored = sum((v or ZERO for i, v in db.session.execute(stmt) if i not in replaced), ZERO)
        # rows of this file left UNCHANGED keep their stored amount in ``stored``
        if budget is None or stored + planned > budget.amount:
            raise RegistryError(f"导入未完成：预览之后，{year}年创新券已由他人核发或预算已调整，"
                                f"本文件的核发金额{wan(planned)}已超过预算余额"
                                f"{wan((budget.amount if budget else ZERO) - stored)}，未导入任何数据。请重新上传预览。")
