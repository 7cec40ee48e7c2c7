"""A firm user's whole path through the portal, through the real pages: activation →
first sign-in with the password they set → contact edit → change request → staff approval
(rename kept in the name history) → annual data draft → submit → return → resubmit → accept
(and only then does screening see it)."""
from __future__ import annotations

import re

from sqlalchemy import select

from registry.firms.models import AnnualData, Firm
from registry.portal.models import FirmChangeRequest, Notice

PASSWORD = "Qiye-mima-2016"


def _code(html: str) -> str:
    return re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", html).group(0)


def _text(resp) -> str:
    return resp.get_data(as_text=True)


ANNUAL = {"revenue": "5000", "rd_expense": "250", "total_cost": "4200", "high_tech_revenue": "3000",
          "export_value": "800", "employees": "200", "tech_staff": "40", "rd_staff": "30",
          "invention_patents": "3", "utility_patents": "12", "design_patents": "", "software_copyrights": "1"}


def test_firm_user_walkthrough(app, make):
    firm = make.firm("慈溪市走查电器有限公司", town="浒山街道", contact_person="张三")
    staff = make.user("staff", username="reviewer", password="correct-horse-1")
    make.session.commit()
    bureau = app.test_client()
    assert bureau.post("/auth/login", data={"username": "reviewer", "password": "correct-horse-1"}).status_code == 302

    # The bureau opens an account: the code is shown once, never stored in clear.
    resp = bureau.post("/portal/accounts/", data={"uscc": firm.uscc})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    code = _code(_text(resp))
    assert code not in str(make.session.scalars(select(Firm)).all())

    # Activation: USCC + code → own password; the code works once.
    firm_client = app.test_client()
    resp = firm_client.post("/auth/activate", data={"uscc": firm.uscc.lower(), "code": code.lower(),
                                                    "password": PASSWORD, "confirm": PASSWORD})
    assert resp.status_code == 302, _text(resp)
    again = firm_client.post("/auth/activate", data={"uscc": firm.uscc, "code": code,
                                                     "password": "Other-pass-99", "confirm": "Other-pass-99"})
    assert again.status_code == 200 and "激活码已使用" in _text(again)

    # First sign-in lands on the portal.
    resp = firm_client.post("/auth/login", data={"username": firm.uscc, "password": PASSWORD})
    assert resp.status_code == 302
    resp = firm_client.get("/", follow_redirects=True)
    assert resp.request.path == "/portal/" and firm.name in _text(resp)

    # Contact details apply at once (audited).
    page = firm_client.get("/portal/profile")
    version = re.search(r'name="version" type="hidden" value="(\d+)"', _text(page)).group(1)
    resp = firm_client.post("/portal/profile", data={"version": version, "contact_person": "李四",
                                                     "phone": "0574-63000000", "email": "li@example.cn",
                                                     "address": "慈溪市浒山街道1号"})
    assert resp.status_code == 302
    make.session.expire_all()
    assert make.session.get(Firm, firm.id).contact_person == "李四"

    # Key fields go as a request: 待审核 until the bureau decides.
    firm_row = make.session.get(Firm, firm.id)
    resp = firm_client.post("/portal/profile/request", data={
        "version": firm_row.version, "name": "慈溪市走查智能电器有限公司", "uscc": firm.uscc,
        "legal_representative": "王五", "town_id": firm_row.town_id, "industry_id": firm_row.industry_id,
        "founded_on": "2010-05-12", "registered_capital": "", "reason": "已完成工商变更"})
    assert resp.status_code == 302, _text(resp)
    assert "待审核" in _text(firm_client.get("/portal/"))
    make.session.expire_all()
    assert make.session.get(Firm, firm.id).name == "慈溪市走查电器有限公司"
    req = make.session.scalar(select(FirmChangeRequest))
    assert set(req.changes) == {"name", "legal_representative"}

    # Staff see old → new and approve.
    page = _text(bureau.get(f"/portal/review/changes/{req.id}"))
    assert "慈溪市走查电器有限公司" in page and "慈溪市走查智能电器有限公司" in page
    resp = bureau.post(f"/portal/review/changes/{req.id}", data={
        "version": req.version, "firm_version": make.session.get(Firm, firm.id).version, "decision": "approve"})
    assert resp.status_code == 302, _text(resp)
    make.session.expire_all()
    renamed = make.session.get(Firm, firm.id)
    assert renamed.name == "慈溪市走查智能电器有限公司" and renamed.legal_representative == "王五"
    assert "慈溪市走查电器有限公司" in [n.name for n in renamed.former_names]
    assert make.session.scalar(select(Notice).where(Notice.kind == "change_approved")) is not None

    # Annual data: draft → submit → returned → resubmit → accepted.
    # The year list is the last five years before today; use the first offered.
    from registry.portal.annual import year_choices

    year = year_choices()[0]
    resp = firm_client.post(f"/portal/annual/edit?year={year}", data=dict(ANNUAL, version="", action="draft"))
    assert resp.status_code == 302, _text(resp)
    ad = make.session.scalar(select(AnnualData).where(AnnualData.firm_id == firm.id, AnnualData.year == year))
    assert ad.status == "draft" and ad.rd_intensity == 5
    resp = firm_client.post(f"/portal/annual/edit?year={year}",
                            data=dict(ANNUAL, version=ad.version, action="submit"))
    assert resp.status_code == 302
    make.session.expire_all()
    ad = make.session.get(AnnualData, ad.id)
    assert ad.status == "submitted"
    # Submitted: the firm cannot change it any more.
    resp = firm_client.post(f"/portal/annual/edit?year={year}", data=dict(ANNUAL, version=ad.version, action="draft"))
    assert resp.status_code == 200 and "不能再修改" in _text(resp)

    resp = bureau.post(f"/portal/review/annual/{ad.id}", data={"version": ad.version, "decision": "return",
                                                               "comment": ""})
    assert resp.status_code == 200 and "退回时请填写意见" in _text(resp)
    resp = bureau.post(f"/portal/review/annual/{ad.id}", data={"version": ad.version, "decision": "return",
                                                               "comment": "研发人员数与社保名单不符"})
    assert resp.status_code == 302
    make.session.expire_all()
    ad = make.session.get(AnnualData, ad.id)
    assert ad.status == "returned"
    home = _text(firm_client.get("/portal/"))
    assert "被退回" in home
    assert "研发人员数与社保名单不符" in _text(firm_client.get(f"/portal/annual/edit?year={year}"))

    resp = firm_client.post(f"/portal/annual/edit?year={year}",
                            data=dict(ANNUAL, rd_staff="25", version=ad.version, action="submit"))
    assert resp.status_code == 302
    make.session.expire_all()
    ad = make.session.get(AnnualData, ad.id)
    assert ad.status == "submitted" and ad.rd_staff == 25
    resp = bureau.post(f"/portal/review/annual/{ad.id}", data={"version": ad.version, "decision": "approve"})
    assert resp.status_code == 302
    make.session.expire_all()
    ad = make.session.get(AnnualData, ad.id)
    assert ad.status == "accepted" and ad.reviewed_by_id == staff.id
    assert "已确认" in _text(firm_client.get("/portal/annual"))


def test_first_login_after_a_bureau_reset_forces_a_password_change(app, make):
    firm = make.firm("慈溪市重置测试有限公司")
    make.user("staff", username="resetter", password="correct-horse-1")
    user = make.user("firm", username=firm.uscc, password=PASSWORD, firm=firm)
    make.session.commit()
    mine = app.test_client()
    assert mine.post("/auth/login", data={"username": firm.uscc, "password": PASSWORD}).status_code == 302
    assert mine.get("/portal/").status_code == 200
    bureau = app.test_client()
    bureau.post("/auth/login", data={"username": "resetter", "password": "correct-horse-1"})
    resp = bureau.post(f"/portal/accounts/{user.id}/reset")
    code = _code(_text(resp))
    # The old session is over at once.
    resp = mine.get("/portal/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    # The old password no longer works; the new code does, once.
    assert mine.post("/auth/login", data={"username": firm.uscc, "password": PASSWORD}).status_code == 200
    resp = mine.post("/auth/activate", data={"uscc": firm.uscc, "code": code,
                                             "password": "Brand-new-77", "confirm": "Brand-new-77"})
    assert resp.status_code == 302
    assert mine.post("/auth/login", data={"username": firm.uscc, "password": "Brand-new-77"}).status_code == 302
