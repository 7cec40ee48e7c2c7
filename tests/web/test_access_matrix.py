"""The access matrix: every route of the app, asked by every role, answers as declared.

Each view carries a decorator from ``registry.auth.access`` that records the roles it lets
in (``view.allowed_roles``). The tests below prove, for every route the app has:

1. it declares who may use it (a route without a decorator fails the suite);
2. each role gets 403 exactly where it is not allowed, and neither 403 nor 500 where it
   is — nor 404 on a route naming a sample record (every sample lies in the town officer's
   town and belongs to the firm user's firm, so scope never hides a role decision);
3. every state-changing method (POST/PUT/PATCH/DELETE) is refused to the read-only roles
   (``viewer``, ``firm``) unless the view declares otherwise with ``allow_writes``;
4. object scope: a town officer of ANOTHER town and a firm user of ANOTHER firm get 403 or
   404 on every route that names a record (``*_id`` arguments), and no page, list, search
   or export they can open shows the out-of-scope records' names (BUREAU_WIDE declares
   the records every bureau user may read whole, with the reason);
5. the roles of the issue hold as rules over endpoints (POLICY): user administration and
   programme settings admin-only; the audit log, imports and every change to tier lists
   staff-only (town officers do not publish);
6. anonymous: every route outside PUBLIC, with every method, sends a visitor who has not
   signed in to the login page (or answers 401/403) and shows nothing of any record.

URL arguments are filled from SAMPLES by name: a new kind of argument needs a sample here,
so the matrix can never silently skip a route.
"""
from __future__ import annotations

import pytest

from registry.auth.access import READ_ONLY_ROLES
from registry.vocab import ROLES

