"""Innovation voucher rules: the year's budget, applications, review (核发/未通过), redemption.

Every function takes the acting user, flushes and never commits (the view or CLI commits
once). The rule that matters most: the amounts issued in a year never add up to more than
that year's budget. ``lock_budget`` takes the budget row for the rest of the transaction
(SELECT … FOR UPDATE on PostgreSQL/MariaDB; on SQLite a no-op write takes the database's
single write lock), and the issued total is read only after that, with a locking read so
MariaDB's REPEATABLE READ snapshot cannot hide an issue committed a moment ago. Two clerks
issuing at once therefore queue on the budget row, and the second sees the first's amount.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from registry.audit.services import record, snapshot
from registry.errors import ConflictError, ValidationError
from registry.extensions import db
from registry.firms.models import Firm
from registry.firms.services import firm_scope
from registry.records import (
    check_version, check_year, clean_text, get_owned, lock_year_row, owned_scope, resolve_host_firm,
)
from registry.vocab import VOUCHER_PURPOSES, VOUCHER_STATUSES
from registry.vouchers.amounts import parse_day, parse_money, wan
from registry.vouchers.models import VoucherApplication, VoucherBudget

ENTITY = "voucher_application"
BUDGET_ENTITY = "voucher_budget"
FIELDS = ("firm_id", "year", "provider", "purpose", "requested", "status", "issued", "issued_on",
          "redeemed", "redeemed_on", "review_comment", "note", "version")
LABELS = {"firm_id": "申请企业", "year": "年度", "provider": "服务机构", "purpose": "券种（用途）",
          "requested": "申请金额（万元）", "status": "状态", "issued": "核发金额（万元）",
          "issued_on": "核发日期", "redeemed": "兑付金额（万元）", "redeemed_on": "兑付日期",
          "review_comment": "审核意见", "note": "备注"}
BUDGET_FIELDS = ("year", "amount", "note", "version")
NOT_FOUND = "创新券申请不存在或您无权查看。"
#: Statuses whose ``issued`` amount counts against the budget.
ISSUED = ("approved", "redeemed")
ZERO = Decimal("0.00")


def shown(key, value):
    if key == "status":
        return VOUCHER_STATUSES.get(value, value)
    if key == "purpose":
        return VOUCHER_PURPOSES.get(value, value)
    return value


def _audit(actor, action, app, summary, before=None):
    db.session.flush()
    return record(actor, action, ENTITY, app.id, firm_id=app.firm_id, summary=summary,
                  before=before, after=snapshot(app, FIELDS))


# --- access -------------------------------------------------------------------

def voucher_scope(user):
    """SQL condition: applications of firms ``user`` may see (a firm user: their own)."""
    return owned_scope(VoucherApplication, user)


def get_application_for(user, application_id) -> VoucherApplication:
    """The application if its firm is in ``user``'s scope; NotFound (404) otherwise."""
    return get_owned(user, VoucherApplication, application_id, NOT_FOUND,
                     selectinload(VoucherApplication.firm).selectinload(Firm.town),
                     selectinload(VoucherApplication.reviewed_by))


# --- the budget -----------------------------------------------------------------

def lock_budget(year: int) -> VoucherBudget | None:
    """The year's budget row, locked until the transaction ends (see the module docstring)."""
    return lock_year_row(VoucherBudget, year)


def issued_total(year: int, *, exclude_id: int | None = None, locking: bool = False) -> Decimal:
    """What has been issued in ``year`` (核发 and 兑付 applications).

    ``locking``: read with FOR SHARE (after ``lock_budget``) so the total is the committed
    one, not an older snapshot; the rows are summed here since PostgreSQL refuses FOR SHARE
    on an aggregate.
    """
    stmt = select(VoucherApplication.issued).where(VoucherApplication.year == year,
                                                   VoucherApplication.status.in_(ISSUED))
    if exclude_id is not None:
        stmt = stmt.where(VoucherApplication.id != exclude_id)
    if locking and db.session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update(read=True)
    return sum((v or ZERO for v in db.session.scalars(stmt)), ZERO)


@dataclass
class BudgetLine:
    """The figures at the top of a year's voucher list."""

    year: int
    budget: Decimal | None  # None: no budget set for the year
    issued: Decimal
    redeemed: Decimal
    applications: int
    firms: int
    note: str | None = None
    version: int | None = None

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.issued


def budget_line(year: int) -> BudgetLine:
    """Budget, issued, remaining for the whole city (the budget is not split by town)."""
    budget = db.session.get(VoucherBudget, year)
    A = VoucherApplication
    row = db.session.execute(select(
        func.coalesce(func.sum(case((A.status.in_(ISSUED), A.issued))), 0),
        func.coalesce(func.sum(case((A.status == "redeemed", A.redeemed))), 0),
        func.count(A.id), func.count(A.firm_id.distinct())).where(A.year == year)).one()
    return BudgetLine(year, budget.amount if budget else None, Decimal(row[0]).quantize(Decimal("0.01")),
                      Decimal(row[1]).quantize(Decimal("0.01")), int(row[2]), int(row[3]),
                      budget.note if budget else None, budget.version if budget else None)


