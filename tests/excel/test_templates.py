"""Blank import templates: the committed files match the specs; dropdowns and instructions."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from registry.excel import specs
from registry.excel.blank_templates import template_columns
from registry.excel.exporter import template_workbook
from registry.vocab import IMPORT_KINDS

COMMITTED = Path(__file__).resolve().parents[2] / "imports" / "templates"


def data_sheets(wb):
    return [ws for ws in wb.worksheets if ws.title not in ("填写说明", "选项")]


@pytest.mark.parametrize("kind", list(specs.IMPORT_SHEETS))
def test_committed_template_matches_the_specs(kind):
    """Regenerate with `flask --app registry excel templates` when this fails."""
    path = COMMITTED / f"{kind}.xlsx"
    assert path.exists(), f"{path} missing: run `flask --app registry excel templates`"
    wb = load_workbook(path)
    found = {ws.title: [c.value for c in ws[1]] for ws in data_sheets(wb)}
    assert found == template_columns(kind)
    assert wb.worksheets[0].title == specs.SHEET_KINDS[specs.IMPORT_SHEETS[kind][0]].label


def test_every_import_kind_has_a_template():
    assert set(specs.IMPORT_SHEETS) == set(IMPORT_KINDS)
    assert {p.stem for p in COMMITTED.glob("*.xlsx")} == set(IMPORT_KINDS)


def _template(ctx, kind):
    from registry import reference

    data = template_workbook(kind, towns=reference.towns(), industries=reference.industries())
    return load_workbook(io.BytesIO(data))


def test_roster_template_dropdowns_and_text_columns(ctx):
    from registry import reference

    wb = _template(ctx, "firms")
    ws = wb["企业名录"]
    headers = {c.value: c.column_letter for c in ws[1]}
    dvs = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    town_dv = dvs[headers["所在镇（街道）"] + "2"]
    ref = wb.defined_names[town_dv.formula1].attr_text  # the long town list sits on 选项
    assert ref.startswith("'选项'!") or ref.startswith("选项!")
    towns = [c.value for c in wb["选项"]["A"][1:]]
    assert towns == [t.name for t in reference.towns()] and "杭州湾新区" in towns
    assert wb["选项"].sheet_state == "hidden"
    industries = dvs[headers["所属产业"] + "2"].formula1.strip('"').split(",")
    assert industries == [i.name for i in reference.industries()]
    assert dvs[headers["是否规上企业"] + "2"].formula1 == '"是,否"'
    for header in ("统一社会信用代码", "联系电话"):
        assert ws.column_dimensions[headers[header]].number_format == "@"
    assert ws.column_dimensions[headers["成立日期"]].number_format == "yyyy-mm-dd"
    assert ws.freeze_panes == "A2"


def test_level_role_and_type_dropdowns(ctx):
    inst = _template(ctx, "institutions")
    formulas = [dv.formula1 for dv in inst["研发机构"].data_validations.dataValidation]
    assert '"国家级,省级,宁波市级,慈溪市级"' in formulas
    types = [dv for dv in inst["研发机构"].data_validations.dataValidation if "企业技术中心" in dv.formula1]
    assert types and types[0].errorStyle == "warning"  # other types allowed, with a warning
    teams = _template(ctx, "teams")
    assert '"带头人,核心成员,成员"' in [dv.formula1 for dv in teams["团队成员"].data_validations.dataValidation]


@pytest.mark.parametrize("kind", list(specs.IMPORT_SHEETS))
def test_instructions_list_every_column(ctx, kind):
    wb = _template(ctx, kind)
    ws = wb["填写说明"]
    assert "填写说明" in ws["A1"].value
    assert [c.value for c in ws[2]] == ["工作表", "列名", "是否必填", "可识别的其他写法", "填写要求"]
    listed = [(r[0], r[1], r[2], r[3]) for r in ws.iter_rows(min_row=3, values_only=True)]
    expected = [(specs.SHEET_KINDS[code].label, f.label, "必填" if f.required else None,
                 "、".join(f.synonyms) or None)
                for code in specs.IMPORT_SHEETS[kind] for f in specs.SHEET_KINDS[code].fields]
    assert listed == expected
    helps = {r[1]: r[4] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert "18位统一社会信用代码" in helps["统一社会信用代码"]
    assert not [c for row in wb.worksheets for r in row.iter_rows() for c in r if c.data_type == "f"]
