"""The portal's rules at service level: bad annual numbers (field-level messages), the
conflicting change request, member proposals applied through the teams services, the
upload with the annual-data template, notices, bulk accounts and their workbook."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from registry.errors import ConflictError, ValidationError
from registry.firms.changes import update_firm
from registry.firms.models import AnnualData
from registry.portal import accounts as acc
from registry.portal import annual as annual_svc
from registry.portal import members as member_svc
from registry.portal import notices as notice_svc
from registry.portal import services as svc
from registry.portal.annual import AnnualErrors, year_choices
from registry.recognitions.models import Recognition
from tests.institutions.builders import _sample_team

YEAR = year_choices()[0]
GOOD = {"revenue": "5000", "rd_expense": "250", "total_cost": "4000", "employees": "100",
        "tech_staff": "20", "rd_staff": "10"}


@pytest.mark.parametrize("values, field, text", [
    (dict(GOOD, rd_expense="6000"), "rd_expense", "研发费用不能大于营业收入"),
    (dict(GOOD, tech_staff="150"), "tech_staff", "科技人员不能多于职工人数"),
    (dict(GOOD, rd_staff="30"), "rd_staff", "不能多于科技人员"),
    (dict(GOOD, revenue="-5"), "revenue", "不能为负数"),
    (dict(GOOD, revenue="abc"), "revenue", "请输入数字"),
    (dict(GOOD, employees="10.5"), "employees", "请输入整数"),
    (dict(GOOD, revenue="50000000000"), "revenue", "超出合理范围"),
    (dict(GOOD, high_tech_revenue="9000"), "high_tech_revenue", "不能大于营业收入"),
    (dict(GOOD, employees=""), "employees", "提交前请填写"),
])
def test_bad_annual_numbers_are_refused_field_by_field(ctx, make, values, field, text):
    firm = make.firm("慈溪市年报校验有限公司")
    user = make.user("firm", firm=firm)
    with pytest.raises(AnnualErrors) as err:
        annual_svc.save(user, year=YEAR, values=values, submit=True)
    assert text in err.value.errors[field]
    assert ctx.scalar(select(AnnualData).where(AnnualData.firm_id == firm.id)) is None


def test_bad_numbers_come_back_beside_their_fields_on_the_page(app, make):
    firm = make.firm("慈溪市年报页面有限公司")
    client = app.test_client()
    user = make.user("firm", username="annual-page", password="correct-horse-1", firm=firm)
    make.session.commit()
    client.post("/auth/login", data={"username": "annual-page", "password": "correct-horse-1"})
    resp = client.post(f"/portal/annual/edit?year={YEAR}",
                       data=dict(GOOD, rd_expense="9000", version="", action="draft"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="err-rd_expense">研发费用不能大于营业收入' in page
    assert 'name="rd_expense" type="text" value="9000"' in page or 'value="9000"' in page
    assert user.id


def test_a_draft_may_be_incomplete_but_not_inconsistent(ctx, make):
    firm = make.firm("慈溪市草稿测试有限公司")
    user = make.user("firm", firm=firm)
    ad = annual_svc.save(user, year=YEAR, values={"revenue": "100"})
    assert ad.status == "draft" and ad.revenue == Decimal("100.00")
    with pytest.raises(AnnualErrors):
        annual_svc.save(user, year=YEAR, values={"revenue": "100", "rd_expense": "200"}, version=ad.version)
    with pytest.raises(ValidationError, match="最近五个年度"):
        annual_svc.save(user, year=1990, values={"revenue": "100"})


def test_a_request_on_a_record_changed_meanwhile_is_a_conflict(ctx, make):
    firm = make.firm("慈溪市冲突测试有限公司", legal_representative="原法人")
    user = make.user("firm", firm=firm)
    staff = make.user("staff")
    req = svc.request_change(user, version=firm.version, values={"legal_representative": "新法人"})
    ctx.flush()
    # The bureau edits the same field directly before reviewing.
    update_firm(staff, firm, version=firm.version, legal_representative="局里改的")
    assert svc.conflicts(req) == ["legal_representative"]
    assert svc.rows(req)[0]["conflict"] is True
    with pytest.raises(ConflictError, match="已被修改"):
        svc.approve_change(staff, req, version=req.version)
    assert firm.legal_representative == "局里改的" and req.status == "pending"
    svc.return_change(staff, req, version=req.version, comment="请按最新信息重新申请")
    assert req.status == "returned"


def test_an_unrelated_edit_meanwhile_does_not_block_approval(ctx, make):
    firm = make.firm("慈溪市无关修改有限公司")
    user = make.user("firm", firm=firm)
    staff = make.user("staff")
    req = svc.request_change(user, version=firm.version, values={"registered_capital": "500"})
    svc.update_contact(user, version=firm.version, phone="13800000000")
    svc.approve_change(staff, req, version=req.version)
    assert firm.registered_capital == Decimal("500") and firm.phone == "13800000000"


def test_a_stale_review_page_is_refused(ctx, make):
    firm = make.firm("慈溪市过期页面有限公司")
    user = make.user("firm", firm=firm)
    staff = make.user("staff")
    req = svc.request_change(user, version=firm.version, values={"legal_representative": "甲"})
    seen = firm.version
    svc.update_contact(user, version=firm.version, phone="1")
    with pytest.raises(ConflictError):
        svc.approve_change(staff, req, version=req.version, firm_version=seen)


def test_only_one_pending_request_and_key_values_are_checked(ctx, make):
    firm = make.firm("慈溪市单一申请有限公司")
    other = make.firm("慈溪市占用代码有限公司")
    user = make.user("firm", firm=firm)
    with pytest.raises(ValidationError):
        svc.request_change(user, version=firm.version, values={"uscc": "123"})
    with pytest.raises(Exception, match="已"):
        svc.request_change(user, version=firm.version, values={"uscc": other.uscc})
    with pytest.raises(ValidationError, match="没有需要审核"):
        svc.request_change(user, version=firm.version, values={"name": firm.name})
    svc.request_change(user, version=firm.version, values={"name": "新名称有限公司"})
    with pytest.raises(ConflictError, match="待审核"):
        svc.request_change(user, version=firm.version, values={"legal_representative": "乙"})


def test_member_proposals_are_applied_through_the_teams_services(ctx, make):
    firm = make.firm("慈溪市团队申请有限公司")
    team = _sample_team(make, firm, "己")
    user = make.user("firm", firm=firm)
    staff = make.user("staff")
    add = member_svc.propose(user, team, kind="add", values={"name": "钱七", "title": "高级工程师",
                                                            "role": "member", "joined_year": "2015"})
    member_svc.approve(staff, add, version=add.version)
    added = [m for m in team.members if m.name == "钱七"][0]
    assert added.title_grade == "associate"
    upd = member_svc.propose(user, team, kind="update", member=added,
                             values={"name": "钱七", "title": "正高级工程师", "role": "member"})
    rem = member_svc.propose(user, team, kind="remove", member=team.members[1], reason="离职")
    member_svc.approve(staff, upd, version=upd.version)
    assert added.title_grade == "senior"
    # The member changed since the removal was proposed → conflict.
    team.members[1].education = "博士"
    ctx.flush()
    assert member_svc.is_conflicting(rem)
    with pytest.raises(ConflictError):
        member_svc.approve(staff, rem, version=rem.version)
    with pytest.raises(ValidationError):
        member_svc.propose(user, team, kind="add", values={"name": "", "role": "member"})


def _annual_book(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "年度", "营业收入", "研发费用", "职工人数", "科技人员", "研发人员"])
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def test_upload_with_the_template_fills_the_draft_and_refuses_other_firms(ctx, make):
    firm = make.firm("慈溪市上传测试有限公司")
    other = make.firm("慈溪市别家上传有限公司")
    user = make.user("firm", firm=firm)
    values = annual_svc.read_upload(user, _annual_book([[firm.uscc, firm.name, YEAR, 3000, 150, 80, 20, 10]]),
                                    "年度数据.xlsx", year=YEAR)
    ad = annual_svc.save(user, year=YEAR, values=values, source="上传文件")
    assert ad.status == "draft" and ad.revenue == Decimal("3000.00") and ad.rd_staff == 10
    with pytest.raises(ValidationError, match="其他企业"):
        annual_svc.read_upload(user, _annual_book([[firm.uscc, firm.name, YEAR, 1, 0, 1, 0, 0],
                                                   [other.uscc, other.name, YEAR, 1, 0, 1, 0, 0]]),
                               "年度数据.xlsx", year=YEAR)


def test_the_template_itself_reads_back(ctx, make):
    """The blank template the portal hands out, filled with one row, reads back."""
    from registry import reference
    from registry.excel import exporter

    firm = make.firm("慈溪市模板测试有限公司")
    user = make.user("firm", firm=firm)
    blank = exporter.template_workbook("annual", towns=reference.towns(), industries=reference.industries())
    wb = load_workbook(BytesIO(blank))
    ws = wb.worksheets[0]
    headers = {}
    for row in ws.iter_rows(min_row=1, max_row=6):
        for cell in row:
            if isinstance(cell.value, str):
                headers.setdefault(cell.value.strip("*＊ \n"), (cell.row, cell.column))
    uscc_key = next(k for k in headers if "信用代码" in k)
    header_row = headers[uscc_key][0]
    data_row = header_row + 1
    for key, value in [(uscc_key, firm.uscc), ("营业收入", 800), ("研发费用", 40)]:
        col = next(v[1] for k, v in headers.items() if k.startswith(key))
        ws.cell(row=data_row, column=col, value=value)
    for k, (r, c) in headers.items():
        if k.startswith("企业名称"):
            ws.cell(row=data_row, column=c, value=firm.name)
        if k.startswith("年度") or k == "年份":
            ws.cell(row=data_row, column=c, value=YEAR)
    out = BytesIO()
    wb.save(out)
    values = annual_svc.read_upload(user, out.getvalue(), "年度数据导入模板.xlsx", year=YEAR)
    assert values["revenue"] == Decimal("800") and values["rd_expense"] == Decimal("40")


def test_certificate_expiry_notice(ctx, make):
    firm = make.firm("慈溪市证书到期有限公司")
    today = date(2016, 6, 1)
    ctx.add(Recognition(firm=firm, programme=make.programme("high_tech"), year=2014,
                        valid_from=date(2014, 10, 1), valid_until=date(2017, 9, 30)))
    ctx.flush()
    shown = notice_svc.notices_for(firm.id, today)
    assert shown and "明年到期" in shown[0].title and "2017-09-30" in shown[0].body
    assert notice_svc.notices_for(firm.id, date(2014, 12, 1)) == []


def test_bulk_accounts_skip_firms_with_one_and_export_the_codes(ctx, make):
    a, b = make.firm("慈溪市批量甲有限公司", contact_person="甲联系人"), make.firm("慈溪市批量乙有限公司")
    staff = make.user("staff")
    acc.issue_account(staff, b)
    todo = acc.firms_without_account([a.id, b.id])
    assert todo == [a]
    issued = acc.issue_bulk(staff, todo)
    book = load_workbook(BytesIO(acc.codes_workbook(issued, title="激活码")), read_only=True)
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert a.name in cells and a.uscc in cells and "甲联系人" in cells and issued[0][2] in cells
    # A second account for a firm gets "<USCC>-2".
    second, _ = acc.issue_account(staff, b)
    assert second.username == f"{b.uscc}-2"


def test_bulk_page_downloads_the_codes_once_and_skips_firms_with_accounts(app, make):
    a = make.firm("慈溪市页面批量甲有限公司", town="坎墩街道")
    b = make.firm("慈溪市页面批量乙有限公司", town="坎墩街道")
    make.user("staff", username="bulkclerk", password="correct-horse-1")
    make.session.commit()
    client = app.test_client()
    client.post("/auth/login", data={"username": "bulkclerk", "password": "correct-horse-1"})
    from registry.firms.models import Town

    town = make.session.scalar(select(Town).where(Town.name == "坎墩街道"))
    page = client.get(f"/portal/accounts/bulk?town={town.id}").get_data(as_text=True)
    assert a.name in page and b.name in page
    resp = client.post(f"/portal/accounts/bulk?town={town.id}")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert "spreadsheetml" in resp.mimetype
    cells = [c for row in load_workbook(BytesIO(resp.get_data())).worksheets[0].iter_rows(values_only=True)
             for c in row if c]
    assert a.uscc in cells and b.uscc in cells
    resp = client.post(f"/portal/accounts/bulk?town={town.id}")
    assert resp.status_code == 302  # all have accounts now: nothing issued twice


def test_screening_sees_annual_data_only_once_accepted(ctx, make):
    from registry.lists.screening import load_facts

    firm = make.firm("慈溪市筛选可见有限公司")
    user = make.user("firm", firm=firm)
    staff = make.user("staff")
    ad = annual_svc.save(user, year=YEAR, values=GOOD, submit=True)
    assert YEAR not in load_facts(staff, years={YEAR}, programme_codes=set(), firm_ids=[firm.id])[firm.id].annual
    annual_svc.review(staff, ad, version=ad.version, accept=True)
    facts = load_facts(staff, years={YEAR}, programme_codes=set(), firm_ids=[firm.id])[firm.id]
    assert facts.annual[YEAR].revenue == Decimal("5000.00")


def test_a_uscc_change_renames_the_firms_logins_and_tells_the_firm(ctx, make):
    from registry.audit.models import AuditLog
    from registry.portal.models import Notice
    from tests.factories import next_uscc

    firm = make.firm("慈溪市换码电器有限公司")
    staff = make.user("staff")
    first, _ = acc.issue_account(staff, firm)
    second, _ = acc.issue_account(staff, firm)
    other = make.firm("慈溪市不相干电器有限公司")
    bystander, _ = acc.issue_account(staff, other)
    ctx.commit()
    old, new = firm.uscc, next_uscc()
    update_firm(staff, firm, version=firm.version, uscc=new)
    ctx.commit()
    assert (first.username, second.username) == (new, f"{new}-2")
    assert bystander.username == other.uscc
    renames = list(ctx.scalars(select(AuditLog).where(AuditLog.entity_type == "user",
                                                      AuditLog.firm_id == firm.id,
                                                      AuditLog.action == "update")))
    assert {(e.before["username"], e.after["username"]) for e in renames} == {(old, new), (f"{old}-2", f"{new}-2")}
    notice = ctx.scalar(select(Notice).where(Notice.firm_id == firm.id, Notice.kind == "account_renamed"))
    assert notice is not None and new in notice.body and old in notice.body

