"""Recognition and programme pages through the test client, as each role."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.recognitions.models import Programme, Recognition


def text(resp):
    return resp.get_data(as_text=True)


def form(make, code="high_tech", **kw):
    data = {"programme_id": make.programme(code).id, "year": "2016", "batch": "", "certificate_no": "",
            "issued_on": "", "valid_from": "", "valid_until": "", "document_no": "", "note": ""}
    data.update(kw)
    return data


def test_staff_adds_edits_and_revokes_a_recognition(client, login, make):
    firm = make.firm("慈溪市认定页面电器有限公司")
    make.session.commit()
    login("staff")
    assert "新增认定" in text(client.get(f"/firms/{firm.id}"))
    page = text(client.get(f"/recognitions/new/{firm.id}"))
    assert "高新技术企业" in page and "有效期3年" in page
    resp = client.post(f"/recognitions/new/{firm.id}",
                       data=form(make, certificate_no="GR201633100026", issued_on="2016-11-30"))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/firms/{firm.id}#sec-rec")
    rec = make.session.scalar(select(Recognition).where(Recognition.firm_id == firm.id))
    assert rec.valid_until == date(2019, 11, 29)

    detail = text(client.get(f"/firms/{firm.id}"))
    assert "GR201633100026" in detail and "2016-11-30 至 2019-11-29" in detail
    assert "认定时间轴" in detail and "新增认定：2016年高新技术企业" in detail

    # overlapping second one: refused with the existing one named, under the field
    resp = client.post(f"/recognitions/new/{firm.id}", data=form(make, year="2017"))
    assert resp.status_code == 200
    assert "该企业已持有2016年“高新技术企业”" in text(resp) and "GR201633100026" in text(resp)

    edit = text(client.get(f"/recognitions/{rec.id}/edit"))
    original = re.search(r'name="original" type="hidden" value="([^"]+)"', edit).group(1)
    resp = client.post(f"/recognitions/{rec.id}/edit", data=form(
        make, certificate_no="GR201633100026", issued_on="2016-11-30", valid_from="2016-11-30",
        valid_until="2019-11-29", batch="第二批", version=rec.version, original=original))
    assert resp.status_code == 302
    make.session.expire_all()
    assert make.session.get(Recognition, rec.id).batch == "第二批"

    resp = client.post(f"/recognitions/{rec.id}/revoke", data={"reason": "", "on": "2017-01-05",
                                                                "version": rec.version})
    assert resp.status_code == 200 and "请填写撤销原因" in text(resp)
    resp = client.post(f"/recognitions/{rec.id}/revoke", data={"reason": "弄虚作假", "on": "2017-01-05",
                                                                "version": rec.version})
    assert resp.status_code == 302
    make.session.expire_all()
    assert make.session.get(Recognition, rec.id).status == "revoked"
    actions = [e.action for e in make.session.scalars(
        select(AuditLog).where(AuditLog.entity_type == "recognition").order_by(AuditLog.id))]
    assert actions == ["create", "update", "revoke"]
    assert "已撤销" in text(client.get(f"/firms/{firm.id}"))


def test_stale_recognition_edit_is_refused_on_the_page(client, login, make):
    firm = make.firm()
    rec = make.recognition(firm, "tech_sme", 2016, valid_from=date(2016, 1, 1), valid_until=date(2016, 12, 31))
    make.session.commit()
    login("staff")
    stale = form(make, "tech_sme", valid_from="2016-01-01", valid_until="2016-12-31", version=rec.version)
    client.post(f"/recognitions/{rec.id}/edit", data={**stale, "certificate_no": "A1"})
    resp = client.post(f"/recognitions/{rec.id}/edit", data={**stale, "certificate_no": "B2"})
    assert resp.status_code == 200 and "已被他人修改" in text(resp)
    make.session.expire_all()
    assert make.session.get(Recognition, rec.id).certificate_no == "A1"


def test_bad_input_gets_field_messages(client, login, make):
    firm = make.firm()
    make.session.commit()
    login("staff")
    for data, message in [(form(make, programme_id=""), "请选择认定类别"),
                          (form(make, year=""), "请填写认定年度"),
                          (form(make, year="abc"), "不是有效的整数"),
                          (form(make, issued_on="2016-02-30"), "发证日期格式应为 YYYY-MM-DD"),
                          (form(make, valid_from="2016-05-01", valid_until="2016-01-01"), "早于有效期起")]:
        resp = client.post(f"/recognitions/new/{firm.id}", data=data)
        assert resp.status_code == 200 and message in text(resp), message
    assert make.session.scalar(select(Recognition).where(Recognition.firm_id == firm.id)) is None


def test_town_officer_viewer_and_firm_user(client, login, make):
    mine = make.recognition(make.firm(town="周巷镇"), "eaglet", 2016)
    theirs = make.recognition(make.firm(town="龙山镇"), "eaglet", 2016)
    make.session.commit()
    login("town", towns=["周巷镇"])
    assert client.get(f"/recognitions/{mine.id}/edit").status_code == 200
    assert client.get(f"/recognitions/new/{mine.firm_id}").status_code == 200
    for url in (f"/recognitions/{theirs.id}/edit", f"/recognitions/{theirs.id}/revoke",
                f"/recognitions/new/{theirs.firm_id}", "/recognitions/999999/edit", "/recognitions/x/revoke"):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data={"reason": "x", "on": "2017-01-01"}).status_code == 404, url
    assert client.get("/recognitions/programmes").status_code == 403


def test_viewer_gets_403_on_every_post(client, login, make):
    rec = make.recognition(make.firm(), "eaglet", 2016)
    make.session.commit()
    login("viewer")
    for url in (f"/recognitions/{rec.id}/edit", f"/recognitions/{rec.id}/revoke",
                f"/recognitions/new/{rec.firm_id}", "/recognitions/programmes/new",
                f"/recognitions/programmes/{rec.programme_id}/delete"):
        assert client.post(url, data={"reason": "x", "on": "2017-01-01"}).status_code == 403, url
    make.session.expire_all()
    assert make.session.get(Recognition, rec.id).status == "valid"


def test_firm_user_cannot_touch_recognitions(client, login, make):
    rec = make.recognition(make.firm(), "eaglet", 2016)
    make.session.commit()
    login("firm", firm=rec.firm)
    page = text(client.get(f"/firms/{rec.firm_id}"))
    assert "雏鹰企业" in page and "撤销</a>" not in page
    assert client.post(f"/recognitions/{rec.id}/revoke", data={"reason": "x"}).status_code == 403


def test_admin_adds_a_programme_and_staff_uses_it(client, login, make):
    login("admin")
    assert "认定类别设置" in text(client.get("/recognitions/programmes"))
    resp = client.post("/recognitions/programmes/new", data={
        "code": "zjtx", "name": "浙江省专精特新中小企业", "short_name": "专精特新", "level": "provincial",
        "validity_years": "3", "sort_order": "70", "ladder_rank": "", "description": ""})
    assert resp.status_code == 302
    programme = make.session.scalar(select(Programme).where(Programme.code == "zjtx"))
    listing = text(client.get("/recognitions/programmes"))
    assert "专精特新" in listing and "zjtx" in listing

    resp = client.post("/recognitions/programmes/new", data={
        "code": "zjtx", "name": "另一个", "short_name": "x", "level": "provincial", "validity_years": "3"})
    assert resp.status_code == 200 and "代码“zjtx”已被“浙江省专精特新中小企业”使用" in text(resp)
    resp = client.post(f"/recognitions/programmes/{programme.id}/edit", data={
        "code": "changed", "name": "浙江省专精特新中小企业", "short_name": "专精特新", "level": "provincial",
        "validity_years": "0"})
    assert resp.status_code == 200 and "有效期应为1–20年" in text(resp)
    resp = client.post(f"/recognitions/programmes/{programme.id}/edit", data={
        "code": "changed", "name": "浙江省专精特新中小企业", "short_name": "专精特新", "level": "provincial",
        "validity_years": "2", "sort_order": "5"})
    assert resp.status_code == 302
    make.session.expire_all()
    programme = make.session.get(Programme, programme.id)
    assert (programme.code, programme.validity_years) == ("zjtx", 2)

    firm = make.firm()
    make.session.commit()
    assert "专精特新" in text(client.get(f"/recognitions/new/{firm.id}"))
    resp = client.post(f"/recognitions/new/{firm.id}", data={**form(make), "programme_id": programme.id})
    assert resp.status_code == 302
    assert "专精特新" in text(client.get(f"/firms/{firm.id}"))
    # in use now: refused
    resp = client.post(f"/recognitions/programmes/{programme.id}/delete", follow_redirects=True)
    assert "已被使用（认定记录1条），不能删除" in text(resp)
    assert make.session.get(Programme, programme.id) is not None
    assert client.get("/recognitions/programmes/999999/edit").status_code == 404


def test_unused_programme_can_be_deleted_by_admin_only(client, login, make):
    programme = Programme(code="tmp_prog", name="临时类别", short_name="临时", level="cixi", validity_years=1)
    make.session.add(programme)
    make.session.commit()
    pid = programme.id
    login("staff")
    assert client.post(f"/recognitions/programmes/{pid}/delete").status_code == 403
    assert client.get("/recognitions/programmes").status_code == 403


def test_admin_deletes_an_unused_programme(client, login, make):
    programme = Programme(code="tmp_prog2", name="临时类别2", short_name="临时2", level="cixi", validity_years=1)
    make.session.add(programme)
    make.session.commit()
    pid = programme.id
    login("admin")
    resp = client.post(f"/recognitions/programmes/{pid}/delete", follow_redirects=True)
    assert "已删除认定类别“临时类别2”" in text(resp)
    make.session.expire_all()
    assert make.session.get(Programme, pid) is None


def test_refused_edit_form_takes_the_other_clerks_changes_and_keeps_ours(client, login, make):
    from registry.recognitions.services import update_recognition

    firm = make.firm()
    rec = make.recognition(firm, "tech_sme", 2016, valid_from=date(2016, 1, 1), valid_until=date(2016, 12, 31))
    make.session.commit()
    login("staff")
    page = text(client.get(f"/recognitions/{rec.id}/edit"))
    original = re.search(r'name="original" type="hidden" value="([^"]+)"', page).group(1)
    other = make.user("staff", display_name="孙科员")
    update_recognition(other, rec, version=rec.version, programme=make.programme("high_tech"), year=2016,
                       valid_from=date(2016, 1, 1), valid_until=date(2016, 12, 31), batch="第三批")
    make.session.commit()
    resp = client.post(f"/recognitions/{rec.id}/edit", data=form(
        make, "tech_sme", valid_from="2016-01-01", valid_until="2016-12-31", certificate_no="MINE-1",
        version=1, original=original))
    body = text(resp)
    assert resp.status_code == 200 and "孙科员" in body
    assert "认定类别" in body and "批次" in body  # both changes listed
    assert 'value="第三批"' in body and 'value="MINE-1"' in body
    selected = re.search(r'<option selected value="(\d+)"', body).group(1)
    assert int(selected) == make.programme("high_tech").id  # taken from the saved record
    assert "已采用现在的值" in body
