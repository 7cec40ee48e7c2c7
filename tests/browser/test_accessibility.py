"""Accessibility basics on the main pages: axe-core (run inside the page) finds no serious or
critical violation — inputs without labels, contrast too low to read, buttons without a
name, broken ARIA — and the main actions can be reached and used from the keyboard alone.

Each page is also photographed at both widths, so the pages no journey passes through
(institutions, teams, the innovation archive) are looked at too."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.conftest import (
    STAFF_PASSWORD, axe_violations, describe_violations, make_user, shoot, sign_in,
)


def _ids(live) -> dict:
    from registry.awards.models import Award
    from registry.credit.models import CreditLoan
    from registry.firms.models import Firm
    from registry.institutions.models import RdInstitution
    from registry.lists.models import TierList
    from registry.projects.models import Project
    from registry.teams.models import Team
    from registry.vouchers.models import VoucherApplication

    def first(model):
        return session.scalar(select(model.id).order_by(model.id))

    with live.session() as session:
        return {
            "firm": session.scalar(select(Firm.id).join(RdInstitution).order_by(Firm.id)),
            "list": session.scalar(select(TierList.id).where(TierList.status == "published").order_by(TierList.id)),
            "institution": first(RdInstitution), "team": first(Team), "project": first(Project),
            "award": first(Award), "voucher": first(VoucherApplication), "loan": first(CreditLoan),
        }


def _firm_user(live) -> str:
    """A firm account on a demo firm with institutions and data (its portal home is full)."""
    from registry.firms.models import Firm
    from registry.institutions.models import RdInstitution
    from tests.factories import Factory

    from registry.auth.models import User

    with live.session() as session:
        firm = session.scalars(select(Firm).join(RdInstitution).order_by(Firm.id.desc())).first()
        if session.scalar(select(User.id).where(User.username == firm.uscc)) is None:
            Factory(session).user(role="firm", username=firm.uscc, password=STAFF_PASSWORD, firm=firm)
            session.commit()
        return firm.uscc


PAGES = [
    ("login", None, "/auth/login"),
    ("firm-list", "staff", "/firms/"),
    ("dossier", "staff", "/firms/{firm}"),
    ("import", "staff", "/excel/"),
    ("lists", "staff", "/lists/"),
    ("tier-list", "staff", "/lists/{list}"),
    ("screening", "staff", "/lists/screening"),
    ("dashboard", "viewer", "/stats/"),
    ("portal-home", "firm", "/portal/"),
    ("portal-annual", "firm", "/portal/annual"),
    ("institutions", "staff", "/institutions/"),
    ("institution", "staff", "/institutions/{institution}"),
    ("teams", "staff", "/teams/"),
    ("team", "staff", "/teams/{team}"),
    ("review-queue", "staff", "/portal/review/"),
    ("projects", "staff", "/projects/"),
    ("project", "staff", "/projects/{project}"),
    ("awards", "staff", "/awards/"),
    ("award", "staff", "/awards/{award}"),
    ("vouchers", "staff", "/vouchers/"),
    ("voucher", "staff", "/vouchers/{voucher}"),
    ("credit", "staff", "/credit/"),
    ("loan", "staff", "/credit/{loan}"),
]


@pytest.mark.parametrize("name,role,path", PAGES, ids=[p[0] for p in PAGES])
def test_no_serious_axe_violations(new_page, live_server, name, role, path):
    from playwright.sync_api import expect

    page = new_page()
    if role == "firm":
        sign_in(page, _firm_user(live_server), STAFF_PASSWORD)
    elif role:
        sign_in(page, make_user(live_server, role), STAFF_PASSWORD)
    response = page.goto(path.format(**_ids(live_server)))
    assert response.status == 200, (path, response.status)
    expect(page.locator("h1").first).to_be_visible()
    if name == "dashboard":
        page.wait_for_function("() => document.querySelectorAll('.chart canvas').length >= 6")
    violations = axe_violations(page)
    shoot(page, f"a11y-{name}")
    assert not violations, f"{name}: {len(violations)} serious/critical axe violations\n" + describe_violations(violations)


def test_keyboard_only_sign_in_and_navigation(new_page, live_server):
    """Sign in and reach the import page without touching the mouse."""
    from playwright.sync_api import expect

    username = make_user(live_server, "staff")
    page = new_page()
    page.goto("/auth/login")
    # The username field has focus on arrival (autofocus).
    expect(page.get_by_label("用户名")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("密码", exact=True)).to_be_focused()
    page.keyboard.type(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="企业库")).to_be_visible()

    # Tab through the page: every stop is visible and shows a focus ring, and the nav
    # reaches 数据导入.
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const el = document.activeElement;
            const s = getComputedStyle(el);
            return { text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim(),
                     visible: !!(el.offsetWidth || el.offsetHeight),
                     ring: s.outlineStyle !== 'none' || s.boxShadow !== 'none' }; }""")
        assert focused["visible"], focused
        assert focused["ring"], f"no visible focus indicator on {focused['text']!r}"
        if focused["text"] == "数据导入":
            break
    else:
        pytest.fail("数据导入 is not reachable with Tab from the firm list")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="数据导入")).to_be_visible()

    # The 系统管理 dropdown opens from the keyboard and its items can be chosen.
    toggle = page.get_by_role("button", name="系统管理").or_(page.get_by_role("link", name="系统管理"))
    toggle.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="操作日志")).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(__import__("re").compile(r"/audit/"))
