"""Science and technology awards (科技奖励) won by a firm as one of a project's completers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow
from registry.vocab import AWARD_GRADES, LEVELS, check_in


class Award(db.Model):
    """An award (国家科技进步奖, 浙江省科学技术奖, 宁波市科技进步奖 …) for a project, its grade,
    year, and the firm's rank among the completers (完成单位排名, 1 = first)."""

    __tablename__ = "awards"
    __table_args__ = (
        CheckConstraint(check_in("level", LEVELS), name="level"),
        CheckConstraint(check_in("grade", AWARD_GRADES), name="grade"),
        CheckConstraint("firm_rank IS NULL OR firm_rank >= 1", name="rank_positive"),
        UniqueConstraint("firm_id", "project_name", "award", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    project_name: Mapped[str] = mapped_column(String(200))
    award: Mapped[str] = mapped_column(String(100))  # the award's name as written
    level: Mapped[str] = mapped_column(String(16))
    grade: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer, index=True)
    firm_rank: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    firm = relationship("Firm", backref="awards")

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]

    @property
    def grade_label(self) -> str:
        return AWARD_GRADES[self.grade]
