"""Browser tests: Debian's Chromium, driven by Playwright, against the real app on 127.0.0.1.

Only a real browser shows a broken layout, a JavaScript error, a chart that does not draw
or a download that does not start; the test-client tests above cannot. So each test here
walks a journey the way a person does — click, type, read the screen — against a real
HTTP server started for the run (a werkzeug server in a thread, with CSRF and the CSP on,
exactly like development) on a fresh database holding the demo data.

Every browser context gets two guards, checked when the test ends:
* no request may leave 127.0.0.1 (government intranets are offline: a CDN font or script
  that slips in would break there) — such requests are aborted and fail the test;
* no console error and no uncaught page error (a CSP violation shows up here too).

Screenshots go to test-artifacts/screens/ (git-ignored) at 1366×768 and 390×844, with a
check that the page does not scroll sideways at either width.

Chromium is /usr/bin/chromium (``apt-get install -y chromium``; Playwright's own browser
download does not work offline). Without it the tests are skipped with the reason — except
in CI (CI=true), where ``.ci/run`` installs it and its absence is a failure.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.dbutil import create_database, drop_database

CHROMIUM = os.environ.get("REGISTRY_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "test-artifacts" / "screens"
#: Read straight from node_modules (installed by `make assets`, devDependency): axe is a
#: test tool and is never copied into registry/static, so production never serves it.
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
ADMIN_PASSWORD = "Guanliyuan-2016"  # what the first-login journey sets; other tests sign in with it
STAFF_PASSWORD = "Keji-ju-2016"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
LOCAL_HOSTS = {"127.0.0.1"}


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    if not AXE.is_file():
        return f"axe-core not found at {AXE.relative_to(ROOT)} (make assets)"
    return None


@dataclass
class Live:
    """The running server: its base URL, the app (for setting up rows) and the admin's
    one-time password as ``flask users ensure-admin`` printed it."""

    app: object
    url: str
    admin_one_time_password: str
    admin_ready: bool = False

    @contextlib.contextmanager
    def session(self):
        """A database session on the server's own database (commit what the test needs)."""
        from registry.extensions import db

        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.rollback()
                db.session.remove()


@pytest.fixture(scope="session")
def live_server():
    reason = browser_unavailable()
    if reason:
        if IN_CI:
            pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")

    from flask_migrate import upgrade
    from werkzeug.serving import WSGIRequestHandler, make_server

    from config import Config
    from registry import create_app
    from registry.auth.services import ensure_admin
    from registry.demo.services import load_demo
    from registry.extensions import db
    from tests.conftest import BACKEND

    url = create_database(BACKEND, tag="browser_")

    class BrowserConfig(Config):
        """Development settings (CSRF on, real sessions) on the throw-away database."""

        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = "browser-test-secret-key-not-for-production"
        REDIS_URL = None
        # Background imports run in a thread of this server (no worker to start); the
        # sizes that send an import there are pinned against the environment.
        IMPORT_JOBS = "thread"
        IMPORT_BACKGROUND_BYTES = 1024 * 1024
        IMPORT_BACKGROUND_ROWS = 10000

    app = create_app(BrowserConfig)
    with app.app_context():
        upgrade()
        load_demo(seed=2016)
        _, password = ensure_admin()
        db.session.commit()
        db.session.remove()
    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):  # one line per asset would bury the failures
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="registry-live-server", daemon=True)
    thread.start()
    try:
        yield Live(app=app, url=f"http://127.0.0.1:{server.server_port}", admin_one_time_password=password)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()
        drop_database(url)


@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    chromium = manager.chromium.launch(executable_path=CHROMIUM, headless=True)
    yield chromium
    chromium.close()
    manager.stop()


@dataclass
class Watch:
    """What a context did that it must not: requests off this machine, console errors."""

    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allowed_errors: list[re.Pattern] = field(default_factory=list)

    def allow_error(self, pattern: str) -> None:
        """An expected console message (say, the 404 a test asks for on purpose)."""
        self.allowed_errors.append(re.compile(pattern))

    def problems(self) -> list[str]:
        errors = [e for e in self.errors if not any(p.search(e) for p in self.allowed_errors)]
        return [f"request left 127.0.0.1: {u}" for u in self.outside] + [f"console: {e}" for e in errors]


@pytest.fixture
def watch():
    return Watch()


@pytest.fixture
def new_page(browser, live_server, watch):
    """Open a page in a fresh browser context (one person's browser: own cookies).

    Every request goes through a handler that lets 127.0.0.1 through and aborts and
    records anything else; console errors and uncaught exceptions are recorded too. The
    test fails at the end if either list is not empty.
    """
    contexts = []

    def guard(route):
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            if url not in watch.outside:
                watch.outside.append(url)
            route.abort("blockedbyclient")

    def on_request(request):
        url = request.url
        if url.startswith(("http:", "https:", "ws:", "wss:")) and urlsplit(url).hostname not in LOCAL_HOSTS:
            if url not in watch.outside:
                watch.outside.append(url)

    def on_console(message):
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            watch.errors.append(f"{message.text} ({where})")

    def open_page(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      accept_downloads=True, base_url=live_server.url)
        context.set_default_timeout(15_000)
        context.route("**/*", guard)
        context.on("request", on_request)
        context.on("console", on_console)
        context.on("weberror", lambda err: watch.errors.append(f"uncaught: {err.error}"))
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    problems = watch.problems()
    assert not problems, "\n".join(problems)


