"""The importer's rules on hand-built ParsedWorkbooks: matching, classification, the exact
changes, row errors, and writing all-or-nothing with its audit trail."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditLog
from registry.errors import RegistryError
from registry.excel.importer import apply_plan, plan_import
from registry.excel.models import ImportBatch
from registry.excel.specs import SHEET_KINDS
from registry.excel.types import (
    ERROR, NEW, UNCHANGED, UPDATED, CellError, ParsedRow, ParsedSheet, ParsedWorkbook,
)
from registry.excel.values import LegacyCode
from registry.firms.models import AnnualData, Firm, FirmName
from registry.firms.uscc import make_uscc
from registry.institutions.models import RdInstitution, RdLevelChange
from registry.recognitions.models import Recognition
from registry.teams.models import Team
from tests.factories import next_uscc

TODAY = date(2016, 12, 31)


# --- building workbooks by hand -------------------------------------------------------

def sheet(kind: str, rows: list[dict], *, name: str = "Sheet1", year=None, programme=None,
          columns: dict | None = None, first_row: int = 2) -> ParsedSheet:
    """A parsed sheet of ``kind``: each dict is a row's parsed values (fields → values)."""
    spec = SHEET_KINDS[kind]
    fields = columns or {f: spec.field(f).label for r in rows for f in r if not f.startswith("_")}
    out = ParsedSheet(name=name, sheet_kind=kind, header_row=first_row - 1, columns=dict(fields),
                      headers=list(fields.values()), unmapped=[], samples={}, year=year,
                      programme=programme)
    for n, values in enumerate(rows, start=first_row):
        values = dict(values)
        context = values.pop("_context", {})
        errors = [CellError(name, n, fields.get(f, f), "x", why) for f, why in values.pop("_errors", [])]
        out.rows.append(ParsedRow(sheet=name, row=n, values=values, raw=dict(values), errors=errors,
                                  context=context))
    return out


def book(kind: str, *sheets: ParsedSheet, programme=None, year=None) -> ParsedWorkbook:
    return ParsedWorkbook(filename="test.xlsx", sha256="0" * 64, kind=kind, programme=programme,
                          year=year, sheets=list(sheets))


def new_batch(session, kind="firms") -> ImportBatch:
    batch = ImportBatch(kind=kind, filename="test.xlsx", sha256="0" * 64, size=1, content=b"x",
                        status="preview")
    session.add(batch)
    session.flush()
    return batch


def run(session, workbook, **kw):
    """Plan and apply; returns the plan."""
    plan = plan_import(workbook, today=TODAY)
    apply_plan(plan, None, new_batch(session, workbook.kind), **kw)
    return plan


def statuses(plan) -> list[str]:
    return [r.status for r in plan.rows]


def changes(plan) -> list[tuple]:
    return [(c.row, c.label, c.old, c.new) for c in plan.changes]


def reasons(plan) -> list[tuple]:
    return [(e.row, e.column, e.reason) for e in plan.errors]


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- roster ---------------------------------------------------------------------------

def test_roster_new_firms_are_written_with_every_value_and_audited(ctx):
    code = next_uscc()
    wb = book("firms", sheet("firms", [
        {"name": "慈溪市甲乙电器有限公司", "uscc": code, "town": "周巷镇", "industry": "智能家电",
         "founded_on": date(2009, 5, 12), "registered_capital": Decimal("1200"),
         "legal_representative": "张三", "phone": "13812345678", "above_scale": True},
    ]))
    plan = run(ctx, wb)
    assert statuses(plan) == [NEW] and plan.changes == []
    firm = ctx.scalar(select(Firm).where(Firm.uscc == code))
    assert (firm.name, firm.town.name, firm.industry.name, firm.founded_on, firm.registered_capital,
            firm.legal_representative, firm.phone, firm.above_scale, firm.status, firm.version) == (
        "慈溪市甲乙电器有限公司", "周巷镇", "智能家电", date(2009, 5, 12), Decimal("1200.00"), "张三",
        "13812345678", True, "active", 1)
    entry = ctx.scalar(select(AuditLog))
    assert (entry.action, entry.entity_type, entry.entity_id, entry.firm_id) == ("import", "firm", firm.id, firm.id)
    assert entry.summary.startswith("导入批次#") and "新增企业 慈溪市甲乙电器有限公司" in entry.summary
    assert entry.after["registered_capital"] == "1200" and entry.after["founded_on"] == "2009-05-12"