def budget_years() -> list[int]:
    """Years with a budget or an application, newest first (the year picker)."""
    years = set(db.session.scalars(select(VoucherBudget.year)))
    years |= set(db.session.scalars(select(VoucherApplication.year).distinct()))
    return sorted(years, reverse=True)


def set_budget(actor, year, amount, *, note=None, version=None, today: date | None = None) -> VoucherBudget:
    """Create or change a year's budget; never below what has already been issued."""
    year = check_year(year, "预算年度", today=date((today or date.today()).year + 1, 12, 31))
    amount = parse_money(amount, "预算金额", field="amount")
    note = clean_text(note, "备注", field="note", max_length=2000)
    budget = lock_budget(year)
    if budget is not None and version not in (None, ""):
        check_version(budget, version, entity_type=BUDGET_ENTITY, what=f"{year}年创新券预算",
                      labels={BUDGET_ENTITY: {"amount": "预算金额（万元）", "note": "备注"}})
    issued = issued_total(year, locking=True)
    if amount < issued:
        raise ValidationError(f"{year}年已核发创新券{wan(issued)}，预算不能低于已核发金额", field="amount")
    if budget is None:
        budget = VoucherBudget(year=year, amount=amount, note=note)
        db.session.add(budget)
        db.session.flush()
        record(actor, "create", BUDGET_ENTITY, year, summary=f"设定{year}年创新券预算 {wan(amount)}",
               after=snapshot(budget, BUDGET_FIELDS))
        return budget
    before = snapshot(budget, BUDGET_FIELDS)
    if budget.amount == amount and budget.note == note:
        return budget
    budget.amount, budget.note = amount, note
    db.session.flush()
    record(actor, "update", BUDGET_ENTITY, year,
           summary=f"修改{year}年创新券预算：{wan(before['amount'])} → {wan(amount)}",
           before=before, after=snapshot(budget, BUDGET_FIELDS))
    return budget


# --- the list -------------------------------------------------------------------

@dataclass
class VoucherFilter:
    year: int | None = None
    q: str = ""
    status: str | None = None
    purpose: str | None = None
    town_id: int | None = None


def voucher_query(user, f: VoucherFilter):
    """The applications matching ``f`` in the user's scope, newest first."""
    A = VoucherApplication
    stmt = select(A).join(Firm, A.firm_id == Firm.id).where(firm_scope(user))
    if f.year:
        stmt = stmt.where(A.year == f.year)
    q = " ".join((f.q or "").split())
    if q:
        stmt = stmt.where(or_(Firm.name.contains(q, autoescape=True), Firm.uscc == q.upper(),
                              A.provider.contains(q, autoescape=True)))
    if f.status in VOUCHER_STATUSES:
        stmt = stmt.where(A.status == f.status)
    if f.purpose in VOUCHER_PURPOSES:
        stmt = stmt.where(A.purpose == f.purpose)
    if f.town_id:
        stmt = stmt.where(Firm.town_id == f.town_id)
    return stmt.options(selectinload(A.firm).selectinload(Firm.town)).order_by(
        A.year.desc(), A.created_at.desc(), A.id.desc())


# --- applications -----------------------------------------------------------------

def _purpose(value) -> str:
    if value in VOUCHER_PURPOSES:
        return value
    for code, label in VOUCHER_PURPOSES.items():
        if value == label:
            return code
    raise ValidationError("请选择券种（用途）：" + "、".join(VOUCHER_PURPOSES.values()), field="purpose")


def create_application(actor, *, firm_text=None, firm_id=None, year, provider, purpose, requested,
                       note=None, today: date | None = None) -> VoucherApplication:
    """A firm's application (已受理), in the actor's scope; nothing is issued yet."""
    firm = resolve_host_firm(actor, firm_text, firm_id=firm_id)
    app = VoucherApplication(
        firm=firm, firm_id=firm.id, year=check_year(year, "申请年度", today=today),
        provider=clean_text(provider, "服务机构", field="provider", max_length=200, required=True),
        purpose=_purpose(purpose),
        requested=parse_money(requested, "申请金额", field="requested", positive=True),
        status="submitted", note=clean_text(note, "备注", field="note", max_length=2000))
    db.session.add(app)
    _audit(actor, "create", app, f"受理创新券申请：{firm.name}（{app.year}年，{app.purpose_label}，"
                                 f"申请{wan(app.requested)}）")
    return app


