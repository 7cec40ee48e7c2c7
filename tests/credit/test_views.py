"""Credit pages: the pool and its rules, loans refused on the form (ineligible firm,
negative amount), events with the compensation rule, export cell by cell, 档案 page."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from registry.credit.models import CreditLoan
from tests.credit.builders import loan, pool


def text(resp):
    return resp.get_data(as_text=True)


def test_pool_and_loan_forms(client, login, make):
    login("staff")
    resp = client.post("/credit/pool", data={"year": "2016", "size": "1000", "max_loan": "500",
                                             "compensation_rate": "40", "eligible_programmes": ["high_tech"]})
    assert resp.status_code == 302
    page = text(client.get("/credit/?year=2016"))
    assert "1,000.00 万元" in page or "1000.00 万元" in page
    assert "高新技术企业" in page
    firm = make.firm("慈溪市信贷测试电器有限公司")
    make.session.commit()
    data = {"firm": firm.uscc, "pool_year": "2016", "bank": "中国银行慈溪分行", "amount": "200",
            "loan_on": "2016-05-10", "due_on": "2017-05-09"}
    resp = client.post("/credit/new", data=data)
    assert resp.status_code == 400 and "不符合2016年科技信贷风险池的准入条件" in text(resp)
    resp = client.post("/credit/new", data=dict(data, amount="-200"))
    assert resp.status_code == 400 and "贷款金额不能为负数" in text(resp)
    make.recognition(firm, "high_tech", year=2015, valid_from=date(2015, 1, 1), valid_until=date(2017, 12, 31))
    make.session.commit()
    assert client.post("/credit/new", data=data).status_code == 302
    l = make.session.scalars(select(CreditLoan).where(CreditLoan.firm_id == firm.id)).one()
    assert client.post(f"/credit/{l.id}/overdue", data={"version": l.version, "note": "违约"}).status_code == 302
    make.session.expire_all()
    resp = client.post(f"/credit/{l.id}/event", data={"kind": "compensation", "amount": "81",
                                                      "occurred_on": "2017-01-05", "version": l.version})
    assert resp.status_code == 400 and "本笔最多80万元" in text(resp)
    resp = client.post(f"/credit/{l.id}/event", data={"kind": "compensation", "amount": "80",
                                                      "occurred_on": "2017-01-05", "version": l.version})
    assert resp.status_code == 302
    page = text(client.get(f"/credit/{l.id}"))
    assert "已代偿" in page and "80.00" in page and "200.00 万元" in page and "变更记录" in page
    page = text(client.get(f"/firms/{firm.id}"))
    assert "科技信贷" in page and "中国银行慈溪分行" in page and "80.00" in page


def test_pool_settings_are_staff_only(client, login, make):
    firm = make.firm(town="浒山街道")
    l = loan(make, firm)
    make.session.commit()
    login("town", towns=["浒山街道"])
    assert client.get("/credit/pool").status_code == 403
    assert client.get(f"/credit/{l.id}").status_code == 200
    assert client.post(f"/credit/{l.id}/event", data={"kind": "repayment"}).status_code == 403


def test_export_cell_by_cell(client, login, make):
    pool(make, 2016)
    firm = make.firm("慈溪市信贷导出测试有限公司")
    l = loan(make, firm, amount="300")
    staff = make.user("staff")
    from registry.credit.services import add_event

    add_event(staff, l, version=l.version, kind="repayment", amount="120.5", occurred_on="2016-12-01",
              today=date(2017, 1, 1))
    make.session.commit()
    login("staff")
    book = load_workbook(io.BytesIO(client.get("/credit/export.xlsx?year=2016").get_data()))
    ws = book["科技信贷"]
    assert "2016年科技信贷风险池" in ws["A1"].value and "代偿比例40%" in ws["A1"].value
    assert [c.value for c in ws[2]][:8] == ["序号", "企业名称", "统一社会信用代码", "所在镇（街道）", "风险池年度",
                                            "贷款银行", "授信额度（万元）", "贷款金额（万元）"]
    row = [c.value for c in ws[3]]
    assert row[1:8] == ["慈溪市信贷导出测试有限公司", firm.uscc, "浒山街道", 2016, "中国银行慈溪分行", 300, 300]
    assert row[8].date() == date(2016, 5, 10) and row[10] == "在贷"
    assert (row[11], row[12], row[13]) == (120.5, 179.5, 0)
    ev = book["还款与代偿"]
    assert [c.value for c in ev[1]] == ["企业名称", "统一社会信用代码", "所属贷款", "事项", "发生日期", "金额（万元）", "说明"]
    assert [c.value for c in ev[2]][2:6] == ["中国银行慈溪分行 2016-05-10 300万元", "还款", ev["E2"].value, 120.5]
    assert ev["E2"].value.date() == date(2016, 12, 1)


def test_a_firm_user_sees_own_vouchers_and_loans_on_the_profile_only(client, login, make):
    from tests.vouchers.builders import application, budget

    budget(make, 2016)
    mine, other = make.firm("慈溪市本企业测试电器有限公司"), make.firm("慈溪市别家测试电器有限公司")
    application(make, mine, provider="宁波大学本企业券")
    application(make, other, provider="浙江大学别家券")
    own_loan = loan(make, mine, bank="本企业贷款银行")
    loan(make, other, bank="别家贷款银行")
    make.session.commit()
    login("firm", firm=mine)
    page = text(client.get(f"/firms/{mine.id}"))
    assert "宁波大学本企业券" in page and "本企业贷款银行" in page
    assert "浙江大学别家券" not in page and "别家贷款银行" not in page
    assert client.get(f"/firms/{other.id}").status_code == 404
    assert client.get(f"/credit/{own_loan.id}").status_code == 403  # record pages are the bureau's
    assert client.get("/vouchers/").status_code == 403
