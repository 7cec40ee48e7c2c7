"""The access matrix: every route of the app, asked by every role, answers as declared.

Each view carries a decorator from ``registry.auth.access`` that records the roles it lets
in (``view.allowed_roles``). The first test fails when a route has none (a route left
unchecked); the second signs in as each role and requests every route: a role outside the
declared set must get 403, a role inside it must not get 403 or a server error. URL
arguments are filled from SAMPLES by name: a new kind of argument needs a sample here, so
the matrix can never silently skip a route.

Object-level scope (a town officer outside their towns, a firm user on another firm) is
tested by each area's own tests; here every sample record belongs to the town officer's
town and to the firm user's firm, so scope never hides a role decision.
"""
from __future__ import annotations

import pytest

from registry.vocab import ROLES

#: Routes anyone may reach without signing in.
PUBLIC = {"static", "auth.login"}
TOWN = "浒山街道"


def _batch(make, firm):
    from registry.excel.models import ImportBatch

    batch = ImportBatch(kind="firms", filename="名录.xlsx", sha256="0" * 64, status="discarded")
    make.session.add(batch)
    make.session.flush()
    return batch.id


def _audit_entry(make, firm):
    from registry.audit.services import record

    entry = record(None, "update", "firm", firm.id, firm_id=firm.id, summary=f"修改企业 {firm.name}",
                   before={"phone": "1"}, after={"phone": "2"})
    make.session.flush()
    return entry.id


#: URL argument name -> builder(make, firm) returning the value to put in the URL.
SAMPLES = {
    "firm_id": lambda make, firm: firm.id,
    "batch_id": _batch,
    "kind": lambda make, firm: "firms",
    "recognition_id": lambda make, firm: make.recognition(firm).id,
    "programme_id": lambda make, firm: make.programme("high_tech").id,
    "entry_id": _audit_entry,
}


@pytest.fixture
def world(make):
    """A firm in the town officer's town, and one sample value per URL argument."""
    firm = make.firm("慈溪市矩阵测试电器有限公司", town=TOWN)
    values = {name: build(make, firm) for name, build in SAMPLES.items()}
    make.session.commit()
    return firm, values


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint not in PUBLIC]


def test_every_route_declares_who_may_use_it(app):
    unchecked = [r.endpoint for r in _rules(app)
                 if not getattr(app.view_functions[r.endpoint], "allowed_roles", None)]
    assert unchecked == [], f"routes without a role decorator from registry.auth.access: {unchecked}"


def _url(app, rule, values):
    missing = [a for a in rule.arguments if a not in values]
    assert not missing, f"{rule.endpoint}: add a sample for URL argument(s) {missing} to SAMPLES"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{a: values[a] for a in rule.arguments})


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_gets_exactly_what_the_route_declares(app, make, world, role):
    firm, values = world
    user = make.user(role=role, password="correct-horse-1",
                     towns=[TOWN] if role == "town" else (), firm=firm if role == "firm" else None)
    make.session.commit()
    client = app.test_client()
    assert client.post("/auth/login", data={"username": user.username,
                                            "password": "correct-horse-1"}).status_code == 302
    wrong = []
    for rule in _rules(app):
        allowed = role in app.view_functions[rule.endpoint].allowed_roles
        url = _url(app, rule, values)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        if method != "GET" and allowed:
            continue  # what an allowed POST does is each area's own test
        resp = client.open(url, method=method)
        status = resp.status_code
        if allowed and (status == 403 or status >= 500):
            wrong.append(f"{method} {url}: {status}, but {role} is allowed")
        if not allowed and status != 403:
            wrong.append(f"{method} {url}: {status}, but {role} is not allowed (want 403)")
    assert wrong == []
