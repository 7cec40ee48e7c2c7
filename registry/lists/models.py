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
    # How the entry came: screening / search / import / amendment (0002).
    source: Mapped[str | None] = mapped_column(String(16))

    tier_list: Mapped[TierList] = relationship(back_populates="entries")
    firm = relationship("Firm")


# --- criteria, objections, amendments (migration 0002) ------------------------------------

#: What a criterion measures; each kind is evaluated by ``registry.lists.criteria``.
CRITERION_KINDS = {
    "firm_age": "成立年限",
    "revenue": "营业收入",
    "employees": "职工人数",
    "rd_intensity": "研发费用占营业收入比例",
    "revenue_growth": "营业收入复合增长率",
    "tech_staff_share": "科技人员占比",
    "high_tech_revenue_share": "高新技术产品收入占比",
    "invention_patents": "发明专利",
    "holds_programme": "持有/曾获认定",
    "rd_institution": "研发机构级别",
    "above_scale": "规上企业",
    "location": "所在镇（街道）/区域",
    "rubric": "评分表",
}
#: required: every one must pass; direct (直通车): passing any one admits the firm outright.
CRITERION_ROLES = {"required": "必备条件", "direct": "直通车"}
OBJECTION_KINDS = {"objection": "异议", "withdrawal": "撤回申请"}
OBJECTION_OUTCOMES = {"pending": "待处理", "upheld": "成立（移出名单）", "dismissed": "不成立（保留）"}
AMENDMENT_KINDS = {"add": "增补", "remove": "撤销", "correct": "更正"}


class CriteriaSet(db.Model):
    """The criteria of one programme for one year, screened on ``data_year``'s figures.

    Thresholds change every year, so they are rows an admin edits, never code.
    """

    __tablename__ = "list_criteria_sets"
    __table_args__ = (
        UniqueConstraint("programme_id", "year"),
        CheckConstraint("year BETWEEN 1950 AND 2200", name="year_range"),
        CheckConstraint("data_year BETWEEN 1950 AND 2200 AND data_year <= year", name="data_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    data_year: Mapped[int] = mapped_column(Integer)  # whose annual data is screened
    note: Mapped[str | None] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(db.Boolean, default=False)  # shipped defaults, not law
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    programme = relationship("Programme")
    criteria: Mapped[list["Criterion"]] = relationship(
        back_populates="criteria_set", order_by="(Criterion.seq, Criterion.id)",
        cascade="all, delete-orphan",
    )


class Criterion(db.Model):
    """One condition: a kind over the firm's record and annual data, with its parameters.

    ``params`` holds the thresholds (``min``/``max``, revenue ``bands``, ``years``,
    ``programme``, ``mode``, ``level``, ``zone``/``towns``) or, for a rubric, its items with
    bands of points, the pass mark and the items that must score above zero.
    """

    __tablename__ = "list_criteria"
    __table_args__ = (
        CheckConstraint(check_in("kind", CRITERION_KINDS), name="kind"),
        CheckConstraint(check_in("role", CRITERION_ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    criteria_set_id: Mapped[int] = mapped_column(
        ForeignKey("list_criteria_sets.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16), default="required")
    label: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict] = mapped_column(db.JSON, default=dict)
    note: Mapped[str | None] = mapped_column(String(255))

    criteria_set: Mapped[CriteriaSet] = relationship(back_populates="criteria")

    @property
    def kind_label(self) -> str:
        return CRITERION_KINDS[self.kind]

    @property
    def role_label(self) -> str:
        return CRITERION_ROLES[self.role]


class ListObjection(db.Model):
    """An objection raised during 公示, or a firm's withdrawal, and what became of it."""

    __tablename__ = "tier_list_objections"
    __table_args__ = (
        CheckConstraint(check_in("kind", OBJECTION_KINDS), name="kind"),
        CheckConstraint(check_in("outcome", OBJECTION_OUTCOMES), name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tier_list_id: Mapped[int] = mapped_column(
        ForeignKey("tier_lists.id", ondelete="CASCADE"), index=True
    )
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    firm_name: Mapped[str] = mapped_column(String(200))  # as it stood on the list
    kind: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[date] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    resolution: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    tier_list = relationship("TierList", backref="objections")

    @property
    def kind_label(self) -> str:
        return OBJECTION_KINDS[self.kind]

    @property
    def outcome_label(self) -> str:
        return OBJECTION_OUTCOMES[self.outcome]


class ListAmendment(db.Model):
    """The one way a published list changes: a recorded addition, removal or correction."""

    __tablename__ = "tier_list_amendments"
    __table_args__ = (CheckConstraint(check_in("kind", AMENDMENT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tier_list_id: Mapped[int] = mapped_column(
        ForeignKey("tier_lists.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    document_no: Mapped[str | None] = mapped_column(String(100))  # 文号 of the correction
    reason: Mapped[str] = mapped_column(Text)
    before: Mapped[dict | None] = mapped_column(db.JSON)
    after: Mapped[dict | None] = mapped_column(db.JSON)
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    tier_list = relationship("TierList", backref="amendments")
    firm = relationship("Firm")

    @property
    def kind_label(self) -> str:
        return AMENDMENT_KINDS[self.kind]
