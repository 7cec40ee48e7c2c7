"""Voucher pages for each role: list with the budget line, filing, review (核发 above the
budget refused on the form), redemption, export checked cell by cell, the 档案 page."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.vouchers.models import VoucherApplication
from tests.vouchers.builders import application, budget


def text(resp):
    return resp.get_data(as_text=True)


def test_staff_file_review_redeem_and_see_the_budget(client, login, make):
    budget(make, 2016, "100")
    firm = make.firm("慈溪市券测试电器有限公司")
    application(make, make.firm(), requested="70", status="approved", issued="70")
    make.session.commit()
    login("staff")
    page = text(client.get("/vouchers/?year=2016"))
    assert "100.00 万元" in page and "70.00 万元" in page and "30.00 万元" in page and "设定预算" in page
    resp = client.post("/vouchers/new", data={"firm": firm.uscc, "year": "2016", "provider": "宁波大学",
                                              "purpose": "testing", "requested": "-5"})
    assert resp.status_code == 400 and "申请金额不能为负数" in text(resp)
    resp = client.post("/vouchers/new", data={"firm": firm.uscc, "year": "2016", "provider": "宁波大学",
                                              "purpose": "testing", "requested": "40"})
    assert resp.status_code == 302
    app = make.session.scalars(select(VoucherApplication).where(VoucherApplication.firm_id == firm.id)).one()
    resp = client.post(f"/vouchers/{app.id}/review", data={"decision": "approve", "amount": "35",
                                                           "issued_on": "2016-07-01", "version": app.version})
    assert resp.status_code == 400
    assert "核发金额35万元超过2016年创新券预算余额30万元（预算100万元，已核发70万元），未核发" in text(resp)
    resp = client.post(f"/vouchers/{app.id}/review", data={"decision": "approve", "amount": "30",
                                                           "issued_on": "2016-07-01", "version": app.version})
    assert resp.status_code == 302
    make.session.expire_all()
    assert (app.status, app.issued) == ("approved", Decimal("30.00"))
    resp = client.post(f"/vouchers/{app.id}/redeem", data={"amount": "30", "redeemed_on": "2016-09-01",
                                                           "version": app.version})
    assert resp.status_code == 302
    page = text(client.get(f"/vouchers/{app.id}"))
    assert "已兑付" in page and "变更记录" in page and "核发创新券" in page
    assert "核发金额（万元）" in page and "已核发" in page  # the history names fields and statuses in Chinese
    page = text(client.get(f"/firms/{firm.id}"))
    assert "科技创新券" in page and "宁波大学" in page and "检验检测" in page
    resp = client.post(f"/vouchers/{app.id}/edit", data={"provider": "宁波大学", "purpose": "testing",
                                                         "requested": "40", "version": 1})
    assert resp.status_code == 400 and "已被他人修改" in text(resp)


def test_budget_page_is_staff_only_and_refuses_negative(client, login, make):
    login("staff")
    resp = client.post("/vouchers/budget", data={"year": "2016", "amount": "-1"})
    assert resp.status_code == 400 and "预算金额不能为负数" in text(resp)
    assert client.post("/vouchers/budget", data={"year": "2016", "amount": "228.3"}).status_code == 302
    assert "228.30 万元" in text(client.get("/vouchers/?year=2016"))


def test_town_officer_files_for_own_towns_but_does_not_issue(client, login, make):
    budget(make, 2016, "100")
    here = application(make, make.firm(town="浒山街道"))
    there = application(make, make.firm("慈溪市周巷券测试有限公司", town="周巷镇"))
    make.session.commit()
    login("town", towns=["浒山街道"])
    page = text(client.get("/vouchers/?year=2016"))
    assert "慈溪市周巷券测试有限公司" not in page
    assert client.get(f"/vouchers/{there.id}").status_code == 404
    assert client.get(f"/vouchers/{here.id}").status_code == 200
    assert client.post(f"/vouchers/{here.id}/review", data={"decision": "approve", "amount": "1"}).status_code == 403


def test_export_cell_by_cell(client, login, make):
    budget(make, 2016, "100")
    firm = make.firm("慈溪市导出券测试有限公司")
    application(make, firm, requested="20", status="approved", issued="18.5", issued_on=date(2016, 6, 30))
    make.session.commit()
    login("staff")
    resp = client.get("/vouchers/export.xlsx?year=2016")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.get_data()))["创新券申请"]
    assert "2016年科技创新券" in ws["A1"].value and "余额81.5万元" in ws["A1"].value
    headers = [c.value for c in ws[2]]
    assert headers[:9] == ["序号", "企业名称", "统一社会信用代码", "所在镇（街道）", "年度", "服务机构", "券种",
                           "申请金额（万元）", "状态"]
    row = [c.value for c in ws[3]]
    assert row[:11] == [1, "慈溪市导出券测试有限公司", firm.uscc, "浒山街道", 2016, "宁波大学", "技术合作", 20, "已核发",
                        18.5, row[10]]
    assert row[10].date() == date(2016, 6, 30)
    assert ws.cell(3, 3).number_format == "@"
