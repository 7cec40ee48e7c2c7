"""What the bureau tells a firm: stored notices (a decision about its request or its annual
data) and notices that follow from dates, derived when shown (its 高企 certificate runs out
this year or next), so a date corrected by the bureau never leaves a stale notice behind.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry.errors import NotFound
from registry.extensions import db
from registry.portal.models import Notice
from registry.recognitions.models import Programme, Recognition
from registry.timeutil import utcnow


def notify(firm_id: int, kind: str, title: str, body: str | None = None, *, link: str | None = None,
           actor=None) -> Notice:
    """Leave a notice for the firm (the caller commits with the decision it reports)."""
    notice = Notice(firm_id=firm_id, kind=kind, title=title[:200], body=body, link=link,
                    created_at=utcnow(), created_by_id=getattr(actor, "id", None))
    db.session.add(notice)
    return notice


@dataclass
class Shown:
    """A notice as the portal lists it (stored or derived)."""
    title: str
    body: str
    level: str  # bootstrap colour: warning / info / success / danger
    at: datetime | date | None = None
    link: str | None = None
    notice: Notice | None = None


LEVELS = {"change_approved": "success", "change_returned": "danger", "annual_returned": "danger",
          "annual_accepted": "success", "member_approved": "success", "member_returned": "danger"}


def certificate_notices(firm_id: int, today: date) -> list[Shown]:
    """高企 certificates of the firm ending this year or next (and not revoked)."""
    from registry.firms.profile import period

    recs = db.session.scalars(
        select(Recognition).join(Programme, Recognition.programme_id == Programme.id)
        .where(Recognition.firm_id == firm_id, Programme.code == "high_tech",
               Recognition.status != "revoked")
        .options(selectinload(Recognition.programme)))
    ends = [period(r)[1] for r in recs]
    if not ends:
        return []
    end = max(ends)  # a renewed certificate supersedes the old one
    if end < today or end.year > today.year + 1:
        return []
    when = "今年" if end.year == today.year else "明年"
    return [Shown(f"高新技术企业证书将于{when}到期", f"证书有效期至 {end:%Y-%m-%d}，请及时准备重新认定申报材料。",
                  "warning", at=end)]


def notices_for(firm_id: int, today: date | None = None, limit: int = 20) -> list[Shown]:
    today = today or date.today()
    stored = db.session.scalars(select(Notice).where(Notice.firm_id == firm_id)
                                .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit))
    return certificate_notices(firm_id, today) + [
        Shown(n.title, n.body or "", LEVELS.get(n.kind, "info"), at=n.created_at, link=n.link, notice=n)
        for n in stored]


def unread_count(firm_id: int) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count(Notice.id)).where(
        Notice.firm_id == firm_id, Notice.read_at.is_(None))) or 0


def get_notice_for(user, notice_id) -> Notice:
    from registry.portal.services import parse_id

    nid = parse_id(notice_id, "通知不存在。")
    notice = db.session.get(Notice, nid)
    if notice is None or user is None or user.role != "firm" or notice.firm_id != user.firm_id:
        raise NotFound("通知不存在。")
    return notice


def mark_read(actor, notice: Notice) -> None:
    if notice.read_at is None:
        notice.read_at = utcnow()
        db.session.flush()
