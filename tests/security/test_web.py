"""Promise 3 (issue 9): the web defences, each tried with an attack.

* CSRF: an app built with CSRF enabled (TestConfig turns it off) refuses every POST route
  of ``app.url_map`` sent without a token by a signed-in user of a role the route allows:
  400 with a Chinese message, nothing written.
* Output escaping: firms, institutions, teams, users, lists, audit entries and programmes
  named ``<script>alert(1)</script>`` render inert on every page that shows them.
* Security headers on every page (CSP without inline script, nosniff, frame-ancestors
  'none', Referrer-Policy), and no page relies on inline script.
* The session cookie is HttpOnly and SameSite=Lax, and Secure under ProductionConfig.
* No open redirect through ``next`` (more payloads than tests/web/test_pages.py).
* Login throttling is held by tests/auth/test_ratelimit.py (per account, per address,
  Redis store, activation); ``test_login_is_throttled`` here is a smoke check of it.
* Generic login errors: unknown user, wrong password and deactivated user look the same.
* 403/404 pages reveal nothing; no stack trace reaches a user in production.
"""
from __future__ import annotations

import re

import pytest
from flask import url_for
from sqlalchemy import func, select, text

from registry.extensions import db
from tests.web.test_access_matrix import SAMPLES, TOWN, _url

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
STRONG_SECRET = "s" * 16 + "-production-secret-for-tests-0123456789"
PASSWORD = "correct-horse-1"


def _config(database_url, base, **extra):
    return type("Cfg", (base,), {"SQLALCHEMY_DATABASE_URI": database_url, **extra})


@pytest.fixture
def csrf_app(app, database_url):
    """The suite's app with CSRF switched on (same database, same code)."""
    from config import TestConfig
    from registry import create_app

    application = create_app(_config(database_url, TestConfig, WTF_CSRF_ENABLED=True))
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def prod_app(app, database_url):
    """The app under ProductionConfig, a strong SECRET_KEY, and one route that raises."""
    from config import ProductionConfig
    from registry import create_app

    application = create_app(_config(database_url, ProductionConfig, SECRET_KEY=STRONG_SECRET))

    @application.route("/__boom")
    def boom():
        raise RuntimeError("secret-internal-detail: connection to db-host-17 failed")

    yield application
    with application.app_context():
        db.engine.dispose()


def _token(html: str) -> str:
    m = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html)
    assert m, "no csrf_token field on the page"
    return re.search(r'value="([^"]+)"', m.group(0)).group(1)