def test_roster_update_lists_exactly_the_changed_fields_and_blank_keeps_the_stored_value(ctx, make):
    firm = make.firm("慈溪市丙丁电器有限公司", town="浒山街道", registered_capital=Decimal("500"),
                     phone="0574-63000000", legal_representative="李四")
    wb = book("firms", sheet("firms", [
        {"name": "慈溪市丙丁电器有限公司", "uscc": firm.uscc, "town": "周巷镇",
         "registered_capital": Decimal("500.00"), "phone": None, "legal_representative": "王五"},
    ]))
    plan = run(ctx, wb)
    assert statuses(plan) == [UPDATED]
    assert changes(plan) == [(2, "所在镇（街道）", "浒山街道", "周巷镇"), (2, "法定代表人", "李四", "王五")]
    ctx.expire_all()
    assert (firm.town.name, firm.legal_representative, firm.phone, firm.version) == ("周巷镇", "王五", "0574-63000000", 2)
    entry = ctx.scalar(select(AuditLog))
    assert entry.before == {"town_id": make.town("浒山街道").id, "legal_representative": "李四"}
    assert entry.after == {"town_id": make.town("周巷镇").id, "legal_representative": "王五"}


def test_roster_rename_keeps_the_old_name_and_the_old_name_still_matches(ctx, make):
    firm = make.firm("慈溪市旧名电器有限公司")
    plan = run(ctx, book("firms", sheet("firms", [{"name": "宁波新名电器有限公司", "uscc": firm.uscc}])))
    assert changes(plan) == [(2, "企业名称", "慈溪市旧名电器有限公司", "宁波新名电器有限公司")]
    ctx.expire_all()
    assert firm.name == "宁波新名电器有限公司"
    assert [(n.name, n.changed_on) for n in firm.former_names] == [("慈溪市旧名电器有限公司", TODAY)]
    # a later roster without codes finds the firm by its former name and never renames it back
    plan = run(ctx, book("firms", sheet("firms", [{"name": "慈溪市旧名电器有限公司", "phone": "13900000000"}])))
    assert statuses(plan) == [UPDATED] and changes(plan) == [(2, "联系电话", None, "13900000000")]
    ctx.expire_all()
    assert (firm.name, firm.phone) == ("宁波新名电器有限公司", "13900000000")


def test_name_match_ignores_bracket_width_and_spaces_but_nothing_looser(ctx, make):
    firm = make.firm("慈溪市某某（中国）电器有限公司")
    plan = plan_import(book("firms", sheet("firms", [
        {"name": "慈溪市某某(中国)电器有限公司 ", "address": "慈溪市浒山街道1号"},
        {"name": "慈溪市某某电器有限公司", "address": "x"},
    ])), today=TODAY)
    assert statuses(plan) == [UPDATED, ERROR]
    assert plan.rows[0].firm_id == firm.id
    assert plan.rows[1].errors[0].column == "企业名称" and "库中没有名为" in plan.rows[1].errors[0].reason


def test_a_name_two_firms_answer_to_is_an_error_never_a_guess(ctx, make):
    make.firm("慈溪市同名电器有限公司")
    other = make.firm("慈溪市后来电器有限公司")
    ctx.add(FirmName(firm_id=other.id, name="慈溪市同名电器有限公司"))
    ctx.flush()
    plan = plan_import(book("firms", sheet("firms", [{"name": "慈溪市同名电器有限公司", "phone": "1"}])), today=TODAY)
    assert statuses(plan) == [ERROR] and "对应多家企业" in plan.errors[0].reason


