"""The guards every browser test relies on actually bite: a request to another host is
aborted and recorded (so a CDN link slipping into a template fails the journeys), and a
JavaScript error on a page is caught."""
from __future__ import annotations

import pytest


def test_a_request_off_this_machine_is_aborted_and_recorded(new_page, watch):
    from playwright.sync_api import Error

    page = new_page()
    page.goto("/auth/login")
    with pytest.raises(Error):
        page.goto("http://192.0.2.10/cdn/bootstrap.min.css")  # TEST-NET-1: never routable
    assert watch.outside == ["http://192.0.2.10/cdn/bootstrap.min.css"]
    assert watch.problems() == ["request left 127.0.0.1: http://192.0.2.10/cdn/bootstrap.min.css"]
    watch.outside.clear()  # seen; the fixture's end-of-test check would fail the test otherwise


def test_a_page_error_is_recorded(new_page, watch):
    page = new_page()
    page.goto("/auth/login")
    page.evaluate("() => { setTimeout(() => { throw new Error('boom from a page script'); }, 0); }")
    for _ in range(50):  # the event crosses from the browser asynchronously
        if any("boom from a page script" in e for e in watch.errors):
            break
        page.wait_for_timeout(20)
    assert any("boom from a page script" in e for e in watch.errors), watch.errors
    watch.errors.clear()
