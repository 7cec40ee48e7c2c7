"""The award list as a workbook, through the one exporter, with the import spec's headers
(``excel.specs_projects.AWARDS``) so a corrected file imports back as it is."""
from __future__ import annotations

from datetime import date

from registry.awards.services import AwardFilter, award_query
from registry.excel.exporter import TEXT, Column, Sheet, write_workbook
from registry.extensions import db

AWARD_COLUMNS = [
    Column("序号", width=6), Column("获奖项目", width=36), Column("企业名称", width=30),
    Column("统一社会信用代码", number_format=TEXT, width=22), Column("奖项", width=24), Column("级别"),
    Column("等级"), Column("获奖年份", number_format="0"), Column("完成单位排名", number_format="0"),
    Column("备注", wrap=True),
]


def awards_workbook(user, f: AwardFilter, *, bureau: str, today: date | None = None) -> bytes:
    rows = [[n, a.project_name, a.firm.name, a.firm.uscc, a.award, a.level_label, a.grade_label, a.year,
             a.firm_rank, a.note] for n, a in enumerate(db.session.scalars(award_query(user, f)), 1)]
    stamp = (today or date.today()).strftime("%Y-%m-%d")
    return write_workbook([Sheet("科技奖励", AWARD_COLUMNS, rows,
                                 title_row=f"{bureau} 科技奖励（共{len(rows)}项，导出于{stamp}）")],
                          title="科技奖励")