def test_roster_row_errors(ctx, make):
    known = make.firm()
    code = next_uscc()
    wb = book("firms", sheet("firms", [
        {"name": "慈溪市好电器有限公司", "uscc": code, "town": "周巷镇"},
        {"name": "慈溪市重复电器有限公司", "uscc": code},                          # duplicate code
        {"name": None, "uscc": known.uscc},                                    # name required
        {"name": "慈溪市镇名电器有限公司", "uscc": next_uscc(), "town": "慈溪镇"},      # unknown town
        {"name": "慈溪市未来电器有限公司", "uscc": next_uscc(), "founded_on": date(2031, 6, 18)},
        {"name": "慈溪市负数电器有限公司", "uscc": next_uscc(), "registered_capital": Decimal("-500")},
        {"name": "慈溪市无码电器有限公司"},                                          # unknown, no code
        {"name": "慈溪市长名" + "很" * 200 + "有限公司", "uscc": next_uscc()},       # too long
        {"name": "慈溪市读错电器有限公司", "uscc": None, "_errors": [("uscc", "统一社会信用代码第18位错误")]},
    ]))
    plan = plan_import(wb, today=TODAY)
    assert statuses(plan) == [NEW] + [ERROR] * 8
    assert [(row, column) for row, column, _ in reasons(plan)] == [
        (3, "统一社会信用代码"), (4, "企业名称"), (5, "所在镇（街道）"), (6, "成立日期"),
        (7, "注册资本（万元）"), (8, "企业名称"), (9, "企业名称"), (10, "统一社会信用代码")]
    assert "与第2行重复" in plan.errors[0].reason
    assert plan.errors[-1].reason == "统一社会信用代码第18位错误"  # the reader's, not a second one


def test_group_rows_set_the_town_of_the_rows_below(ctx):
    code = next_uscc()
    run(ctx, book("firms", sheet("firms", [{"name": "慈溪市分组电器有限公司", "uscc": code,
                                            "_context": {"town": "龙山镇"}}])))
    assert ctx.scalar(select(Firm).where(Firm.uscc == code)).town.name == "龙山镇"


def test_legacy_codes(ctx, make):
    firm = make.firm()
    org = firm.uscc[8:17]
    plan = plan_import(book("firms", sheet("firms", [
        {"name": firm.name, "uscc": LegacyCode("org_code", org), "address": "新地址"},
        {"name": "慈溪市老代码电器有限公司", "uscc": LegacyCode("org_code", "MA2812345")},
        {"name": "慈溪市注册号电器有限公司", "uscc": LegacyCode("registration_no", "330282000012345")},
    ])), today=TODAY)
    assert statuses(plan) == [UPDATED, ERROR, ERROR]
    assert plan.rows[0].firm_id == firm.id and plan.rows[0].uscc == firm.uscc
    assert "组织机构代码MA2812345在库中找不到" in plan.errors[0].reason
    assert "注册号" in plan.errors[1].reason and plan.errors[1].column == "统一社会信用代码"


# --- recognition lists -----------------------------------------------------------------

def test_list_creates_unknown_firms_and_sets_validity_by_the_programme(ctx, make):
    known = make.firm()
    new_code = next_uscc()
    wb = book("recognitions", sheet("recognitions", [
        {"name": known.name, "uscc": known.uscc, "certificate_no": "GR201633100001",
         "issued_on": date(2016, 11, 30)},
        {"name": "慈溪市名单新企业有限公司", "uscc": new_code, "certificate_no": "GR201633100002"},
    ], year=2016), programme="high_tech")
    plan = run(ctx, wb)
    assert statuses(plan) == [NEW, NEW]
    recs = {r.certificate_no: r for r in ctx.scalars(select(Recognition))}
    first, second = recs["GR201633100001"], recs["GR201633100002"]
    assert (first.year, first.valid_from, first.valid_until) == (2016, date(2016, 11, 30), date(2019, 11, 29))
    assert (second.valid_from, second.valid_until) == (date(2016, 1, 1), date(2018, 12, 31))
    assert second.firm.name == "慈溪市名单新企业有限公司" and second.firm.uscc == new_code
    assert {(e.entity_type, e.firm_id) for e in ctx.scalars(select(AuditLog))} == {
        ("recognition", known.id), ("recognition", second.firm_id), ("firm", second.firm_id)}


