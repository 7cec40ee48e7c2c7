"""Each sample workbook of imports/samples imported through the services, with the counts and
stored values imports/samples/README.md states. Expected cell values are read back from the
files with openpyxl, independently of the import's reader."""
from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from registry.audit.models import AuditLog
from registry.errors import RegistryError
from registry.excel import services
from registry.excel.models import ImportBatch
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED
from registry.firms.models import AnnualData, Firm
from registry.institutions.models import RdInstitution, RdLevelChange
from registry.recognitions.models import Recognition
from registry.teams.models import Team, TeamMember

SAMPLES = Path(__file__).resolve().parents[2] / "imports" / "samples"
NOT_IN_ROSTER = {
    "91330201770277639R": "慈溪市翎烨塑业有限公司", "913302820454251419": "宁波柘朗汽车部件有限公司",
    "91330282145311192M": "慈溪市煜泽智能装备有限公司", "91330282605543403U": "慈溪市珀衡新材料有限公司",
    "91330282626159259B": "慈溪市璟辰智能装备有限公司", "91330282709377091B": "慈溪市柘锦新材料有限公司",
    "91330282736205164K": "慈溪市璟棠智能装备有限公司", "913302827538474177": "慈溪市砚川塑业有限公司",
    "91330282762550551P": "慈溪市湛朗汽车部件有限公司", "91330282762968421T": "宁波汀晖智能装备有限公司",
}


def imported(name: str, data: bytes | None = None, **kw):
    """Stage and confirm a sample (or given bytes); returns (batch, plan)."""
    data = data if data is not None else (SAMPLES / name).read_bytes()
    batch, plan = services.stage_upload(None, data, name, **kw)
    services.confirm_batch(None, batch)
    return batch, plan


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def sheet_rows(name: str, sheet: str | None = None, first: int = 2):
    wb = load_workbook(SAMPLES / name)
    ws = wb[sheet] if sheet else wb.active
    return [(n, [c.value for c in row]) for n, row in enumerate(ws.iter_rows(min_row=first), start=first)
            if any(c.value not in (None, "") for c in row)]


def expected_roster() -> dict[str, dict]:
    """uscc → values, straight from the file's cells."""
    out = {}
    for _n, (seq, name, uscc, town, industry, founded, capital, legal, contact, phone, scale) in sheet_rows(
            "firms_roster_2016.xlsx", first=4):
        if isinstance(founded, datetime):
            founded = founded.date()
        else:
            founded = date(*map(int, founded.split(".")))
        out[uscc] = {"name": name, "town": town, "industry": industry, "founded_on": founded,
                     "registered_capital": Decimal(str(capital).replace(",", "")), "legal_representative": legal,
                     "contact_person": contact, "phone": str(phone), "above_scale": scale == "是"}
    return out


@pytest.fixture
def roster(ctx):
    imported("firms_roster_2016.xlsx")
    ctx.commit()


def test_roster(ctx):
    batch, plan = imported("firms_roster_2016.xlsx")
    assert plan.counts() == {NEW: 140, UPDATED: 0, UNCHANGED: 0, ERROR: 0}
    assert (batch.status, batch.created_count, batch.total_rows, batch.content) == ("applied", 140, 140, None)
    firms = list(ctx.scalars(select(Firm)))
    assert len(firms) == 140
    assert sum(f.above_scale for f in firms) == 65
    assert sum(f.in_new_area for f in firms) == 14
    assert Counter(f.town.name for f in firms) == {
        "浒山街道": 10, "白沙路街道": 2, "古塘街道": 10, "宗汉街道": 13, "坎墩街道": 8, "周巷镇": 14,
        "观海卫镇": 7, "逍林镇": 3, "新浦镇": 11, "胜山镇": 5, "横河镇": 6, "匡堰镇": 4, "长河镇": 1,
        "崇寿镇": 3, "庵东镇": 7, "桥头镇": 4, "附海镇": 4, "掌起镇": 5, "龙山镇": 9, "杭州湾新区": 14}
    assert Counter(f.industry.name for f in firms) == {
        "智能家电": 33, "高端机械基础件": 25, "汽车及关键零部件": 22, "智能装备": 17, "新材料": 13,
        "生命健康": 13, "其他": 17}
    expected = expected_roster()
    for firm in firms:
        want = expected[firm.uscc]
        got = {"name": firm.name, "town": firm.town.name, "industry": firm.industry.name,
               "founded_on": firm.founded_on, "registered_capital": firm.registered_capital,
               "legal_representative": firm.legal_representative, "contact_person": firm.contact_person,
               "phone": firm.phone, "above_scale": firm.above_scale}
        assert got == want, firm.uscc
    by_code = {f.uscc: f for f in firms}
    assert by_code["91330282MA28H67870"].founded_on == date(2015, 12, 20)  # text date, row 12
    assert by_code["91330282MA28EFN014"].registered_capital == Decimal("1000")  # "1,000", row 38
    assert by_code["91330282727172970P"].registered_capital == Decimal("1000")  # row 116
    assert by_code["91330282780038041F"].phone == "15103834846"  # a number cell, row 71
    assert count(ctx, AuditLog, AuditLog.action == "import", AuditLog.entity_type == "firm") == 140


