"""Programmes (培育/认定类别) as data, and the recognitions firms hold under them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String,
    Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.firms.models import Firm
from registry.timeutil import utcnow
from registry.vocab import LEVELS, RECOGNITION_STATUSES, check_in


class Programme(db.Model):
    """A recognition or cultivation programme; its rules are columns, not code."""

    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint(check_in("level", LEVELS), name="level"),
        CheckConstraint("validity_years >= 1", name="validity_pos"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(16))
    validity_years: Mapped[int] = mapped_column(Integer, default=1)
    has_certificate: Mapped[bool] = mapped_column(Boolean, default=False)
    is_ladder_rung: Mapped[bool] = mapped_column(Boolean, default=False)
    ladder_rank: Mapped[int | None] = mapped_column(Integer)  # 1 = 雏鹰, 2 = 瞪羚, 3 = 头雁
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str | None] = mapped_column(Text)

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]

    def __repr__(self) -> str:
        return f"<Programme {self.code}>"


class Recognition(db.Model):
    """A firm recognised under a programme in a year (or batch), with its validity."""

    __tablename__ = "recognitions"
    __table_args__ = (
        UniqueConstraint("firm_id", "programme_id", "year"),
        UniqueConstraint("programme_id", "certificate_no"),
        CheckConstraint(check_in("status", RECOGNITION_STATUSES), name="status"),
        CheckConstraint("year BETWEEN 1950 AND 2200", name="year_range"),
        CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from",
            name="validity_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    batch: Mapped[str | None] = mapped_column(String(50))  # 批次, e.g. "第一批"
    certificate_no: Mapped[str | None] = mapped_column(String(50))
    issued_on: Mapped[date | None] = mapped_column(Date)  # 发证日期
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    document_no: Mapped[str | None] = mapped_column(String(100))  # 文号 of the notice
    status: Mapped[str] = mapped_column(String(16), default="valid")
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    tier_list_id: Mapped[int | None] = mapped_column(ForeignKey("tier_lists.id"))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    firm: Mapped[Firm] = relationship(backref="recognitions")
    programme: Mapped[Programme] = relationship()
    tier_list = relationship("TierList")

    @property
    def status_label(self) -> str:
        return RECOGNITION_STATUSES[self.status]

    def state_label(self, day: date) -> str:
        """有效 / 已撤销 / 已到期 / 未生效 as of ``day``: what a clerk needs to read."""
        if self.status == "revoked":
            return RECOGNITION_STATUSES["revoked"]
        if self.valid_until and self.valid_until < day:
            return "已到期"
        if self.valid_from and self.valid_from > day:
            return "未生效"
        return RECOGNITION_STATUSES["valid"]

    def is_valid_on(self, day: date) -> bool:
        """True when the recognition was in force on ``day``."""
        if self.status == "revoked" and (self.revoked_on is None or self.revoked_on <= day):
            return False
        start = self.valid_from or date(self.year, 1, 1)
        end = self.valid_until or date(self.year + self.programme.validity_years - 1, 12, 31)
        return start <= day <= end


class ProgrammeHolding(db.Model):
    """One firm's holding of one programme over the years, derived from its recognitions.

    Kept in step with ``recognitions`` (and the firm's town and industry, copied here) by
    ``registry.recognitions.holdings`` on every write path; the statistics read it instead
    of re-deriving each recognition's years. ``*_bits`` hold the year-ends 1990–2051 (bit
    i = year 1990 + i), ``*_late`` 2052–2113: ``valid_*`` the years at whose end some
    recognition was in force, ``recognized_*`` the years it was recognised in.
    """

    __tablename__ = "programme_holdings"
    __table_args__ = (
        # the statistics group by these columns: the index alone answers them
        Index("ix_programme_holdings_cells", "programme_id", "town_id", "industry_id",
              "valid_bits", "valid_late", "recognized_bits", "recognized_late", "first_year"),
    )

    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"),
                                         primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"),
                                              primary_key=True)
    town_id: Mapped[int | None] = mapped_column(Integer)  # the firm's, copied
    industry_id: Mapped[int | None] = mapped_column(Integer)  # the firm's, copied
    first_year: Mapped[int] = mapped_column(Integer)  # the first recognition year
    valid_bits: Mapped[int] = mapped_column(BigInteger, default=0)
    valid_late: Mapped[int] = mapped_column(BigInteger, default=0)
    recognized_bits: Mapped[int] = mapped_column(BigInteger, default=0)
    recognized_late: Mapped[int] = mapped_column(BigInteger, default=0)


class HighTechReport(db.Model):
    """A 高企's 年报 for one fiscal year (due 31 May of the next year); two missed years
    in a certificate's validity cancel the status, so staff track who has not filed."""

    __tablename__ = "high_tech_reports"
    __table_args__ = (
        UniqueConstraint("firm_id", "year"),
        CheckConstraint("year BETWEEN 1950 AND 2200", name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)  # the fiscal year reported on
    recognition_id: Mapped[int | None] = mapped_column(ForeignKey("recognitions.id"))
    submitted_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    firm: Mapped[Firm] = relationship()