#: Routes anyone may reach without signing in.
PUBLIC = {"static", "auth.login", "auth.activate"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: Records every bureau user may read whole, whatever their towns (the town officer's
#: scope does not apply to GETs naming them; writes and firm users are still checked).
BUREAU_WIDE = {
    "list_id": "tier lists are public documents (registry/lists/services.get_list_for)",
}
#: Routes whose sample may rightly answer 404 to an allowed role, and why.
MAY_BE_ABSENT = {
    "excel.errors": "the sample batch has no row errors, so there is no error workbook",
}
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
    # R&D institutions and teams: builders live in tests/institutions/builders.py
    "institution_id": lambda make, firm: __import__(
        "tests.institutions.builders", fromlist=["_"]).sample_institution(make, firm),
    "team_id": lambda make, firm: __import__("tests.institutions.builders", fromlist=["_"]).sample_team(make, firm),
    "member_id": lambda make, firm: __import__(
        "tests.institutions.builders", fromlist=["_"]).sample_member(make, firm),
    "evaluation_id": lambda make, firm: __import__(
        "tests.institutions.builders", fromlist=["_"]).sample_evaluation(make, firm),
    "recognition_id": lambda make, firm: make.recognition(firm).id,
    "programme_id": lambda make, firm: make.programme("high_tech").id,
    "entry_id": _audit_entry,
    "user_id": lambda make, firm: make.user("viewer", username="matrix-sample").id,
    "list_id": lambda make, firm: __import__("tests.lists.builders", fromlist=["_"]).sample_list(make, firm),
    # the firm portal: builders live in tests/portal/builders.py
    "change_id": lambda make, firm: __import__("tests.portal.builders", fromlist=["_"]).sample_change(make, firm),
    "proposal_id": lambda make, firm: __import__(
        "tests.portal.builders", fromlist=["_"]).sample_proposal(make, firm),
    "annual_id": lambda make, firm: __import__("tests.portal.builders", fromlist=["_"]).sample_annual(make, firm),
    "notice_id": lambda make, firm: __import__("tests.portal.builders", fromlist=["_"]).sample_notice(make, firm),
    # projects and awards: builders live in tests/projects/builders.py
    "project_id": lambda make, firm: __import__("tests.projects.builders", fromlist=["_"]).sample_project_id(make, firm),
    "milestone_id": lambda make, firm: __import__(
        "tests.projects.builders", fromlist=["_"]).sample_milestone_id(make, firm),
    "award_id": lambda make, firm: __import__("tests.projects.builders", fromlist=["_"]).sample_award_id(make, firm),
    # vouchers and credit: builders live in tests/vouchers/builders.py, tests/credit/builders.py
    "voucher_id": lambda make, firm: __import__("tests.vouchers.builders", fromlist=["_"]).sample_voucher(make, firm),
    "loan_id": lambda make, firm: __import__("tests.credit.builders", fromlist=["_"]).sample_loan(make, firm),
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


def _methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _view(app, rule):
    return app.view_functions[rule.endpoint]


def test_every_route_declares_who_may_use_it(app):
    unchecked = [r.endpoint for r in _rules(app) if not getattr(_view(app, r), "allowed_roles", None)]
    assert unchecked == [], f"routes without a role decorator from registry.auth.access: {unchecked}"
    for rule in _rules(app):
        view = _view(app, rule)
        assert view.allowed_roles <= set(ROLES), rule.endpoint
        assert getattr(view, "writes_allowed_to", frozenset()) <= view.allowed_roles, rule.endpoint


#: The roles of the issue, as rules over endpoints: (what, predicate on rule, roles allowed).
POLICY = [
    ("user administration is admin-only", lambda r: r.endpoint.startswith("auth.user"), {"admin"}),
    ("programme settings are admin-only", lambda r: r.endpoint.startswith("recognitions.programme"),
     {"admin"}),
    ("the audit log is staff-only", lambda r: r.endpoint.startswith("audit."), {"admin", "staff"}),
    ("imports are staff-only", lambda r: r.endpoint.startswith("excel."), {"admin", "staff"}),
    ("town officers do not publish: every change to tier lists is staff-only",
     lambda r: r.endpoint.startswith("lists.") and bool(r.methods & WRITE_METHODS), {"admin", "staff"}),
]


@pytest.mark.parametrize("what, applies, roles", POLICY, ids=[p[0] for p in POLICY])
def test_role_policy(app, what, applies, roles):
    ruled = [r for r in _rules(app) if applies(r)]
    assert ruled, f"no route found for: {what}"
    wrong = {r.endpoint: sorted(_view(app, r).allowed_roles) for r in ruled
             if not _view(app, r).allowed_roles <= roles}
    assert wrong == {}, what


def test_every_url_argument_has_a_sample(app):
    missing = {f"{r.endpoint}: {a}" for r in _rules(app) for a in r.arguments
               if a not in SAMPLES and a not in (r.defaults or {})}
    assert not missing, f"add a sample to SAMPLES for: {sorted(missing)}"


def _url(app, rule, values, **query):
    needed = [a for a in rule.arguments if a not in (rule.defaults or {})]
    missing = [a for a in needed if a not in values]
    assert not missing, f"{rule.endpoint}: add a sample for URL argument(s) {missing} to SAMPLES"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{a: values[a] for a in needed}, **query)


def _sign_in(app, make, role, **kw):
    user = make.user(role=role, password="correct-horse-1", **kw)
    make.session.commit()
    client = app.test_client()
    resp = client.post("/auth/login", data={"username": user.username, "password": "correct-horse-1"})
    assert resp.status_code == 302
    return client


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_gets_exactly_what_the_route_declares(app, make, world, role):
    firm, values = world
    client = _sign_in(app, make, role, towns=[TOWN] if role == "town" else (),
                      firm=firm if role == "firm" else None)
    wrong = []
    for rule in _rules(app):
        allowed = role in _view(app, rule).allowed_roles
        url = _url(app, rule, values)
        method = "GET" if "GET" in rule.methods else _methods(rule)[0]
        if method != "GET" and allowed:
            continue  # what an allowed POST does is each area's own test (writes: see below)
        status = client.open(url, method=method).status_code
        if status == 404 and rule.endpoint in MAY_BE_ABSENT:
            status = 200
        names_record = any(a.endswith("_id") for a in rule.arguments)
        if allowed and (status == 403 or status >= 500 or (status == 404 and names_record)):
            wrong.append(f"{method} {url}: {status}, but {role} is allowed (and the sample is in scope)")
        if not allowed and status != 403:
            wrong.append(f"{method} {url}: {status}, but {role} is not allowed (want 403)")
    assert wrong == []


@pytest.mark.parametrize("role", sorted(READ_ONLY_ROLES))
def test_read_only_roles_change_nothing(app, make, world, role):
    """Every state-changing route refuses viewers and firm users unless it says otherwise."""
    firm, values = world
    client = _sign_in(app, make, role, firm=firm if role == "firm" else None)
    wrong, writes = [], 0
    for rule in _rules(app):
        declared = role in getattr(_view(app, rule), "writes_allowed_to", ())
        for method in set(_methods(rule)) & WRITE_METHODS:
            writes += 1
            if declared:
                continue
            status = client.open(_url(app, rule, values), method=method, data={}).status_code
            if status != 403:
                wrong.append(f"{method} {rule.rule} ({rule.endpoint}): {status}, want 403")
    assert writes > 0
    assert wrong == []
    declared = sorted(r.endpoint for r in _rules(app)
                      if role in getattr(_view(app, r), "writes_allowed_to", ()))
    assert set(declared) >= {"auth.logout", "auth.change_password"}, declared


# --- object scope -------------------------------------------------------------------------

OTHER_TOWN = "周巷镇"


def _secrets(make, firm) -> set[str]:
    """What an outsider must never read: the sample firm's name and code, and the name of
    every record hanging off a firm (institutions, teams, their members …), found through
    the schema so a new kind of record is covered without touching this test."""
    from sqlalchemy import select

    from registry.extensions import db

    found = {firm.name, firm.uscc}
    tables = db.metadata.tables
    owned = {t for t in tables.values() if "firm_id" in t.c and t.name not in ("users", "audit_log")}
    owned |= {t for t in tables.values()
              if any(fk.column.table in owned for fk in t.foreign_keys) and t.name != "audit_log"}
    for table in owned:
        if "name" in table.c:
            found |= {v for v in make.session.scalars(select(table.c.name)) if v}
    return {s for s in found if len(s) >= 4}  # two-character person names match by chance


def _revealed(resp, secrets, echoed: str = "") -> list[str]:
    """The secrets the response shows (an xlsx is opened and read), leaving out the text
    the user typed in themselves (a search box shows its own query back)."""
    if resp.mimetype and "spreadsheetml" in resp.mimetype:
        from io import BytesIO

        from openpyxl import load_workbook

        book = load_workbook(BytesIO(resp.get_data()), read_only=True)
        body = "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                         for v in row if v is not None)
    else:
        body = resp.get_data(as_text=True)
    if echoed:
        body = body.replace(echoed, "")
    return sorted(s for s in secrets if s in body)


@pytest.mark.parametrize("outsider", ["town", "firm"])
def test_outsiders_get_nothing_of_a_record_outside_their_scope(app, make, world, outsider):
    """A town officer of another town, a firm user of another firm: 403/404 on every route
    naming the sample records, and not one of their names anywhere."""
    firm, values = world
    secrets = _secrets(make, firm)
    assert firm.name in secrets
    own_firm = make.firm("慈溪市局外测试机械有限公司", town=OTHER_TOWN)
    client = _sign_in(app, make, outsider, towns=[OTHER_TOWN] if outsider == "town" else (),
                      firm=own_firm if outsider == "firm" else None)
    wrong, named = [], 0
    for rule in _rules(app):
        if not any(a.endswith("_id") for a in rule.arguments):
            continue
        named += 1
        for method in _methods(rule):
            if (outsider == "town" and method == "GET"
                    and any(a in BUREAU_WIDE for a in rule.arguments)):
                continue
            resp = client.open(_url(app, rule, values), method=method, data={})
            if resp.status_code not in (403, 404):
                wrong.append(f"{method} {rule.rule}: {resp.status_code}, want 403 or 404")
            if leaked := _revealed(resp, secrets):
                wrong.append(f"{method} {rule.rule}: shows {leaked}")
    assert named > 0
    assert wrong == []


@pytest.mark.parametrize("outsider", ["town", "firm"])
def test_lists_searches_and_exports_show_no_out_of_scope_record(app, make, world, outsider):
    """Routes without a record id (lists, indexes, exports, dashboards) the outsider may
    open — plain and searched for each secret — never show an out-of-scope record."""
    firm, values = world
    secrets = _secrets(make, firm)
    own_firm = make.firm("慈溪市局外测试机械有限公司", town=OTHER_TOWN)
    client = _sign_in(app, make, outsider, towns=[OTHER_TOWN] if outsider == "town" else (),
                      firm=own_firm if outsider == "firm" else None)
    wrong, looked = [], 0
    for rule in _rules(app):
        if "GET" not in rule.methods or outsider not in _view(app, rule).allowed_roles:
            continue
        if any(a.endswith("_id") for a in rule.arguments):
            continue  # the test above
        for query in [{}] + [{"q": s} for s in sorted(secrets)]:
            resp = client.get(_url(app, rule, values, **query))
            looked += 1
            if resp.status_code >= 500:
                wrong.append(f"GET {resp.request.path} {query}: {resp.status_code}")
            if leaked := _revealed(resp, secrets, query.get("q", "")):
                wrong.append(f"GET {rule.rule} {query}: shows {leaked}")
    assert looked > 0
    assert wrong == []


def test_town_officer_firm_list_shows_only_their_towns(app, make, world):
    firm, _ = world
    mine = make.firm("慈溪市本镇测试电器有限公司", town=OTHER_TOWN)
    client = _sign_in(app, make, "town", towns=[OTHER_TOWN])
    page = client.get("/firms/").get_data(as_text=True)
    assert mine.name in page and firm.name not in page
    page = client.get("/firms/", query_string={"q": firm.uscc}).get_data(as_text=True)
    assert firm.name not in page
    assert client.get(f"/firms/{firm.id}").status_code == 404
    assert client.get(f"/firms/{mine.id}").status_code == 200


def test_anonymous_gets_only_the_login_page(app, make, world):
    """Not signed in: every non-public route and method redirects to the login page or
    answers 401/403 — never content; the public pages show no record either."""
    from urllib.parse import urlsplit

    firm, values = world
    secrets = _secrets(make, firm)
    client = app.test_client()
    wrong, asked = [], 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in _methods(rule):
            resp = client.open(_url(app, rule, values), method=method, data={})
            asked += 1
            if leaked := _revealed(resp, secrets):
                wrong.append(f"{method} {rule.rule}: shows {leaked}")
            if rule.endpoint in PUBLIC:
                continue
            to_login = (resp.status_code in (301, 302, 303, 307, 308)
                        and urlsplit(resp.headers.get("Location", "")).path == "/auth/login")
            if not (to_login or resp.status_code in (401, 403)):
                wrong.append(f"{method} {rule.rule}: {resp.status_code}, want a redirect to login or 401/403")
    assert asked > 100
    assert wrong == []