def test_hightech_lists_create_the_ten_firms_the_roster_lacks(ctx, roster):
    batch, plan = imported("hightech_2014_2016.xlsx")
    assert plan.workbook.programme == "high_tech"
    assert plan.counts() == {NEW: 78, UPDATED: 0, UNCHANGED: 0, ERROR: 0}
    assert count(ctx, Firm) == 150
    created = {f.uscc: f.name for f in ctx.scalars(select(Firm).where(Firm.uscc.in_(NOT_IN_ROSTER)))}
    assert created == NOT_IN_ROSTER
    recs = list(ctx.scalars(select(Recognition)))
    assert Counter(r.year for r in recs) == {2014: 26, 2015: 22, 2016: 30}
    assert {r.programme.code for r in recs} == {"high_tech"}
    assert Counter(r.issued_on for r in recs) == {
        date(2014, 9, 29): 17, date(2014, 11, 20): 9, date(2015, 9, 17): 14, date(2015, 10, 29): 8,
        date(2016, 11, 30): 20, date(2016, 12, 15): 10}
    # 10 are in 杭州湾新区, but one of them is among the firms the roster lacks: a list gives
    # no town, so the registry knows 9
    assert sum(r.firm.in_new_area for r in recs) == 9
    assert sum(r.firm.town is None for r in recs) == 10
    by_code = {r.firm.uscc: r for r in recs}
    for sheet in ("2014年", "2015年", "2016年"):
        for _n, (seq, cert, name, uscc, issued) in sheet_rows("hightech_2014_2016.xlsx", sheet, first=3):
            rec = by_code[uscc]
            assert (rec.certificate_no, rec.issued_on, rec.year, rec.firm.name) == (
                cert, issued.date(), int(sheet[:4]), name)
    for r in recs:
        assert r.valid_from == r.issued_on
        assert r.valid_until == date(r.issued_on.year + 3, r.issued_on.month, r.issued_on.day) - timedelta(days=1)
        assert r.status == "valid" and r.import_batch_id == batch.id
    assert count(ctx, AuditLog, AuditLog.summary.like(f"导入批次#{batch.id}：%")) == 88


def test_chuying_list_takes_programme_and_year_from_the_title(ctx, roster):
    _batch, plan = imported("chuying_2016.xlsx")
    assert (plan.workbook.programme, plan.workbook.year) == ("eaglet", 2016)
    assert plan.counts() == {NEW: 20, UPDATED: 0, UNCHANGED: 0, ERROR: 0}
    assert count(ctx, Firm) == 140
    recs = list(ctx.scalars(select(Recognition)))
    assert len(recs) == 20 and {(r.programme.code, r.year) for r in recs} == {("eaglet", 2016)}
    assert {(r.valid_from, r.valid_until) for r in recs} == {(date(2016, 1, 1), date(2018, 12, 31))}
    noted = {row for row, values in sheet_rows("chuying_2016.xlsx", first=3)[:20] if values[4]}
    assert noted == {4, 5, 7, 16, 17}
    codes = {values[2] for row, values in sheet_rows("chuying_2016.xlsx", first=3)[:20] if row in noted}
    assert {r.firm.uscc for r in recs if r.note == "宁波市创新型初创企业"} == codes
    assert not any(r.firm.in_new_area for r in recs)


