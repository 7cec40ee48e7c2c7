"""Annual tier lists (名单): draft → 公示 → 发布; a published list is a frozen snapshot."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint, Date, DateTime, ForeignKey, Integer, Numeric, String, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow
from registry.vocab import TIER_LIST_STATUSES, check_in


class TierList(db.Model):
    """One programme's list for one year; entries copy what was published."""

    __tablename__ = "tier_lists"
    __table_args__ = (
        CheckConstraint(check_in("status", TIER_LIST_STATUSES), name="status"),
        UniqueConstraint("programme_id", "year", "batch"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    batch: Mapped[str] = mapped_column(String(50), default="")
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    notice_from: Mapped[date | None] = mapped_column(Date)  # 公示期
    notice_until: Mapped[date | None] = mapped_column(Date)
    document_no: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    programme = relationship("Programme")
    entries: Mapped[list["TierListEntry"]] = relationship(
        back_populates="tier_list", order_by="TierListEntry.seq", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        return TIER_LIST_STATUSES[self.status]


class TierListEntry(db.Model):
    """A firm on a list, with the firm's particulars copied at publication."""

    __tablename__ = "tier_list_entries"
    __table_args__ = (UniqueConstraint("tier_list_id", "firm_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tier_list_id: Mapped[int] = mapped_column(
        ForeignKey("tier_lists.id", ondelete="CASCADE"), index=True
    )
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    # Snapshot, filled on publication and never changed afterwards.
    firm_name: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18))
    town_name: Mapped[str | None] = mapped_column(String(50))
    industry_name: Mapped[str | None] = mapped_column(String(50))
    score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    screening: Mapped[dict | None] = mapped_column(db.JSON)  # why the firm qualified
    note: Mapped[str | None] = mapped_column(String(255))

    tier_list: Mapped[TierList] = relationship(back_populates="entries")
    firm = relationship("Firm")
