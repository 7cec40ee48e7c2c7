"""The institution list as a workbook: the filtered institutions and their 晋级 history.

Written through ``registry.excel.exporter.write_workbook`` (the one door, formula-safe);
the two sheets use the headers the institution importer recognises, so an exported file
can be corrected and imported back.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import selectinload

from registry.excel.exporter import TEXT, Column, Sheet, write_workbook
from registry.extensions import db
from registry.firms.models import Firm
from registry.institutions.models import RdInstitution
from registry.institutions.services import InstitutionFilter, institution_query
from registry.vocab import LEVELS

INSTITUTION_COLUMNS = [
    Column("序号", width=6), Column("研发机构名称"), Column("依托企业"),
    Column("统一社会信用代码", number_format=TEXT), Column("镇（街道）"), Column("机构类型"),
    Column("级别"), Column("认定年份", number_format="0"), Column("首次认定年份", number_format="0"),
    Column("认定文号"), Column("状态"), Column("撤销/注销年份", number_format="0"),
    Column("备注", wrap=True),
]
HISTORY_COLUMNS = [
    Column("研发机构名称"), Column("依托企业"), Column("类别"), Column("原级别"), Column("晋级后级别"),
    Column("晋级年份", number_format="0"), Column("文号"), Column("说明", wrap=True),
]


def institutions_workbook(user, f: InstitutionFilter, *, bureau: str, today: date | None = None) -> bytes:
    stmt = institution_query(user, f).options(
        selectinload(RdInstitution.firm).selectinload(Firm.town),
        selectinload(RdInstitution.level_changes))
    institutions = list(db.session.scalars(stmt))
    rows, history = [], []
    for n, inst in enumerate(institutions, 1):
        firm = inst.firm
        rows.append([n, inst.name, firm.name, firm.uscc, firm.town.name if firm.town else None, inst.type,
                     inst.level_label, inst.recognised_year, inst.first_recognised_year, inst.document_no,
                     inst.status_label, inst.closed_year, inst.note])
        for step in inst.level_changes:
            history.append([inst.name, firm.name, step.kind_label, LEVELS.get(step.from_level or ""),
                            LEVELS[step.to_level], step.year, step.document_no, step.note])
    stamp = (today or date.today()).strftime("%Y-%m-%d")
    title = f"{bureau} 企业研发机构名单（共{len(rows)}家，导出于{stamp}）"
    return write_workbook([
        Sheet("研发机构", INSTITUTION_COLUMNS, rows, title_row=title),
        Sheet("晋级记录", HISTORY_COLUMNS, history),
    ], title="企业研发机构名单")
