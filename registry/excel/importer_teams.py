"""Innovation teams (科技创新团队) and their members (成员).

A team is keyed by its name; its host firm is given by USCC or by name only. A member
is keyed by (team, name); the grade of the 职称 comes from ``title_grade``, the one rule
the headcounts ("副高以上人才") rely on. Each team has one leader: the 带头人 of the team
sheet is the member whose role is 带头人.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from registry.excel.importer_base import (
    FIRMS, Context, changed_labels, check_lengths, chunks, fail, in_error, max_lengths,
    name_key, name_variants, same, seen_at, shown,
)
from registry.excel.importer_write import Writer
from registry.excel.importer_lists import firm_field
from registry.excel.specs import MEMBERS, TEAMS
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED, Change, PlannedRow
from registry.extensions import db
from registry.teams.models import Team, TeamMember
from registry.teams.titles import title_grade
from registry.vocab import TEAM_ROLES, TITLE_GRADES

TEAM = Team.__table__
MEMBER = TeamMember.__table__
TEAM_LIMITS = max_lengths(TEAM)
MEMBER_LIMITS = max_lengths(MEMBER)
TEAM_TEXT = {"team_name": "name", "leader_name": "leader_name", "field": "field"}
MEMBER_TEXT = {"member_name": "name", "title": "title", "education": "education"}
TEAM_LABELS = {f.name: f.label for f in TEAMS.fields}
MEMBER_LABELS = {f.name: f.label for f in MEMBERS.fields}


def plan_teams(ctx: Context, team_sheets, member_sheets) -> None:
    teams = _resolve(ctx, team_sheets, "team", ("team_name", "团队名称"))
    members = _resolve(ctx, member_sheets, "team_member", ("team_name", "团队名称"),
                       ("member_name", "姓名"))
    names = set()
    for prow, _sheet in teams + members:
        names |= name_variants(prow.parsed.values["team_name"])
    stored = _load_teams(names)
    stored_members = _load_members([t.id for t in stored.values()])

    in_file, seen = {}, {}
    for prow, sheet in teams:
        nk = name_key(prow.parsed.values["team_name"])
        first = seen.get(nk)
        if first is not None:
            fail(prow, sheet, "team_name", f"团队与{seen_at(first, sheet)}重复")
        else:
            seen[nk] = (sheet.name, prow.parsed.row)
            in_file[nk] = prow
        prow.extra["existing"] = stored.get(nk)
    named = defaultdict(set)  # team → member names in the file
    for prow, _sheet in members:
        named[name_key(prow.parsed.values["team_name"])].add(name_key(prow.parsed.values["member_name"]))
    for prow, sheet in teams:
        firm = _host(ctx, prow, sheet)
        if not in_error(prow):
            _leader_listed(prow, sheet, named, stored_members)
        if not in_error(prow):
            _classify_team(ctx, prow, sheet, firm)
    _plan_members(members, in_file, stored, stored_members)


def _resolve(ctx: Context, sheets, entity: str, *required) -> list[tuple]:
    out = []
    for sheet in sheets:
        for parsed in sheet.rows:
            prow = ctx.rows.start(parsed)
            prow.entity = entity
            for field_name, label in required:
                if not parsed.values.get(field_name):
                    fail(prow, sheet, field_name, f"{label}不能为空", value="")
            limits, text = (TEAM_LIMITS, TEAM_TEXT) if entity == "team" else (MEMBER_LIMITS, MEMBER_TEXT)
            check_lengths(prow, sheet, parsed.values, limits, text)
            prow.extra["title"] = parsed.values.get("team_name") or ""
            if parsed.values.get("team_name"):
                out.append((prow, sheet))
    return out


def _host(ctx: Context, prow: PlannedRow, sheet):
    values = prow.parsed.values
    if values.get("uscc") is None and not values.get("name") and prow.extra["existing"] is not None:
        return None  # no host given: the stored team keeps its firm
    firm, code = ctx.firms.resolve(prow, sheet, what="依托企业")
    if firm is None and code:
        fail(prow, sheet, firm_field(sheet), f"依托企业（统一社会信用代码{code}）不在库中，请先导入企业名录")
    if firm is not None:
        prow.uscc, prow.firm_id = firm.uscc, firm.id
        prow.extra["firm_name"] = firm.name
    return firm


def _load_teams(names: set[str]) -> dict:
    found = {}
    columns = (TEAM.c.id, TEAM.c.firm_id, TEAM.c.name, TEAM.c.leader_name, TEAM.c.field, TEAM.c.level,
               TEAM.c.recognised_year, TEAM.c.ningbo_year, TEAM.c.projects_in_progress)
    for chunk in chunks(names):
        for row in db.session.execute(select(*columns).where(TEAM.c.name.in_(chunk))):
            found[name_key(row.name)] = row
    return found


def _load_members(team_ids: list[int]) -> dict:
    found = {}
    columns = (MEMBER.c.id, MEMBER.c.team_id, MEMBER.c.name, MEMBER.c.title, MEMBER.c.title_grade,
               MEMBER.c.role, MEMBER.c.education)
    for chunk in chunks(team_ids):
        for row in db.session.execute(select(*columns).where(MEMBER.c.team_id.in_(chunk))):
            found[(row.team_id, name_key(row.name))] = row
    return found


def _leader_listed(prow: PlannedRow, sheet, named: dict, stored_members: dict) -> None:
    """Both a 带头人 and members given: the leader must be one of the members."""
    leader = prow.parsed.values.get("leader_name")
    nk = name_key(prow.parsed.values["team_name"])
    if not leader or not named.get(nk):
        return
    existing = prow.extra["existing"]
    if name_key(leader) in named[nk]:
        return
    if existing is not None and (existing.id, name_key(leader)) in stored_members:
        return
    fail(prow, sheet, "leader_name", f"带头人{leader}不在该团队的成员名单中")


def _classify_team(ctx: Context, prow: PlannedRow, sheet, firm) -> None:
    values = prow.parsed.values
    existing = prow.extra["existing"]
    ningbo = values.get("is_ningbo")
    level = None if ningbo is None else ("ningbo" if ningbo else "cixi")
    ningbo_year = values.get("ningbo_year")
    if ningbo is False and existing is not None and existing.ningbo_year is not None:
        ningbo_year = None
    new = {"firm_id": firm.id if firm is not None else None, "leader_name": values.get("leader_name"),
           "recognised_year": values.get("recognised_year"),
           "projects_in_progress": values.get("projects_in_progress"), "level": level,
           "ningbo_year": ningbo_year, "field": values.get("field")}
    if existing is None:
        prow.status = NEW
        prow.writes = dict(new, name=values["team_name"], level=level or "cixi",
                           projects_in_progress=new["projects_in_progress"] or 0, status="active",
                           exit_year=None, exit_reason=None, note=None)
        return
    prow.entity_id = existing.id
    prow.firm_id = prow.firm_id or existing.firm_id
    writes, before = {}, {}
    labels = {"firm_id": ("name", "依托企业"), "leader_name": ("leader_name", None),
              "recognised_year": ("recognised_year", None),
              "projects_in_progress": ("projects_in_progress", None), "level": ("is_ningbo", None),
              "ningbo_year": ("ningbo_year", None), "field": ("field", None)}
    for column, value in new.items():
        old = getattr(existing, column)
        clearing = column == "ningbo_year" and ningbo is False and old is not None
        if (value is None and not clearing) or same(old, value):
            continue
        writes[column], before[column] = value, old
        field_name, label = labels[column]
        old_shown, new_shown = old, value
        if column == "firm_id":
            old_shown = db.session.scalar(select(FIRMS.c.name).where(FIRMS.c.id == old))
            new_shown = prow.extra.get("firm_name")
        elif column == "level":
            old_shown, new_shown = old == "ningbo", value == "ningbo"
        prow.changes.append(Change(sheet.name, prow.parsed.row, prow.uscc, field_name,
                                   label or TEAM_LABELS[field_name], shown(old_shown), shown(new_shown)))
    if writes:
        prow.status, prow.writes, prow.extra["before"] = UPDATED, writes, before
    else:
        prow.status = UNCHANGED


def _plan_members(members, in_file: dict, stored: dict, stored_members: dict) -> None:
    seen, leaders = {}, {}
    for prow, sheet in members:
        values = prow.parsed.values
        team_key = name_key(values["team_name"])
        listed, existing_team = in_file.get(team_key), stored.get(team_key)
        if listed is None and existing_team is None:
            fail(prow, sheet, "team_name", f"团队“{values['team_name']}”不在本文件的团队表中，库中也没有")
            continue
        if listed is not None and listed.status == ERROR and existing_team is None:
            fail(prow, sheet, "team_name", f"所属团队（“{listed.parsed.sheet}”表第{listed.parsed.row}行）有错误")
        prow.extra["team"] = listed if listed is not None and listed.status != ERROR else existing_team
        member_key = name_key(values.get("member_name"))
        if not member_key:
            continue
        first = seen.get((team_key, member_key))
        if first is not None:
            fail(prow, sheet, "member_name", f"成员与{seen_at(first, sheet)}重复")
            continue
        seen[(team_key, member_key)] = (sheet.name, prow.parsed.row)
        leader = (listed.parsed.values.get("leader_name") if listed is not None else None) or (
            existing_team.leader_name if existing_team is not None else None)
        role = values.get("role")
        if role is None and leader and name_key(leader) == member_key:
            role = "leader"
        if role == "leader":
            if leader and name_key(leader) != member_key:
                fail(prow, sheet, "role", f"团队带头人为{leader}，{values['member_name']}的角色不应为带头人")
            elif team_key in leaders:
                fail(prow, sheet, "role", f"同一团队只能有一名带头人（{seen_at(leaders[team_key], sheet)}已是带头人）")
            else:
                leaders[team_key] = (sheet.name, prow.parsed.row)
        elif role is not None and leader and name_key(leader) == member_key:
            fail(prow, sheet, "role", f"{leader}是团队带头人，角色应为带头人")
        if in_error(prow):
            continue
        existing = (stored_members.get((existing_team.id, member_key))
                    if existing_team is not None else None)
        _classify_member(prow, sheet, existing, role)


def _classify_member(prow: PlannedRow, sheet, existing, role: str | None) -> None:
    values = prow.parsed.values
    title = values.get("title")
    new = {"title": title, "title_grade": title_grade(title) if title else None, "role": role,
           "education": values.get("education")}
    if existing is None:
        prow.status = NEW
        prow.writes = dict(new, name=values["member_name"], role=role or "member", joined_year=None,
                           left_year=None)
        return
    prow.entity_id = existing.id
    writes, before = {}, {}
    for column, value in new.items():
        old = getattr(existing, column)
        if column == "title_grade":  # derived: follows a given title, even to None (unknown)
            if title is None or same(old, value):
                continue
        elif value is None or same(old, value):
            continue
        writes[column], before[column] = value, old
        if column == "title_grade":
            label, old_shown, new_shown = "职称等级", TITLE_GRADES.get(old or ""), TITLE_GRADES.get(value or "")
        elif column == "role":
            label, old_shown, new_shown = MEMBER_LABELS["role"], TEAM_ROLES.get(old), TEAM_ROLES[value]
        else:
            label, old_shown, new_shown = MEMBER_LABELS[column], old, value
        prow.changes.append(Change(sheet.name, prow.parsed.row, "", column, label, old_shown or None,
                                   new_shown or None))
    if writes:
        prow.status, prow.writes, prow.extra["before"] = UPDATED, writes, before
    else:
        prow.status = UNCHANGED


def apply_teams(writer: Writer, rows: list[PlannedRow]) -> None:
    teams = [r for r in rows if r.entity == "team"]
    new = [r for r in teams if r.status == NEW]
    writer.insert_new(TEAM, new, ("name",), names=("name",))
    for r in new:
        writer.log("team", r.entity_id, r.firm_id, f"新增科技创新团队 {r.writes['name']}", None, r.writes)
    changed = [r for r in teams if r.status == UPDATED]
    writer.update(TEAM, [(r.entity_id, r.writes) for r in changed])
    for r in changed:
        writer.log("team", r.entity_id, r.firm_id, f"更新科技创新团队 {r.extra['title']}（{changed_labels(r)}）",
                   r.extra["before"], r.writes)
    _apply_members(writer, [r for r in rows if r.entity == "team_member"])


def _apply_members(writer: Writer, members: list[PlannedRow]) -> None:
    for r in members:
        team = r.extra.get("team")
        if isinstance(team, PlannedRow):
            r.extra["team_id"], r.firm_id = team.entity_id, team.firm_id
        elif team is not None:
            r.extra["team_id"], r.firm_id = team.id, team.firm_id
    new = [r for r in members if r.status == NEW]
    if new:
        writer.insert(MEMBER, [dict(r.writes, team_id=r.extra["team_id"]) for r in new])
        ids = {}
        for chunk in chunks({r.extra["team_id"] for r in new}):
            stmt = select(MEMBER.c.id, MEMBER.c.team_id, MEMBER.c.name).where(MEMBER.c.team_id.in_(chunk))
            for i, team_id, name in writer.session.execute(stmt):
                ids[(team_id, name_key(name))] = i
        for r in new:
            member_id = ids[(r.extra["team_id"], name_key(r.writes["name"]))]
            writer.log("team_member", member_id, r.firm_id,
                       f"新增团队成员 {r.writes['name']}（{r.extra['title']}）", None,
                       dict(r.writes, team_id=r.extra["team_id"]))
    changed = [r for r in members if r.status == UPDATED]
    writer.update(MEMBER, [(r.entity_id, r.writes) for r in changed])
    for r in changed:
        writer.log("team_member", r.entity_id, r.firm_id,
                   f"更新团队成员 {r.parsed.values['member_name']}（{r.extra['title']}：{changed_labels(r)}）",
                   r.extra["before"], r.writes)
