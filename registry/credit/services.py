"""Technology credit rules (科技信贷风险池): the pool per year, loans under it, and events.

The pool's rules are data on its year (``CreditPool``): who may borrow (a recognition of
one of ``eligible_programmes`` valid on the loan date), the most one firm may borrow under
the year's pool (``max_loan``), and the share of a defaulted loan's outstanding principal
the pool compensates (``compensation_rate`` %). A loan's balance is its amount less its
repayments; a compensation (代偿) is allowed only on an overdue loan and at most rate % of
the balance; the pool's compensations net of recoveries never exceed its size. Loans and
compensations of one pool year are decided with the pool row locked (see
``registry.vouchers.services.lock_budget`` for why and how), so two clerks cannot together
pass a firm's cap or drain the pool. Functions flush, never commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from registry.audit.services import record, snapshot
from registry.credit.models import CreditEvent, CreditLoan, CreditPool
from registry.credit.pool import (  # noqa: F401  (re-exported: the views and tests use them here)
    POOL_ENTITY, POOL_FIELDS, PoolLine, check_loan_rules, eligible, firm_borrowed, lock_pool, net_compensation,
    pool_line, pool_years, programme_names, set_pool,
)
from registry.errors import ValidationError
from registry.extensions import db
from registry.firms.models import Firm
from registry.firms.services import firm_scope
from registry.records import (
    check_version, check_year, clean_text, get_owned, owned_scope, resolve_host_firm,
)
from registry.vocab import LOAN_EVENT_KINDS, LOAN_STATUSES
from registry.vouchers.amounts import CENT, parse_day, parse_money, wan

ENTITY = "credit_loan"
EVENT_ENTITY = "credit_event"
FIELDS = ("firm_id", "pool_year", "bank", "credit_line", "amount", "loan_on", "due_on", "status",
          "note", "version")
LABELS = {"firm_id": "借款企业", "pool_year": "风险池年度", "bank": "贷款银行", "credit_line": "授信额度（万元）",
          "amount": "贷款金额（万元）", "loan_on": "放款日期", "due_on": "到期日期", "status": "状态",
          "note": "备注"}
EVENT_FIELDS = ("loan_id", "kind", "occurred_on", "amount", "note")
NOT_FOUND = "贷款记录不存在或您无权查看。"
ZERO = Decimal("0.00")
#: Loans still owed to the bank (a compensation needs one of them, and an overdue one).
OPEN = ("outstanding", "overdue")


def shown(key, value):
    return LOAN_STATUSES.get(value, value) if key == "status" else value


def _audit(actor, action, loan, summary, before=None):
    db.session.flush()
    return record(actor, action, ENTITY, loan.id, firm_id=loan.firm_id, summary=summary,
                  before=before, after=snapshot(loan, FIELDS))


# --- access -------------------------------------------------------------------

def loan_scope(user):
    """SQL condition: loans of the firms ``user`` may see."""
    return owned_scope(CreditLoan, user)


def get_loan_for(user, loan_id) -> CreditLoan:
    """The loan if its firm is in ``user``'s scope; NotFound (404) otherwise."""
    return get_owned(user, CreditLoan, loan_id, NOT_FOUND, selectinload(CreditLoan.events),
                     selectinload(CreditLoan.pool), selectinload(CreditLoan.firm).selectinload(Firm.town))


# --- balances (from the events already loaded: no query per loan) -------------------

@dataclass
class Balance:
    repaid: Decimal
    compensated: Decimal
    recovered: Decimal
    outstanding: Decimal  # principal still owed: amount - repayments


def balance(loan: CreditLoan) -> Balance:
    return _sums(loan.amount, loan.events)


def compensation_cap(loan: CreditLoan, pool: CreditPool) -> Decimal:
    """The most the pool still compensates on ``loan``: rate % of the outstanding principal,
    less what it has compensated already (rounded down to the cent: never above the rule)."""
    b = balance(loan)
    cap = (b.outstanding * Decimal(pool.compensation_rate) / 100).quantize(CENT, rounding=ROUND_DOWN)
    return max(cap - b.compensated, ZERO)


# --- the list -------------------------------------------------------------------

@dataclass
class LoanFilter:
    year: int | None = None
    q: str = ""
    status: str | None = None
    town_id: int | None = None


def loan_query(user, f: LoanFilter):
    L = CreditLoan
    stmt = select(L).join(Firm, L.firm_id == Firm.id).where(firm_scope(user))
    if f.year:
        stmt = stmt.where(L.pool_year == f.year)
    q = " ".join((f.q or "").split())
    if q:
        stmt = stmt.where(or_(Firm.name.contains(q, autoescape=True), Firm.uscc == q.upper(),
                              L.bank.contains(q, autoescape=True)))
    if f.status in LOAN_STATUSES:
        stmt = stmt.where(L.status == f.status)
    if f.town_id:
        stmt = stmt.where(Firm.town_id == f.town_id)
    return stmt.options(selectinload(L.firm).selectinload(Firm.town), selectinload(L.events)).order_by(
        L.pool_year.desc(), L.loan_on.desc(), L.id.desc())


