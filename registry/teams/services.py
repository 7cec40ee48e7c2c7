"""Innovation team rules: scoped access, the list query, the team record, 宁波市级 and exit.

Members live in ``teams.members`` and yearly evaluations (with the 动态管理 exit rule) in
``teams.evaluations``. Every function takes the acting user, flushes and never commits;
audit entries carry the host ``firm_id`` (the firm's 档案 history) and the team's
``version`` (so a stale edit can list what changed in between).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified

from registry.audit.services import record, snapshot
from registry.errors import ValidationError
from registry.excel.importer_base import name_key
from registry.extensions import db
from registry.firms.models import Firm
from registry.firms.services import firm_scope
from registry.records import check_version, check_year, clean_text, get_owned, owned_scope, resolve_host_firm
from registry.teams.models import Team, TeamMember
from registry.vocab import EVALUATION_RESULTS, TEAM_LEVELS, TEAM_ROLES, TEAM_STATUSES, TITLE_GRADES

ENTITY = "team"
FIELDS = ("firm_id", "name", "leader_name", "field", "level", "recognised_year", "ningbo_year",
          "projects_in_progress", "status", "exit_year", "exit_reason", "note", "version")
LABELS = {"firm_id": "依托企业", "name": "团队名称", "leader_name": "带头人", "field": "研究方向",
          "level": "级别", "recognised_year": "认定年份", "ningbo_year": "入选宁波市级年份",
          "projects_in_progress": "在研项目数", "status": "状态", "exit_year": "退出年份",
          "exit_reason": "退出原因", "note": "备注"}
MEMBER_LABELS = {"name": "姓名", "title": "职称", "title_grade": "职称等级", "role": "角色",
                 "education": "学历", "joined_year": "加入年份", "left_year": "离开年份"}
EVALUATION_LABELS = {"year": "考核年度", "result": "考核结果", "comment": "考核意见"}
ALL_LABELS = {ENTITY: LABELS, "team_member": MEMBER_LABELS, "team_evaluation": EVALUATION_LABELS}
NOT_FOUND = "科技创新团队不存在或您无权查看。"
HIGH_GRADES = ("senior", "associate")  # 副高以上


def shown(key, value):
    if key == "role":
        return TEAM_ROLES.get(value, value)
    if key == "title_grade":
        return TITLE_GRADES.get(value, value)
    if key == "result":
        return EVALUATION_RESULTS.get(value, value)
    if key == "level":
        return TEAM_LEVELS.get(value, value)
    if key == "status":
        return TEAM_STATUSES.get(value, value)
    if key == "firm_id" and value:
        return db.session.scalar(select(Firm.name).where(Firm.id == value)) or value
    return value


def audit(actor, action, team: Team, summary: str, before=None):
    """The team's audit entry, written after a flush so ``version`` is the new one."""
    db.session.flush()
    return record(actor, action, ENTITY, team.id, firm_id=team.firm_id, summary=summary[:255],
                  before=before, after=snapshot(team, FIELDS))


def lock(team: Team, version) -> None:
    """Refuse a stale save of the team or of one of its members or evaluations."""
    check_version(team, version, entity_type=ENTITY, what="该团队", labels=ALL_LABELS, shown=shown,
                  related=("team_member", "team_evaluation"))


def touch(team: Team) -> None:
    """Move the team's version on for a change of its members or evaluations: the team's
    forms, and its other members' forms, loaded before it are stale from now on."""
    flag_modified(team, "name")
    db.session.flush()


def child_audit(actor, action, entity_type, entity_id, team: Team, summary, before=None, after=None):
    """A member/evaluation entry, after ``touch``: it records the team and its new version."""
    return record(actor, action, entity_type, entity_id, firm_id=team.firm_id, summary=summary[:255],
                  before=before, after=dict(after or {}, team_id=team.id, version=team.version))


# --- access -------------------------------------------------------------------

def team_scope(user):
    """SQL condition: teams whose host firm ``user`` may see."""
    return owned_scope(Team, user)


def get_team_for(user, team_id) -> Team:
    """The team if it exists and its host firm is in ``user``'s scope; NotFound otherwise."""
    return get_owned(user, Team, team_id, NOT_FOUND, selectinload(Team.members),
                     selectinload(Team.evaluations), selectinload(Team.firm))


# --- the list -----------------------------------------------------------------

@dataclass
class TeamFilter:
    q: str = ""
    status: str | None = None
    level: str | None = None
    town_id: int | None = None
    year: int | None = None


def _member_counts():
    """Per team: current members, and those of them 副高 or above."""
    current = TeamMember.left_year.is_(None)
    high = and_(current, TeamMember.title_grade.in_(HIGH_GRADES))
    return (select(TeamMember.team_id.label("team_id"),
                   func.sum(case((current, 1), else_=0)).label("members"),
                   func.sum(case((high, 1), else_=0)).label("high"))
            .group_by(TeamMember.team_id).subquery())


