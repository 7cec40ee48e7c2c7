"""Projects (科技计划项目) and their process tracking (过程跟踪: milestones, 中期检查, 验收).

A project row is one firm's part in a plan's project: the firm leads it or takes part.
The same national project undertaken by two Cixi firms is two rows (one per firm), which
is what "承担国家科技计划项目82项" counts per firm record; ``project_no`` ties them together.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.firms.models import MONEY
from registry.timeutil import utcnow
from registry.vocab import (
    ACCEPTANCE_RESULTS, LEVELS, MILESTONE_KINDS, PROJECT_ROLES, PROJECT_STATUSES, check_in,
)


class Project(db.Model):
    """One firm's part in a 科技计划项目: plan, level, years, funding (万元) and status."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(check_in("level", LEVELS), name="level"),
        CheckConstraint(check_in("role", PROJECT_ROLES), name="role"),
        CheckConstraint(check_in("status", PROJECT_STATUSES), name="status"),
        CheckConstraint("acceptance_result IS NULL OR " + check_in("acceptance_result", ACCEPTANCE_RESULTS),
                        name="acceptance_result"),
        CheckConstraint("funding IS NULL OR funding >= 0", name="funding_nonneg"),
        CheckConstraint("end_year IS NULL OR end_year >= start_year", name="years_ordered"),
        UniqueConstraint("firm_id", "name", "start_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    project_no: Mapped[str | None] = mapped_column(String(64))  # 项目编号
    plan: Mapped[str] = mapped_column(String(100))  # 计划类别: 国家重点研发计划, 863, 宁波市重大科技专项 …
    level: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16), default="lead")
    start_year: Mapped[int] = mapped_column(Integer, index=True)
    end_year: Mapped[int | None] = mapped_column(Integer)
    funding: Mapped[Decimal | None] = mapped_column(MONEY)  # 资助经费（万元）
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    acceptance_year: Mapped[int | None] = mapped_column(Integer)
    acceptance_result: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    firm = relationship("Firm", backref="projects")
    milestones: Mapped[list["ProjectMilestone"]] = relationship(
        back_populates="project", order_by="ProjectMilestone.id", cascade="all, delete-orphan"
    )

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]

    @property
    def role_label(self) -> str:
        return PROJECT_ROLES[self.role]

    @property
    def status_label(self) -> str:
        return PROJECT_STATUSES[self.status]

    @property
    def acceptance_result_label(self) -> str:
        return ACCEPTANCE_RESULTS.get(self.acceptance_result or "", "")


class ProjectMilestone(db.Model):
    """A tracked step of a project: a progress milestone, the mid-term check or acceptance."""

    __tablename__ = "project_milestones"
    __table_args__ = (
        CheckConstraint(check_in("kind", MILESTONE_KINDS), name="kind"),
        CheckConstraint("result IS NULL OR " + check_in("result", ACCEPTANCE_RESULTS), name="result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="milestone")
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    result: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(back_populates="milestones")

    @property
    def kind_label(self) -> str:
        return MILESTONE_KINDS[self.kind]

    @property
    def result_label(self) -> str:
        return ACCEPTANCE_RESULTS.get(self.result or "", "")
