"""The credit pool of a year and its rules: settings, the pool's figures, eligibility.

Split from ``registry.credit.services`` (which re-exports these names): the pool row lock,
the programme codes a pool admits, the per-firm cap and the rule check the loan services
and the importer share (``check_loan_rules``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from registry.audit.services import record, snapshot
from registry.credit.models import CreditEvent, CreditLoan, CreditPool
from registry.errors import ValidationError
from registry.extensions import db
from registry.records import check_version, check_year, clean_text, lock_year_row
from registry.recognitions.models import Programme, Recognition
from registry.vouchers.amounts import CENT, parse_money, wan

POOL_ENTITY = "credit_pool"
POOL_FIELDS = ("year", "size", "max_loan", "compensation_rate", "eligible_programmes", "note", "version")
ZERO = Decimal("0.00")


# --- the pool -----------------------------------------------------------------

def lock_pool(year: int) -> CreditPool | None:
    """The year's pool row, locked until the transaction ends."""
    return lock_year_row(CreditPool, year)


def _programme_codes(values) -> list[str]:
    known = {code: name for code, name in db.session.execute(select(Programme.code, Programme.name))}
    by_name = {name: code for code, name in known.items()}
    out = []
    for value in values or ():
        code = value if value in known else by_name.get(value)
        if code is None:
            raise ValidationError(f"未知的认定类别：{value}", field="eligible_programmes")
        if code not in out:
            out.append(code)
    return out


def programme_names(codes) -> str:
    names = dict(db.session.execute(select(Programme.code, Programme.name)).all())
    return "、".join(names.get(c, c) for c in codes or ()) or "不限"


def set_pool(actor, year, *, size, max_loan=None, compensation_rate, eligible_programmes=(),
             note=None, version=None, today: date | None = None) -> CreditPool:
    """Create or change a year's pool and its rules (staff only: the view says so)."""
    year = check_year(year, "风险池年度", today=date((today or date.today()).year + 1, 12, 31))
    size = parse_money(size, "风险池规模", field="size")
    cap = parse_money(max_loan, "单户贷款上限", field="max_loan", required=False, positive=True)
    rate = parse_money(compensation_rate, "代偿比例", field="compensation_rate")
    if rate > 100:
        raise ValidationError("代偿比例应在0–100（%）之间", field="compensation_rate")
    codes = _programme_codes(eligible_programmes)
    note = clean_text(note, "备注", field="note", max_length=2000)
    pool = lock_pool(year)
    if pool is None:
        pool = CreditPool(year=year, size=size, max_loan=cap, compensation_rate=rate,
                          eligible_programmes=codes, note=note)
        db.session.add(pool)
        db.session.flush()
        record(actor, "create", POOL_ENTITY, year, summary=f"设立{year}年科技信贷风险池 {wan(size)}",
               after=snapshot(pool, POOL_FIELDS))
        return pool
    if version not in (None, ""):
        check_version(pool, version, entity_type=POOL_ENTITY, what=f"{year}年风险池",
                      labels={POOL_ENTITY: {"size": "风险池规模（万元）", "max_loan": "单户贷款上限（万元）",
                                            "compensation_rate": "代偿比例（%）", "note": "备注"}})
    drawn = net_compensation(year)
    if size < drawn:
        raise ValidationError(f"{year}年风险池已代偿（扣除追偿）{wan(drawn)}，规模不能低于此数", field="size")
    before = snapshot(pool, POOL_FIELDS)
    values = {"size": size, "max_loan": cap, "compensation_rate": rate, "eligible_programmes": codes,
              "note": note}
    changed = {k: v for k, v in values.items() if getattr(pool, k) != v}
    if not changed:
        return pool
    for key, value in changed.items():
        setattr(pool, key, value)
    db.session.flush()
    record(actor, "update", POOL_ENTITY, year, summary=f"修改{year}年科技信贷风险池规则",
           before=before, after=snapshot(pool, POOL_FIELDS))
    return pool