def _filtered(stmt, user, f: TeamFilter):
    """``stmt`` (which joins Firm) narrowed to the user's scope and the filter ``f``."""
    stmt = stmt.where(firm_scope(user))
    q = " ".join((f.q or "").split())
    if q:
        stmt = stmt.where(or_(Team.name.contains(q, autoescape=True), Firm.name.contains(q, autoescape=True),
                              Team.leader_name.contains(q, autoescape=True)))
    if f.status in TEAM_STATUSES:
        stmt = stmt.where(Team.status == f.status)
    if f.level in TEAM_LEVELS:
        stmt = stmt.where(Team.level == f.level)
    if f.town_id:
        stmt = stmt.where(Firm.town_id == f.town_id)
    if f.year:
        stmt = stmt.where(Team.recognised_year == f.year)
    return stmt


def team_query(user, f: TeamFilter):
    """A SELECT of the teams matching ``f`` in the user's scope, newest first."""
    stmt = select(Team).join(Firm, Team.firm_id == Firm.id)
    return _filtered(stmt, user, f).options(selectinload(Team.firm).selectinload(Firm.town)).order_by(
        Team.recognised_year.desc(), Team.name, Team.id)


def member_counts(team_ids) -> dict[int, tuple[int, int]]:
    """Team id → (current members, of whom 副高以上), for a page of teams."""
    counts = _member_counts()
    ids = list(team_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(counts.c.team_id, counts.c.members, counts.c.high)
                              .where(counts.c.team_id.in_(ids)))
    return {tid: (int(n or 0), int(h or 0)) for tid, n, h in rows}


def team_totals(user, f: TeamFilter) -> dict:
    """The list's summary line: the teams listed, of which active (在培), and — as the
    dashboard counts them — the current members, 副高以上 and projects in progress of the
    active teams only (an exited team's people are no longer the bureau's figure)."""
    counts = _member_counts()
    active = Team.status == "active"

    def of_active(column):
        return func.coalesce(func.sum(case((active, column), else_=0)), 0)

    stmt = (select(func.count(Team.id), func.coalesce(func.sum(case((active, 1), else_=0)), 0),
                   of_active(counts.c.members), of_active(counts.c.high),
                   of_active(Team.projects_in_progress))
            .select_from(Team).join(Firm, Team.firm_id == Firm.id)
            .outerjoin(counts, counts.c.team_id == Team.id))
    teams, active_teams, members, high, projects = db.session.execute(_filtered(stmt, user, f)).one()
    return {"teams": teams, "active": int(active_teams), "members": int(members), "high": int(high),
            "projects": int(projects)}


# --- the team record ----------------------------------------------------------

def _check_name(name, exclude_id=None) -> str:
    """Team names are unique as the bureau reads them (spaces and bracket widths aside)."""
    name = clean_text(name, "团队名称", field="name", max_length=200, required=True)
    key = name_key(name)
    for tid, other in db.session.execute(select(Team.id, Team.name)):
        if tid != exclude_id and name_key(other) == key:
            raise ValidationError(f"团队名称“{other}”已被使用", field="name")
    return name


def _values(name, leader_name, field, recognised_year, projects_in_progress, note, exclude_id=None,
            today=None) -> dict:
    projects = projects_in_progress if projects_in_progress not in (None, "") else 0
    try:
        projects = int(projects)
    except (TypeError, ValueError):
        raise ValidationError("在研项目数应为整数", field="projects_in_progress")
    if not 0 <= projects <= 10_000:
        raise ValidationError("在研项目数应在 0–10000 之间", field="projects_in_progress")
    return {"name": _check_name(name, exclude_id),
            "leader_name": clean_text(leader_name, "带头人", field="leader_name", max_length=50,
                                      required=True),
            "field": clean_text(field, "研究方向", field="field", max_length=100),
            "recognised_year": check_year(recognised_year, "认定年份", field="recognised_year", today=today),
            "projects_in_progress": projects,
            "note": clean_text(note, "备注", field="note", max_length=2000)}


def create_team(actor, *, firm_text=None, firm_id=None, name, leader_name, field=None,
                recognised_year, projects_in_progress=0, note=None, today: date | None = None) -> Team:
    """A new 慈溪市级 team (在培) of a firm in the actor's scope."""
    firm = resolve_host_firm(actor, firm_text, firm_id=firm_id)
    values = _values(name, leader_name, field, recognised_year, projects_in_progress, note, today=today)
    team = Team(firm=firm, level="cixi", status="active", **values)
    db.session.add(team)
    audit(actor, "create", team, f"新增科技创新团队 {team.name}（{firm.name}，{team.recognised_year}年认定）")
    return team


