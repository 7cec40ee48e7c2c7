"""Firm pages through the test client, as each role: create, edit (and the stale-save
conflict), rename, status, list filters, the Excel export, and who may do what."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.firms.models import Firm
from registry.firms.uscc import make_uscc
from tests.factories import next_uscc


def text(resp):
    return resp.get_data(as_text=True)


def fresh(make, firm_id):
    make.session.expire_all()
    return make.session.get(Firm, firm_id)


def profile(firm, **overrides):
    """The edit form as the browser would post it back unchanged."""
    data = {"uscc": firm.uscc, "town_id": firm.town_id or "", "industry_id": firm.industry_id or "",
            "founded_on": firm.founded_on.isoformat() if firm.founded_on else "",
            "registered_capital": str(firm.registered_capital or ""),
            "legal_representative": firm.legal_representative or "", "contact_person": "",
            "phone": firm.phone or "", "email": "", "address": "", "note": "",
            "version": firm.version}
    if firm.above_scale:
        data["above_scale"] = "y"
    data.update(overrides)
    return data


# --- create ---------------------------------------------------------------------------------

def test_staff_creates_a_firm(client, login, make):
    login("staff")
    code = make_uscc("91330282", "MA2CR8T1")
    resp = client.post("/firms/new", data={
        "uscc": code.lower(), "name": "慈溪市网页新建电器有限公司", "town_id": make.town("周巷镇").id,
        "industry_id": make.industry("新材料").id, "founded_on": "2015/03/01",
        "registered_capital": "1,200.5", "above_scale": "y", "phone": "0574-63000000"})
    assert resp.status_code == 302
    firm = make.session.scalar(select(Firm).where(Firm.uscc == code))
    assert resp.headers["Location"].endswith(f"/firms/{firm.id}")
    assert (firm.name, firm.town.name, firm.registered_capital, firm.above_scale) == (
        "慈溪市网页新建电器有限公司", "周巷镇", Decimal("1200.50"), True)
    assert firm.founded_on == date(2015, 3, 1)
    entry = make.session.scalar(select(AuditLog).where(AuditLog.firm_id == firm.id))
    assert entry.action == "create" and entry.after["town"] == "周巷镇"


@pytest.mark.parametrize("overrides, message", [
    ({"uscc": "91330282MA2CR8T1X0"}, "统一社会信用代码第"),
    ({"uscc": ""}, "请填写统一社会信用代码"),
    ({"name": ""}, "请填写企业名称"),
    ({"founded_on": "2015-13-01"}, "成立日期格式应为 YYYY-MM-DD"),
    ({"registered_capital": "三百万"}, "请填写数字"),
    ({"email": "not-an-email"}, "电子邮箱格式不正确"),
    ({"town_id": "99999"}, "不是有效的选择"),
])
def test_create_shows_field_errors_in_chinese(client, login, make, overrides, message):
    login("staff")
    data = {"uscc": next_uscc(), "name": "慈溪市表单校验有限公司", "town_id": "", "industry_id": ""}
    data.update(overrides)
    resp = client.post("/firms/new", data=data)
    assert resp.status_code == 200
    assert message in text(resp)
    assert "is-invalid" in text(resp)
    assert make.session.scalar(select(Firm).where(Firm.name == "慈溪市表单校验有限公司")) is None


def test_duplicate_uscc_is_refused_naming_the_existing_firm(client, login, make):
    existing = make.firm("慈溪市先登记电器有限公司")
    make.session.commit()
    login("staff")
    resp = client.post("/firms/new", data={"uscc": existing.uscc, "name": "慈溪市后登记电器有限公司"})
    assert resp.status_code == 200
    assert "已被企业“慈溪市先登记电器有限公司”使用" in text(resp)


def test_town_officer_creates_only_in_their_towns(client, login, make):
    login("town", towns=["周巷镇"])
    page = text(client.get("/firms/new"))
    assert "周巷镇" in page and "龙山镇" not in page  # only their towns offered
    resp = client.post("/firms/new", data={"uscc": next_uscc(), "name": "慈溪市越界新建有限公司",
                                           "town_id": make.town("龙山镇").id})
    assert resp.status_code == 200 and "不是有效的选择" in text(resp)
    resp = client.post("/firms/new", data={"uscc": next_uscc(), "name": "慈溪市无镇新建有限公司"})
    assert resp.status_code == 200 and "请选择所在镇（街道）" in text(resp)
    resp = client.post("/firms/new", data={"uscc": next_uscc(), "name": "慈溪市镇内新建有限公司",
                                           "town_id": make.town("周巷镇").id})
    assert resp.status_code == 302


# --- edit and the optimistic lock -------------------------------------------------------------

def test_edit_saves_and_a_stale_save_is_refused_showing_the_changes(client, login, make, app):
    firm = make.firm("慈溪市并发网页电器有限公司", registered_capital=Decimal("500"), phone="111")
    make.session.commit()
    login("staff")
    page = text(client.get(f"/firms/{firm.id}/edit"))
    assert 'name="original"' in page and f'name="version" type="hidden" value="{firm.version}"' in page
    import re

    original = re.search(r'name="original" type="hidden" value="([^"]+)"', page).group(1)
    loaded = profile(firm, original=original)

    # someone else saves first (through the service: requests in one test share one
    # app context, so a second test client would still act as the first user)
    from registry.firms.changes import update_firm

    other = make.user("staff", username="other-clerk", display_name="赵科员")
    update_firm(other, fresh(make, firm.id), version=1, registered_capital="900")
    make.session.commit()
    assert fresh(make, firm.id).registered_capital == Decimal("900.00")

    # our save, from the form loaded before, is refused: nothing overwritten
    resp = client.post(f"/firms/{firm.id}/edit", data={**loaded, "phone": "222"})
    assert resp.status_code == 200
    body = text(resp)
    assert "已被他人修改" in body and "赵科员" in body
    assert "注册资本（万元）" in body and "500.00" in body and "900.00" in body
    saved = fresh(make, firm.id)
    assert (saved.phone, saved.registered_capital) == ("111", Decimal("900.00"))
    # the refilled form takes the other clerk's capital and keeps our phone, at the new version
    assert 'value="900.00"' in body and 'value="222"' in body
    assert f'name="version" type="hidden" value="{saved.version}"' in body
    new_original = re.search(r'name="original" type="hidden" value="([^"]+)"', body).group(1)
    resp = client.post(f"/firms/{firm.id}/edit", data={**profile(saved), "phone": "222",
                                                       "original": new_original})
    assert resp.status_code == 302
    assert fresh(make, firm.id).phone == "222"


def test_forged_original_is_ignored(client, login, make):
    firm = make.firm()
    make.session.commit()
    login("staff")
    client.post(f"/firms/{firm.id}/edit", data=profile(firm, phone="1"))
    resp = client.post(f"/firms/{firm.id}/edit", data=profile(firm, version=1, phone="2",
                                                              original="forged.token"))
    assert resp.status_code == 200 and "已被他人修改" in text(resp)
    assert fresh(make, firm.id).phone == "1"


def test_rename_and_find_by_the_old_name(client, login, make):
    firm = make.firm("慈溪市老字号电器有限公司")
    make.session.commit()
    login("staff")
    resp = client.post(f"/firms/{firm.id}/rename", data={"name": "宁波新字号科技有限公司",
                                                         "on": "2016-05-01", "version": firm.version})
    assert resp.status_code == 302
    listing = text(client.get("/firms/?q=老字号"))
    assert "宁波新字号科技有限公司" in listing
    page = text(client.get(f"/firms/{firm.id}"))
    assert "慈溪市老字号电器有限公司（至 2016-05-01）" in page
    assert "更名" in page
    resp = client.post(f"/firms/{firm.id}/rename", data={"name": "", "on": "2016-05-01",
                                                         "version": fresh(make, firm.id).version})
    assert resp.status_code == 200 and "请填写新名称" in text(resp)


def test_status_change_through_the_page(client, login, make):
    firm = make.firm("慈溪市注销网页有限公司", founded_on=date(2010, 1, 1))
    make.session.commit()
    login("staff")
    resp = client.post(f"/firms/{firm.id}/status", data={"status": "deregistered", "on": "",
                                                         "version": firm.version})
    assert resp.status_code == 200 and "请填写变更日期" in text(resp)
    resp = client.post(f"/firms/{firm.id}/status", data={"status": "deregistered", "on": "2016-08-08",
                                                         "reason": "工商注销", "version": firm.version})
    assert resp.status_code == 302
    page = text(client.get(f"/firms/{firm.id}"))
    assert "该企业已注销（2016-08-08）" in page and "在营 → 注销" in page


# --- who may do what ------------------------------------------------------------------------------

def test_town_officer_inside_and_outside_their_towns(client, login, make):
    mine = make.firm("慈溪市本镇编辑有限公司", town="周巷镇")
    other = make.firm("慈溪市外镇编辑有限公司", town="龙山镇")
    make.session.commit()
    login("town", towns=["周巷镇"])
    assert client.get(f"/firms/{mine.id}/edit").status_code == 200
    assert "修改信息" in text(client.get(f"/firms/{mine.id}"))
    for path in ("edit", "rename", "status"):
        assert client.get(f"/firms/{other.id}/{path}").status_code == 404
        assert client.post(f"/firms/{other.id}/{path}", data={"version": 1}).status_code == 404
    assert client.post(f"/firms/{mine.id}/edit", data=profile(mine, phone="1")).status_code == 302
    # moving the firm to a town outside theirs: the form offers no such choice
    resp = client.post(f"/firms/{mine.id}/edit",
                       data=profile(fresh(make, mine.id), town_id=make.town("龙山镇").id))
    assert resp.status_code == 200 and fresh(make, mine.id).town.name == "周巷镇"


def test_viewer_reads_but_every_post_is_403(client, login, make):
    firm = make.firm()
    make.session.commit()
    login("viewer")
    page = text(client.get(f"/firms/{firm.id}"))
    assert "修改信息" not in page and "新增认定" not in page
    assert "新建企业" not in text(client.get("/firms/"))
    for path in ("/firms/new", f"/firms/{firm.id}/edit", f"/firms/{firm.id}/rename",
                 f"/firms/{firm.id}/status"):
        assert client.post(path, data=profile(firm, name="x")).status_code == 403
        assert client.get(path).status_code == 403
    assert fresh(make, firm.id).version == 1


def test_firm_user_sees_its_own_firm_only_and_edits_nothing_here(client, login, make):
    own, other = make.firm(), make.firm()
    make.session.commit()
    login("firm", firm=own)
    page = text(client.get(f"/firms/{own.id}"))
    assert "修改信息" not in page and "变更记录" not in page
    assert client.get(f"/firms/{other.id}").status_code == 404
    assert client.post(f"/firms/{own.id}/edit", data=profile(own)).status_code == 403
    assert client.get("/firms/export").status_code == 403


def test_missing_or_malformed_ids_on_edit_pages_are_404(client, login):
    login("staff")
    for path in ("/firms/999999/edit", "/firms/abc/rename", "/firms/99999999999999/status"):
        assert client.get(path).status_code == 404
        assert client.post(path, data={}).status_code == 404


# --- list and export ---------------------------------------------------------------------------------

def test_list_filters_and_sorting_through_the_page(client, login, make):
    make.firm("慈溪市新区甲有限公司", town="杭州湾新区", registered_capital=Decimal("10"))
    make.firm("慈溪市本级乙有限公司", town="周巷镇", registered_capital=Decimal("90"), above_scale=True)
    make.session.commit()
    login("staff")
    only_new = text(client.get("/firms/?zone=only_new"))
    assert "慈溪市新区甲有限公司" in only_new and "慈溪市本级乙有限公司" not in only_new
    without = text(client.get("/firms/?zone=exclude_new&above_scale=1"))
    assert "慈溪市本级乙有限公司" in without and "慈溪市新区甲有限公司" not in without
    by_capital = text(client.get("/firms/?sort=capital&dir=desc"))
    assert by_capital.index("慈溪市本级乙有限公司") < by_capital.index("慈溪市新区甲有限公司")
    assert 'aria-sort="descending"' in by_capital
    assert client.get("/firms/?sort=evil&dir=sideways&zone=mars").status_code == 200


def test_export_holds_the_filtered_results_with_typed_cells(client, login, make):
    firm = make.firm("慈溪市导出测试电器有限公司", town="周巷镇", registered_capital=Decimal("1200.5"),
                     founded_on=date(2008, 6, 18), above_scale=True, phone="057463000000")
    make.firm("=HYPERLINK(\"x\")慈溪市公式有限公司", town="周巷镇")
    make.firm("慈溪市别镇导出有限公司", town="龙山镇")
    make.session.commit()
    login("staff")
    resp = client.get(f"/firms/export?town={make.town('周巷镇').id}&sort=capital&dir=desc")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    ws = load_workbook(BytesIO(resp.data))["企业名单"]
    rows = list(ws.iter_rows(values_only=True))
    assert "企业名单" in rows[0][0]
    header = list(rows[1])
    assert header[:10] == ["序号", "企业名称", "统一社会信用代码", "所在镇（街道）", "区域", "所属产业",
                           "成立日期", "注册资本（万元）", "规上", "状态"]
    data = [r for r in rows[2:] if isinstance(r[0], int)]
    assert [r[1] for r in data][0] == "慈溪市导出测试电器有限公司"  # capital descending
    assert len(data) == 2 and all("别镇" not in r[1] for r in data)
    first = ws.cell(row=3, column=3)
    assert first.value == firm.uscc and first.data_type == "s" and first.number_format == "@"
    founded = ws.cell(row=3, column=7)
    assert isinstance(founded.value, datetime) and founded.value.date() == date(2008, 6, 18)
    assert founded.number_format == "yyyy-mm-dd"
    capital = ws.cell(row=3, column=8)
    assert capital.value == pytest.approx(1200.5) and "0.00" in capital.number_format
    assert ws.cell(row=3, column=9).value == "是"
    phone = ws.cell(row=3, column=header.index("联系电话") + 1)
    assert phone.value == "057463000000" and phone.data_type == "s"
    formula = ws.cell(row=4, column=2)
    assert formula.data_type == "s" and formula.value.startswith("=HYPERLINK")  # text, not a formula
    footnote = " ".join(str(r[0]) for r in rows if r[0] and "筛选条件" in str(r[0]))
    assert "镇（街道）：周巷镇" in footnote


def test_town_officer_export_holds_only_their_firms(client, login, make):
    make.firm("慈溪市本镇导出有限公司", town="周巷镇")
    make.firm("慈溪市外镇导出有限公司", town="龙山镇")
    make.session.commit()
    login("town", towns=["周巷镇"])
    ws = load_workbook(BytesIO(client.get("/firms/export").data)).active
    names = [c.value for c in ws["B"]]
    assert "慈溪市本镇导出有限公司" in names and "慈溪市外镇导出有限公司" not in names
