"""The import pages end to end through the test client: upload → preview → confirm, the error
workbook, templates, refusals and access."""
from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from registry.excel.models import ImportBatch, ImportMapping
from registry.firms.models import Firm
from tests.excel.test_exporter import check_dirty_error_workbook

pytest.importorskip("registry.excel.services")

SAMPLES = Path(__file__).resolve().parents[2] / "imports" / "samples"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048


def text(resp) -> str:
    return resp.get_data(as_text=True)


def upload(client, data: bytes | Path, name: str | None = None, **fields):
    if isinstance(data, Path):
        name, data = name or data.name, data.read_bytes()
    form = {"file": (io.BytesIO(data), name), **fields}
    return client.post("/excel/upload", data=form, content_type="multipart/form-data")


def batch_path(resp) -> str:
    assert resp.status_code == 302, text(resp)[:2000]
    location = resp.headers["Location"]
    assert re.search(r"/excel/\d+$", location), location
    return location


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def counts_in(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', page)}


def flashes(page: str) -> list[str]:
    return re.findall(r'<div class="alert alert-\w+" role="alert">(.*?)</div>', page, re.S)


def test_only_staff_and_admin_may_import(client, login, make):
    assert client.get("/excel/").status_code == 302  # anonymous → login
    login("town", towns=["周巷镇"])
    for path in ["/excel/", "/excel/templates/firms.xlsx"]:
        assert client.get(path).status_code == 403
    assert upload(client, SAMPLES / "firms_roster_2016.xlsx").status_code == 403
    client.post("/auth/logout")
    login("firm", firm=make.firm())
    assert client.get("/excel/").status_code == 403
    client.post("/auth/logout")
    login("viewer")
    assert client.get("/excel/").status_code == 403
    assert count(make.session, ImportBatch) == 0


def test_index_links_templates_and_nav(client, login):
    login("staff")
    page = text(client.get("/excel/"))
    assert "上传并预览" in page and "还没有导入记录" in page
    assert 'href="/excel/"' in page and "数据导入" in page  # the nav item
    assert "/excel/templates/firms.xlsx" in page and "/static/excel.js" in page
    resp = client.get("/excel/templates/firms.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    disposition = resp.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "企业名录导入模板.xlsx"
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames[:2] == ["企业名录", "填写说明"]
    assert client.get("/excel/templates/nothing.xlsx").status_code == 404


def test_dirty_roster_flow(client, login, make):
    login("staff")
    path = batch_path(upload(client, SAMPLES / "firms_roster_dirty.xlsx"))
    page = text(client.get(path))
    assert counts_in(page) == {"new": 17, "updated": 0, "unchanged": 0, "error": 8}
    assert "识别结果" in page and "企业名录" in page and "第 3 行" in page  # the header row found
    rows = [int(n) for n in re.findall(r'<td class="text-end font-monospace">(\d+)</td>', page)]
    assert rows == [6, 9, 12, 15, 18, 21, 24, 27]  # errors shown first, with Excel's row numbers
    assert "慈溪镇" in page and "三百万" in page and "仅导入无误的行" in page

    resp = client.post(path + "/confirm", data={})
    assert resp.status_code == 302
    page = text(client.get(path))
    assert any("错误" in f for f in flashes(page)), flashes(page)
    assert count(make.session, Firm) == 0
    assert make.session.get(ImportBatch, int(path.rsplit("/", 1)[1])).status == "preview"

    resp = client.get(path + "/errors.xlsx")
    assert resp.status_code == 200
    assert unquote(resp.headers["Content-Disposition"]).endswith("firms_roster_dirty_错误清单.xlsx")
    check_dirty_error_workbook(resp.data)
    everything = load_workbook(io.BytesIO(client.get(path + "/errors.xlsx?all=1").data))["企业名录"]
    assert everything.max_row == 2 + 25

    resp = client.post(path + "/confirm", data={"valid_only": "y"})
    assert resp.status_code == 302
    page = text(client.get(path))
    assert any("新增 17 条" in f for f in flashes(page)), flashes(page)
    assert count(make.session, Firm) == 17
    make.session.expire_all()
    batch = make.session.get(ImportBatch, int(path.rsplit("/", 1)[1]))
    assert batch.status == "applied" and batch.valid_only and batch.created_count == 17
    assert client.get(path + "/errors.xlsx").status_code == 404  # the file is gone once applied
    assert client.post(path + "/confirm", data={}).status_code == 302  # a second confirm …
    assert count(make.session, Firm) == 17  # … writes nothing


def test_clean_roster_then_reimport_is_all_unchanged(client, login, make):
    login("admin")
    path = batch_path(upload(client, SAMPLES / "firms_roster_2016.xlsx"))
    page = text(client.get(path))
    assert counts_in(page) == {"new": 140, "updated": 0, "unchanged": 0, "error": 0}
    assert "仅导入无误的行" not in page
    client.post(path + "/confirm", data={})
    page = text(client.get(path))
    assert any("新增 140 条" in f for f in flashes(page))
    assert "已导入" in page and count(make.session, Firm) == 140

    again = batch_path(upload(client, SAMPLES / "firms_roster_2016.xlsx"))
    page = text(client.get(again))
    assert counts_in(page) == {"new": 0, "updated": 0, "unchanged": 140, "error": 0}
    assert "未变" in page
    client.post(again + "/confirm", data={})
    assert any("未变 140 条" in f for f in flashes(text(client.get(again))))
    listing = text(client.get("/excel/"))
    assert listing.count("firms_roster_2016.xlsx") == 2


def test_refused_files_write_nothing(client, login, make):
    login("staff")
    for data, name, expect in [(XLS_MAGIC, "名单.xlsx", "另存为"), (b"", "空.xlsx", ""),
                               (b"\x00\x01garbage" * 50, "乱码.xlsx", "")]:
        resp = upload(client, data, name)
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/excel/")
        messages = flashes(text(client.get("/excel/")))
        assert messages and re.search(r"[\u4e00-\u9fff]", messages[0]), messages
        assert expect in messages[0]
    assert count(make.session, ImportBatch) == 0 and count(make.session, Firm) == 0
    resp = client.post("/excel/upload", data={}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "请选择要上传的文件" in text(resp)


def test_oversized_upload_is_refused(app, client, login, make):
    login("staff")
    assert "不超过 20 MB" in text(client.get("/excel/"))
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        resp = upload(client, SAMPLES / "firms_roster_2016.xlsx")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert resp.status_code == 413 and "文件过大" in text(resp)
    assert count(make.session, ImportBatch) == 0


def test_foreign_and_malformed_batch_ids_are_404(client, login):
    login("staff")
    for path in ["/excel/999999", "/excel/abc", "/excel/1%20OR%201=1", "/excel/999999/errors.xlsx"]:
        resp = client.get(path)
        assert resp.status_code == 404 and "不存在" in text(resp)
    assert client.post("/excel/999999/confirm", data={}).status_code == 404
    assert client.post("/excel/abc/discard", data={}).status_code == 404


def test_discard(client, login, make):
    login("staff")
    path = batch_path(upload(client, SAMPLES / "chuying_2016.xlsx"))
    page = text(client.get(path))
    assert "认定名单" in page and "雏鹰" in page and "关于公布2016年度" in page  # inferred, and from where
    resp = client.post(path + "/discard", data={})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/excel/")
    assert "已放弃" in text(client.get("/excel/"))
    page = text(client.get(path))
    assert "已放弃" in page and "确认导入" not in page


def test_preview_needs_no_process_state(client, login, make, database_url):
    """A second app instance on the same database serves the preview and the confirm."""
    from config import TestConfig
    from registry import create_app

    user = login("staff")
    path = batch_path(upload(client, SAMPLES / "firms_roster_dirty.xlsx"))

    class Second(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    other = create_app(Second)
    other_client = other.test_client()
    resp = other_client.post("/auth/login", data={"username": user.username, "password": "correct-horse-1"})
    assert resp.status_code == 302
    page = text(other_client.get(path))
    assert counts_in(page)["error"] == 8
    assert other_client.post(path + "/confirm", data={"valid_only": "y"}).status_code == 302
    from registry.extensions import db

    with other.app_context():
        db.engine.dispose()
    make.session.rollback()  # end this session's snapshot (REPEATABLE READ on MariaDB)
    assert count(make.session, Firm) == 17


def test_unknown_header_is_mapped_and_the_mapping_saved(client, login, make):
    from tests.factories import next_uscc

    login("staff")
    wb = Workbook()
    ws = wb.active
    ws.title = "企业名录"
    ws.append(["企业名称", "统一社会信用代码", "成立日期", "办公电话"])
    ws.append(["慈溪市映射测试电器有限公司", next_uscc(), "2016-01-05", "0574-63000001"])
    ws.append(["慈溪市映射测试五金有限公司", next_uscc(), "2016-02-05", "0574-63000002"])
    data = io.BytesIO()
    wb.save(data)
    path = batch_path(upload(client, data.getvalue(), "补报名录.xlsx", kind="firms"))
    page = text(client.get(path))
    assert "以下列未能识别" in page and "办公电话" in page and "0574-63000001" in page
    resp = client.post(path + "/mapping", data={"map-0-0": "phone", "save": "1"})
    assert resp.status_code == 302
    page = text(client.get(path))
    assert "以下列未能识别" not in page and "保存了此映射" in page
    assert count(make.session, ImportMapping) == 1
    make.session.expire_all()
    batch = make.session.get(ImportBatch, int(path.rsplit("/", 1)[1]))
    assert batch.options["mapping"] == {"企业名录": {"办公电话": "phone"}}

    again = batch_path(upload(client, data.getvalue(), "补报名录2.xlsx", kind="firms"))
    assert "以下列未能识别" not in text(client.get(again))  # the saved map applies by itself


def test_fixed_error_workbook_can_be_sent_back(client, login, make):
    """The sender fixes cells in the error workbook and uploads it as it is."""
    login("staff")
    path = batch_path(upload(client, SAMPLES / "firms_roster_dirty.xlsx"))
    wb = load_workbook(io.BytesIO(client.get(path + "/errors.xlsx").data))
    ws = wb["企业名录"]
    col = {c.value: c.column for c in ws[2]}
    fixes = {"所在镇（街道）": ("慈溪镇", "周巷镇"), "成立日期": (None, "2011-06-18")}
    for row in ws.iter_rows(min_row=3):
        capital = row[col["注册资本（万元）"] - 1]
        if capital.value in (-500, "三百万"):
            capital.value = 300
        for header, (old, new) in fixes.items():
            cell = row[col[header] - 1]
            if cell.fill.fill_type == "solid" and (old is None or cell.value == old):
                cell.value = new
    out = io.BytesIO()
    wb.save(out)
    again = batch_path(upload(client, out.getvalue(), "firms_roster_dirty_错误清单.xlsx"))
    page = text(client.get(again))
    # 4 fixed rows, and the duplicate-code row: its twin (Excel row 5) is not in this file
    assert counts_in(page) == {"new": 5, "updated": 0, "unchanged": 0, "error": 3}
    assert "__ignore__" not in page  # the 错误原因 column is ours: nothing to map
    rows = [int(n) for n in re.findall(r'<td class="text-end font-monospace">(\d+)</td>', page)]
    assert rows == [3, 4, 6]  # the two bad codes and the missing name, at their new row numbers