def test_validity_from_29_february(ctx, make):
    firm = make.firm()
    run(ctx, book("recognitions", sheet("recognitions", [
        {"uscc": firm.uscc, "issued_on": date(2016, 2, 29)}], year=2016), programme="tech_sme"))
    rec = ctx.scalar(select(Recognition))
    assert (rec.valid_from, rec.valid_until) == (date(2016, 2, 29), date(2017, 2, 28))


def test_list_errors_name_what_is_missing(ctx, make):
    firm = make.firm()
    holder = make.firm()
    make.recognition(holder, year=2015, certificate_no="GR201533100009")
    wb = book("recognitions", sheet("recognitions", [
        {"uscc": firm.uscc, "programme": "high_tech"},              # no year anywhere
        {"uscc": firm.uscc, "year": 2016, "programme": None},       # no programme anywhere
        {"uscc": next_uscc(), "year": 2016, "programme": "eaglet"},  # unknown firm without a name
        {"uscc": firm.uscc, "year": 2015, "programme": "high_tech", "certificate_no": "GR201533100009"},
        {"uscc": firm.uscc, "year": 2014, "programme": "high_tech", "certificate_no": "GR201433100001"},
        {"uscc": firm.uscc, "year": 2014, "programme": "high_tech"},  # same key again
    ], columns={"uscc": "统一社会信用代码", "year": "年度", "programme": "类别", "certificate_no": "证书编号"}))
    plan = plan_import(wb, today=TODAY)
    assert statuses(plan) == [ERROR, ERROR, ERROR, ERROR, NEW, ERROR]
    found = reasons(plan)
    assert found[0][1] == "年度" and "无法确定年度" in found[0][2]
    assert plan.rows[1].errors[0].column == "类别" and "无法确定认定类别" in plan.rows[1].errors[0].reason
    assert plan.rows[2].errors[0].column == "企业名称" and "新增企业须填写企业名称" in plan.rows[2].errors[0].reason
    assert "已属于库中另一条认定记录" in plan.rows[3].errors[0].reason
    assert "与第6行重复" in plan.rows[5].errors[0].reason


def test_list_update_changes_certificate_fields_and_validity(ctx, make):
    firm = make.firm()
    make.recognition(firm, year=2016, certificate_no="GR201633100001", issued_on=date(2016, 11, 30),
                     valid_from=date(2016, 11, 30), valid_until=date(2019, 11, 29))
    wb = book("recognitions", sheet("recognitions", [
        {"uscc": firm.uscc, "certificate_no": "GR201633100001", "issued_on": date(2016, 12, 15),
         "batch": None, "note": "复核"}], year=2016), programme="high_tech")
    plan = run(ctx, wb)
    assert changes(plan) == [(2, "发证日期", date(2016, 11, 30), date(2016, 12, 15)),
                             (2, "备注", None, "复核"),
                             (2, "有效期起", date(2016, 11, 30), date(2016, 12, 15)),
                             (2, "有效期至", date(2019, 11, 29), date(2019, 12, 14))]
    again = plan_import(wb, today=TODAY)
    assert statuses(again) == [UNCHANGED]


def test_revocations(ctx, make):
    a, b, c = make.firm(), make.firm(), make.firm()
    make.recognition(a, year=2014)
    make.recognition(b, year=2014, status="revoked", revoke_reason="年报弄虚作假")
    rows = [{"uscc": a.uscc, "reason": "发生重大安全事故", "revoked_on": date(2016, 6, 1)},
            {"uscc": b.uscc, "reason": "年报弄虚作假"},
            {"uscc": c.uscc, "reason": "不存在的认定"}]
    wb = book("recognitions", sheet("revocations", rows, name="取消资格名单", year=2014), programme="high_tech")
    plan = plan_import(wb, today=TODAY)
    assert statuses(plan) == [UPDATED, UNCHANGED, ERROR]
    assert changes(plan) == [(2, "状态", "有效", "已撤销"), (2, "取消原因", None, "发生重大安全事故"),
                             (2, "取消日期", None, date(2016, 6, 1))]
    assert "无法撤销" in plan.errors[0].reason
    wb.sheets[0].rows.pop()
    run(ctx, wb)
    rec = ctx.scalar(select(Recognition).where(Recognition.firm_id == a.id))
    ctx.refresh(rec)
    assert (rec.status, rec.revoke_reason, rec.revoked_on) == ("revoked", "发生重大安全事故", date(2016, 6, 1))


