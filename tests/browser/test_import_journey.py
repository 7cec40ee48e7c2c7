"""A clerk imports a town's roster that has bad rows: upload → preview with the errors first →
download the error workbook (the browser really downloads it; openpyxl reads it) → a plain
confirm is refused → confirm only the valid rows → the new firms are in the firm list."""
from __future__ import annotations

import re
from pathlib import Path

from openpyxl import load_workbook

from tests.browser.conftest import STAFF_PASSWORD, assert_accessible, flash_texts, make_user, shoot, sign_in
from tests.excel.test_exporter import check_dirty_error_workbook

DIRTY = Path(__file__).resolve().parents[2] / "imports" / "samples" / "firms_roster_dirty.xlsx"


def _count(page, code: str) -> int:
    return int(page.locator(f'[data-count="{code}"]').inner_text())


def test_import_with_bad_rows_preview_errors_and_confirm(new_page, live_server, tmp_path):
    from playwright.sync_api import expect

    first_firm = load_workbook(DIRTY).worksheets[0]["B4"].value  # row 4: a good row
    username = make_user(live_server, "staff", display_name="导入员")
    page = new_page()
    sign_in(page, username, STAFF_PASSWORD)

    page.get_by_role("navigation").get_by_role("link", name="数据导入").click()
    expect(page.get_by_role("heading", level=1, name="数据导入")).to_be_visible()
    shoot(page, "import-01-index")

    page.get_by_label("Excel 文件", exact=True).set_input_files(DIRTY)
    page.get_by_role("button", name="上传并预览").click()
    expect(page).to_have_url(re.compile(r"/excel/\d+$"))
    expect(page.locator('[data-count="error"]')).to_have_text("8")
    assert _count(page, "new") == 17
    expect(page.get_by_text("有 8 行存在错误，整个文件暂不能导入")).to_be_visible()
    # Errors first, with the row numbers the clerk sees in Excel.
    rows = page.locator("table.row-table tbody tr")
    expect(rows.first).to_contain_text("6")
    assert page.get_by_text("三百万").count() >= 1
    shoot(page, "import-02-preview")
    assert_accessible(page, "import preview")

    # The error workbook downloads and holds exactly the bad rows.
    with page.expect_download() as info:
        page.get_by_role("link", name="下载错误清单（仅错误行）").click()
    download = info.value
    assert download.suggested_filename.endswith("firms_roster_dirty_错误清单.xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    check_dirty_error_workbook(saved.read_bytes())

    # A plain confirm is refused: nothing is written while rows are wrong.
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("main > .alert-danger").first).to_contain_text("错误")
    assert _count(page, "error") == 8

    # Only the valid rows.
    page.get_by_label("仅导入无误的行（有错误的行不导入）").check()
    page.get_by_role("button", name="确认导入").click()
    done = page.locator("main > .alert-success").filter(has_text="导入完成")
    expect(done).to_contain_text("新增 17 条")
    expect(done).to_contain_text("有错误的 8 行未导入")
    expect(page.get_by_text("已导入", exact=True).first).to_be_visible()
    shoot(page, "import-03-applied")

    # The clerk checks the result where it matters: the firm list.
    page.get_by_role("navigation").get_by_role("link", name="企业库").click()
    page.get_by_label("名称 / 信用代码").fill(first_firm)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("table.firm-table tbody tr").filter(has_text=first_firm)).to_have_count(1)
    assert not [t for t in flash_texts(page) if "错误" in t]


ROSTER = DIRTY.with_name("firms_roster_2016.xlsx")


def test_background_import_progress_reloads_into_preview_and_result(new_page, live_server):
    """With the thresholds at one byte and one row, the roster goes through the background
    path (a thread in this server): the page polls the job's status and reloads itself into
    the preview, and again after the confirm into the applied batch — no manual refresh."""
    from playwright.sync_api import expect

    first_firm = load_workbook(ROSTER).worksheets[0]["B4"].value
    config = live_server.app.config
    saved = {k: config[k] for k in ("IMPORT_BACKGROUND_BYTES", "IMPORT_BACKGROUND_ROWS")}
    config.update(IMPORT_BACKGROUND_BYTES=1, IMPORT_BACKGROUND_ROWS=1)
    try:
        username = make_user(live_server, "staff", display_name="后台导入员")
        page = new_page()
        polls = []
        page.on("request", lambda r: polls.append(r.url) if r.url.endswith("/status.json") else None)
        sign_in(page, username, STAFF_PASSWORD)
        page.goto("/excel/")
        page.get_by_label("Excel 文件", exact=True).set_input_files(ROSTER)
        page.get_by_role("button", name="上传并预览").click()
        expect(page).to_have_url(re.compile(r"/excel/\d+$"))
        # Whether the job is still running when the page arrives or already done, the
        # preview shows up by itself.
        expect(page.locator('[data-count="new"]')).to_have_text(re.compile(r"^\d+$"), timeout=60_000)
        new = _count(page, "new")
        assert new >= 100 and _count(page, "error") == 0
        shoot(page, "import-04-background-preview")

        page.get_by_role("button", name="确认导入").click()
        expect(page.locator("h1 + .badge, h1 ~ .badge").filter(has_text="已导入").first).to_be_visible(timeout=60_000)
        shoot(page, "import-05-background-applied")
        page.goto("/firms/?q=" + first_firm)
        expect(page.locator("table.firm-table tbody tr").filter(has_text=first_firm)).to_have_count(1)
        # Polling, when it happened, went to this server only (the network guard checks too).
        assert all(u.startswith(live_server.url) for u in polls)
    finally:
        config.update(saved)
