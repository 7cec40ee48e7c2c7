"""Loans under the credit pool (科技信贷) from a workbook: plan and write.

A loan is keyed by (firm, 贷款银行, 放款日期). Every row passes the pool's rules the loan
service applies (``registry.credit.pool.check_loan_rules``): the year's pool exists, the
loan date lies in it, the firm holds an admitted recognition valid that day, and the firm's
loans under the year stay within the per-firm cap — counted over the stored loans and this
file's rows in order. A loan imported as 已结清 gets one repayment of its full amount on its
到期日期; compensations (代偿) are entered in the app, where the pool's rate applies.
Writing locks the pool rows and checks the caps again. Shared helpers: importer_finance.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from registry.credit import services as credit
from registry.credit.models import CreditEvent, CreditLoan, CreditPool
from registry.errors import RegistryError
from registry.excel.importer_base import (
    Context, changed_labels, check_lengths, chunks, fail, in_error, max_lengths, name_key, seen_at,
)
from registry.excel.importer_finance import ZERO, amount_of, compare, firm_of
from registry.excel.importer_lists import firm_field
from registry.excel.importer_write import Writer
from registry.excel.specs_finance import LOANS
from registry.excel.types import ERROR, NEW, UPDATED, PlannedRow
from registry.extensions import db
from registry.recognitions.models import Programme, Recognition
from registry.vocab import LOAN_STATUSES
from registry.vouchers.amounts import wan

LOAN = CreditLoan.__table__
EVENT = CreditEvent.__table__
L_LABELS = {f.name: f.label for f in LOANS.fields}
L_STATUSES = {"在贷": "outstanding", "正常": "outstanding", "outstanding": "outstanding", "逾期": "overdue",
              "违约": "overdue", "overdue": "overdue", "已结清": "repaid", "结清": "repaid", "已还清": "repaid",
              "repaid": "repaid", "已代偿": "compensated", "代偿": "compensated", "compensated": "compensated"}
COMPENSATED_BY_IMPORT = "已代偿的贷款请在系统中登记代偿（代偿比例须核对），不能通过导入"


def _loan_values(prow, sheet) -> dict | None:
    v = prow.parsed.values
    amount = amount_of(prow, sheet, v, "amount", "贷款金额", positive=True)
    credit_line = amount_of(prow, sheet, v, "credit_line", "授信额度")
    loan_on, due_on = v.get("loan_on"), v.get("due_on")
    status = L_STATUSES.get(str(v.get("status")).strip()) if v.get("status") else "outstanding"
    if status is None:
        fail(prow, sheet, "status", f"状态“{str(v.get('status')).strip()}”无法识别：应为在贷、逾期或已结清")
    if in_error(prow) or amount is None or loan_on is None:
        return None
    if due_on and due_on < loan_on:
        fail(prow, sheet, "due_on", "到期日期不能早于放款日期")
    if credit_line is not None and credit_line < amount:
        fail(prow, sheet, "credit_line", "授信额度不能小于贷款金额")
    if status == "repaid" and not due_on:
        fail(prow, sheet, "due_on", "状态为已结清时请填写到期日期（按到期日记一笔全额还款）", value="")
    if in_error(prow):
        return None
    year = v.get("year") or sheet.year or loan_on.year
    return {"pool_year": year, "bank": v["bank"], "credit_line": credit_line, "amount": amount, "loan_on": loan_on,
            "due_on": due_on, "status": status, "note": v.get("note")}


def _recognitions(firm_ids) -> dict[int, list]:
    out = defaultdict(list)
    for chunk in chunks(firm_ids):
        stmt = (select(Recognition, Programme.code).join(Programme, Recognition.programme_id == Programme.id)
                .where(Recognition.firm_id.in_(chunk)))
        for rec, code in db.session.execute(stmt):
            out[rec.firm_id].append((code, rec))
    return out


def plan_loans(ctx: Context, sheets) -> None:
    entries = []
    for sheet in sheets:
        for parsed in sheet.rows:
            prow = ctx.rows.start(parsed)
            prow.entity = "credit_loan"
            prow.extra["title"] = parsed.values.get("bank") or ""
            check_lengths(prow, sheet, parsed.values, max_lengths(LOAN), {"bank": "bank"})
            firm = firm_of(ctx, prow, sheet)
            clean = _loan_values(prow, sheet) if not in_error(prow) else None
            entries.append((prow, sheet, firm, clean))
    firm_ids = {f.id for _p, _s, f, c in entries if f is not None and c is not None}
    stored, events = {}, set()
    for chunk in chunks(firm_ids):
        for row in db.session.execute(select(LOAN).where(LOAN.c.firm_id.in_(chunk))):
            stored[(row.firm_id, name_key(row.bank), row.loan_on)] = row
    for chunk in chunks([r.id for r in stored.values()]):
        events |= set(db.session.scalars(select(EVENT.c.loan_id).where(EVENT.c.loan_id.in_(chunk))))
    pools = {p.year: p for p in db.session.scalars(select(CreditPool))}
    recs = _recognitions(firm_ids)
    replaced = set()
    seen = {}
    for prow, sheet, firm, clean in entries:
        if firm is None or clean is None or in_error(prow):
            prow.status = ERROR
            continue
        key = (firm.id, name_key(clean["bank"]), clean["loan_on"])
        if key in seen:
            fail(prow, sheet, "loan_on", f"与{seen_at(seen[key], sheet)}重复（企业、贷款银行、放款日期相同）")
            continue
        seen[key] = (sheet.name, prow.parsed.row)
        existing = stored.get(key)
        if clean["status"] == "compensated" and (existing is None or existing.status != "compensated"):
            fail(prow, sheet, "status", COMPENSATED_BY_IMPORT)  # an exported 已代偿 loan re-imports unchanged
            continue
        if existing is not None:
            replaced.add(existing.id)
        prow.extra.update(clean=clean, existing=existing, firm_name=firm.name)
    borrowed = defaultdict(lambda: ZERO)  # (firm, year) → stored loans not in this file
    for row in stored.values():
        if row.id not in replaced:
            borrowed[(row.firm_id, row.pool_year)] += row.amount
    for prow, sheet, firm, clean in entries:
        if in_error(prow) or "clean" not in prow.extra:
            continue
        year, pool = clean["pool_year"], pools.get(clean["pool_year"])
        ok = pool is not None and (not pool.eligible_programmes or any(
            code in pool.eligible_programmes and rec.is_valid_on(clean["loan_on"]) for code, rec in recs[firm.id]))
        problems = credit.check_loan_rules(firm.id, firm.name, pool, year, clean["amount"], clean["loan_on"],
                                           borrowed=borrowed[(firm.id, year)], eligible_now=ok)
        for field, reason in problems:
            fail(prow, sheet, {"firm": firm_field(sheet), "pool_year": "year"}.get(field, field), reason)
        if in_error(prow):
            continue
        borrowed[(firm.id, year)] += clean["amount"]
        existing = prow.extra["existing"]
        if existing is None:
            prow.status, prow.writes = NEW, dict(clean, firm_id=firm.id)
            continue
        prow.entity_id = existing.id
        columns = [c for c in ("credit_line", "amount", "due_on", "status", "note") if c in sheet.columns]
        if "year" in sheet.columns:
            columns.append("pool_year")
        compare(prow, sheet, existing, clean, {**L_LABELS, "pool_year": "风险池年度"}, columns)
        if prow.status == UPDATED and existing.id in events and {"amount", "status", "pool_year"} & set(prow.writes):
            fail(prow, sheet, "amount" if "amount" in prow.writes else "status",
                 "该贷款已有还款或代偿记录，贷款金额、状态和风险池年度请在系统中修改")


def apply_loans(writer: Writer, rows: list[PlannedRow]) -> None:
    loans = [r for r in rows if r.entity == "credit_loan" and r.status in (NEW, UPDATED)]
    if not loans:
        return
    _recheck_caps(loans)
    new = [r for r in loans if r.status == NEW]
    writer.insert_new(LOAN, new, ("firm_id", "bank", "loan_on"), names=("bank",))
    for r in new:
        w = r.writes
        writer.log("credit_loan", r.entity_id, r.firm_id,
                   f"新增科技信贷 {w['bank']} {wan(w['amount'])}（{w['pool_year']}年风险池，{LOAN_STATUSES[w['status']]}）",
                   None, w)
    changed = [r for r in loans if r.status == UPDATED]
    writer.update(LOAN, [(r.entity_id, r.writes) for r in changed])
    for r in changed:
        writer.log("credit_loan", r.entity_id, r.firm_id, f"更新科技信贷 {r.extra['title']}（{changed_labels(r)}）",
                   r.extra["before"], r.writes)
    repaid = [r for r in loans if (r.writes or {}).get("status") == "repaid"]
    if repaid:
        events = [{"loan_id": r.entity_id, "kind": "repayment", "occurred_on": r.extra["clean"]["due_on"],
                   "amount": r.extra["clean"]["amount"], "note": "导入：已结清"} for r in repaid]
        writer.insert(EVENT, events)
        for r, e in zip(repaid, events):
            writer.log("credit_event", None, r.firm_id, f"还款（导入已结清）{r.extra['title']} {wan(e['amount'])}",
                       None, e)


def _recheck_caps(loans) -> None:
    """With the pool rows locked: each firm's loans under a year still fit the year's cap."""
    years = sorted({r.extra["clean"]["pool_year"] for r in loans})
    replaced = {r.entity_id for r in loans if r.status == UPDATED}
    for year in years:
        pool = credit.lock_pool(year)
        planned = defaultdict(lambda: ZERO)
        for r in loans:
            if r.extra["clean"]["pool_year"] == year:
                planned[r.firm_id] += r.extra["clean"]["amount"]
        if pool is None:
            raise RegistryError(f"导入未完成：{year}年科技信贷风险池已被删除或不存在，未导入任何数据。")
        if pool.max_loan is None:
            continue
        for firm_id, amount in planned.items():
            stmt = select(LOAN.c.id, LOAN.c.amount).where(LOAN.c.firm_id == firm_id, LOAN.c.pool_year == year)
            if db.session.get_bind().dialect.name != "sqlite":
                stmt = stmt.with_for_update(read=True)
            stored = sum((a for i, a in db.session.execute(stmt) if i not in replaced), ZERO)
            if stored + amount > pool.max_loan:
                name = next(r.extra["firm_name"] for r in loans if r.firm_id == firm_id)
                raise RegistryError(f"导入未完成：预览之后，企业“{name}”在{year}年风险池的贷款已有变化，"
                                    f"合计将超过单户上限{wan(pool.max_loan)}，未导入任何数据。请重新上传预览。")