def test_rd_institutions_with_their_promotions(ctx, roster):
    _batch, plan = imported("rd_institutions.xlsx")
    assert plan.counts() == {NEW: 47, UPDATED: 0, UNCHANGED: 0, ERROR: 0}
    insts = list(ctx.scalars(select(RdInstitution)))
    assert len(insts) == 42
    assert Counter(i.level for i in insts) == {"national": 2, "provincial": 11, "ningbo": 14, "cixi": 15}
    assert Counter(i.level for i in insts if not i.firm.in_new_area) == {
        "national": 2, "provincial": 9, "ningbo": 12, "cixi": 15}
    assert Counter(i.type for i in insts) == {"企业工程（技术）中心": 25, "企业技术中心": 9,
                                              "省级高新技术企业研发中心": 5, "省级企业研究院": 3}
    hosts = Counter(i.firm.name for i in insts)
    assert len(hosts) == 39
    assert {n for n, c in hosts.items() if c == 2} == {"慈溪市砚舟塑业有限公司", "慈溪市翊原五金有限公司",
                                                        "慈溪市璞辰五金有限公司"}
    by_name = {i.name: i for i in insts}
    twice = by_name["浙江省璞宁智能装备企业技术中心"]
    assert (twice.level, twice.recognised_year) == ("provincial", 2014)
    assert [(s.kind, s.from_level, s.to_level, s.year) for s in twice.level_changes] == [
        ("initial", None, "cixi", 2010), ("promotion", "cixi", "ningbo", 2010),
        ("promotion", "ningbo", "provincial", 2014)]
    assert [(s.kind, s.to_level, s.year) for s in by_name["翊原五金国家企业技术中心"].level_changes] == [
        ("initial", "provincial", 2012), ("promotion", "national", 2012)]
    promoted = {"浙江省璞宁智能装备企业技术中心", "翊原五金国家企业技术中心",
                "宁波市璟航智能装备工程（技术）中心", "宁波市溯澜智能电器工程（技术）中心"}
    for inst in insts:
        assert inst.level_changes[-1].to_level == inst.level
        if inst.name not in promoted:
            assert [(s.kind, s.to_level, s.year) for s in inst.level_changes] == [
                ("initial", inst.level, inst.recognised_year)]
    assert count(ctx, RdLevelChange, RdLevelChange.kind == "promotion") == 5


def test_teams_and_members(ctx, roster):
    _batch, plan = imported("teams.xlsx")
    assert plan.counts() == {NEW: 46, UPDATED: 0, UNCHANGED: 0, ERROR: 0}
    teams = {t.name: t for t in ctx.scalars(select(Team))}
    assert len(teams) == 6 and count(ctx, TeamMember) == 40
    assert sum(t.level == "ningbo" for t in teams.values()) == 2
    assert sum(t.projects_in_progress for t in teams.values()) == 12
    team = teams["筠原工业机器人与智能装备创新团队"]
    assert (team.firm.name, team.recognised_year, team.projects_in_progress, team.level, team.leader_name) == (
        "慈溪市筠原智能装备有限公司", 2012, 1, "ningbo", "陆军")
    grades = Counter(m.title_grade for m in ctx.scalars(select(TeamMember)))
    assert grades == {"senior": 11, "associate": 19, "intermediate": 6, "junior": 4}
    assert {t.name: (len(t.members), sum(m.title_grade == "senior" for m in t.members),
                     sum(m.title_grade == "associate" for m in t.members)) for t in teams.values()} == {
        "筠原工业机器人与智能装备创新团队": (8, 2, 3), "汀禾汽车电子与关键零部件创新团队": (7, 1, 6),
        "砚舟高分子材料改性创新团队": (7, 2, 2), "翊原精密五金成形创新团队": (6, 2, 2),
        "钧烨汽车电子与关键零部件创新团队": (6, 2, 3), "璞辰精密五金成形创新团队": (6, 2, 3)}
    for t in teams.values():
        leaders = [m.name for m in t.members if m.role == "leader"]
        assert leaders == [t.leader_name]


