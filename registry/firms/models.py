"""Firms and their reference data: towns (镇街道), industries ("3+3"), names, annual data."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, Numeric, String,
    Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow
from registry.vocab import ANNUAL_DATA_STATUSES, FIRM_STATUSES, INDUSTRY_GROUPS, ZONES, check_in

MONEY = Numeric(16, 2)  # 万元 with two decimals, up to 10^14


class Town(db.Model):
    """A town or street (镇/街道); its zone decides "不含新区" figures."""

    __tablename__ = "towns"
    __table_args__ = (CheckConstraint(check_in("zone", ZONES), name="zone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    zone: Mapped[str] = mapped_column(String(16))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def zone_label(self) -> str:
        return ZONES[self.zone]

    def __repr__(self) -> str:
        return f"<Town {self.name}>"


class Industry(db.Model):
    """An industrial chain of the "3+3" plan, or 其他."""

    __tablename__ = "industries"
    __table_args__ = (CheckConstraint(check_in("grp", INDUSTRY_GROUPS), name="grp"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    grp: Mapped[str] = mapped_column(String(16))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Industry {self.name}>"


class Firm(db.Model):
    """One legal entity, keyed by its 统一社会信用代码; never hard-deleted once it has history."""

    __tablename__ = "firms"
    __table_args__ = (
        CheckConstraint(check_in("status", FIRM_STATUSES), name="status"),
        CheckConstraint("registered_capital IS NULL OR registered_capital >= 0", name="capital_nonneg"),
        # the statistics' 规上 count per cell reads this narrow index, not the wide rows
        Index("ix_firms_above_scale_cells", "above_scale", "town_id", "industry_id",
              "founded_on", "status", "status_changed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"), index=True)
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("industries.id"), index=True)
    founded_on: Mapped[date | None] = mapped_column(Date)
    registered_capital: Mapped[Decimal | None] = mapped_column(MONEY)
    legal_representative: Mapped[str | None] = mapped_column(String(50))
    contact_person: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(255))
    above_scale: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_changed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    town: Mapped[Town | None] = relationship()
    industry: Mapped[Industry | None] = relationship()
    former_names: Mapped[list["FirmName"]] = relationship(
        back_populates="firm", order_by="FirmName.changed_on.desc()", cascade="all, delete-orphan"
    )
    annual_data: Mapped[list["AnnualData"]] = relationship(
        back_populates="firm", order_by="AnnualData.year", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        return FIRM_STATUSES[self.status]

    @property
    def in_new_area(self) -> bool:
        return self.town is not None and self.town.zone == "new_area"

    def __repr__(self) -> str:
        return f"<Firm {self.uscc} {self.name}>"


class FirmName(db.Model):
    """A name the firm used before a rename; old names still find the firm."""

    __tablename__ = "firm_names"
    __table_args__ = (UniqueConstraint("firm_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    changed_on: Mapped[date | None] = mapped_column(Date)  # the day the name stopped being used

    firm: Mapped[Firm] = relationship(back_populates="former_names")


class AnnualData(db.Model):
    """A firm's figures for one year (money in 万元); R&D intensity is derived, not stored."""

    __tablename__ = "annual_data"
    __table_args__ = (
        UniqueConstraint("firm_id", "year"),
        CheckConstraint(check_in("status", ANNUAL_DATA_STATUSES), name="status"),
        CheckConstraint("year BETWEEN 1950 AND 2200", name="year_range"),
        CheckConstraint("revenue IS NULL OR revenue >= 0", name="revenue_nonneg"),
        CheckConstraint("rd_expense IS NULL OR rd_expense >= 0", name="rd_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    revenue: Mapped[Decimal | None] = mapped_column(MONEY)  # 营业收入
    rd_expense: Mapped[Decimal | None] = mapped_column(MONEY)  # 研发费用
    total_cost: Mapped[Decimal | None] = mapped_column(MONEY)  # 成本费用总额
    high_tech_revenue: Mapped[Decimal | None] = mapped_column(MONEY)  # 高新技术产品收入
    export_value: Mapped[Decimal | None] = mapped_column(MONEY)  # 出口交货值
    employees: Mapped[int | None] = mapped_column(Integer)  # 职工人数
    rd_staff: Mapped[int | None] = mapped_column(Integer)  # 研发人员
    tech_staff: Mapped[int | None] = mapped_column(Integer)  # 科技人员
    invention_patents: Mapped[int | None] = mapped_column(Integer)  # 发明专利
    utility_patents: Mapped[int | None] = mapped_column(Integer)  # 实用新型
    design_patents: Mapped[int | None] = mapped_column(Integer)  # 外观设计
    software_copyrights: Mapped[int | None] = mapped_column(Integer)  # 软件著作权
    status: Mapped[str] = mapped_column(String(16), default="accepted")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    firm: Mapped[Firm] = relationship(back_populates="annual_data")

    @property
    def rd_intensity(self) -> Decimal | None:
        """研发费用 / 营业收入 as a percentage, or None when it cannot be computed."""
        if not self.revenue or self.rd_expense is None:
            return None
        return (Decimal(self.rd_expense) * 100 / Decimal(self.revenue)).quantize(Decimal("0.01"))
