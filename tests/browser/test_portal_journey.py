"""A firm joins the portal and files its annual data: the bureau opens its account and reads
the one-time activation code off the screen → the firm (in its own browser) activates with
it, signs in, fills in last year's figures and submits → the bureau accepts them from the
待审核 queue → the firm sees 已确认."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.browser.conftest import STAFF_PASSWORD, assert_accessible, flash, make_user, shoot, sign_in

FIRM_PASSWORD = "Qiye-mima-2016"
FIGURES = {"营业收入（万元）": "5000", "研发费用（万元）": "250", "职工人数（人）": "200",
           "研发人员（人）": "30", "发明专利（件）": "3"}


def _firm_without_account(live):
    from registry.auth.models import User
    from registry.firms.models import Firm

    with live.session() as session:
        firm = session.scalars(select(Firm).where(Firm.status == "active", Firm.id.not_in(
            select(User.firm_id).where(User.firm_id.is_not(None)))).order_by(Firm.id.desc())).first()
        return firm.name, firm.uscc


def test_firm_activation_annual_submit_and_staff_accept(new_page, live_server):
    from playwright.sync_api import expect

    name, uscc = _firm_without_account(live_server)
    staff_name = make_user(live_server, "staff", display_name="门户审核员")

    # The bureau opens the account; the code is on the screen once.
    bureau = new_page()
    sign_in(bureau, staff_name, STAFF_PASSWORD)
    bureau.get_by_role("navigation").get_by_role("link", name="待审核").click()
    bureau.get_by_role("link", name="企业账号").click()
    bureau.get_by_label("企业统一社会信用代码").fill(uscc)
    bureau.get_by_role("button", name="开通并生成激活码").click()
    expect(bureau.get_by_role("heading", name="已开通企业账号")).to_be_visible()
    row = bureau.locator("table tbody tr").filter(has_text=uscc)
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", row.inner_text()).group(0)
    shoot(bureau, "portal-01-code")
    assert_accessible(bureau, "activation code page")

    # The firm activates in its own browser, from the link on the login page.
    firm = new_page()
    firm.goto("/auth/login")
    firm.get_by_role("link", name="激活账号").click()
    firm.get_by_label("统一社会信用代码").fill(uscc.lower())  # as typed, in lower case
    firm.get_by_label("激活码").fill(code)
    firm.get_by_label("设置密码").fill(FIRM_PASSWORD)
    firm.get_by_label("确认密码").fill(FIRM_PASSWORD)
    shoot(firm, "portal-02-activate")
    assert_accessible(firm, "activation form")
    firm.get_by_role("button", name=re.compile("激活")).click()
    flash(firm, "账号已激活")

    sign_in(firm, uscc, FIRM_PASSWORD)
    expect(firm).to_have_url(re.compile(r"/portal/$"))
    expect(firm.get_by_text(name).first).to_be_visible()
    expect(firm.get_by_role("navigation").get_by_role("link", name="企业库")).to_have_count(0)
    shoot(firm, "portal-03-home")

    # Last year's figures, submitted.
    firm.get_by_role("navigation").get_by_role("link", name="年度数据").click()
    expect(firm.get_by_role("heading", level=1, name="年度数据")).to_be_visible()
    first_year = firm.locator("ul.list-group li").first
    year = re.search(r"(\d{4})年度", first_year.inner_text()).group(1)
    first_year.get_by_role("link", name="填报").click()
    expect(firm.get_by_role("heading", level=1)).to_contain_text(f"{year}年度数据")
    for label, value in FIGURES.items():
        firm.get_by_label(label).fill(value)
    firm.get_by_role("button", name="提交审核").click()
    # Two required figures are missing: the form says so next to each, keeps what was typed.
    expect(firm.locator("#err-total_cost")).to_have_text("提交前请填写")
    expect(firm.locator("#err-tech_staff")).to_have_text("提交前请填写")
    expect(firm.get_by_label("营业收入（万元）")).to_have_value("5000")
    expect(firm.get_by_text("研发强度（研发费用 ÷ 营业收入）：5.00%")).to_be_visible()
    shoot(firm, "portal-04-annual-form")
    assert_accessible(firm, "annual data form with errors")
    firm.get_by_label("成本费用总额（万元）").fill("4200")
    firm.get_by_label("科技人员（人）").fill("40")
    firm.get_by_role("button", name="提交审核").click()
    flash(firm, f"{year}年度数据已提交，待科技局审核。")
    filed = firm.locator("ul.list-group li").filter(has_text=f"{year}年度")
    expect(filed).to_contain_text("待审核")
    expect(filed).to_contain_text("研发强度 5.00%")

    # The bureau accepts it from the queue.
    bureau.get_by_role("navigation").get_by_role("link", name="待审核").click()
    annual = bureau.locator("section, .card").filter(has=bureau.get_by_role("heading", name=re.compile("^年度数据")))
    entry = annual.locator("tr").filter(has_text=name)
    expect(entry).to_have_count(1)
    entry.get_by_role("link", name="审核").click()
    expect(bureau.get_by_role("heading", level=1)).to_contain_text(name)
    expect(bureau.locator("table.portal-table")).to_contain_text("5,000.00")
    shoot(bureau, "portal-05-review")
    assert_accessible(bureau, "annual data review")
    bureau.get_by_role("button", name="确认（用于名单筛选）").click()
    flash(bureau, f"{year}年度数据已确认。")

    # The firm sees the outcome.
    firm.reload()
    expect(firm.locator("ul.list-group li").filter(has_text=f"{year}年度")).to_contain_text("已确认")
