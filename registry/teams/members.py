"""Team members: add, edit, remove; 职称 → grade derived on save; one 带头人 per team.

The grade comes from ``registry.teams.titles.title_grade`` (the same rule the importer and
the demo use), never from the form. The team's 带头人 (``Team.leader_name``) follows the
member whose role is leader. Each change moves the team's version on (``touch``), so forms
of the team loaded before it are refused as stale.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry.audit.services import snapshot
from registry.errors import NotFound, ValidationError
from registry.excel.importer_base import name_key
from registry.extensions import db
from registry.records import check_year, clean_text, parse_id
from registry.teams.models import Team, TeamMember
from registry.teams.services import child_audit, lock, team_scope, touch
from registry.teams.titles import title_grade
from registry.vocab import TEAM_ROLES, TITLE_GRADES

ENTITY = "team_member"
FIELDS = ("name", "title", "title_grade", "role", "education", "joined_year", "left_year")
NOT_FOUND = "团队成员不存在或您无权查看。"


def get_member_for(user, member_id) -> TeamMember:
    """The member if its team's host firm is in ``user``'s scope; NotFound otherwise."""
    mid = parse_id(member_id, NOT_FOUND)
    member = db.session.scalar(
        select(TeamMember).join(Team, TeamMember.team_id == Team.id)
        .where(TeamMember.id == mid, team_scope(user))
        .options(selectinload(TeamMember.team).selectinload(Team.members)))
    if member is None:
        raise NotFound(NOT_FOUND)
    return member


def _values(team: Team, *, name, title, role, education, joined_year, left_year, today,
            exclude: TeamMember | None = None) -> dict:
    name = clean_text(name, "姓名", field="name", max_length=50, required=True)
    for other in team.members:
        if other is not exclude and name_key(other.name) == name_key(name):
            raise ValidationError(f"团队中已有成员“{other.name}”", field="name")
    role = role or "member"
    if role not in TEAM_ROLES:
        raise ValidationError("请选择角色", field="role")
    title = clean_text(title, "职称", field="title", max_length=50)
    joined = check_year(joined_year, "加入年份", field="joined_year", required=False, today=today)
    left = check_year(left_year, "离开年份", field="left_year", required=False, today=today)
    if joined and left and left < joined:
        raise ValidationError("离开年份不能早于加入年份", field="left_year")
    if role == "leader":
        if left:
            raise ValidationError("带头人不能填写离开年份：请先指定新的带头人", field="left_year")
        others = [m for m in team.members if m is not exclude and m.role == "leader"]
        if others:
            raise ValidationError(f"团队已有带头人“{others[0].name}”，一个团队只能有一名带头人："
                                  "如需更换，请在“编辑团队”中修改带头人", field="role")
    return {"name": name, "title": title, "title_grade": title_grade(title), "role": role,
            "education": clean_text(education, "学历", field="education", max_length=30),
            "joined_year": joined, "left_year": left}


def _grade_note(values: dict) -> str:
    if values["title"] and values["title_grade"] is None:
        return "（职称未能识别等级）"
    return f"（{TITLE_GRADES[values['title_grade']]}）" if values["title_grade"] else ""


def add_member(actor, team: Team, *, version, name, title=None, role="member", education=None,
               joined_year=None, left_year=None, today: date | None = None) -> TeamMember:
    lock(team, version)
    values = _values(team, name=name, title=title, role=role, education=education,
                     joined_year=joined_year, left_year=left_year, today=today)
    member = TeamMember(**values)
    team.members.append(member)
    if member.role == "leader":
        team.leader_name = member.name
    touch(team)
    child_audit(actor, "create", ENTITY, member.id, team,
                f"团队 {team.name} 新增成员 {member.name}{_grade_note(values)}", after=snapshot(member, FIELDS))
    return member


def update_member(actor, member: TeamMember, *, version, name, title=None, role="member", education=None,
                  joined_year=None, left_year=None, today: date | None = None) -> TeamMember:
    team = member.team
    lock(team, version)
    values = _values(team, name=name, title=title, role=role, education=education, joined_year=joined_year,
                     left_year=left_year, today=today, exclude=member)
    if member.role == "leader" and values["role"] != "leader":
        raise ValidationError("带头人不能直接改为其他角色：请将另一名成员设为带头人，或在团队信息中更换带头人",
                              field="role")
    before = snapshot(member, FIELDS)
    changed = {k: v for k, v in values.items() if getattr(member, k) != v}
    if not changed:
        return member
    for key, value in changed.items():
        setattr(member, key, value)
    if member.role == "leader":
        team.leader_name = member.name
    touch(team)
    labels = "、".join({"name": "姓名", "title": "职称", "title_grade": "职称等级", "role": "角色",
                       "education": "学历", "joined_year": "加入年份", "left_year": "离开年份"}[k]
                      for k in changed)
    child_audit(actor, "update", ENTITY, member.id, team, f"团队 {team.name} 修改成员 {member.name}（{labels}）",
                before={k: before[k] for k in changed}, after={k: values[k] for k in changed})
    return member


def remove_member(actor, member: TeamMember, *, version) -> Team:
    """Delete a member entered by mistake (one who left keeps a 离开年份 instead)."""
    team = member.team
    lock(team, version)
    if member.role == "leader":
        raise ValidationError("不能删除带头人：请先将另一名成员设为带头人")
    before = snapshot(member, FIELDS)
    member_id, name = member.id, member.name
    team.members.remove(member)
    touch(team)
    child_audit(actor, "delete", ENTITY, member_id, team, f"团队 {team.name} 删除成员 {name}", before=before)
    return team
