"""The team list as a workbook: teams, their current and former members, yearly evaluations.

Written through ``registry.excel.exporter.write_workbook`` (the one door, formula-safe);
team and member headers are those the team importer recognises.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import selectinload

from registry.excel.exporter import TEXT, Column, Sheet, write_workbook
from registry.extensions import db
from registry.teams.models import Team
from registry.teams.services import TeamFilter, member_counts, ordered_members, team_query

TEAM_COLUMNS = [
    Column("序号", width=6), Column("团队名称"), Column("企业名称"),
    Column("统一社会信用代码", number_format=TEXT), Column("镇（街道）"), Column("带头人"),
    Column("研究方向"), Column("认定年份", number_format="0"), Column("是否宁波市级团队"),
    Column("宁波市级入选年份", number_format="0"), Column("在研项目数", number_format="0"),
    Column("成员数", number_format="0"), Column("副高以上人数", number_format="0"), Column("状态"),
    Column("退出年份", number_format="0"), Column("退出原因", wrap=True),
]
MEMBER_COLUMNS = [
    Column("团队名称"), Column("姓名"), Column("职称"), Column("职称等级"), Column("角色"), Column("学历"),
    Column("加入年份", number_format="0"), Column("离开年份", number_format="0"),
]
EVALUATION_COLUMNS = [
    Column("团队名称"), Column("考核年度", number_format="0"), Column("考核结果"), Column("考核意见", wrap=True),
]


def teams_workbook(user, f: TeamFilter, *, bureau: str, today: date | None = None) -> bytes:
    stmt = team_query(user, f).options(selectinload(Team.members), selectinload(Team.evaluations))
    found = list(db.session.scalars(stmt))
    counts = member_counts(t.id for t in found)
    teams, members, evaluations = [], [], []
    for n, team in enumerate(found, 1):
        count, high = counts.get(team.id, (0, 0))
        firm = team.firm
        teams.append([n, team.name, firm.name, firm.uscc, firm.town.name if firm.town else None,
                      team.leader_name, team.field, team.recognised_year,
                      team.level == "ningbo", team.ningbo_year, team.projects_in_progress, count, high,
                      team.status_label, team.exit_year, team.exit_reason])
        for m in ordered_members(team):
            members.append([team.name, m.name, m.title, m.title_grade_label or None, m.role_label,
                            m.education, m.joined_year, m.left_year])
        for e in team.evaluations:
            evaluations.append([team.name, e.year, e.result_label, e.comment])
    stamp = (today or date.today()).strftime("%Y-%m-%d")
    title = f"{bureau} 科技创新团队名单（共{len(teams)}个，导出于{stamp}）"
    return write_workbook([
        Sheet("科技创新团队", TEAM_COLUMNS, teams, title_row=title),
        Sheet("团队成员", MEMBER_COLUMNS, members),
        Sheet("年度考核", EVALUATION_COLUMNS, evaluations),
    ], title="科技创新团队名单")
