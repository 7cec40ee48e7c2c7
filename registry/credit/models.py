"""Technology credit (科技信贷风险池): the pool per year, loans to firms, and their events.

The pool's rules are data on its year: its size, the most one firm may borrow under it,
the share of a default the pool compensates (代偿/补偿比例), and which recognitions make a
firm eligible (programme codes, e.g. high_tech and tech_sme). A loan's events are its
repayments, the pool's compensations and any recovery afterwards.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.firms.models import MONEY
from registry.timeutil import utcnow
from registry.vocab import LOAN_EVENT_KINDS, LOAN_STATUSES, check_in


class CreditPool(db.Model):
    """The risk pool of one year and its rules."""

    __tablename__ = "credit_pools"
    __table_args__ = (
        CheckConstraint("size >= 0", name="size_nonneg"),
        CheckConstraint("max_loan IS NULL OR max_loan > 0", name="max_loan_positive"),
        CheckConstraint("compensation_rate >= 0 AND compensation_rate <= 100", name="rate_percent"),
    )

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[Decimal] = mapped_column(MONEY)  # 风险池规模（万元）
    max_loan: Mapped[Decimal | None] = mapped_column(MONEY)  # 单户贷款上限（万元）
    compensation_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=0)  # 代偿比例（%）
    eligible_programmes: Mapped[list | None] = mapped_column(db.JSON)  # programme codes
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class CreditLoan(db.Model):
    """A credit line and loan granted to a firm by a bank under one year's pool."""

    __tablename__ = "credit_loans"
    __table_args__ = (
        CheckConstraint(check_in("status", LOAN_STATUSES), name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("credit_line IS NULL OR credit_line >= 0", name="credit_line_nonneg"),
        CheckConstraint("due_on IS NULL OR due_on >= loan_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    pool_year: Mapped[int] = mapped_column(ForeignKey("credit_pools.year"), index=True)
    bank: Mapped[str] = mapped_column(String(100))
    credit_line: Mapped[Decimal | None] = mapped_column(MONEY)  # 授信额度（万元）
    amount: Mapped[Decimal] = mapped_column(MONEY)  # 贷款金额（万元）
    loan_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="outstanding")
    note: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    firm = relationship("Firm", backref="credit_loans")
    pool = relationship("CreditPool")
    events: Mapped[list["CreditEvent"]] = relationship(
        back_populates="loan", order_by="CreditEvent.occurred_on", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        return LOAN_STATUSES[self.status]


class CreditEvent(db.Model):
    """A repayment, a compensation by the pool (代偿/补偿) or a recovery on a loan."""

    __tablename__ = "credit_events"
    __table_args__ = (
        CheckConstraint(check_in("kind", LOAN_EVENT_KINDS), name="kind"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("credit_loans.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    occurred_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    note: Mapped[str | None] = mapped_column(Text)

    loan: Mapped[CreditLoan] = relationship(back_populates="events")

    @property
    def kind_label(self) -> str:
        return LOAN_EVENT_KINDS[self.kind]
