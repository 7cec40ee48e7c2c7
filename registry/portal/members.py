"""Team-member changes proposed by the firm hosting the team, applied by bureau staff
through the teams area's own services (``registry.teams.members``), so the 职称 → grade
rule, the one-leader rule and the team's optimistic lock hold as for a clerk's edit.

A proposal keeps the member as the firm saw it (``before``); when the member changed or
was removed since, approval is refused as a conflict instead of overwriting.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry.audit.services import record
from registry.errors import ConflictError, NotFound, ValidationError
from registry.extensions import db
from registry.portal.models import MEMBER_CHANGE_KINDS, MemberChangeProposal
from registry.portal.notices import notify
from registry.portal.services import ensure_own, ensure_reviewer, parse_id, request_scope
from registry.teams.members import _values, add_member, remove_member, update_member
from registry.teams.models import Team, TeamMember
from registry.timeutil import utcnow
from registry.vocab import TEAM_ROLES

NOT_FOUND = "申请不存在或您无权查看。"
INPUT = ("name", "title", "role", "education", "joined_year", "left_year")
LABELS = {"name": "姓名", "title": "职称", "role": "角色", "education": "学历",
          "joined_year": "加入年份", "left_year": "离开年份"}


def get_proposal_for(user, proposal_id) -> MemberChangeProposal:
    pid = parse_id(proposal_id, NOT_FOUND)
    prop = db.session.scalar(select(MemberChangeProposal).where(
        MemberChangeProposal.id == pid, request_scope(user, MemberChangeProposal)))
    if prop is None:
        raise NotFound(NOT_FOUND)
    return prop


def _member_view(member: TeamMember) -> dict:
    return {k: getattr(member, k) for k in INPUT}


def propose(actor, team: Team, *, kind: str, member: TeamMember | None = None, values=None,
            reason: str | None = None) -> MemberChangeProposal:
    """File an add/update/remove of a member of the actor's own firm's team."""
    ensure_own(actor, team.firm_id)
    if kind not in MEMBER_CHANGE_KINDS:
        raise ValidationError("未知的变更类型", field="kind")
    if kind != "add" and (member is None or member.team_id != team.id):
        raise NotFound(NOT_FOUND)
    data = None
    if kind in ("add", "update"):
        values = {k: (values or {}).get(k) for k in INPUT}
        checked = _values(team, exclude=member, today=None, **values)  # same checks as a clerk's
        data = {k: checked[k] for k in INPUT}
    reason = (reason or "").strip() or None
    if reason and len(reason) > 500:
        raise ValidationError("说明不能超过500个字符", field="reason")
    if kind == "update" and data == _member_view(member):
        raise ValidationError("没有修改任何内容")
    prop = MemberChangeProposal(firm_id=team.firm_id, team_id=team.id,
                                member_id=member.id if member is not None else None, kind=kind,
                                data=data, before=_member_view(member) if member is not None else None,
                                reason=reason, status="pending", submitted_by_id=actor.id,
                                submitted_at=utcnow())
    db.session.add(prop)
    db.session.flush()
    who = (data or {}).get("name") or (member.name if member is not None else "")
    record(actor, "submit", "member_proposal", prop.id, firm_id=team.firm_id,
           summary=f"企业申请{MEMBER_CHANGE_KINDS[kind]}：团队 {team.name} {who}"[:255],
           before=prop.before, after=data)
    return prop


def _lock(prop, version) -> None:
    try:
        expected = int(version)
    except (TypeError, ValueError):
        expected = None
    if expected != prop.version:
        raise ConflictError("该申请已被他人处理或修改，请刷新页面后查看。")
    if prop.status != "pending":
        raise ConflictError(f"该申请{prop.status_label}，不能再处理。")


def is_conflicting(prop: MemberChangeProposal) -> bool:
    if prop.status != "pending" or prop.kind == "add":
        return False
    member = db.session.get(TeamMember, prop.member_id) if prop.member_id else None
    return member is None or _member_view(member) != prop.before


def approve(actor, prop: MemberChangeProposal, *, version) -> MemberChangeProposal:
    ensure_reviewer(actor, prop.submitted_by_id)
    _lock(prop, version)
    if is_conflicting(prop):
        raise ConflictError("申请提交后该成员已被修改或删除，不能直接通过：请退回并请企业重新申请。",
                            field="conflict")
    team = prop.team
    if prop.kind == "add":
        add_member(actor, team, version=team.version, **prop.data)
    elif prop.kind == "update":
        update_member(actor, prop.member, version=team.version, **prop.data)
    else:
        remove_member(actor, prop.member, version=team.version)
    prop.status, prop.reviewed_by_id, prop.reviewed_at = "approved", actor.id, utcnow()
    db.session.flush()
    record(actor, "accept", "member_proposal", prop.id, firm_id=prop.firm_id,
           summary=f"通过团队成员变更申请（{prop.kind_label}）：团队 {team.name}"[:255])
    notify(prop.firm_id, "member_approved", f"团队成员变更已通过（{prop.kind_label}）",
           f"团队：{team.name}", link="/portal/teams", actor=actor)
    return prop


def reject(actor, prop: MemberChangeProposal, *, version, comment: str) -> MemberChangeProposal:
    ensure_reviewer(actor, prop.submitted_by_id)
    _lock(prop, version)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError("退回时请填写原因", field="comment")
    prop.status, prop.reviewed_by_id, prop.reviewed_at = "returned", actor.id, utcnow()
    prop.review_comment = comment[:500]
    db.session.flush()
    record(actor, "return", "member_proposal", prop.id, firm_id=prop.firm_id,
           summary=f"退回团队成员变更申请：{comment}"[:255])
    notify(prop.firm_id, "member_returned", f"团队成员变更被退回（{prop.kind_label}）",
           f"团队：{prop.team.name}；退回原因：{comment}", link="/portal/teams", actor=actor)
    return prop


def withdraw(actor, prop: MemberChangeProposal, *, version) -> MemberChangeProposal:
    ensure_own(actor, prop.firm_id)
    _lock(prop, version)
    prop.status = "withdrawn"
    db.session.flush()
    record(actor, "withdraw", "member_proposal", prop.id, firm_id=prop.firm_id, summary="企业撤回团队成员变更申请")
    return prop


def proposals_of(firm_id: int, limit: int = 30) -> list[MemberChangeProposal]:
    return list(db.session.scalars(
        select(MemberChangeProposal).where(MemberChangeProposal.firm_id == firm_id)
        .options(selectinload(MemberChangeProposal.team))
        .order_by(MemberChangeProposal.submitted_at.desc(), MemberChangeProposal.id.desc()).limit(limit)))


def pending() -> list[MemberChangeProposal]:
    return list(db.session.scalars(
        select(MemberChangeProposal).where(MemberChangeProposal.status == "pending")
        .options(selectinload(MemberChangeProposal.team), selectinload(MemberChangeProposal.firm))
        .order_by(MemberChangeProposal.submitted_at, MemberChangeProposal.id)))


def rows(prop: MemberChangeProposal) -> list[dict]:
    """Field, before, after for the pages."""
    before, after = prop.before or {}, prop.data or {}
    keys = INPUT if prop.kind != "remove" else ("name", "title", "role")
    def text(key, value):
        if value in (None, ""):
            return ""
        return TEAM_ROLES.get(value, value) if key == "role" else str(value)

    out = []
    for k in keys:
        b, a = text(k, before.get(k)), text(k, after.get(k) if prop.kind != "remove" else None)
        if (prop.kind == "update" and b == a) or (not b and not a):
            continue
        out.append({"label": LABELS[k], "old": b, "new": a})
    return out