# --- loans ------------------------------------------------------------------------

def _loan_values(bank, credit_line, amount, loan_on, due_on, note, today):
    values = {"bank": clean_text(bank, "贷款银行", field="bank", max_length=100, required=True),
              "credit_line": parse_money(credit_line, "授信额度", field="credit_line", required=False),
              "amount": parse_money(amount, "贷款金额", field="amount", positive=True),
              "loan_on": parse_day(loan_on, "放款日期", field="loan_on", today=today),
              "due_on": parse_day(due_on, "到期日期", field="due_on", required=False,
                                  today=date(2200, 1, 1)),
              "note": clean_text(note, "备注", field="note", max_length=2000)}
    if values["due_on"] and values["due_on"] < values["loan_on"]:
        raise ValidationError("到期日期不能早于放款日期", field="due_on")
    if values["credit_line"] is not None and values["credit_line"] < values["amount"]:
        raise ValidationError("授信额度不能小于贷款金额", field="credit_line")
    return values


def _raise_first(problems) -> None:
    if problems:
        field, reason = problems[0]
        raise ValidationError(reason, field=field)


def create_loan(actor, *, firm_text=None, firm_id=None, pool_year, bank, amount, loan_on,
                credit_line=None, due_on=None, note=None, today: date | None = None) -> CreditLoan:
    """A loan under ``pool_year``'s pool to an eligible firm, within the firm's cap."""
    firm = resolve_host_firm(actor, firm_text, firm_id=firm_id)
    year = check_year(pool_year, "风险池年度", field="pool_year", today=today)
    values = _loan_values(bank, credit_line, amount, loan_on, due_on, note, today)
    pool = lock_pool(year)
    borrowed = firm_borrowed(firm.id, year) if pool is not None else ZERO
    ok = pool is not None and eligible(firm.id, pool, values["loan_on"])
    _raise_first(check_loan_rules(firm.id, firm.name, pool, year, values["amount"], values["loan_on"],
                                  borrowed=borrowed, eligible_now=ok))
    loan = CreditLoan(firm=firm, firm_id=firm.id, pool_year=year, status="outstanding", **values)
    db.session.add(loan)
    _audit(actor, "create", loan, f"新增科技信贷：{firm.name} {values['bank']} {wan(values['amount'])}"
                                  f"（{year}年风险池）")
    return loan


def update_loan(actor, loan: CreditLoan, *, version, bank, amount, loan_on, credit_line=None, due_on=None,
                note=None, today: date | None = None) -> CreditLoan:
    """Correct a loan's terms; the pool's rules are checked again on the new values."""
    check_version(loan, version, entity_type=ENTITY, what="该贷款记录", labels={ENTITY: LABELS}, shown=shown)
    values = _loan_values(bank, credit_line, amount, loan_on, due_on, note, today)
    b = balance(loan)
    if values["amount"] < b.repaid:
        raise ValidationError(f"贷款金额不能小于已还款金额{wan(b.repaid)}", field="amount")
    if values["amount"] != loan.amount or values["loan_on"] != loan.loan_on:
        pool = lock_pool(loan.pool_year)
        borrowed = firm_borrowed(loan.firm_id, loan.pool_year, exclude_id=loan.id)
        ok = pool is not None and eligible(loan.firm_id, pool, values["loan_on"])
        _raise_first(check_loan_rules(loan.firm_id, loan.firm.name, pool, loan.pool_year, values["amount"],
                                      values["loan_on"], borrowed=borrowed, eligible_now=ok))
    before = snapshot(loan, FIELDS)
    changed = {k: v for k, v in values.items() if getattr(loan, k) != v}
    if not changed:
        return loan
    for key, value in changed.items():
        setattr(loan, key, value)
    _audit(actor, "update", loan, f"修改科技信贷 {loan.firm.name}（{'、'.join(LABELS[k] for k in changed)}）",
           before=before)
    return loan


def mark_overdue(actor, loan: CreditLoan, *, version, note=None) -> CreditLoan:
    """逾期: the bank reports a default; only then may the pool compensate."""
    check_version(loan, version, entity_type=ENTITY, what="该贷款记录", labels={ENTITY: LABELS}, shown=shown)
    if loan.status != "outstanding":
        raise ValidationError(f"该贷款{loan.status_label}，不能标记为逾期")
    reason = clean_text(note, "说明", field="note", max_length=500)
    before = snapshot(loan, FIELDS)
    loan.status = "overdue"
    if reason:
        loan.note = f"{loan.note}\n逾期：{reason}" if loan.note else f"逾期：{reason}"
    _audit(actor, "status", loan, f"科技信贷逾期：{loan.firm.name} {loan.bank}" + (f"（{reason}）" if reason else ""),
           before=before)
    return loan