def test_annual_data_blank_ip_counts_are_zero(ctx, roster):
    _batch, plan = imported("annual_data_2016.xlsx")
    assert plan.workbook.year == 2016
    assert plan.counts() == {NEW: 100, UPDATED: 0, UNCHANGED: 0, ERROR: 0}
    assert count(ctx, Firm) == 150 and count(ctx, AnnualData, AnnualData.year == 2016) == 100
    total = lambda column: ctx.scalar(select(func.sum(column)))  # noqa: E731
    assert Decimal(total(AnnualData.revenue)).quantize(Decimal("0.01")) == Decimal("1996953.54")
    assert Decimal(total(AnnualData.rd_expense)).quantize(Decimal("0.01")) == Decimal("98338.06")
    assert Decimal(total(AnnualData.high_tech_revenue)).quantize(Decimal("0.01")) == Decimal("1372601.51")
    assert (total(AnnualData.employees), total(AnnualData.tech_staff)) == (23504, 5003)
    assert (total(AnnualData.invention_patents), total(AnnualData.utility_patents),
            total(AnnualData.design_patents), total(AnnualData.software_copyrights)) == (481, 1484, 595, 89)
    assert count(ctx, AnnualData, AnnualData.invention_patents.is_(None)) == 0
    blank_rows = {row: values[1] for row, values in sheet_rows("annual_data_2016.xlsx", first=3)
                  if any(v is None for v in values[7:11])}
    assert sorted(blank_rows) == [11, 17, 18, 22, 23, 24, 35, 36, 43, 45, 48, 55, 56, 63, 71, 74, 80,
                                  82, 92, 93, 96, 99]
    stored = {a.firm.uscc: a for a in ctx.scalars(select(AnnualData))}
    for uscc in blank_rows.values():
        a = stored[uscc]
        assert None not in (a.invention_patents, a.utility_patents, a.design_patents, a.software_copyrights)


def test_gbk_csv_matches_the_roster(ctx, roster):
    _batch, plan = imported("firms_roster_gbk.csv")
    assert plan.counts() == {NEW: 0, UPDATED: 0, UNCHANGED: 20, ERROR: 0}


DIRTY = [(6, "统一社会信用代码"), (9, "统一社会信用代码"), (12, "统一社会信用代码"), (15, "企业名称"),
         (18, "所在镇（街道）"), (21, "成立日期"), (24, "注册资本（万元）"), (27, "注册资本（万元）")]


def test_dirty_roster_has_exactly_eight_row_errors_and_writes_nothing(ctx):
    data = (SAMPLES / "firms_roster_dirty.xlsx").read_bytes()
    batch, plan = services.stage_upload(None, data, "firms_roster_dirty.xlsx")
    ctx.commit()
    assert plan.counts() == {NEW: 17, UPDATED: 0, UNCHANGED: 0, ERROR: 8}
    assert [(e.row, e.column) for e in plan.errors] == DIRTY
    values = [e.value for e in plan.errors]
    assert values == ["91330201392122743T", "91330282742682653", "9133028207078578XK", "", "慈溪镇",
                      "2031-06-18", "-500", "三百万"]
    assert "第5行" in plan.errors[2].reason
    with pytest.raises(RegistryError, match="有8行错误，未导入任何数据"):
        services.confirm_batch(None, batch)
    ctx.rollback()
    assert count(ctx, Firm) == 0 and count(ctx, AuditLog) == 0
    assert ctx.get(ImportBatch, batch.id).status == "preview"


def test_dirty_roster_valid_rows_only(ctx):
    data = (SAMPLES / "firms_roster_dirty.xlsx").read_bytes()
    batch, _plan = services.stage_upload(None, data, "firms_roster_dirty.xlsx")
    ctx.commit()
    result = services.confirm_batch(None, ctx.get(ImportBatch, batch.id), valid_only=True)
    ctx.commit()
    assert (result[NEW], result[ERROR]) == (17, 8)
    batch = ctx.get(ImportBatch, batch.id)
    assert (batch.status, batch.valid_only, batch.created_count, batch.error_count) == ("applied", True, 17, 8)
    assert count(ctx, Firm) == 17 and count(ctx, AuditLog) == 17
    expected = expected_roster()
    for firm in ctx.scalars(select(Firm)):
        assert firm.name == expected[firm.uscc]["name"]


def test_reimporting_every_sample_changes_nothing(ctx):
    names = ["firms_roster_2016.xlsx", "hightech_2014_2016.xlsx", "chuying_2016.xlsx", "rd_institutions.xlsx",
             "teams.xlsx", "annual_data_2016.xlsx"]
    for name in names:
        imported(name)
    ctx.commit()
    audit, versions = count(ctx, AuditLog), ctx.scalar(select(func.sum(Firm.version)))
    for name in names:
        batch, plan = imported(name)
        counts = plan.counts()
        assert counts[UNCHANGED] == len(plan.rows) and counts[NEW] == counts[UPDATED] == 0, name
        assert batch.status == "applied" and batch.unchanged_count == len(plan.rows)
    ctx.commit()
    assert count(ctx, AuditLog) == audit
    assert ctx.scalar(select(func.sum(Firm.version))) == versions