def pool_years() -> list[int]:
    return sorted(db.session.scalars(select(CreditPool.year)), reverse=True)


def net_compensation(year: int) -> Decimal:
    """Compensations less recoveries on the loans of ``year``'s pool (after ``lock_pool``)."""
    E, L = CreditEvent, CreditLoan
    stmt = (select(E.kind, E.amount).join(L, E.loan_id == L.id)
            .where(L.pool_year == year, E.kind.in_(("compensation", "recovery"))))
    if db.session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update(read=True, of=E)
    total = ZERO
    for kind, amount in db.session.execute(stmt):
        total += amount if kind == "compensation" else -amount
    return total


@dataclass
class PoolLine:
    """The figures at the top of a year's loan list (whole city)."""

    pool: CreditPool | None
    loans: int
    firms: int
    amount: Decimal
    compensated: Decimal
    recovered: Decimal


def pool_line(year: int) -> PoolLine:
    L, E = CreditLoan, CreditEvent
    loans, firms, amount = db.session.execute(
        select(func.count(L.id), func.count(L.firm_id.distinct()), func.coalesce(func.sum(L.amount), 0))
        .where(L.pool_year == year)).one()
    sums = dict(db.session.execute(
        select(E.kind, func.sum(E.amount)).join(L, E.loan_id == L.id)
        .where(L.pool_year == year).group_by(E.kind)).all())
    return PoolLine(db.session.get(CreditPool, year), int(loans), int(firms), Decimal(amount).quantize(CENT),
                    Decimal(sums.get("compensation") or 0).quantize(CENT),
                    Decimal(sums.get("recovery") or 0).quantize(CENT))


# --- eligibility ----------------------------------------------------------------

def eligible(firm_id: int, pool: CreditPool, day: date) -> bool:
    """A recognition of one of the pool's programmes valid on ``day`` (no list: anyone)."""
    codes = pool.eligible_programmes or []
    if not codes:
        return True
    recs = db.session.scalars(select(Recognition).join(Programme, Recognition.programme_id == Programme.id)
                              .where(Recognition.firm_id == firm_id, Programme.code.in_(codes))
                              .options(selectinload(Recognition.programme)))
    return any(rec.is_valid_on(day) for rec in recs)


def check_loan_rules(firm_id: int, firm_name: str, pool: CreditPool | None, pool_year: int, amount: Decimal,
                     loan_on: date, *, borrowed: Decimal, eligible_now: bool) -> list[tuple[str, str]]:
    """The pool's rules on one loan, as (field, Chinese reason) pairs; the importer shares them.

    ``borrowed`` is what the firm already owes under the year's pool (other loans).
    """
    problems = []
    if pool is None:
        return [("pool_year", f"{pool_year}年尚未设立科技信贷风险池")]
    if loan_on.year != pool_year:
        problems.append(("loan_on", f"放款日期{loan_on.isoformat()}不在{pool_year}年风险池年度内"))
    if not eligible_now:
        problems.append(("firm", f"企业“{firm_name}”在放款日{loan_on.isoformat()}不持有有效的"
                                 f"{programme_names(pool.eligible_programmes)}认定，"
                                 f"不符合{pool_year}年科技信贷风险池的准入条件"))
    if pool.max_loan is not None and borrowed + amount > pool.max_loan:
        problems.append(("amount", f"超过单户贷款上限：{pool_year}年风险池单户上限{wan(pool.max_loan)}，"
                                   f"该企业已贷{wan(borrowed)}，本笔{wan(amount)}"))
    return problems


def firm_borrowed(firm_id: int, year: int, exclude_id: int | None = None) -> Decimal:
    L = CreditLoan
    stmt = select(L.amount).where(L.firm_id == firm_id, L.pool_year == year)
    if exclude_id is not None:
        stmt = stmt.where(L.id != exclude_id)
    if db.session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update(read=True)
    return sum(db.session.scalars(stmt), ZERO)
