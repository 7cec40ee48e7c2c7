"""The project list as a workbook: the filtered projects and their process tracking.

Written through ``registry.excel.exporter.write_workbook`` (the one door, formula-safe).
Both sheets carry the headers of the import specs (``excel.specs_projects``), so an
exported file can be corrected and imported back as it is.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import selectinload

from registry.excel.exporter import DATE, TEXT, Column, Sheet, write_workbook
from registry.extensions import db
from registry.projects.models import Project
from registry.projects.services import ProjectFilter, project_query

PROJECT_COLUMNS = [
    Column("序号", width=6), Column("项目名称", width=36), Column("企业名称", width=30),
    Column("统一社会信用代码", number_format=TEXT, width=22), Column("项目编号", width=16),
    Column("计划类别", width=24), Column("级别"), Column("承担方式"),
    Column("开始年份", number_format="0"), Column("结束年份", number_format="0"),
    Column("资助经费（万元）", number_format="0.00"), Column("项目状态"),
    Column("验收年份", number_format="0"), Column("验收结果"), Column("备注", wrap=True),
]
MILESTONE_COLUMNS = [
    Column("项目名称", width=36), Column("企业名称", width=30), Column("统一社会信用代码", number_format=TEXT, width=22),
    Column("跟踪类型"), Column("事项", width=24), Column("计划日期", number_format=DATE),
    Column("完成日期", number_format=DATE), Column("结果"), Column("备注", wrap=True),
]


def projects_workbook(user, f: ProjectFilter, *, bureau: str, today: date | None = None) -> bytes:
    """Every project matching ``f`` in the user's scope, with its tracked steps."""
    stmt = project_query(user, f).options(selectinload(Project.milestones))
    rows, steps = [], []
    for n, p in enumerate(db.session.scalars(stmt), 1):
        firm = p.firm
        rows.append([n, p.name, firm.name, firm.uscc, p.project_no, p.plan, p.level_label, p.role_label,
                     p.start_year, p.end_year, p.funding, p.status_label, p.acceptance_year,
                     p.acceptance_result_label or None, p.note])
        for m in p.milestones:
            steps.append([p.name, firm.name, firm.uscc, m.kind_label, m.title, m.due_on, m.done_on,
                          m.result_label or None, m.note])
    stamp = (today or date.today()).strftime("%Y-%m-%d")
    return write_workbook([
        Sheet("科技计划项目", PROJECT_COLUMNS, rows,
              title_row=f"{bureau} 科技计划项目（共{len(rows)}项，导出于{stamp}）"),
        Sheet("过程跟踪", MILESTONE_COLUMNS, steps),
    ], title="科技计划项目")
