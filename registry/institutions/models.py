"""R&D institutions (研发机构) hosted by firms, with their level history (晋级)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow
from registry.vocab import INSTITUTION_STATUSES, LEVEL_CHANGE_KINDS, LEVELS, check_in


class RdInstitution(db.Model):
    """An institution at its current level; how it got there is in ``level_changes``."""

    __tablename__ = "rd_institutions"
    __table_args__ = (
        CheckConstraint(check_in("level", LEVELS), name="level"),
        CheckConstraint(check_in("status", INSTITUTION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    type: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(16), index=True)
    recognised_year: Mapped[int | None] = mapped_column(Integer)  # year of the current level
    first_recognised_year: Mapped[int | None] = mapped_column(Integer)
    document_no: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="active")
    closed_year: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    firm = relationship("Firm", backref="rd_institutions")
    level_changes: Mapped[list["RdLevelChange"]] = relationship(
        back_populates="institution",
        order_by="(RdLevelChange.year, RdLevelChange.id)",
        cascade="all, delete-orphan",
    )

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]

    @property
    def status_label(self) -> str:
        return INSTITUTION_STATUSES[self.status]


class RdLevelChange(db.Model):
    """One step in an institution's history: its first recognition, a 晋级 or a demotion."""

    __tablename__ = "rd_level_changes"
    __table_args__ = (
        CheckConstraint(check_in("kind", LEVEL_CHANGE_KINDS), name="kind"),
        CheckConstraint(
            "from_level IS NULL OR " + check_in("from_level", LEVELS), name="from_level"
        ),
        CheckConstraint(check_in("to_level", LEVELS), name="to_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("rd_institutions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    from_level: Mapped[str | None] = mapped_column(String(16))
    to_level: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    document_no: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)

    institution: Mapped[RdInstitution] = relationship(back_populates="level_changes")

    @property
    def kind_label(self) -> str:
        return LEVEL_CHANGE_KINDS[self.kind]