def update_team(actor, team: Team, *, version, firm_text=None, name, leader_name, field=None,
                recognised_year, projects_in_progress=0, note=None, today: date | None = None) -> Team:
    """Edit the team under the optimistic lock; a new 带头人 must be one of its members."""
    lock(team, version)
    values = _values(name, leader_name, field, recognised_year, projects_in_progress, note,
                     exclude_id=team.id, today=today)
    if firm_text and name_key(firm_text) not in (name_key(team.firm.name), team.firm.uscc):
        values["firm_id"] = resolve_host_firm(actor, firm_text).id
    if team.ningbo_year and values["recognised_year"] > team.ningbo_year:
        raise ValidationError(f"认定年份不能晚于入选宁波市级的年份（{team.ningbo_year}年）",
                              field="recognised_year")
    before = snapshot(team, FIELDS)
    if values["leader_name"] != team.leader_name:
        _move_leader(team, values["leader_name"])
    changed = {k: v for k, v in values.items() if getattr(team, k) != v}
    if not changed:
        return team
    old_firm = team.firm
    for key, value in changed.items():
        setattr(team, key, value)
    audit(actor, "update", team, f"修改科技创新团队 {team.name}（{'、'.join(LABELS[k] for k in changed)}）",
          before=before)
    if "firm_id" in changed:  # the former host's 档案 history says where the team went
        new_name = db.session.scalar(select(Firm.name).where(Firm.id == team.firm_id))
        record(actor, "update", ENTITY, team.id, firm_id=old_firm.id,
               summary=f"科技创新团队 {team.name} 依托企业变更：{old_firm.name} → {new_name}"[:255],
               before={"firm_id": old_firm.id}, after={"firm_id": team.firm_id})
    return team


def _move_leader(team: Team, new_leader: str) -> None:
    """The 带头人 named on the team is its leader member, when it has members."""
    if not team.members:
        return
    current = [m for m in team.members if m.left_year is None]
    target = [m for m in current if name_key(m.name) == name_key(new_leader)]
    if not target:
        raise ValidationError(f"{new_leader}不在团队现有成员中：请先添加为成员，或在成员中将其设为带头人",
                              field="leader_name")
    for member in team.members:
        if member.role == "leader" and member is not target[0]:
            member.role = "core"
    target[0].role = "leader"


# --- 宁波市级 and exit ----------------------------------------------------------

def promote_to_ningbo(actor, team: Team, *, version, year, today: date | None = None) -> Team:
    """The team was also selected as a 宁波市级 team in ``year``."""
    lock(team, version)
    if team.level == "ningbo":
        raise ValidationError(f"该团队已于{team.ningbo_year or '—'}年入选宁波市级")
    if team.status != "active":
        raise ValidationError("已退出的团队不能晋级宁波市级")
    year = check_year(year, "入选年份", today=today)
    if team.recognised_year and year < team.recognised_year:
        raise ValidationError(f"入选年份不能早于认定年份（{team.recognised_year}年）", field="year")
    before = snapshot(team, FIELDS)
    team.level, team.ningbo_year = "ningbo", year
    audit(actor, "promote", team, f"科技创新团队 {team.name} 入选宁波市级（{year}年）", before=before)
    return team


def exit_team(actor, team: Team, *, version, year, reason, today: date | None = None) -> Team:
    """Take a team out of cultivation for a reason other than an evaluation (e.g. 企业申请)."""
    lock(team, version)
    if team.status == "exit":
        raise ValidationError(f"该团队已于{team.exit_year or '—'}年退出")
    year = check_year(year, "退出年份", today=today)
    if team.recognised_year and year < team.recognised_year:
        raise ValidationError(f"退出年份不能早于认定年份（{team.recognised_year}年）", field="year")
    reason = clean_text(reason, "退出原因", field="reason", max_length=500, required=True)
    before = snapshot(team, FIELDS)
    team.status, team.exit_year, team.exit_reason = "exit", year, reason
    audit(actor, "exit", team, f"科技创新团队 {team.name} 退出培育（{year}年）：{reason}", before=before)
    return team


def team_stats(team: Team) -> dict:
    current = [m for m in team.members if m.left_year is None]
    return {"members": len(current), "high": sum(1 for m in current if m.title_grade in HIGH_GRADES),
            "senior": sum(1 for m in current if m.title_grade == "senior"),
            "associate": sum(1 for m in current if m.title_grade == "associate")}


ROLE_ORDER = {"leader": 0, "core": 1, "member": 2}


def ordered_members(team: Team) -> list[TeamMember]:
    """带头人 first, then core members, then members; those who left at the end."""
    return sorted(team.members, key=lambda m: (m.left_year is not None, ROLE_ORDER.get(m.role, 3), m.id or 0))


def team_history(team: Team, limit: int = 100) -> list:
    """The team's audit entries with those of its members and evaluations, newest first
    (children are found through every host firm the team has had)."""
    from registry.audit.models import AuditLog
    from registry.audit.services import entries_for

    own = entries_for(entity_type=ENTITY, entity_id=team.id, limit=None)
    firms = {e.firm_id for e in own if e.firm_id} | {team.firm_id}
    children = db.session.scalars(
        select(AuditLog).where(AuditLog.entity_type.in_(("team_member", "team_evaluation")),
                               AuditLog.firm_id.in_(firms))
        .options(selectinload(AuditLog.user)).order_by(AuditLog.id.desc()).limit(limit * 5))
    mine = [e for e in children if ((e.after or {}).get("team_id") or (e.before or {}).get("team_id")) == team.id]
    return sorted(own + mine, key=lambda e: (e.at, e.id), reverse=True)[:limit]
