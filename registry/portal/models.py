"""What firms ask of the bureau through the portal, and what the bureau tells them.

A firm user changes contact details directly; identity and key fields (name, USCC, legal
representative, town, industry, founding date, registered capital) and team members go
through a request that bureau staff approve or return. Each request keeps the values it
was made against (``changes[field] = {"old": …, "new": …}``), so a record changed meanwhile
shows as conflicting instead of being overwritten. Notices are written when the bureau
decides something about a firm; those that follow from dates (a certificate running out)
are derived when the page is shown, not stored.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow
from registry.vocab import check_in

REQUEST_STATUSES = {"pending": "待审核", "approved": "已通过", "returned": "已退回",
                    "withdrawn": "已撤回"}
MEMBER_CHANGE_KINDS = {"add": "新增成员", "update": "修改成员", "remove": "移除成员"}


class _Reviewed:
    """Columns shared by everything a firm submits and the bureau reviews."""

    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)  # the firm's explanation
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_comment: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}

    @property
    def status_label(self) -> str:
        return REQUEST_STATUSES[self.status]

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"


class FirmChangeRequest(_Reviewed, db.Model):
    """A firm's request to change fields of its profile that the bureau must confirm."""

    __tablename__ = "portal_change_requests"
    __table_args__ = (CheckConstraint(check_in("status", REQUEST_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    #: field → {"old": shown value when asked, "new": requested value} (JSON-safe values)
    changes: Mapped[dict] = mapped_column(db.JSON)
    firm_version: Mapped[int] = mapped_column(Integer)  # the firm's version when asked
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    firm = relationship("Firm")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])


class MemberChangeProposal(_Reviewed, db.Model):
    """A firm's proposal to add, change or remove a member of one of its teams."""

    __tablename__ = "portal_member_proposals"
    __table_args__ = (
        CheckConstraint(check_in("status", REQUEST_STATUSES), name="status"),
        CheckConstraint(check_in("kind", MEMBER_CHANGE_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("team_members.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict | None] = mapped_column(db.JSON)  # proposed values (add / update)
    before: Mapped[dict | None] = mapped_column(db.JSON)  # the member as the firm saw it
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    firm = relationship("Firm")
    team = relationship("Team")
    member = relationship("TeamMember")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])

    @property
    def kind_label(self) -> str:
        return MEMBER_CHANGE_KINDS[self.kind]


class Notice(db.Model):
    """Something the bureau decided about a firm, shown on the firm's portal until read."""

    __tablename__ = "portal_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # change_approved, annual_returned, …
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(255))  # a path inside the portal
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
