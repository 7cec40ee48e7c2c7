"""Import batches: one per uploaded workbook, from preview to applied."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow
from registry.vocab import IMPORT_KINDS, IMPORT_STATUSES, check_in


class ImportBatch(db.Model):
    __tablename__ = "import_batches"
    __table_args__ = (
        CheckConstraint(check_in("kind", IMPORT_KINDS), name="kind"),
        CheckConstraint(check_in("status", IMPORT_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="preview")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict | None] = mapped_column(db.JSON)  # per-sheet counts, options, errors

    uploaded_by = relationship("User")

    @property
    def kind_label(self) -> str:
        return IMPORT_KINDS[self.kind]

    @property
    def status_label(self) -> str:
        return IMPORT_STATUSES[self.status]
