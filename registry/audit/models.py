"""The audit log: who changed what, when, with the values before and after."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))  # create / update / rename / revoke …
    entity_type: Mapped[str] = mapped_column(String(32))  # firm / recognition / …
    entity_id: Mapped[int | None] = mapped_column(Integer)
    firm_id: Mapped[int | None] = mapped_column(Integer, index=True)  # for the firm timeline
    summary: Mapped[str | None] = mapped_column(String(255))
    before: Mapped[dict | None] = mapped_column(db.JSON)
    after: Mapped[dict | None] = mapped_column(db.JSON)

    user = relationship("User")