def test_a_recognition_listed_and_revoked_in_the_same_file(ctx, make):
    firm = make.firm()
    wb = book("recognitions",
              sheet("recognitions", [{"uscc": firm.uscc, "certificate_no": "GR201433100077"}], name="2014年", year=2014),
              sheet("revocations", [{"uscc": firm.uscc, "reason": "不再符合条件"}], name="撤销名单", year=2014),
              programme="high_tech")
    plan = run(ctx, wb)
    assert statuses(plan) == [NEW, UPDATED]
    rec = ctx.scalar(select(Recognition))
    assert (rec.status, rec.revoke_reason) == ("revoked", "不再符合条件")


# --- R&D institutions ---------------------------------------------------------------

def inst_book(host, *, level="provincial", year=2014, steps=()):
    insts = sheet("institutions", [{"inst_name": "甲乙企业技术中心", "level": level, "type": "企业技术中心",
                                    "name": host.name, "uscc": host.uscc, "recognised_year": year}],
                  name="研发机构")
    sheets = [insts]
    if steps:
        sheets.append(sheet("level_changes", [dict(s) for s in steps], name="晋级记录"))
    return book("institutions", *sheets)


def test_institution_history_initial_then_promotions(ctx, make):
    host = make.firm()
    wb = inst_book(host, steps=[{"inst_name": "甲乙企业技术中心", "from_level": "ningbo", "to_level": "provincial", "year": 2014},
                                {"inst_name": "甲乙企业技术中心", "from_level": "cixi", "to_level": "ningbo", "year": 2010}])
    plan = run(ctx, wb)
    assert statuses(plan) == [NEW, NEW, NEW]
    inst = ctx.scalar(select(RdInstitution))
    assert (inst.level, inst.recognised_year, inst.firm_id) == ("provincial", 2014, host.id)
    assert [(s.kind, s.from_level, s.to_level, s.year) for s in inst.level_changes] == [
        ("initial", None, "cixi", 2010), ("promotion", "cixi", "ningbo", 2010),
        ("promotion", "ningbo", "provincial", 2014)]
    assert statuses(plan_import(wb, today=TODAY)) == [UNCHANGED] * 3


def test_institution_without_steps_gets_an_initial_step(ctx, make):
    host = make.firm()
    run(ctx, inst_book(host, level="cixi", year=2012))
    inst = ctx.scalar(select(RdInstitution))
    assert [(s.kind, s.to_level, s.year) for s in inst.level_changes] == [("initial", "cixi", 2012)]


def test_level_must_equal_the_last_step(ctx, make):
    host = make.firm()
    wb = inst_book(host, level="national", steps=[
        {"inst_name": "甲乙企业技术中心", "from_level": "ningbo", "to_level": "provincial", "year": 2014}])
    plan = plan_import(wb, today=TODAY)
    assert statuses(plan) == [NEW, ERROR]
    assert plan.errors[0].column == "晋级后级别" and "不一致" in plan.errors[0].reason


def test_level_change_for_an_unknown_institution_is_an_error(ctx, make):
    wb = book("institutions", sheet("level_changes", [
        {"inst_name": "不存在的工程中心", "from_level": "cixi", "to_level": "ningbo", "year": 2015}]))
    plan = plan_import(wb, today=TODAY)
    assert statuses(plan) == [ERROR] and "库中也没有" in plan.errors[0].reason


def test_a_promotion_sheet_alone_promotes_a_stored_institution(ctx, make):
    host = make.firm()
    run(ctx, inst_book(host, level="cixi", year=2012))
    wb = book("institutions", sheet("level_changes", [
        {"inst_name": "甲乙企业技术中心", "to_level": "ningbo", "year": 2016, "document_no": "甬科发〔2016〕1号"}]))
    plan = run(ctx, wb)
    assert statuses(plan) == [NEW]
    inst = ctx.scalar(select(RdInstitution))
    ctx.refresh(inst)
    assert (inst.level, inst.recognised_year) == ("ningbo", 2016)
    assert [(s.kind, s.from_level, s.to_level) for s in inst.level_changes] == [
        ("initial", None, "cixi"), ("promotion", "cixi", "ningbo")]


