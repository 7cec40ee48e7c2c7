"""Several browsers in one test: each request starts without a signed-in user cached.

The suite holds one application context for a whole test, and a request reuses an app
context that is already pushed, so Flask-Login's per-request cache (``g._login_user``)
would carry one client's user into another client's request. In production every request
has its own context; this makes the test clients behave the same way.
"""
import pytest
from flask import g, request_started


def _forget_user(sender, **extra):
    g.pop("_login_user", None)


@pytest.fixture(autouse=True)
def _one_user_per_request(app):
    request_started.connect(_forget_user, app)
    yield
    request_started.disconnect(_forget_user, app)
