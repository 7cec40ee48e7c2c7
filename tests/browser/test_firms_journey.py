"""The first day at the bureau: the admin signs in with the one-time password ``flask users
ensure-admin`` printed, must set their own, searches the firm list, opens a 档案 and edits
it — and when a colleague saved the same version first, sees the conflict panel instead of
silently overwriting their colleague's change."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.browser.conftest import PHONE, SCREENS, assert_accessible, ensure_admin_ready, flash, shoot


def _demo_firm(live):
    """A demo firm with an R&D institution and a team: a 档案 with something in every part."""
    from registry.firms.models import Firm
    from registry.institutions.models import RdInstitution
    from registry.teams.models import Team

    with live.session() as session:
        firm = session.scalars(select(Firm).join(RdInstitution).join(Team, Team.firm_id == Firm.id)
                               .where(Firm.status == "active").order_by(Firm.id)).first()
        return firm.id, firm.name, firm.uscc


def _firm_count(live) -> int:
    from sqlalchemy import func

    from registry.firms.models import Firm

    with live.session() as session:
        return session.scalar(select(func.count(Firm.id)))


def test_admin_first_login_search_dossier_and_edit_conflict(new_page, live_server):
    from playwright.sync_api import expect

    firm_id, name, uscc = _demo_firm(live_server)
    page = new_page()

    # The login page itself.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/auth/login"))
    expect(page.get_by_role("heading", name="创新型企业培育库")).to_be_visible()
    shoot(page, "firms-01-login")

    # One-time password → forced change → the firm list.
    ensure_admin_ready(page, live_server)
    page.goto("/firms/")
    expect(page.get_by_role("heading", name="企业库")).to_be_visible()
    expect(page.get_by_text(f"共 {_firm_count(live_server)} 家企业")).to_be_visible()
    assert page.locator("table.firm-table tbody tr").count() == 20  # one page
    shoot(page, "firms-02-list")

    # Search by part of the name: the firm is in the result, the count shrinks.
    fragment = name[3:9]
    page.get_by_label("名称 / 信用代码").fill(fragment)
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"[?&]q="))
    rows = page.locator("table.firm-table tbody tr")
    expect(rows.filter(has_text=name)).to_have_count(1)
    assert rows.count() < 20
    # … and by the last digits of the credit code.
    page.get_by_label("名称 / 信用代码").fill(uscc[-8:].lower())
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_text("共 1 家企业")).to_be_visible()
    shoot(page, "firms-03-search")

    # The 档案 page.
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    for section in ["基本信息", "认定与培育记录", "研发机构", "科技创新团队", "年度数据"]:
        expect(page.get_by_role("heading", name=section, exact=False).first).to_be_visible()
    expect(page.get_by_text(uscc).first).to_be_visible()
    shoot(page, "firms-04-dossier")

    # Two edits of the same version: a colleague (second tab) saves first.
    page.get_by_role("link", name="修改信息").click()
    expect(page.get_by_role("heading", name=re.compile("修改企业信息"))).to_be_visible()
    colleague = page.context.new_page()
    colleague.goto(f"/firms/{firm_id}/edit")
    colleague.get_by_label("联系人").fill("同事甲")
    colleague.get_by_label("法定代表人").fill("王同事")
    colleague.get_by_role("button", name="保存修改").click()
    expect(colleague.get_by_role("heading", level=1, name=name)).to_be_visible()
    flash(colleague, "已保存。")
    colleague.close()

    page.get_by_label("联系人").fill("管理员乙")
    page.get_by_label("联系电话").fill("0574-63001234")
    page.get_by_role("button", name="保存修改").click()
    panel = page.locator(".alert-warning").filter(has_text="保存失败：在您编辑期间，该记录已被他人修改")
    expect(panel).to_be_visible()
    conflict_rows = panel.locator("table.conflict-table tbody tr")
    contact = conflict_rows.filter(has_text="联系人")
    expect(contact).to_have_class(re.compile("table-warning"))  # both changed it: highlighted
    expect(contact).to_contain_text("同事甲")
    expect(conflict_rows.filter(has_text="法定代表人")).to_contain_text("已采用现在的值")
    # The form keeps what I typed, and took the colleague's other change.
    expect(page.get_by_label("联系人")).to_have_value("管理员乙")
    expect(page.get_by_label("法定代表人")).to_have_value("王同事")
    shoot(page, "firms-05-conflict")
    assert_accessible(page, "edit form with the conflict panel")

    # Saving again, deliberately, succeeds and the 档案 shows both changes.
    page.get_by_role("button", name="保存修改").click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    flash(page, "已保存。")
    profile = page.locator("dl.profile")
    expect(profile).to_contain_text("管理员乙")
    expect(profile).to_contain_text("王同事")
    expect(profile).to_contain_text("0574-63001234")

    # The menus: at 1366 the 创新档案 dropdown opens under its toggle and stays on screen;
    # on a phone the collapsed menu opens from its button and shows every item.
    page.get_by_role("navigation").get_by_role("button", name="创新档案").click()
    archive = page.locator("nav .dropdown-menu.show")
    expect(archive).to_be_visible()
    box = archive.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1366, box
    page.screenshot(path=str(SCREENS / "firms-06-archive-menu-1366.png"))
    page.keyboard.press("Escape")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="展开菜单").click()
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))  # the slide-down has ended
    for item in ["企业库", "研发机构", "创新团队", "培育名单", "统计分析", "数据导入", "待审核"]:
        expect(page.locator("#mainnav").get_by_role("link", name=item, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    page.screenshot(path=str(SCREENS / "firms-07-phone-menu-390.png"))