def test_level_changed_in_the_institution_sheet_needs_a_year(ctx, make):
    host = make.firm()
    run(ctx, inst_book(host, level="cixi", year=2012))
    plan = plan_import(inst_book(host, level="ningbo", year=None), today=TODAY)
    assert statuses(plan) == [ERROR] and "请填写认定年份" in plan.errors[0].reason
    plan = run(ctx, inst_book(host, level="ningbo", year=2016))
    assert changes(plan) == [(2, "级别", "慈溪市级", "宁波市级"), (2, "认定年份", 2012, 2016)]
    assert count(ctx, RdLevelChange) == 2


# --- teams ------------------------------------------------------------------------------

def team_book(host, members, **team):
    row = {"team_name": "甲乙创新团队", "name": host.name, "leader_name": "张三", "recognised_year": 2014,
           "projects_in_progress": 2, "is_ningbo": True, "ningbo_year": 2015, **team}
    return book("teams", sheet("teams", [row], name="团队"),
                sheet("members", [{"team_name": "甲乙创新团队", "member_name": n, "title": t, "role": r}
                                  for n, t, r in members], name="成员"))


def test_team_by_host_name_with_members_grades_and_leader(ctx, make):
    host = make.firm()
    plan = run(ctx, team_book(host, [("张三", "正高级工程师", "leader"), ("李四", "副教授", "core"),
                                     ("王五", "工程师", None)]))
    assert statuses(plan) == [NEW] * 4
    team = ctx.scalar(select(Team))
    assert (team.firm_id, team.level, team.ningbo_year, team.projects_in_progress) == (host.id, "ningbo", 2015, 2)
    assert [(m.name, m.title_grade, m.role) for m in team.members] == [
        ("张三", "senior", "leader"), ("李四", "associate", "core"), ("王五", "intermediate", "member")]
    plan = plan_import(team_book(host, [("王五", "高级工程师", None)], is_ningbo=False), today=TODAY)
    assert statuses(plan) == [UPDATED, UPDATED]
    assert changes(plan) == [(2, "是否宁波市级团队", "是", "否"), (2, "宁波市级入选年份", 2015, None),
                             (2, "职称", "工程师", "高级工程师"), (2, "职称等级", "中级", "副高")]


def test_leader_rules(ctx, make):
    host = make.firm()
    plan = plan_import(team_book(host, [("李四", "教授", "leader"), ("王五", "教授", "leader")]), today=TODAY)
    assert statuses(plan) == [ERROR, ERROR, ERROR]
    assert "带头人张三不在该团队的成员名单中" in plan.rows[0].errors[0].reason
    assert "团队带头人为张三" in plan.rows[1].errors[-1].reason
    plan = plan_import(team_book(host, [("张三", "教授", "core")]), today=TODAY)
    assert statuses(plan) == [NEW, ERROR] and "角色应为带头人" in plan.errors[0].reason
    plan = plan_import(team_book(host, [("张三", "教授", "leader"), ("李四", "教授", "leader")], leader_name=None),
                       today=TODAY)
    assert statuses(plan) == [NEW, NEW, ERROR] and "只能有一名带头人" in plan.errors[0].reason


def test_member_of_an_unknown_team_is_an_error(ctx):
    wb = book("teams", sheet("members", [{"team_name": "无此团队", "member_name": "赵六"}]))
    plan = plan_import(wb, today=TODAY)
    assert statuses(plan) == [ERROR] and "库中也没有" in plan.errors[0].reason


# --- annual data -------------------------------------------------------------------------