def _lock_loan(loan: CreditLoan) -> list[CreditEvent]:
    """Lock the loan row and read its events as committed (a locking read: MariaDB's
    REPEATABLE READ snapshot would otherwise show the events as they were at the first read)."""
    session = db.session
    sqlite = session.get_bind().dialect.name == "sqlite"
    table = CreditLoan.__table__
    if sqlite:
        session.execute(update(table).where(table.c.id == loan.id).values(id=table.c.id))
    session.execute(select(table.c.id).where(table.c.id == loan.id).with_for_update())
    stmt = select(CreditEvent).where(CreditEvent.loan_id == loan.id).execution_options(populate_existing=True)
    if not sqlite:
        stmt = stmt.with_for_update(read=True)
    return list(session.scalars(stmt))


def _sums(amount: Decimal, events) -> Balance:
    sums = {kind: ZERO for kind in LOAN_EVENT_KINDS}
    for event in events:
        sums[event.kind] += event.amount
    return Balance(sums["repayment"], sums["compensation"], sums["recovery"], amount - sums["repayment"])


def add_event(actor, loan: CreditLoan, *, version, kind, amount, occurred_on, note=None,
              today: date | None = None) -> CreditEvent:
    """还款 / 代偿 / 追偿 on a loan, under the pool's rules; the loan's status follows.

    The loan row is locked and its events read again first, so two clerks entering a
    repayment at once cannot together repay more than the loan; a compensation also locks
    the pool, so the pool's compensations never pass its size.
    """
    check_version(loan, version, entity_type=ENTITY, what="该贷款记录", labels={ENTITY: LABELS}, shown=shown)
    if kind not in LOAN_EVENT_KINDS:
        raise ValidationError("请选择类型：还款、代偿或追偿", field="kind")
    amount = parse_money(amount, "金额", field="amount", positive=True)
    day = parse_day(occurred_on, "日期", field="occurred_on", today=today)
    note = clean_text(note, "说明", field="note", max_length=2000)
    if day < loan.loan_on:
        raise ValidationError(f"日期不能早于放款日期（{loan.loan_on.isoformat()}）", field="occurred_on")
    # lock order: the pool before the loan (a compensation reads every loan of the pool;
    # two clerks each holding a loan and waiting for the pool would deadlock)
    pool = lock_pool(loan.pool_year) if kind == "compensation" else None
    b = _sums(loan.amount, _lock_loan(loan))
    before = snapshot(loan, FIELDS)
    status = loan.status
    if kind == "repayment":
        if status not in OPEN:
            raise ValidationError(f"该贷款{loan.status_label}，不能再登记还款")
        if amount > b.outstanding:
            raise ValidationError(f"还款金额{wan(amount)}超过未还本金{wan(b.outstanding)}", field="amount")
        if amount == b.outstanding:
            status = "repaid"
    elif kind == "compensation":
        if status not in ("overdue", "compensated"):
            raise ValidationError("只有逾期（违约）的贷款才能由风险池代偿，请先标记逾期")
        rate = Decimal(pool.compensation_rate)
        cap = max((b.outstanding * rate / 100).quantize(CENT, rounding=ROUND_DOWN) - b.compensated, ZERO)
        if amount > cap:
            raise ValidationError(
                f"代偿金额{wan(amount)}超过风险池规则：{loan.pool_year}年风险池代偿比例{rate.normalize():f}%，"
                f"未还本金{wan(b.outstanding)}，已代偿{wan(b.compensated)}，本笔最多{wan(cap)}", field="amount")
        drawn = net_compensation(loan.pool_year)
        if drawn + amount > pool.size:
            raise ValidationError(f"代偿金额超过{loan.pool_year}年风险池余额{wan(pool.size - drawn)}"
                                  f"（规模{wan(pool.size)}，已代偿{wan(drawn)}）", field="amount")
        status = "compensated"
    else:  # recovery
        owed = b.compensated - b.recovered
        if owed <= 0:
            raise ValidationError("该贷款没有待追偿的代偿款，不能登记追偿")
        if amount > owed:
            raise ValidationError(f"追偿金额{wan(amount)}超过待追偿的代偿款{wan(owed)}", field="amount")
    event = CreditEvent(loan_id=loan.id, kind=kind, occurred_on=day, amount=amount, note=note)
    db.session.add(event)
    if status != loan.status:
        loan.status = status
    db.session.flush()
    db.session.expire(loan, ["events"])  # the collection was read before the new event
    record(actor, "create", EVENT_ENTITY, event.id, firm_id=loan.firm_id,
           summary=f"{LOAN_EVENT_KINDS[kind]}：{loan.firm.name} {loan.bank} {wan(amount)}（{day.isoformat()}）",
           after=snapshot(event, EVENT_FIELDS))
    if loan.status != before["status"]:
        _audit(actor, "status", loan, f"科技信贷 {loan.firm.name} {loan.bank}："
                                      f"{LOAN_STATUSES[before['status']]} → {loan.status_label}", before=before)
    return event


def loans_of_firm(firm_id: int) -> list[CreditLoan]:
    """The 档案 page's loans, with events, in one query plus one for the events."""
    return list(db.session.scalars(select(CreditLoan).where(CreditLoan.firm_id == firm_id)
                                   .options(selectinload(CreditLoan.events))
                                   .order_by(CreditLoan.loan_on.desc(), CreditLoan.id.desc())))
