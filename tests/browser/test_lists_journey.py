"""A clerk builds the second 雏鹰 batch of 2016: a new draft list → 资格筛选 ticks the firms that
meet the criteria → add them → 公示 with dates → publish once the notice period is over →
download the official workbook and read it back."""
from __future__ import annotations

import re

from openpyxl import load_workbook

from tests.browser.conftest import STAFF_PASSWORD, assert_accessible, flash, make_user, shoot, sign_in

TITLE = "2016年度慈溪市创新型“雏鹰”企业名单（第二批）"


def test_tier_list_from_screening_to_published_workbook(new_page, live_server, tmp_path):
    from playwright.sync_api import expect

    username = make_user(live_server, "staff", display_name="名单经办人")
    page = new_page()
    sign_in(page, username, STAFF_PASSWORD)

    page.get_by_role("navigation").get_by_role("link", name="培育名单").click()
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    shoot(page, "lists-01-index")

    # A new draft list.
    page.goto("/lists/new")
    page.get_by_label("认定类别").select_option(label="雏鹰企业")
    page.get_by_label("年度").fill("2016")
    page.get_by_label("批次").fill("第二批")
    page.get_by_label("文号").fill("慈科〔2016〕99号")
    page.get_by_role("button", name="创建名单").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("第二批")
    flash(page, "名单已创建")
    expect(page.locator("h1 + .badge")).to_have_text("草稿")

    # 资格筛选: the firms that meet the criteria come ticked.
    page.get_by_role("link", name="资格筛选").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2016年度雏鹰企业资格筛选")
    summary = page.get_by_text(re.compile(r"共 \d+ 家在营企业"))
    expect(summary).to_be_visible()
    passing = int(re.search(r"符合 (\d+) 家", summary.inner_text()).group(1))
    assert passing >= 1
    ticked = page.locator("table.screening-table tbody input[type=checkbox]:checked")
    assert ticked.count() >= 1
    expect(page.get_by_label("将勾选的企业加入")).to_contain_text("第二批")
    shoot(page, "lists-02-screening")
    assert_accessible(page, "screening with the add-to-list form")
    page.get_by_role("button", name="加入名单").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("第二批")
    added_flash = flash(page, "已加入名单").inner_text()
    added = int(re.search(r"已加入名单 (\d+) 家", added_flash).group(1))
    assert added >= 1
    entries = page.locator("section[aria-labelledby=sec-entries] table tbody tr")
    expect(entries).to_have_count(added)
    first_name = entries.first.locator("td").nth(1).locator("a").inner_text()

    # 公示: a notice period already over (the registry's demo year is 2016).
    page.get_by_label("公示开始").fill("2016-11-18")
    page.get_by_label("公示结束").fill("2016-11-24")
    page.get_by_role("button", name="开始公示").click()
    flash(page, "名单已进入公示")
    expect(page.locator("h1 + .badge")).to_have_text("公示中")
    expect(page.get_by_text("公示已结束")).to_be_visible()
    shoot(page, "lists-03-notice")
    assert_accessible(page, "tier list in notice, with the objection form")

    # Publish.
    page.get_by_role("button", name="发布名单").click()
    flash(page, f"已为{added}家企业生成认定记录")
    expect(page.locator("h1 + .badge")).to_have_text("已发布")
    expect(page.get_by_role("button", name="发布名单")).to_have_count(0)
    shoot(page, "lists-04-published")

    # The official workbook, as the bureau sends it out.
    with page.expect_download() as info:
        page.get_by_role("link", name="下载正式名单").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "official.xlsx"
    download.save_as(path)
    ws = load_workbook(path).worksheets[0]
    assert "雏鹰" in str(ws["A1"].value)
    names = [ws.cell(row=r, column=2).value for r in range(3, 3 + added)]
    assert names[0] == first_name and all(names)
    footer = [c.value for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("注：")]
    assert footer and f"共{added}家" in footer[0]

    # The firm's 档案 now shows the recognition the publish created.
    page.get_by_role("link", name=first_name).first.click()
    expect(page.get_by_role("heading", level=1, name=first_name)).to_be_visible()
    expect(page.locator("section[aria-labelledby=sec-rec]")).to_contain_text("雏鹰")