# --- people ---------------------------------------------------------------------------


def sign_in(page, username: str, password: str) -> None:
    """Through the login form, as a person does; lands wherever the app sends them."""
    page.goto("/auth/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def ensure_admin_ready(page, live) -> None:
    """Sign the admin in; the first time, through the forced password change."""
    if live.admin_ready:
        sign_in(page, "admin", ADMIN_PASSWORD)
        return
    sign_in(page, "admin", live.admin_one_time_password)
    change_first_password(page, live.admin_one_time_password, ADMIN_PASSWORD)
    live.admin_ready = True


def change_first_password(page, old: str, new: str) -> None:
    from playwright.sync_api import expect

    page.goto("/firms/")
    expect(page).to_have_url(re.compile(r"/auth/password$"))
    expect(page.get_by_text("首次登录或密码已被重置，请先设置新密码。")).to_be_visible()
    page.get_by_label("当前密码").fill(old)
    page.get_by_label("新密码", exact=True).fill(new)
    page.get_by_label("确认新密码").fill(new)
    page.get_by_role("button", name="保存新密码").click()
    expect(page.locator("main > .alert").filter(has_text="密码已修改。")).to_be_visible()


def make_user(live, role: str, *, password: str = STAFF_PASSWORD, **kw):
    """A bureau or firm account made the way tests/factories.py makes them; returns its username."""
    from tests.factories import Factory

    with live.session() as session:
        user = Factory(session).user(role=role, password=password, **kw)
        session.commit()
        return user.username


# --- what the screen shows ------------------------------------------------------------

OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width + 1) return [];
  const sticksOut = el => el.getBoundingClientRect().right > width + 1;
  const clipped = el => {  // inside a box that scrolls or clips and itself fits the screen
    // an absolutely placed element escapes every box up to its containing block
    let escaping = getComputedStyle(el).position === 'absolute';
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      const s = style.overflowX;
      if (!escaping && (s === 'auto' || s === 'scroll' || s === 'hidden' || s === 'clip') && !sticksOut(p)) return true;
      if (style.position !== 'static') escaping = false;
    }
    return false;
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const culprits = new Set([...document.body.querySelectorAll('*')].filter(
    el => el.getBoundingClientRect().width && sticksOut(el) && !clipped(el)));
  const out = [];
  for (const el of culprits) {
    if (culprits.has(el.parentElement)) continue;  // name the outermost one only
    out.push(name(el) + ' right=' + Math.round(el.getBoundingClientRect().right) + ' "' +
             (el.textContent || '').trim().slice(0, 30) + '"');
  }
  return out.length ? out.slice(0, 8) : ['document scrollWidth ' + document.documentElement.scrollWidth];
}"""

NAVBAR_JS = """() => {
  const nav = document.querySelector('nav.navbar');
  return nav ? nav.getBoundingClientRect().height : 0;
}"""


def shoot(page, name: str, *, full_page: bool = True) -> list[Path]:
    """Screenshots at 1366×768 and 390×844 into test-artifacts/screens/, each width checked.

    At both widths the page must not scroll sideways (wide tables scroll inside their
    .table-responsive box); at 1366 the navigation bar must stay on one line.
    """
    SCREENS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    paths = []
    for label, size in (("1366", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)  # let resize handlers (the charts) redraw
        path = SCREENS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=full_page)
        paths.append(path)
        overflow = page.evaluate(OVERFLOW_JS)
        assert not overflow, f"{name} at {label}px scrolls sideways: {overflow}"
        if size is DESKTOP:
            height = page.evaluate(NAVBAR_JS)
            assert height < 70, f"{name}: the navigation bar wraps at 1366px ({height:.0f}px high)"
    page.set_viewport_size(original or DESKTOP)
    return paths


def flash(page, text: str):
    """The flashed message containing ``text``, waited for (the click's page may still be
    loading); returns its locator for further checks."""
    from playwright.sync_api import expect

    message = page.locator("main > .alert[role=alert]").filter(has_text=text)
    expect(message.first).to_be_visible()
    return message.first


def flash_texts(page) -> list[str]:
    """Every flashed message on the page as it is now (call after waiting for the page)."""
    return [t.strip() for t in page.locator("main > .alert[role=alert]").all_inner_texts()]


_AXE_SOURCE: str | None = None

AXE_RUN_JS = """async () => {
  const result = await window.axe.run(document, { resultTypes: ['violations'] });
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.slice(0, 6).map(n => n.target.join(' ') + ' — ' +
                                                     (n.failureSummary || '').replace(/\\s+/g, ' ')) }));
}"""


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations on the page as it stands.

    axe is evaluated through the DevTools protocol rather than added as a <script>: the
    app's CSP (script-src 'self') rightly refuses inline script, and the check must not
    need the policy loosened.
    """
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = AXE.read_text(encoding="utf-8")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate("() => {\n" + _AXE_SOURCE + "\n;return typeof window.axe;}")
    return page.evaluate(AXE_RUN_JS)


def describe_violations(violations: list[dict]) -> str:
    return json.dumps(violations, ensure_ascii=False, indent=1)


def assert_accessible(page, label: str) -> None:
    """No serious or critical axe violation on the page at this step of a journey."""
    violations = axe_violations(page)
    assert not violations, f"{label}: {len(violations)} serious/critical axe violations\n" + \
        describe_violations(violations)
