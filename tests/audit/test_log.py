"""The global audit log: filters, pagination, the entry page and the Excel export."""
from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from registry.audit.services import AuditFilter, record, search
from registry.firms.models import FirmName


def text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def log(make):
    """Three people's entries over three days about two firms (times are UTC)."""
    clerk = make.user("staff", username="clerk", display_name="科技局张三")
    officer = make.user("town", username="officer", display_name="浒山联络员", towns=["浒山街道"])
    a = make.firm("慈溪市甲电器有限公司")
    b = make.firm("慈溪市乙机械有限公司", town="周巷镇")
    a.former_names.append(FirmName(name="慈溪市老甲电器厂", changed_on=date(2015, 1, 1)))

    def add(actor, action, firm, at, **kw):
        e = record(actor, action, kw.pop("entity_type", "firm"), firm.id, firm_id=firm.id, **kw)
        e.at = at
        return e

    entries = {
        "create_a": add(clerk, "create", a, datetime(2016, 3, 1, 1, 0), summary="新建企业 慈溪市甲电器有限公司",
                        after={"name": a.name, "phone": "0574-111"}),
        # 2016-03-01 23:30 UTC is 2016-03-02 07:30 in Beijing
        "update_a": add(officer, "update", a, datetime(2016, 3, 1, 23, 30), summary="修改企业 慈溪市甲电器有限公司",
                        before={"phone": "0574-111", "address": "浒山街道某路1号"},
                        after={"phone": "0574-222", "address": "浒山街道新路8号"}),
        "create_b": add(None, "import", b, datetime(2016, 3, 3, 2, 0), summary="导入：新增企业 慈溪市乙机械有限公司",
                        after={"name": b.name, "registered_capital": "=1+2"}),
        "rec_b": add(clerk, "revoke", b, datetime(2016, 3, 3, 3, 0), entity_type="recognition",
                     summary="撤销认定", before={"status": "valid"}, after={"status": "revoked",
                                                                      "revoke_reason": "弄虚作假"}),
    }
    make.session.commit()
    return {"clerk": clerk, "officer": officer, "a": a, "b": b, **entries}


def _ids(ctx, **kw):
    return [e.id for e in ctx.scalars(search(AuditFilter(**kw)))]


def test_search_filters(ctx, log):
    e = log
    assert _ids(ctx) == [e["rec_b"].id, e["create_b"].id, e["update_a"].id, e["create_a"].id]
    # the day boundary is Beijing's: the 23:30 UTC edit belongs to 2016-03-02
    assert _ids(ctx, date_from=date(2016, 3, 2), date_to=date(2016, 3, 2)) == [e["update_a"].id]
    assert _ids(ctx, date_to=date(2016, 3, 1)) == [e["create_a"].id]
    assert _ids(ctx, date_from=date(2016, 3, 3)) == [e["rec_b"].id, e["create_b"].id]
    assert _ids(ctx, user_id=e["officer"].id) == [e["update_a"].id]
    assert _ids(ctx, action="import") == [e["create_b"].id]
    assert _ids(ctx, entity_type="recognition") == [e["rec_b"].id]
    assert _ids(ctx, firm="甲电器") == [e["update_a"].id, e["create_a"].id]
    assert _ids(ctx, firm="老甲") == [e["update_a"].id, e["create_a"].id]  # former name
    assert _ids(ctx, firm=e["b"].uscc.lower()) == [e["rec_b"].id, e["create_b"].id]
    assert _ids(ctx, text="新路8号") == [e["update_a"].id]  # inside the after values
    assert _ids(ctx, text="弄虚作假") == [e["rec_b"].id]
    assert _ids(ctx, text="0574-111") == [e["update_a"].id, e["create_a"].id]
    assert _ids(ctx, text="撤销") == [e["rec_b"].id]  # in the summary
    assert _ids(ctx, text="100%_") == []
    assert _ids(ctx, firm="甲电器", action="create", user_id=e["clerk"].id) == [e["create_a"].id]


@pytest.mark.parametrize("role", ["town", "viewer", "firm"])
def test_only_staff_and_admin_see_the_log(client, make, login, log, role):
    login(role, towns=["浒山街道"] if role == "town" else (), firm=log["a"] if role == "firm" else None)
    for url in ["/audit/", f"/audit/{log['create_a'].id}", "/audit/export"]:
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_log_page_shows_who_when_what_and_the_diff(client, login, log, role):
    login(role)
    page = text(client.get("/audit/"))
    assert "共 4 条记录" in page
    assert "科技局张三" in page and "浒山联络员" in page and "系统" in page
    assert "2016-03-02 07:30" in page
    assert "联系电话" in page and "0574-111" in page and "0574-222" in page
    assert "状态" in page and "有效" in page and "已撤销" in page
    assert page.index("撤销认定") < page.index("修改企业")  # newest first
    assert "慈溪市乙机械有限公司" in page


