"""Innovation teams (科技创新团队), their members and yearly evaluations."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow
from registry.vocab import (
    EVALUATION_RESULTS, TEAM_LEVELS, TEAM_ROLES, TEAM_STATUSES, TITLE_GRADES, check_in,
)


class Team(db.Model):
    """A 慈溪市级 team; ``ningbo_year`` is set when it was also selected at 宁波市级."""

    __tablename__ = "teams"
    __table_args__ = (
        CheckConstraint(check_in("level", TEAM_LEVELS), name="level"),
        CheckConstraint(check_in("status", TEAM_STATUSES), name="status"),
        CheckConstraint("projects_in_progress >= 0", name="projects_nonneg"),
        UniqueConstraint("name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    leader_name: Mapped[str | None] = mapped_column(String(50))
    field: Mapped[str | None] = mapped_column(String(100))  # 研究方向
    level: Mapped[str] = mapped_column(String(16), default="cixi")
    recognised_year: Mapped[int | None] = mapped_column(Integer)
    ningbo_year: Mapped[int | None] = mapped_column(Integer)
    projects_in_progress: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")
    exit_year: Mapped[int | None] = mapped_column(Integer)
    exit_reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    firm = relationship("Firm", backref="teams")
    members: Mapped[list["TeamMember"]] = relationship(
        back_populates="team", order_by="TeamMember.id", cascade="all, delete-orphan"
    )
    evaluations: Mapped[list["TeamEvaluation"]] = relationship(
        back_populates="team", order_by="TeamEvaluation.year", cascade="all, delete-orphan"
    )

    @property
    def level_label(self) -> str:
        return TEAM_LEVELS[self.level]

    @property
    def status_label(self) -> str:
        return TEAM_STATUSES[self.status]


class TeamMember(db.Model):
    """A member; ``title`` is kept as written, ``title_grade`` is derived from it."""

    __tablename__ = "team_members"
    __table_args__ = (
        CheckConstraint(check_in("role", TEAM_ROLES), name="role"),
        CheckConstraint("title_grade IS NULL OR " + check_in("title_grade", TITLE_GRADES),
                        name="title_grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(50))
    title_grade: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16), default="member")
    education: Mapped[str | None] = mapped_column(String(30))
    joined_year: Mapped[int | None] = mapped_column(Integer)
    left_year: Mapped[int | None] = mapped_column(Integer)

    team: Mapped[Team] = relationship(back_populates="members")

    @property
    def role_label(self) -> str:
        return TEAM_ROLES[self.role]

    @property
    def title_grade_label(self) -> str:
        return TITLE_GRADES.get(self.title_grade or "", "")


class TeamEvaluation(db.Model):
    """The yearly evaluation; a 不合格 result marks the team for exit (动态管理)."""

    __tablename__ = "team_evaluations"
    __table_args__ = (
        UniqueConstraint("team_id", "year"),
        CheckConstraint(check_in("result", EVALUATION_RESULTS), name="result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)

    team: Mapped[Team] = relationship(back_populates="evaluations")

    @property
    def result_label(self) -> str:
        return EVALUATION_RESULTS[self.result]
