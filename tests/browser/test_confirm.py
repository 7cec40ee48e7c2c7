"""A destructive button asks first, on every page that has one (app.js, loaded by the base
template): dismissing the question keeps the record; accepting it deletes."""
from __future__ import annotations

from sqlalchemy import select

from tests.browser.conftest import make_user, sign_in, STAFF_PASSWORD


def test_deleting_an_award_asks_first(new_page, live_server):
    from playwright.sync_api import expect

    from registry.awards.models import Award

    with live_server.session() as session:
        award_id = session.scalar(select(Award.id).order_by(Award.id.desc()))
    page = new_page()
    sign_in(page, make_user(live_server, "staff"), STAFF_PASSWORD)
    page.goto(f"/awards/{award_id}")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator("form.js-confirm button[type=submit]").click()
    page.wait_for_timeout(300)
    assert asked == ["确定删除该奖励记录？"]
    assert page.url.endswith(f"/awards/{award_id}")
    with live_server.session() as session:
        assert session.get(Award, award_id) is not None

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form.js-confirm button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    with live_server.session() as session:
        assert session.get(Award, award_id) is None