def _csrf_login(application, username):
    client = application.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    resp = client.post("/auth/login", data={"username": username, "password": PASSWORD,
                                            "csrf_token": _token(page)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return client


def _row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


# --- CSRF ------------------------------------------------------------------------------------

def test_every_post_route_needs_a_csrf_token(csrf_app, app, make):
    firm = make.firm("慈溪市令牌测试电器有限公司", town=TOWN)
    values = {name: build(make, firm) for name, build in SAMPLES.items()}
    users = {role: make.user(role, password=PASSWORD, towns=[TOWN] if role == "town" else (),
                             firm=firm if role == "firm" else None)
             for role in ("admin", "staff", "town", "firm", "viewer")}
    make.session.commit()
    clients = {role: _csrf_login(csrf_app, u.username) for role, u in users.items()}
    clients[None] = csrf_app.test_client()

    posts, wrong = 0, []
    for rule in csrf_app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        view = csrf_app.view_functions[rule.endpoint]
        allowed = getattr(view, "allowed_roles", frozenset())
        role = next((r for r in ("staff", "admin", "town", "firm", "viewer") if r in allowed), None)
        posts += 1
        make.session.rollback()
        before = _row_counts()
        resp = clients[role].post(_url(app, rule, values), data={"name": "x", "confirm": "y"})
        body = resp.get_data(as_text=True)
        make.session.rollback()
        if resp.status_code != 400:
            wrong.append(f"POST {rule.rule} as {role}: {resp.status_code}, want 400")
        elif "请刷新" not in body or not re.search(r"[\u4e00-\u9fff]", body):
            wrong.append(f"POST {rule.rule}: 400 without the Chinese explanation")
        if (after := _row_counts()) != before:
            wrong.append(f"POST {rule.rule}: wrote {[k for k in after if after[k] != before[k]]}")
    assert posts > 30
    assert wrong == [], "\n".join(wrong)


def test_a_post_with_its_token_goes_through(csrf_app, make):
    """The refusal above is the token's doing: the same form with a token works."""
    user = make.user("staff", password=PASSWORD)
    make.session.commit()
    client = _csrf_login(csrf_app, user.username)
    page = client.get("/auth/password").get_data(as_text=True)
    resp = client.post("/auth/logout", data={"csrf_token": _token(page)})
    assert resp.status_code == 302
    assert client.get("/firms/").status_code == 302  # signed out


# --- output escaping ---------------------------------------------------------------------------

@pytest.fixture
def hostile_world(make):
    from registry.audit.models import AuditLog
    from registry.institutions.models import RdInstitution, RdLevelChange
    from registry.lists.models import TierList, TierListEntry
    from registry.teams.models import Team, TeamMember

    firm = make.firm(PAYLOAD, town=TOWN, legal_representative=PAYLOAD, contact_person=PAYLOAD,
                     address=PAYLOAD, note=PAYLOAD)
    make.recognition(firm, "high_tech", 2015, certificate_no=PAYLOAD[:50])
    make.recognition(firm, "eaglet", 2016)
    inst = RdInstitution(firm=firm, name=PAYLOAD, type="企业技术中心", level="cixi", recognised_year=2014,
                         first_recognised_year=2014, status="active", note=PAYLOAD)
    inst.level_changes.append(RdLevelChange(kind="initial", to_level="cixi", year=2014))
    make.session.add(inst)
    team = Team(firm=firm, name=PAYLOAD, leader_name=PAYLOAD[:50], recognised_year=2013, level="cixi",
                status="active", projects_in_progress=1, field=PAYLOAD)
    team.members.append(TeamMember(name=PAYLOAD[:50], title="高级工程师", title_grade="associate", role="member"))
    make.session.add(team)
    actor = make.user("staff", display_name=PAYLOAD[:64], password=PASSWORD)
    tier_list = TierList(programme=make.programme("eaglet"), year=2016, batch="", title=PAYLOAD,
                         status="draft", note=PAYLOAD, created_by_id=actor.id)
    tier_list.entries = [TierListEntry(firm=firm, seq=1, firm_name=PAYLOAD, uscc=firm.uscc, note=PAYLOAD)]
    make.session.add_all([inst, team, tier_list])
    make.session.flush()
    entry = AuditLog(user_id=actor.id, action="update", entity_type="firm", entity_id=firm.id,
                     firm_id=firm.id, summary=PAYLOAD, before={"name": "旧"}, after={"name": PAYLOAD})
    make.session.add(entry)
    firm_user = make.user("firm", firm=firm, display_name=PAYLOAD[:64], password=PASSWORD)
    make.session.commit()
    return {"firm": firm, "inst": inst, "team": team, "list": tier_list, "entry": entry,
            "actor": actor, "firm_user": firm_user}


def _user_client(app, make, role, **kw):
    user = make.user(role, password=PASSWORD, **kw)
    make.session.commit()
    return _sign_in(app, user.username)


def _sign_in(app, username):
    client = app.test_client()
    resp = client.post("/auth/login", data={"username": username, "password": PASSWORD})
    assert resp.status_code == 302
    return client


def test_names_render_inert_on_every_page_that_shows_them(app, make, hostile_world):
    w = hostile_world
    admin = _user_client(app, make, "admin")
    pages = ["/firms/", f"/firms/{w['firm'].id}", "/firms/?q=%3Cscript%3E", "/institutions/",
             f"/institutions/{w['inst'].id}", "/teams/", f"/teams/{w['team'].id}", "/lists/",
             f"/lists/{w['list'].id}", "/lists/ladder?year=2016", "/lists/high-tech?year=2016",
             "/lists/screening?year=2016", "/audit/", f"/audit/{w['entry'].id}", "/auth/users",
             f"/auth/users/{w['actor'].id}", "/portal/accounts/", "/portal/accounts/bulk", "/stats/?year=2016",
             "/excel/"]
    wrong, shown = [], 0
    for path in pages:
        resp = admin.get(path)
        body = resp.get_data(as_text=True)
        if resp.status_code != 200:
            wrong.append(f"{path}: {resp.status_code}")
        if PAYLOAD in body or "<script>alert" in body:
            wrong.append(f"{path}: the name is rendered as live markup")
        shown += ESCAPED in body
    portal = _sign_in(app, w["firm_user"].username)
    for path in ["/portal/", "/portal/profile", "/portal/teams", f"/firms/{w['firm'].id}"]:
        resp = portal.get(path)
        body = resp.get_data(as_text=True)
        if resp.status_code != 200:
            wrong.append(f"portal {path}: {resp.status_code}")
        if PAYLOAD in body or "<script>alert" in body:
            wrong.append(f"portal {path}: the name is rendered as live markup")
        shown += ESCAPED in body
    assert wrong == [], "\n".join(wrong)
    assert shown >= 15  # the names are on the pages, escaped — not simply missing


def test_programme_names_in_the_stats_page_stay_data(app, make):
    """Programme names are data an admin edits; on the dashboard they sit inside a JSON
    block, where ``</script>`` would end the block: it must come out escaped."""
    programme = make.programme("eaglet")
    old = programme.name, programme.short_name
    try:
        programme.name, programme.short_name = "雏鹰</script><script>alert(1)</script>", "</script>雏"
        make.session.commit()
        client = _user_client(app, make, "viewer")
        body = client.get("/stats/?year=2016").get_data(as_text=True)
        assert "<script>alert(1)" not in body
        assert body.count("</script>") == body.count("<script")
    finally:
        make.session.rollback()
        programme.name, programme.short_name = old
        make.session.commit()


# --- headers, cookies -------------------------------------------------------------------------

def _check_headers(resp, where: str) -> list[str]:
    h, problems = resp.headers, []
    csp = h.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    script = directives.get("script-src") or directives.get("default-src", "")
    if not script or "'unsafe-inline'" in script or "'unsafe-eval'" in script or "*" in script.split():
        problems.append(f"{where}: script-src allows inline/eval or is missing: {csp!r}")
    if directives.get("frame-ancestors") != "frame-ancestors 'none'":
        problems.append(f"{where}: no frame-ancestors 'none'")
    if "object-src" not in directives and "'none'" not in directives.get("default-src", ""):
        problems.append(f"{where}: plugins not blocked")
    if h.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{where}: no X-Content-Type-Options nosniff")
    if h.get("Referrer-Policy") not in ("same-origin", "no-referrer", "strict-origin",
                                        "strict-origin-when-cross-origin"):
        problems.append(f"{where}: Referrer-Policy {h.get('Referrer-Policy')!r}")
    if resp.mimetype == "text/html":
        body = resp.get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", body):
            if "src=" not in tag and 'type="application/json"' not in tag:
                problems.append(f"{where}: inline script {tag}")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", body) or "javascript:" in body:
            problems.append(f"{where}: inline event handler or javascript: URL")
    return problems


def test_security_headers_on_every_page(app, make):
    firm = make.firm("慈溪市页眉测试电器有限公司", town=TOWN)
    values = {name: build(make, firm) for name, build in SAMPLES.items()}
    make.session.commit()
    admin = _user_client(app, make, "admin")
    firm_client = _user_client(app, make, "firm", firm=firm)
    anonymous = app.test_client()
    problems, checked = [], 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        allowed = getattr(app.view_functions[rule.endpoint], "allowed_roles", frozenset())
        client = admin if "admin" in allowed else firm_client if "firm" in allowed else anonymous
        resp = client.get(_url(app, rule, values))
        checked += 1
        problems += _check_headers(resp, f"GET {rule.rule} ({resp.status_code})")
    for where, resp in [("404", anonymous.get("/no-such-page")), ("static", anonymous.get("/static/app.css")),
                        ("redirect", anonymous.get("/firms/")), ("login POST", anonymous.post("/auth/login")),
                        ("403", firm_client.get("/firms/"))]:
        problems += _check_headers(resp, where)
    assert checked > 50
    assert problems == [], "\n".join(problems)


def _cookie_flags(resp, name: str) -> str:
    cookies = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert cookies, f"no {name} cookie set"
    return cookies[-1].lower()


def test_session_cookie_flags(app, prod_app, make):
    user = make.user("staff", password=PASSWORD)
    make.session.commit()
    resp = app.test_client().post("/auth/login", data={"username": user.username, "password": PASSWORD,
                                                       "remember": "y"})
    flags = _cookie_flags(resp, app.config.get("SESSION_COOKIE_NAME", "session"))
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" not in flags.split("; ")  # plain http in development still works
    assert "httponly" in _cookie_flags(resp, "remember_token")

    client = prod_app.test_client()
    page = client.get("/auth/login", base_url="https://localhost").get_data(as_text=True)
    resp = client.post("/auth/login", base_url="https://localhost",
                       headers={"Referer": "https://localhost/auth/login"},  # checked over HTTPS
                       data={"username": user.username, "password": PASSWORD, "remember": "y",
                             "csrf_token": _token(page)})
    assert resp.status_code == 302
    for name in (prod_app.config.get("SESSION_COOKIE_NAME", "session"), "remember_token"):
        flags = _cookie_flags(resp, name).split("; ")
        assert "httponly" in flags and "secure" in flags and "samesite=lax" in flags, (name, flags)


# --- redirects, login --------------------------------------------------------------------------

NEXT_PAYLOADS = ["https://evil.example/", "//evil.example/", "/\\evil.example", "https:/\\evil.example",
                 "https:evil.example", "%2F%2Fevil.example", "/%2F/evil.example", "%2F%5Cevil.example",
                 "/\t/evil.example", "/%09/evil.example", "javascript:alert(1)", "JavaScript:alert(1)",
                 "data:text/html,<script>alert(1)</script>", "\\\\evil.example", " //evil.example",
                 "///evil.example", "http://localhost@evil.example/"]


@pytest.mark.parametrize("target", NEXT_PAYLOADS)
def test_login_never_redirects_off_site(app, make, target):
    from urllib.parse import quote, urlsplit

    user = make.user("staff", password=PASSWORD)
    make.session.commit()
    client = app.test_client()
    resp = client.post("/auth/login?next=" + quote(target, safe="%/:\\"),
                       data={"username": user.username, "password": PASSWORD})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    parts = urlsplit(location)
    assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil" not in location and "javascript" not in location.lower(), location


def test_login_is_throttled(app, make):
    """Smoke check; the full set is tests/auth/test_ratelimit.py."""
    user = make.user("staff", password=PASSWORD)
    make.session.commit()
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        client.post("/auth/login", data={"username": user.username, "password": "wrong-password-1"})
    resp = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert resp.status_code == 429 and "登录失败次数过多" in resp.get_data(as_text=True)


def test_login_errors_do_not_tell_which_part_was_wrong(app, make):
    make.user("staff", username="known-clerk", password=PASSWORD)
    make.user("staff", username="gone-clerk", password=PASSWORD, is_active_flag=False)
    make.session.commit()
    answers = {}
    for case, (username, password) in {"unknown user": ("nobody-here", PASSWORD),
                                       "wrong password": ("known-clerk", "wrong-password-1"),
                                       "deactivated": ("gone-clerk", PASSWORD)}.items():
        resp = app.test_client().post("/auth/login", data={"username": username, "password": password})
        body = resp.get_data(as_text=True).replace(username, "USERNAME")
        answers[case] = (resp.status_code, tuple(sorted(resp.headers.keys())), body)
    assert len(set(answers.values())) == 1, {k: v[:2] for k, v in answers.items()}
    assert "用户名或密码错误" in answers["unknown user"][2]


# --- error pages ---------------------------------------------------------------------------------

def test_403_and_404_pages_reveal_nothing(app, make):
    firm = make.firm("慈溪市机密测试电器有限公司", town=TOWN)
    other = make.firm("慈溪市局外测试机械有限公司", town="周巷镇")
    officer = make.user("town", password=PASSWORD, towns=["周巷镇"])
    viewer = make.user("viewer", password=PASSWORD)
    firm_user = make.user("firm", firm=other, password=PASSWORD)
    make.session.commit()
    seen = []
    for user, paths in [(officer, [f"/firms/{firm.id}", f"/firms/{firm.id}/edit", "/firms/99999999",
                                   "/firms/abc", "/no-such-page", "/audit/"]),
                        (viewer, [f"/firms/{firm.id}/edit", f"/recognitions/new/{firm.id}"]),
                        (firm_user, [f"/firms/{firm.id}", "/firms/"])]:
        client = _sign_in(app, user.username)
        for path in paths:
            resp = client.get(path)
            body = resp.get_data(as_text=True)
            seen.append(resp.status_code)
            assert resp.status_code in (403, 404), (path, resp.status_code)
            assert firm.name not in body and firm.uscc not in body, path
            assert "Traceback" not in body and "werkzeug" not in body.lower(), path
            assert ("无权访问" if resp.status_code == 403 else "页面不存在") in body, path
    assert {403, 404} <= set(seen)


def test_no_stack_trace_reaches_a_user_in_production(prod_app, make):
    resp = prod_app.test_client().get("/__boom")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert "服务器错误" in body
    for leak in ("Traceback", "RuntimeError", "secret-internal-detail", "db-host-17", 'File "', ".py"):
        assert leak not in body, leak
    assert not prod_app.debug and not prod_app.testing
