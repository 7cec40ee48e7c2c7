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
    assert [c.value for c in ws[2]] == ["列名", "是否必填", "可识别的其他写法", "填写要求"]
    listed = [r[:3] for r in ws.iter_rows(min_row=3, values_only=True)]
    expected = []
    for code in specs.IMPORT_SHEETS[kind]:
        expected.append((f"【工作表：{specs.SHEET_KINDS[code].label}】", None, None))
        expected += [(f"「{f.label}」", "必填" if f.required else None, "、".join(f.synonyms) or None)
                     for f in specs.SHEET_KINDS[code].fields]
    assert listed == expected
    helps = {r[0]: r[3] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert "18位统一社会信用代码" in helps["「统一社会信用代码」"]
    assert not [c for row in wb.worksheets for r in row.iter_rows() for c in r if c.data_type == "f"]


@pytest.mark.parametrize("kind", list(specs.IMPORT_SHEETS))
def test_reader_takes_a_blank_template_as_it_is(ctx, kind):
    """The instructions and the hidden 选项 sheet are never read as data; every header is known."""
    reader = pytest.importorskip("registry.excel.reader")
    path = COMMITTED / f"{kind}.xlsx"
    book = reader.read_workbook(path.read_bytes(), f"{specs.SHEET_KINDS[specs.IMPORT_SHEETS[kind][0]].label}名单模板.xlsx")
    assert book.kind == kind
    assert [s.sheet_kind for s in book.sheets] == list(specs.IMPORT_SHEETS[kind])
    assert all(not s.unmapped and not s.rows for s in book.sheets)
    assert "填写说明" in book.skipped_sheets


def test_a_filled_roster_template_reads_back(ctx):

    reader = pytest.importorskip("registry.excel.reader")
    from registry import reference
    from tests.factories import next_uscc

    wb = load_workbook(COMMITTED / "firms.xlsx")
    ws = wb["企业名录"]
    code = next_uscc()
    headers = [c.value for c in ws[1]]
    row = {"序号": 1, "企业名称": "慈溪市模板测试电器有限公司", "统一社会信用代码": code,
           "所在镇（街道）": "周巷镇", "所属产业": "智能家电", "成立日期": "2012-03-04",
           "注册资本（万元）": 500, "联系电话": "0574-63123456", "是否规上企业": "是"}
    for i, h in enumerate(headers, 1):
        if h in row:
            ws.cell(row=2, column=i, value=row[h])
    out = io.BytesIO()
    wb.save(out)
    book = reader.read_workbook(out.getvalue(), "企业名录.xlsx", towns=[t.name for t in reference.towns()],
                                industries=[i.name for i in reference.industries()])
    (parsed,) = list(book.all_rows())
    assert parsed.ok, parsed.errors
    assert parsed.values["uscc"] == code and parsed.values["above_scale"] is True
