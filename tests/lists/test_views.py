"""The lists pages through the web: who may do what, and each workflow step end to end."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from registry.lists import services
from registry.lists.models import CriteriaSet, TierList
from tests.lists.builders import annual, noticed_list

AFTER = date(2016, 12, 1)


def csrf_off(app):
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def no_csrf(app):
    before = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = False
    yield
    app.config["WTF_CSRF_ENABLED"] = before


def test_staff_build_a_list_from_search_to_notice(client, login, make, no_csrf):
    staff = login("staff")
    firm = make.firm("慈溪市网页测试电器有限公司")
    make.session.commit()
    resp = client.post("/lists/new", data={"programme": make.programme("eaglet").id, "year": 2016,
                                           "batch": "", "title": "", "document_no": "慈科〔2016〕1号"})
    assert resp.status_code == 302
    tier_list = make.session.scalar(select(TierList).where(TierList.document_no == "慈科〔2016〕1号"))
    assert tier_list.title == "2016年度慈溪市创新型“雏鹰”企业名单" and tier_list.created_by_id == staff.id
    page = client.get(f"/lists/{tier_list.id}?q=网页测试").get_data(as_text=True)
    assert "加入名单" in page and firm.uscc in page
    assert client.post(f"/lists/{tier_list.id}/entries/add", data={"firm_id": firm.id}).status_code == 302
    again = client.post(f"/lists/{tier_list.id}/entries/add", data={"firm_id": firm.id}, follow_redirects=True)
    assert "已在名单中，不能重复添加" in again.get_data(as_text=True)
    bad = client.post(f"/lists/{tier_list.id}/notice", data={"notice_from": "2016-11-20", "notice_until": "2016-11-01"},
                      follow_redirects=True)
    assert "公示结束日期早于开始日期" in bad.get_data(as_text=True)
    client.post(f"/lists/{tier_list.id}/notice", data={"notice_from": "2016-11-18", "notice_until": "2099-11-24"})
    make.session.expire_all()
    assert make.session.get(TierList, tier_list.id).status == "notice"
    early = client.post(f"/lists/{tier_list.id}/publish", data={}, follow_redirects=True).get_data(as_text=True)
    assert "请在公示期满后发布" in early
    data = client.get(f"/lists/{tier_list.id}/notice.xlsx")
    assert data.mimetype.endswith("spreadsheetml.sheet")
    assert load_workbook(io.BytesIO(data.get_data())).worksheets[0]["B3"].value == firm.name


def test_publish_and_amend_through_the_pages(client, login, make, no_csrf):
    staff = login("staff")
    a, b = make.firm("慈溪市页面甲有限公司"), make.firm("慈溪市页面乙有限公司")
    tier_list = noticed_list(make, staff, [a])
    make.session.commit()
    resp = client.post(f"/lists/{tier_list.id}/publish", data={"version": tier_list.version}, follow_redirects=True)
    # the real clock is past 2016-11-24
    assert "名单已发布" in resp.get_data(as_text=True)
    resp = client.post(f"/lists/{tier_list.id}/amend", data={"kind": "add", "firm": b.uscc, "reason": "增补"},
                       follow_redirects=True)
    assert "更正已记录" in resp.get_data(as_text=True)
    page = client.get(f"/lists/{tier_list.id}").get_data(as_text=True)
    assert "更正记录（1）" in page and b.name in page
    stale = client.post(f"/lists/{tier_list.id}/edit", data={"title": "x", "version": 1}, follow_redirects=True)
    assert "他人修改" in stale.get_data(as_text=True) or "已发布" in stale.get_data(as_text=True)


@pytest.mark.parametrize("role", ["town", "viewer"])
def test_town_officers_and_viewers_read_but_change_nothing(client, login, make, role):
    staff = make.user("staff")
    firm = make.firm("慈溪市只读测试有限公司", town="浒山街道")
    tier_list = noticed_list(make, staff, [firm])
    services.publish(staff, tier_list, today=AFTER)
    make.session.commit()
    login(role, towns=["浒山街道"] if role == "town" else ())
    page = client.get(f"/lists/{tier_list.id}").get_data(as_text=True)
    assert firm.name in page and "发布名单" not in page and "登记更正" not in page
    assert client.get(f"/lists/{tier_list.id}/official.xlsx").status_code == 200
    for url in (f"/lists/{tier_list.id}/publish", f"/lists/{tier_list.id}/amend", "/lists/new",
                "/lists/criteria/save", "/lists/screening/add"):
        assert client.post(url, data={}).status_code == 403, url


def test_a_town_officer_sees_only_the_part_of_their_towns(client, login, make):
    staff = make.user("staff")
    mine, other = make.firm("慈溪市本镇企业有限公司", town="周巷镇"), make.firm("慈溪市他镇企业有限公司", town="龙山镇")
    both = noticed_list(make, staff, [mine, other])
    elsewhere = noticed_list(make, staff, [other], code="gazelle")
    services.publish(staff, both, today=AFTER)
    make.session.commit()
    login("town", towns=["周巷镇"])
    page = client.get(f"/lists/{both.id}").get_data(as_text=True)
    assert mine.name in page and other.name not in page
    ws = load_workbook(io.BytesIO(client.get(f"/lists/{both.id}/official.xlsx").get_data())).worksheets[0]
    assert ws["B3"].value == mine.name and ws["A4"].value.startswith("注：共1家")
    assert client.get(f"/lists/{elsewhere.id}").status_code == 404
    index = client.get("/lists/").get_data(as_text=True)
    assert both.title in index and elsewhere.title not in index


def test_firm_users_have_no_access(client, login, make):
    login("firm", firm=make.firm())
    for url in ("/lists/", "/lists/screening", "/lists/criteria", "/lists/ladder", "/lists/high-tech",
                "/lists/combined.xlsx"):
        assert client.get(url).status_code == 403, url


def test_missing_or_foreign_ids_are_404(client, login, make):
    login("staff")
    for bad in ("999999", "abc", "-3", str(2**40)):
        assert client.get(f"/lists/{bad}").status_code == 404


def test_admins_edit_criteria_and_impossible_ranges_are_refused(client, login, make, no_csrf):
    login("admin")
    pid = make.programme("eaglet").id
    resp = client.post("/lists/criteria/defaults", data={"programme_id": pid, "year": 2016}, follow_redirects=True)
    assert "已载入5个类别的默认条件" in resp.get_data(as_text=True)
    cset = make.session.scalar(select(CriteriaSet).where(CriteriaSet.programme_id == pid, CriteriaSet.year == 2016))
    bad = client.post("/lists/criteria/save", data={"programme_id": pid, "year": 2016, "prefix": "new",
                                                    "new-kind": "revenue", "new-role": "required",
                                                    "new-label": "营业收入", "new-min": "3000", "new-max": "100",
                                                    "new-version": cset.version}, follow_redirects=True)
    assert "大于上限" in bad.get_data(as_text=True)
    good = client.post("/lists/criteria/save", data={"programme_id": pid, "year": 2016, "prefix": "new",
                                                     "new-kind": "invention_patents", "new-role": "required",
                                                     "new-label": "发明专利", "new-min": "1",
                                                     "new-version": cset.version}, follow_redirects=True)
    assert "评定条件已保存" in good.get_data(as_text=True)
    make.session.expire_all()
    cset = make.session.get(CriteriaSet, cset.id)
    assert cset.criteria[-1].kind == "invention_patents" and cset.criteria[-1].params == {"min": 1}
    assert not cset.is_default
    copied = client.post("/lists/criteria/copy", data={"programme_id": pid, "year": 2017, "source_year": 2016},
                         follow_redirects=True)
    assert "已复制2016年度的评定条件" in copied.get_data(as_text=True)
    page = client.get(f"/lists/criteria?programme={pid}&year=2017").get_data(as_text=True)
    assert "依据 <strong>2016</strong> 年度" in page


def test_staff_cannot_edit_criteria(client, login, make):
    login("staff")
    assert client.post("/lists/criteria/save", data={}).status_code == 403
    assert client.get("/lists/criteria").status_code == 200


def test_screening_page_and_add_to_list(client, login, make, no_csrf):
    staff = login("staff")
    services_seed = __import__("registry.lists.defaults", fromlist=["_"]).seed_default_criteria
    services_seed(staff, 2016)
    firm = make.firm("慈溪市筛选网页有限公司", founded_on=date(2013, 1, 1))
    annual(make.session, firm, 2015, revenue=500, rd_expense=25)
    tier_list = services.create_list(staff, programme=make.programme("eaglet"), year=2016)
    make.session.commit()
    pid = make.programme("eaglet").id
    page = client.get(f"/lists/screening?programme={pid}&year=2016").get_data(as_text=True)
    assert firm.name in page and "符合 1 家" in page
    resp = client.post("/lists/screening/add", data={"list_id": tier_list.id, "firm_id": [firm.id]})
    assert resp.status_code == 302
    make.session.expire_all()
    entry = make.session.get(TierList, tier_list.id).entries[0]
    assert entry.source == "screening" and entry.screening["result"] == "pass"
    export = client.get(f"/lists/screening.xlsx?programme={pid}&year=2016")
    assert load_workbook(io.BytesIO(export.get_data())).worksheets[0]["B3"].value == firm.name
    empty = client.get(f"/lists/screening.xlsx?programme={pid}&year=2030")
    assert "尚未设定评定条件" in load_workbook(io.BytesIO(empty.get_data())).worksheets[0]["A2"].value


def test_follow_up_pages_and_exports(client, login, make, no_csrf):
    login("staff")
    firm = make.firm("慈溪市年报网页有限公司")
    make.recognition(firm, "high_tech", 2014, certificate_no="GR201433100001", valid_from=date(2014, 11, 1),
                     valid_until=date(2017, 10, 31))
    make.recognition(firm, "eaglet", 2016)
    make.session.commit()
    assert firm.name in client.get("/lists/high-tech?year=2016").get_data(as_text=True)
    assert firm.name in client.get("/lists/ladder?year=2016").get_data(as_text=True)
    for url in ("/lists/high-tech/expiring.xlsx?year=2016", "/lists/high-tech/reports.xlsx?year=2016",
                "/lists/ladder.xlsx?year=2016"):
        ws = load_workbook(io.BytesIO(client.get(url).get_data())).worksheets[0]
        assert ws["B3"].value == firm.name or ws["C3"].value == firm.name, url
    resp = client.post("/lists/high-tech/reports", data={"firm": firm.uscc, "year": 2016,
                                                        "submitted_on": "2017-05-10"}, follow_redirects=True)
    assert "已登记" in resp.get_data(as_text=True)
    assert "均已登记年报" in client.get("/lists/high-tech?year=2016").get_data(as_text=True)


def test_each_row_removes_its_firm_through_the_one_remove_form(app, client, login, make, monkeypatch):
    """The 移出 buttons of a draft list all submit one form (form="remove-entry"), which
    carries the CSRF token; the button's value says which entry goes."""
    import re

    staff = login("staff")
    firms = [make.firm(f"慈溪市移出{n}电器有限公司") for n in range(3)]
    tier_list = services.create_list(staff, programme=make.programme("eaglet"), year=2016)
    for firm in firms:
        services.add_entry(staff, tier_list, firm)
    make.session.commit()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # signed in: now the real check
    page = client.get(f"/lists/{tier_list.id}").get_data(as_text=True)
    form = re.search(r'<form id="remove-entry" method="post" action="([^"]+)">'
                     r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)">', page)
    assert form, "the remove form with its CSRF token"
    buttons = re.findall(r'form="remove-entry"\s+name="entry_id" value="(\d+)">移出', page)
    entry = next(e for e in tier_list.entries if e.firm_id == firms[1].id)
    assert sorted(map(int, buttons)) == sorted(e.id for e in tier_list.entries)
    resp = client.post(form.group(1), data={"csrf_token": form.group(2), "entry_id": entry.id},
                       follow_redirects=True)
    assert "已移出名单。" in resp.get_data(as_text=True)
    make.session.expire_all()
    assert {e.firm_id for e in make.session.get(TierList, tier_list.id).entries} == {firms[0].id, firms[2].id}
