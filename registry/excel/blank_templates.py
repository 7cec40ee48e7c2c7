"""Blank import templates, generated from the specs, and ``flask excel templates``.

A template is the specs made visible: one sheet per sheet kind of the import kind, headed
by the canonical labels, with dropdowns where a field has ``choices``, text-formatted code
columns, and a 填写说明 sheet listing every column, whether it is required, the other
header spellings the import accepts and the field's help text. Because both the importer
and the templates read the same specs, a template can never offer a column the import
does not understand. The committed copies in imports/templates/ are checked against the
specs by tests/excel/test_templates.py.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from registry.excel import specs
from registry.excel.exporter import (
    DATE, TEXT, Column, Sheet, Validation, write_workbook,
)
from registry.vocab import (
    ACCEPTANCE_RESULTS, AWARD_GRADES, IMPORT_KINDS, LEVELS, MILESTONE_KINDS, PROJECT_ROLES, PROJECT_STATUSES,
    RD_TYPES, TEAM_LEVELS, TEAM_ROLES, VOUCHER_PURPOSES, VOUCHER_STATUSES,
)

NUMBER_FORMATS = {"uscc": TEXT, "phone": TEXT, "date": DATE, "decimal": "0.00", "year": "0",
                  "int": "0", "count": "0"}
#: Lists longer than this go to the hidden 选项 sheet even when they would fit inline.
INLINE_ITEMS = 8
DATA_ROWS = 2000
GENERAL_NOTES = (
    "填写说明：",
    "1. 每张数据表第 1 行为表头，请从第 2 行起每行填写一条记录；表头文字请勿修改，不需要的列可以删除，列的顺序可以调整。",
    "2. 表头为橙色的列必须填写；企业以统一社会信用代码匹配，没有代码时按企业全称（含曾用名）匹配。",
    "3. 统一社会信用代码、电话等列已设为文本格式，请勿改为数字，否则 Excel 会把代码变成 9.13E+17 而丢失末几位。",
    "4. 日期写成 2016-05-12；金额单位为万元，只填数字；是/否、镇（街道）、产业、级别等请从下拉列表中选择。",
    "5. 请保存为 .xlsx 格式上传（不要用 .xls 或带宏的 .xlsm），上传后系统会先预览，确认无误才写入。",
)


def choice_lists(towns, industries) -> dict[str, list[str]]:
    """The values of each ``Field.choices`` key (towns/industries as records or names)."""
    return {
        "towns": [getattr(t, "name", t) for t in towns],
        "industries": [getattr(i, "name", i) for i in industries],
        "levels": list(LEVELS.values()),
        "yesno": ["是", "否"],
        "roles": list(TEAM_ROLES.values()),
        "team_levels": list(TEAM_LEVELS.values()),
        "rd_types": list(RD_TYPES),
        **ARCHIVE_LISTS,
    }


#: Projects and awards (registry/excel/specs_projects.py).
ARCHIVE_LISTS = {
    "project_roles": list(PROJECT_ROLES.values()), "project_statuses": list(PROJECT_STATUSES.values()),
    "acceptance_results": list(ACCEPTANCE_RESULTS.values()), "milestone_kinds": list(MILESTONE_KINDS.values()),
    "award_grades": list(AWARD_GRADES.values()),
    # vouchers and loans (registry/excel/specs_finance.py); 已代偿 is recorded in the app
    "voucher_purposes": list(VOUCHER_PURPOSES.values()), "voucher_statuses": list(VOUCHER_STATUSES.values()),
    "loan_statuses": ["在贷", "逾期", "已结清"],
}
LIST_NAMES = {"project_roles": "承担方式选项", "project_statuses": "项目状态选项", "acceptance_results": "结果选项",
              "milestone_kinds": "跟踪类型选项", "award_grades": "等级选项",
              "voucher_purposes": "券种选项", "voucher_statuses": "创新券状态选项", "loan_statuses": "贷款状态选项",
"towns": "镇街选项", "industries": "产业选项", "levels": "级别选项", "yesno": "是否选项",
              "roles": "角色选项", "team_levels": "团队级别选项", "rd_types": "机构类型选项"}
#: Lists where other values are allowed (with a warning): the vocabulary is open-ended.
OPEN_LISTS = {"rd_types"}


def template_columns(kind: str) -> dict[str, list[str]]:
    """Sheet title → the headers a template of ``kind`` carries (what the test compares)."""
    return {specs.SHEET_KINDS[code].label: [f.label for f in specs.SHEET_KINDS[code].fields]
            for code in specs.IMPORT_SHEETS[kind]}


def build(kind: str, *, towns, industries) -> bytes:
    if kind not in specs.IMPORT_SHEETS:
        raise KeyError(kind)
    lists = choice_lists(towns, industries)
    sheets = [_data_sheet(specs.SHEET_KINDS[code], lists) for code in specs.IMPORT_SHEETS[kind]]
    sheets.append(_instructions(kind))
    return write_workbook(sheets, title=f"{IMPORT_KINDS[kind]}导入模板")


def _data_sheet(kind: specs.SheetKind, lists: dict[str, list[str]]) -> Sheet:
    columns, validations = [], []
    for i, f in enumerate(kind.fields):
        columns.append(Column(f.label, width=_width(f), number_format=NUMBER_FORMATS.get(f.parser),
                              required=f.required, note=_header_note(f)))
        if f.choices and lists.get(f.choices):
            values = lists[f.choices]
            validations.append(Validation(
                i, values, name=LIST_NAMES.get(f.choices, f.choices), rows=DATA_ROWS,
                strict=f.choices not in OPEN_LISTS, prompt=f.help,
                on_list_sheet=len(values) > INLINE_ITEMS))
    return Sheet(kind.label, columns, validations=validations)


WIDE = {"name": 34, "inst_name": 36, "team_name": 32, "address": 36, "reason": 36, "email": 24,
        "uscc": 22, "certificate_no": 18, "document_no": 22, "field": 24, "type": 24}


def _width(f: specs.Field) -> float:
    """Room for a typical value, not just the header (empty templates have no values)."""
    from registry.excel.exporter import text_width

    base = {"date": 12, "decimal": 14, "phone": 16, "town": 14, "industry": 16}.get(f.parser, 10)
    return float(max(WIDE.get(f.name, base), text_width(f.label) + 3))


def _header_note(f: specs.Field) -> str:
    parts = []
    if f.required:
        parts.append("必填。")
    if f.help:
        parts.append(f.help)
    return "".join(parts)


def _instructions(kind: str) -> Sheet:
    """One row per column, grouped under a 【sheet】 row. Column names are written in 「」
    so that no cell of this sheet reads as a header the importer would recognise."""
    columns = [Column("列名", width=26), Column("是否必填", width=10),
               Column("可识别的其他写法", width=50, wrap=True), Column("填写要求", width=64, wrap=True)]
    rows = []
    for code in specs.IMPORT_SHEETS[kind]:
        sk = specs.SHEET_KINDS[code]
        rows.append([f"【工作表：{sk.label}】"])
        for f in sk.fields:
            rows.append([f"「{f.label}」", "必填" if f.required else "",
                         "、".join(f.synonyms), _requirement(f)])
    return Sheet("填写说明", columns, rows=rows, title_row="\n".join(GENERAL_NOTES))


def _requirement(f: specs.Field) -> str:
    hints = {"uscc": "文本格式，18位", "date": "日期，如 2016-05-12", "decimal": "数字，单位万元",
             "year": "四位年份，如 2016", "int": "整数", "count": "整数，没有填 0",
             "bool": "是 / 否", "level": "国家级、省级、宁波市级或慈溪市级（“市级”即慈溪市级）",
             "phone": "文本格式，手机或带区号的固定电话", "role": "带头人、核心成员或成员"}
    parts = [f.help] if f.help else []
    if f.parser in hints and hints[f.parser] not in f.help:
        parts.append(hints[f.parser])
    if f.choices:
        parts.append("从下拉列表中选择")
    return "；".join(parts)


@click.group("excel", help="Excel 导入模板等。")
def excel_cli():
    pass


@excel_cli.command("templates")
@click.option("--out", default="imports/templates", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="输出目录")
@with_appcontext
def templates_command(out: Path):
    """Write imports/templates/<kind>.xlsx for every import kind."""
    from registry import reference

    out.mkdir(parents=True, exist_ok=True)
    towns, industries = reference.towns(), reference.industries()
    for kind in specs.IMPORT_SHEETS:
        path = out / f"{kind}.xlsx"
        path.write_bytes(build(kind, towns=towns, industries=industries))
        click.echo(f"{path}  {IMPORT_KINDS[kind]}")
