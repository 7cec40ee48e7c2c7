"""Innovation vouchers (科技创新券): the year's budget and each firm's application.

An application is 已受理 when filed, then 已核发 with the amount issued (or 未通过), then
已兑付 when the firm redeemed it with the service provider. The amounts issued in a year
never exceed that year's budget (the services check it; the budget row is locked while
they do).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.firms.models import MONEY
from registry.timeutil import utcnow
from registry.vocab import VOUCHER_PURPOSES, VOUCHER_STATUSES, check_in


class VoucherBudget(db.Model):
    """The amount (万元) the bureau may issue in vouchers in one year."""

    __tablename__ = "voucher_budgets"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_nonneg"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class VoucherApplication(db.Model):
    """A firm's application for a voucher in a year, and what became of it."""

    __tablename__ = "voucher_applications"
    __table_args__ = (
        CheckConstraint(check_in("purpose", VOUCHER_PURPOSES), name="purpose"),
        CheckConstraint(check_in("status", VOUCHER_STATUSES), name="status"),
        CheckConstraint("requested >= 0", name="requested_nonneg"),
        CheckConstraint("issued IS NULL OR issued >= 0", name="issued_nonneg"),
        CheckConstraint("redeemed IS NULL OR redeemed >= 0", name="redeemed_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    provider: Mapped[str] = mapped_column(String(200))  # 服务机构
    purpose: Mapped[str] = mapped_column(String(16))
    requested: Mapped[Decimal] = mapped_column(MONEY)  # 申请金额（万元）
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    issued: Mapped[Decimal | None] = mapped_column(MONEY)  # 核发金额（万元）
    issued_on: Mapped[date | None] = mapped_column(Date)
    redeemed: Mapped[Decimal | None] = mapped_column(MONEY)  # 兑付金额（万元）
    redeemed_on: Mapped[date | None] = mapped_column(Date)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    firm = relationship("Firm", backref="voucher_applications")
    reviewed_by = relationship("User")

    @property
    def purpose_label(self) -> str:
        return VOUCHER_PURPOSES[self.purpose]

    @property
    def status_label(self) -> str:
        return VOUCHER_STATUSES[self.status]