def update_application(actor, app: VoucherApplication, *, version, provider, purpose, note=None,
                       requested=None) -> VoucherApplication:
    """Descriptive fields; the amount requested only while the application awaits review."""
    check_version(app, version, entity_type=ENTITY, what="该创新券申请", labels={ENTITY: LABELS}, shown=shown)
    values = {"provider": clean_text(provider, "服务机构", field="provider", max_length=200, required=True),
              "purpose": _purpose(purpose), "note": clean_text(note, "备注", field="note", max_length=2000)}
    if requested not in (None, ""):
        amount = parse_money(requested, "申请金额", field="requested", positive=True)
        if amount != app.requested and app.status != "submitted":
            raise ValidationError("申请已审核，不能再修改申请金额", field="requested")
        values["requested"] = amount
    before = snapshot(app, FIELDS)
    changed = {k: v for k, v in values.items() if getattr(app, k) != v}
    if not changed:
        return app
    for key, value in changed.items():
        setattr(app, key, value)
    _audit(actor, "update", app, f"修改创新券申请 {app.firm.name}（{'、'.join(LABELS[k] for k in changed)}）",
           before=before)
    return app


def issue(actor, app: VoucherApplication, *, version, amount, issued_on=None, comment=None,
          today: date | None = None) -> VoucherApplication:
    """核发: issue ``amount`` on an application awaiting review, within the year's budget."""
    check_version(app, version, entity_type=ENTITY, what="该创新券申请", labels={ENTITY: LABELS}, shown=shown)
    if app.status != "submitted":
        raise ValidationError(f"该申请{app.status_label}，不能再核发")
    amount = parse_money(amount, "核发金额", field="amount", positive=True)
    if amount > app.requested:
        raise ValidationError(f"核发金额{wan(amount)}不能超过申请金额{wan(app.requested)}", field="amount")
    day = parse_day(issued_on, "核发日期", field="issued_on", required=False, today=today) \
        or (today or date.today())
    comment = clean_text(comment, "审核意见", field="comment", max_length=2000)
    budget = lock_budget(app.year)
    if budget is None:
        raise ValidationError(f"{app.year}年尚未设定创新券预算，不能核发。请先由科技局工作人员设定年度预算。")
    issued = issued_total(app.year, exclude_id=app.id, locking=True)
    remaining = budget.amount - issued
    if amount > remaining:
        raise ValidationError(f"核发金额{wan(amount)}超过{app.year}年创新券预算余额{wan(remaining)}"
                              f"（预算{wan(budget.amount)}，已核发{wan(issued)}），未核发", field="amount")
    before = snapshot(app, FIELDS)
    app.status, app.issued, app.issued_on = "approved", amount, day
    app.reviewed_by_id, app.review_comment = getattr(actor, "id", None), comment
    _audit(actor, "review", app, f"核发创新券：{app.firm.name} {wan(amount)}（{app.year}年）", before=before)
    return app


def reject(actor, app: VoucherApplication, *, version, comment) -> VoucherApplication:
    """未通过: the reason is required, it is what the firm is told."""
    check_version(app, version, entity_type=ENTITY, what="该创新券申请", labels={ENTITY: LABELS}, shown=shown)
    if app.status != "submitted":
        raise ValidationError(f"该申请{app.status_label}，不能再审核")
    comment = clean_text(comment, "审核意见", field="comment", max_length=2000, required=True)
    before = snapshot(app, FIELDS)
    app.status, app.review_comment = "rejected", comment
    app.reviewed_by_id = getattr(actor, "id", None)
    _audit(actor, "review", app, f"创新券申请未通过：{app.firm.name}（{comment}）", before=before)
    return app


def redeem(actor, app: VoucherApplication, *, version, amount, redeemed_on,
           today: date | None = None) -> VoucherApplication:
    """兑付: the firm used the voucher with its provider; at most the amount issued."""
    check_version(app, version, entity_type=ENTITY, what="该创新券申请", labels={ENTITY: LABELS}, shown=shown)
    if app.status != "approved":
        raise ValidationError(f"该申请{app.status_label}，只有已核发的创新券可以兑付")
    amount = parse_money(amount, "兑付金额", field="amount", positive=True)
    if amount > app.issued:
        raise ValidationError(f"兑付金额{wan(amount)}不能超过核发金额{wan(app.issued)}", field="amount")
    day = parse_day(redeemed_on, "兑付日期", field="redeemed_on", today=today)
    if app.issued_on and day < app.issued_on:
        raise ValidationError(f"兑付日期不能早于核发日期（{app.issued_on.isoformat()}）", field="redeemed_on")
    before = snapshot(app, FIELDS)
    app.status, app.redeemed, app.redeemed_on = "redeemed", amount, day
    _audit(actor, "update", app, f"创新券兑付：{app.firm.name} {wan(amount)}", before=before)
    return app


def delete_application(actor, app: VoucherApplication, *, version) -> None:
    """Only an application nobody has reviewed yet (a typing mistake) may be deleted."""
    check_version(app, version, entity_type=ENTITY, what="该创新券申请", labels={ENTITY: LABELS}, shown=shown)
    if app.status != "submitted":
        raise ConflictError(f"该申请{app.status_label}，不能删除")
    before = snapshot(app, FIELDS)
    record(actor, "delete", ENTITY, app.id, firm_id=app.firm_id, before=before,
           summary=f"删除创新券申请：{app.firm.name}（{app.year}年，申请{wan(app.requested)}）")
    db.session.delete(app)
    db.session.flush()