def test_annual_data_plausibility_creation_and_updates(ctx, make):
    firm = make.firm()
    code = next_uscc()
    wb = book("annual", sheet("annual", [
        {"uscc": firm.uscc, "revenue": Decimal("1000"), "rd_expense": Decimal("50"), "employees": 100,
         "tech_staff": 20, "invention_patents": 0},
        {"uscc": code, "name": "慈溪市年报新企业有限公司", "revenue": Decimal("100"), "rd_expense": Decimal("5")},
        {"uscc": next_uscc(), "name": "慈溪市甲有限公司", "revenue": Decimal("100"), "rd_expense": Decimal("500")},
        {"uscc": next_uscc(), "name": "慈溪市乙有限公司", "employees": 10, "tech_staff": 11},
        {"uscc": next_uscc(), "name": "慈溪市丙有限公司", "revenue": Decimal("10"), "high_tech_revenue": Decimal("11")},
    ], year=2016))
    plan = plan_import(wb, today=TODAY)
    assert statuses(plan) == [NEW, NEW, ERROR, ERROR, ERROR]
    assert [(e.column, e.reason) for e in plan.errors] == [
        ("研发费用（万元）", "研发费用（500）大于营业收入（100），请核实"),
        ("科技人员数", "科技人员数（11）大于职工人数（10），请核实"),
        ("高新技术产品收入（万元）", "高新技术产品收入（11）大于营业收入（10），请核实")]
    run(ctx, wb, valid_only=True)
    assert count(ctx, AnnualData) == 2
    assert ctx.scalar(select(Firm).where(Firm.uscc == code)).name == "慈溪市年报新企业有限公司"
    # the stored revenue takes part in the check when the cell is blank
    update = book("annual", sheet("annual", [{"uscc": firm.uscc, "revenue": None, "rd_expense": Decimal("2000")},
                                            {"uscc": firm.uscc, "year": 2015, "revenue": Decimal("1")}], year=2016))
    plan = plan_import(update, today=TODAY)
    assert statuses(plan) == [ERROR, NEW]
    update.sheets[0].rows[0].values["rd_expense"] = Decimal("60")
    plan = plan_import(update, today=TODAY)
    assert changes(plan) == [(2, "研发费用（万元）", "50", "60")]


# --- writing ------------------------------------------------------------------------------

def test_errors_block_the_whole_import_unless_valid_only(ctx):
    good, bad = next_uscc(), make_uscc("91330282", "99999999")
    wb = book("firms", sheet("firms", [{"name": "慈溪市好有限公司", "uscc": good},
                                       {"name": None, "uscc": bad}]))
    plan = plan_import(wb, today=TODAY)
    batch = new_batch(ctx)
    with pytest.raises(RegistryError, match="有1行错误，未导入任何数据"):
        apply_plan(plan, None, batch)
    assert count(ctx, Firm) == 0 and count(ctx, AuditLog) == 0 and batch.status == "preview"
    result = apply_plan(plan, None, batch, valid_only=True)
    assert result["counts"] == {NEW: 1, UPDATED: 0, UNCHANGED: 0, ERROR: 1}
    assert [f.uscc for f in ctx.scalars(select(Firm))] == [good]
    assert (batch.status, batch.valid_only, batch.created_count, batch.error_count, batch.content) == (
        "applied", True, 1, 1, None)
    with pytest.raises(RegistryError, match="已处理"):
        apply_plan(plan, None, batch, valid_only=True)


def test_reimport_changes_nothing(ctx, make):
    firm = make.firm(registered_capital=Decimal("100.5"))
    wb = book("firms", sheet("firms", [{"name": firm.name, "uscc": firm.uscc,
                                        "registered_capital": Decimal("100.50"), "founded_on": firm.founded_on}]))
    plan = run(ctx, wb)
    assert statuses(plan) == [UNCHANGED] and count(ctx, AuditLog) == 0
    ctx.refresh(firm)
    assert firm.version == 1


