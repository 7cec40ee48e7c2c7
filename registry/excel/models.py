"""Import batches (one per uploaded workbook, from preview to applied) and saved column maps."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean, CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String, Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow
from registry.vocab import (
    IMPORT_JOB_PHASES, IMPORT_JOB_STATUSES, IMPORT_KINDS, IMPORT_STATUSES, check_in,
)

# BLOB on MariaDB holds 64 KiB only; uploads are kept whole until confirmed.
FILE_BYTES = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


class ImportBatch(db.Model):
    """An uploaded workbook. Its bytes stay in the database while it is a preview, so any
    app server can confirm it; they are dropped once the batch is applied or discarded."""

    __tablename__ = "import_batches"
    __table_args__ = (
        CheckConstraint(check_in("kind", IMPORT_KINDS), name="kind"),
        CheckConstraint(check_in("status", IMPORT_STATUSES), name="status"),
        CheckConstraint("job_status IS NULL OR " + check_in("job_status", IMPORT_JOB_STATUSES),
                        name="job_status"),
        CheckConstraint("job_phase IS NULL OR " + check_in("job_phase", IMPORT_JOB_PHASES),
                        name="job_phase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes | None] = deferred(mapped_column(FILE_BYTES))
    status: Mapped[str] = mapped_column(String(16), default="preview")
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"))
    year: Mapped[int | None] = mapped_column(Integer)
    valid_only: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[dict | None] = mapped_column(db.JSON)  # forced kind/programme/year, column map
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict | None] = mapped_column(db.JSON)  # what was inferred, per-sheet counts
    # A large workbook is checked and written by a background job; its state lives here so
    # that any app server can show the progress (rows done / total) and the outcome.
    job_status: Mapped[str | None] = mapped_column(String(16))
    job_phase: Mapped[str | None] = mapped_column(String(16))
    job_id: Mapped[str | None] = mapped_column(String(64))
    progress_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    progress_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    job_error: Mapped[str | None] = mapped_column(Text)
    job_updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    result: Mapped[dict | None] = mapped_column(db.JSON)  # the job's preview or apply outcome

    uploaded_by = relationship("User")
    programme = relationship("Programme")

    @property
    def kind_label(self) -> str:
        return IMPORT_KINDS[self.kind]

    @property
    def status_label(self) -> str:
        return IMPORT_STATUSES[self.status]


class ImportMapping(db.Model):
    """A user's answer to "which field is this column?", kept for the next workbook whose
    headers look the same (same kind, same normalised header signature)."""

    __tablename__ = "import_mappings"
    __table_args__ = (UniqueConstraint("kind", "signature"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(64))  # sha256 of the normalised headers
    mapping: Mapped[dict] = mapped_column(db.JSON)  # header as written -> field name or ""
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
