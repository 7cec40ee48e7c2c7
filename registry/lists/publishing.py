"""Publishing a list once, and the recorded amendments that are the only later change.

Publishing copies each firm's name, code and town into its entry (later edits to the firm
never change the list) and creates the recognitions. Two clerks pressing 发布 together:
the list row is claimed by one conditional UPDATE on its version and status, so exactly
one of them publishes and the other is told the list was published meanwhile.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from registry.audit.services import record, snapshot
from registry.errors import ConflictError, ValidationError
from registry.extensions import db
from registry.firms.models import Firm
from registry.lists.models import ListAmendment, TierList, TierListEntry
from registry.lists.services import ENTRY_FIELDS, _check_version, _touch, today_local
from registry.recognitions.models import Recognition
from registry.timeutil import utcnow


def publish(actor, tier_list: TierList, *, version=None, today: date | None = None) -> TierList:
    """Freeze the entries, create the recognitions, mark the list published — once.

    Refused for an empty list, a list never put up for 公示, a 公示 period not yet over,
    or objections without an answer. The list row is claimed by an UPDATE conditional on
    its version and status: a second publisher (another worker, the same moment) matches
    no row and is told the list was published meanwhile.
    """
    today = today or today_local()
    _check_version(tier_list, version)
    if tier_list.status == "published":
        raise ConflictError("名单已发布，不能重复发布。")
    if tier_list.status != "notice" or not tier_list.notice_until:
        raise ConflictError("名单尚未公示：请先设定公示期并公示，期满后再发布。")
    if today <= tier_list.notice_until:
        raise ConflictError(f"公示期至 {tier_list.notice_until:%Y-%m-%d} 结束，请在公示期满后发布。")
    if not tier_list.entries:
        raise ValidationError("名单中没有企业，不能发布。")
    pending = [o.firm_name for o in tier_list.objections if o.outcome == "pending"]
    if pending:
        raise ConflictError(f"还有{len(pending)}条异议未处理（{'、'.join(pending[:5])}），请先处理。")
    closed = [e.firm.name for e in tier_list.entries if e.firm.status != "active"]
    if closed:
        raise ValidationError(f"名单中有已注销或迁出的企业：{'、'.join(closed[:5])}，请先移出。")
    now = utcnow()
    table = TierList.__table__
    claimed = db.session.execute(
        update(table).where(table.c.id == tier_list.id, table.c.version == tier_list.version,
                            table.c.status == "notice")
        .values(status="published", published_at=now, published_by_id=getattr(actor, "id", None),
                version=table.c.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise ConflictError("名单已被他人发布或修改，请刷新页面查看。")
    db.session.refresh(tier_list)
    _freeze_and_recognise(actor, tier_list, today)
    record(actor, "publish", "tier_list", tier_list.id,
           summary=f"发布名单：{tier_list.title}（{len(tier_list.entries)}家）",
           before={"status": "notice"}, after={"status": "published", "entries": len(tier_list.entries)})
    return tier_list


def _freeze_and_recognise(actor, tier_list: TierList, today: date) -> None:
    """Copy each firm's particulars into its entry and give it the list's recognition."""
    firms = {f.id: f for f in db.session.scalars(
        select(Firm).where(Firm.id.in_([e.firm_id for e in tier_list.entries]))
        .options(selectinload(Firm.town), selectinload(Firm.industry)))}
    existing = {r.firm_id: r for r in db.session.scalars(select(Recognition).where(
        Recognition.programme_id == tier_list.programme_id, Recognition.year == tier_list.year,
        Recognition.firm_id.in_(list(firms))))}
    taken = [r for r in existing.values() if r.tier_list_id not in (None, tier_list.id)]
    if taken:
        raise ConflictError(f"{firms[taken[0].firm_id].name}的{tier_list.year}年度认定已属于另一份名单。")
    for entry in tier_list.entries:
        firm = firms[entry.firm_id]
        entry.firm_name, entry.uscc = firm.name, firm.uscc
        entry.town_name = firm.town.name if firm.town else None
        entry.industry_name = firm.industry.name if firm.industry else None
        rec = existing.get(firm.id)
        if rec is None:
            rec = _recognition(tier_list, firm, today)
            db.session.add(rec)
        else:  # recorded before (e.g. imported): the list adopts it
            rec.tier_list_id = tier_list.id
            rec.document_no = rec.document_no or tier_list.document_no
        db.session.flush()
        record(actor, "create" if rec.id not in {r.id for r in existing.values()} else "link",
               "recognition", rec.id, firm_id=firm.id,
               summary=f"{tier_list.title}发布：{firm.name} 认定为{tier_list.programme.short_name}",
               after={"year": tier_list.year, "tier_list_id": tier_list.id, "document_no": rec.document_no})


def _recognition(tier_list: TierList, firm: Firm, today: date) -> Recognition:
    years = tier_list.programme.validity_years or 1
    return Recognition(firm_id=firm.id, programme_id=tier_list.programme_id, year=tier_list.year,
                       batch=tier_list.batch or None, document_no=tier_list.document_no,
                       issued_on=today, valid_from=date(tier_list.year, 1, 1),
                       valid_until=date(tier_list.year + years - 1, 12, 31), status="valid",
                       tier_list_id=tier_list.id)


# --- amendments of a published list -------------------------------------------------------

def amend(actor, tier_list: TierList, *, kind: str, firm: Firm, reason: str,
          document_no: str | None = None, changes: dict | None = None,
          today: date | None = None) -> ListAmendment:
    """Add a firm to, remove one from, or correct an entry of a published list, recorded."""
    if tier_list.status != "published":
        raise ConflictError("只有已发布的名单需要更正记录；未发布的名单请直接修改。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写更正原因。", field="reason")
    today = today or today_local()
    entry = next((e for e in tier_list.entries if e.firm_id == firm.id), None)
    before = after = None
    if kind == "add":
        if entry is not None:
            raise ConflictError(f"{firm.name}已在名单中，不能重复添加。")
        if firm.status != "active":
            raise ValidationError(f"{firm.name}已{firm.status_label}，不能列入名单。")
        seq = max((e.seq for e in tier_list.entries), default=0) + 1
        entry = TierListEntry(firm_id=firm.id, seq=seq, source="amendment", note=(changes or {}).get("note"))
        tier_list.entries.append(entry)
        db.session.flush()
        existing = db.session.scalar(select(Recognition).where(
            Recognition.firm_id == firm.id, Recognition.programme_id == tier_list.programme_id,
            Recognition.year == tier_list.year))
        if existing is not None and existing.tier_list_id not in (None, tier_list.id):
            raise ConflictError(f"{firm.name}的{tier_list.year}年度认定已属于另一份名单。")
        entry.firm_name, entry.uscc = firm.name, firm.uscc
        entry.town_name = firm.town.name if firm.town else None
        entry.industry_name = firm.industry.name if firm.industry else None
        if existing is None:
            db.session.add(_recognition(tier_list, firm, today))
        else:
            existing.tier_list_id = tier_list.id
        after = snapshot(entry, ENTRY_FIELDS)
    elif kind == "remove":
        if entry is None:
            raise ValidationError(f"{firm.name}不在名单中。")
        before = snapshot(entry, ENTRY_FIELDS)
        tier_list.entries.remove(entry)
        rec = db.session.scalar(select(Recognition).where(
            Recognition.firm_id == firm.id, Recognition.tier_list_id == tier_list.id))
        if rec is not None and rec.status == "valid":
            rec.status, rec.revoked_on, rec.revoke_reason = "revoked", today, reason
    elif kind == "correct":
        if entry is None:
            raise ValidationError(f"{firm.name}不在名单中。")
        allowed = {"firm_name", "uscc", "town_name", "note"}
        wanted = {k: (v or "").strip() or None for k, v in (changes or {}).items() if k in allowed}
        wanted = {k: v for k, v in wanted.items() if v != getattr(entry, k)}
        if not wanted:
            raise ValidationError("没有需要更正的内容。")
        if "firm_name" in wanted and not wanted["firm_name"]:
            raise ValidationError("企业名称不能为空。", field="firm_name")
        before = {k: getattr(entry, k) for k in wanted}
        for k, v in wanted.items():
            setattr(entry, k, v)
        after = wanted
    else:
        raise ValidationError("请选择更正方式。", field="kind")
    amendment = ListAmendment(tier_list=tier_list, kind=kind, firm_id=firm.id, reason=reason,
                              document_no=(document_no or "").strip() or None, before=before,
                              after=after, made_by_id=getattr(actor, "id", None))
    db.session.add(amendment)
    _touch(tier_list)
    db.session.flush()
    record(actor, "amend", "tier_list", tier_list.id, firm_id=firm.id,
           summary=f"{tier_list.title}：{amendment.kind_label} {firm.name}", before=before,
           after={**(after or {}), "reason": reason, "document_no": amendment.document_no})
    return amendment