def test_an_edited_roster_changes_exactly_the_edited_cells(ctx, roster):
    wb = load_workbook(SAMPLES / "firms_roster_2016.xlsx")
    ws = wb.active
    code4, code5, code6, code7 = (ws.cell(r, 3).value for r in (4, 5, 6, 7))
    old_name = ws.cell(6, 2).value
    old_phone = ws.cell(5, 10).value
    ws.cell(4, 7).value = 250  # 注册资本 200 → 250
    ws.cell(5, 10).value = "13900001111"  # 联系电话
    ws.cell(6, 2).value = "慈溪市更名后电器有限公司"  # 企业名称: a rename
    ws.cell(7, 11).value = "是" if ws.cell(7, 11).value == "否" else "否"  # 是否规上企业
    ws.cell(8, 8).value = None  # a blank 法定代表人 keeps the stored one
    out = io.BytesIO()
    wb.save(out)
    _batch, plan = imported("firms_roster_edit.xlsx", out.getvalue())
    assert plan.counts() == {NEW: 0, UPDATED: 4, UNCHANGED: 136, ERROR: 0}
    assert [(c.row, c.uscc, c.label, str(c.old), str(c.new)) for c in plan.changes] == [
        (4, code4, "注册资本（万元）", "200", "250"),
        (5, code5, "联系电话", old_phone, "13900001111"),
        (6, code6, "企业名称", old_name, "慈溪市更名后电器有限公司"),
        (7, code7, "是否规上企业", plan.changes[3].old, plan.changes[3].new)]
    assert {plan.changes[3].old, plan.changes[3].new} == {"是", "否"}
    by_code = {f.uscc: f for f in ctx.scalars(select(Firm))}
    assert by_code[code4].registered_capital == Decimal("250")
    assert by_code[code5].phone == "13900001111"
    assert by_code[code6].name == "慈溪市更名后电器有限公司"
    assert [n.name for n in by_code[code6].former_names] == [old_name]
    assert by_code[ws.cell(8, 3).value].legal_representative == expected_roster()[ws.cell(8, 3).value][
        "legal_representative"]
    entries = list(ctx.scalars(select(AuditLog).where(AuditLog.summary.like("%更新企业%"))))
    assert len(entries) == 4
    assert {e.entity_id for e in entries} == {by_code[c].id for c in (code4, code5, code6, code7)}


def revocation_workbook(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "撤销名单"
    ws.append(["2016年慈溪市高新技术企业取消资格名单"])
    ws.append(["序号", "企业名称", "统一社会信用代码", "年度", "取消原因", "取消日期"])
    for n, row in enumerate(rows, start=1):
        ws.append([n, *row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_revocation_sheet_is_applied(ctx, roster):
    imported("hightech_2014_2016.xlsx")
    ctx.commit()
    rows = [values for _n, values in sheet_rows("hightech_2014_2016.xlsx", "2014年", first=3)[:2]]
    data = revocation_workbook([(v[2], v[3], 2014, "发生重大安全事故", date(2016, 5, 10)) for v in rows])
    _batch, plan = imported("高新技术企业取消资格名单.xlsx", data)
    assert plan.counts() == {NEW: 0, UPDATED: 2, UNCHANGED: 0, ERROR: 0}
    revoked = list(ctx.scalars(select(Recognition).where(Recognition.status == "revoked")))
    assert {r.firm.uscc for r in revoked} == {v[3] for v in rows}
    assert {(r.year, r.revoke_reason, r.revoked_on) for r in revoked} == {(2014, "发生重大安全事故", date(2016, 5, 10))}
    _batch, again = imported("高新技术企业取消资格名单.xlsx", data)
    assert again.counts() == {NEW: 0, UPDATED: 0, UNCHANGED: 2, ERROR: 0}
    missing = revocation_workbook([(rows[0][2], rows[0][3], 2016, "不存在", None)])
    _batch, plan = services.stage_upload(None, missing, "高新技术企业取消资格名单.xlsx")
    assert plan.counts()[ERROR] == 1 and "无法撤销" in plan.errors[-1].reason