def test_a_large_roster_is_planned_with_a_few_queries_per_chunk(ctx, make, app):
    """Set-based matching: the number of statements does not grow with the rows."""
    from sqlalchemy import event

    from registry.extensions import db

    stored = [make.firm() for _ in range(3)]
    rows = [{"name": f"慈溪市批量{n:04d}有限公司", "uscc": make_uscc("91330282", f"{n + 70_000_000:08d}"),
             "founded_on": date(2001, 2, 3), "registered_capital": Decimal("12.5"), "above_scale": n % 2 == 0,
             "town": "周巷镇", "phone": None}
            for n in range(2500)]
    rows += [{"name": f.name, "uscc": f.uscc, "phone": "13800000000"} for f in stored]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        plan = plan_import(book("firms", sheet("firms", rows)), today=TODAY)
        planned = len(statements)
        apply_plan(plan, None, new_batch(ctx))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert plan.counts() == {NEW: 2500, UPDATED: 3, UNCHANGED: 0, ERROR: 0}
    assert planned <= 10
    assert len(statements) <= planned + 25
    assert count(ctx, Firm) == 2503 and count(ctx, AuditLog) == 2503
    # large batches take the bulk path (COPY on PostgreSQL): the values arrive intact
    firm = ctx.scalar(select(Firm).where(Firm.uscc == rows[0]["uscc"]))
    assert (firm.name, firm.founded_on, firm.registered_capital, firm.above_scale, firm.town.name, firm.phone,
            firm.status, firm.version) == ("慈溪市批量0000有限公司", date(2001, 2, 3), Decimal("12.5"), True,
                                           "周巷镇", None, "active", 1)
    assert ctx.scalar(select(func.count()).select_from(Firm).where(Firm.above_scale.is_(False))) == 1253
    entry = ctx.scalar(select(AuditLog).where(AuditLog.entity_id == firm.id, AuditLog.entity_type == "firm"))
    assert entry.after["registered_capital"] == "12.5" and entry.after["founded_on"] == "2001-02-03"
    assert entry.before is None and entry.summary.endswith("新增企业 慈溪市批量0000有限公司")


# --- smaller rules --------------------------------------------------------------------------

def test_duplicates_across_sheets_name_the_sheet(ctx):
    code = next_uscc()
    wb = book("firms", sheet("firms", [{"name": "慈溪市甲有限公司", "uscc": code}], name="浒山街道"),
              sheet("firms", [{"name": "慈溪市甲有限公司", "uscc": code}], name="周巷镇"))
    plan = plan_import(wb, today=TODAY)
    assert statuses(plan) == [NEW, ERROR] and "“浒山街道”表第2行" in plan.errors[0].reason


def test_a_name_only_row_cannot_create_a_firm(ctx):
    code = next_uscc()
    wb = book("firms", sheet("firms", [{"name": "慈溪市甲有限公司", "uscc": code},
                                       {"name": "慈溪市乙有限公司"}]))
    plan = plan_import(wb, today=TODAY)
    assert statuses(plan) == [NEW, ERROR] and "未填统一社会信用代码" in plan.errors[0].reason


def test_rd_type_spelling_is_normalised(ctx, make):
    host = make.firm()
    wb = book("institutions", sheet("institutions", [
        {"inst_name": "甲乙工程中心", "level": "cixi", "type": "企业工程(技术)中心", "uscc": host.uscc,
         "recognised_year": 2015}]))
    run(ctx, wb)
    assert ctx.scalar(select(RdInstitution)).type == "企业工程（技术）中心"


def test_team_leader_role_follows_the_team_sheet_and_host_can_move(ctx, make):
    host, other = make.firm(), make.firm()
    run(ctx, team_book(host, [("张三", "研究员", None), ("李四", "助理工程师", None)]))
    team = ctx.scalar(select(Team))
    assert [(m.name, m.role) for m in team.members] == [("张三", "leader"), ("李四", "member")]
    wb = team_book(other, [])
    wb.sheets[0].rows[0].values["uscc"] = other.uscc
    plan = plan_import(wb, today=TODAY)
    assert changes(plan) == [(2, "依托企业", host.name, other.name)]


def test_annual_rows_need_a_year(ctx, make):
    firm = make.firm()
    plan = plan_import(book("annual", sheet("annual", [{"uscc": firm.uscc, "revenue": Decimal("1")}])),
                       today=TODAY)
    assert statuses(plan) == [ERROR] and plan.errors[0].column == "年度"