def test_log_page_filters_and_bad_input(client, login, log):
    login("staff")
    page = text(client.get("/audit/", query_string={"firm": "乙机械"}))
    assert "共 2 条记录" in page and "修改企业" not in page
    page = text(client.get("/audit/", query_string={"user": log["officer"].id}))
    assert "共 1 条记录" in page
    page = text(client.get("/audit/", query_string={"date_from": "2016-03-03", "date_to": "2016-03-01"}))
    assert "截止日期不能早于起始日期" in page
    page = text(client.get("/audit/", query_string={"date_from": "yesterday", "user": "x",
                                                    "action": "nuke", "page": "-3"}))
    assert "日期格式应为" in page
    resp = client.get("/audit/", query_string={"action": "nuke"})
    assert resp.status_code == 200 and "没有符合条件的日志记录" in text(resp)


def test_log_is_paginated(client, make, login):
    login("staff")
    firm = make.firm()
    for n in range(45):
        record(None, "update", "firm", firm.id, firm_id=firm.id, summary=f"第{n:02d}次修改")
    make.session.commit()
    first = text(client.get("/audit/"))
    assert "第44次修改" in first and "第24次修改" not in first and "下一页" in first
    third = text(client.get("/audit/?page=3"))
    assert "第00次修改" in third and "第44次修改" not in third


def test_entry_page(client, login, log):
    login("staff")
    page = text(client.get(f"/audit/{log['update_a'].id}"))
    assert "浒山联络员" in page and "officer" in page
    assert "浒山街道某路1号" in page and "浒山街道新路8号" in page and "变更前" in page
    assert "慈溪市甲电器有限公司" in page and f"/firms/{log['a'].id}" in page
    assert "同一记录的其他操作" in page and "新建企业" in page  # the firm's creation
    for bad in ("999999", "abc", "-1", "99999999999999999"):
        assert client.get(f"/audit/{bad}").status_code == 404


def test_export_the_filtered_log(client, login, log):
    login("staff")
    resp = client.get("/audit/export", query_string={"firm": "乙机械"})
    assert resp.status_code == 200
    assert "spreadsheetml" in resp.mimetype
    assert "attachment" in resp.headers["Content-Disposition"]
    book = load_workbook(BytesIO(resp.get_data()))
    ws = book.active
    rows = list(ws.iter_rows(values_only=True))
    assert "共 2 条" in rows[0][0]
    header = rows[1]
    assert header[:4] == ("时间", "操作人", "用户名", "操作")
    data = [dict(zip(header, r)) for r in rows[2:]]
    assert [d["操作"] for d in data] == ["撤销", "导入"]
    assert data[0]["时间"] == datetime(2016, 3, 3, 11, 0)  # Beijing time, a real date cell
    assert data[0]["操作人"] == "科技局张三" and data[1]["操作人"] == "系统"
    assert data[0]["对象类型"] == "认定" and data[0]["企业"] == "慈溪市乙机械有限公司"
    assert "状态：有效 → 已撤销" in data[0]["变更内容"]
    assert "撤销原因：（空） → 弄虚作假" in data[0]["变更内容"]
    # a value that looks like a formula stays text
    assert "注册资本（万元）：=1+2" in data[1]["变更内容"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert all(c.data_type == "s" for c in cells)
    everything = client.get("/audit/export")
    rows = list(load_workbook(BytesIO(everything.get_data())).active.iter_rows(values_only=True))
    assert len(rows) == 2 + 4


def test_export_reads_in_chunks_without_losing_or_repeating_entries(ctx, make):
    from registry.audit.views import _chunks

    firm = make.firm()
    same = datetime(2016, 5, 1, 8, 0)
    made = []
    for n in range(45):
        e = record(None, "update", "firm", firm.id, firm_id=firm.id, summary=f"第{n}次")
        e.at = same if n % 2 else datetime(2016, 5, 1, 8, n)
        made.append(e)
    ctx.commit()
    chunks = list(_chunks(search(AuditFilter()), size=7))
    got = [e.id for chunk in chunks for e in chunk]
    assert sorted(got) == sorted(e.id for e in made) and len(got) == len(set(got)) == 45
    assert max(len(c) for c in chunks) == 7
    keys = [(e.at, e.id) for chunk in chunks for e in chunk]
    assert keys == sorted(keys, reverse=True)
    capped = [e.id for chunk in _chunks(search(AuditFilter()), size=7, limit=10) for e in chunk]
    assert capped == got[:10]
