"""Server time of the main pages at 100,000 firms, beside their targets (issue #10).

Builds a throw-away database (SQLite; ``--postgresql`` also a fresh PostgreSQL database;
``--database-url`` an already filled one, used as it is) with ``registry.demo.bulk``,
then times each page as the median of N requests, twice:

- through the Flask **test client** (server time without any network or WSGI server);
- through a **real server**: gunicorn (one sync worker) on 127.0.0.1, signed in through the
  login form with its CSRF token, timed from request to the last byte with ``http.client``.

Each figure is printed beside its target and as a ratio to a baseline measured in the same
run — a plain ``SELECT count(*) FROM firms`` through the app's session, and a full-scan
``count(town_id)`` — so a noisy shared machine can be read off the ratios. The load
average is printed at the end.

    .venv/bin/python -m bench.pages [--firms 100000] [--years 10] [--requests 15]
                                    [--postgresql] [--no-sqlite] [--no-server]
                                    [--database-url URL]
"""
from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"
#: Targets in ms of server time at 100,000 firms (issue #10).
TARGETS_MS = {"list": 50, "search": 80, "detail": 50, "dashboard": 300, "other": 50}


def median_ms(fn, n: int) -> float:
    fn()  # warm caches and compiled statements
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def build(url: str, firms: int, years: int, fill: bool) -> dict:
    """Migrate and fill ``url`` (unless it is given filled); pick the pages' parameters."""
    from sqlalchemy import func, select

    from bench import bulkdata
    from registry.auth.models import User
    from registry.auth.services import create_user
    from registry.extensions import db
    from registry.firms.models import Firm, FirmName, Town
    from registry.institutions.models import RdInstitution
    from registry.lists.models import TierList, TierListEntry
    from registry.recognitions.models import Programme, Recognition

    app = make_app(url)
    with app.app_context():
        if fill:
            print(f"\n{db.engine.dialect.name}: {bulkdata.fill(firms, years)}")
        else:
            print(f"\n{db.engine.dialect.name}: using the data in {url.split('@')[-1]}")
        for username, role in (("bench", "staff"), ("benchfirm", "firm")):
            if db.session.scalar(select(User).where(User.username == username)) is None:
                busiest = None
                if role == "firm":
                    busiest = db.session.get(Firm, db.session.scalar(
                        select(Recognition.firm_id).group_by(Recognition.firm_id)
                        .order_by(func.count().desc()).limit(1)))
                create_user(username, role, password=PASSWORD, firm=busiest)
        tier_list = db.session.scalar(select(TierList).limit(1))
        if tier_list is None:  # the bulk data has recognitions but no lists: one list of them
            eaglet = db.session.scalar(select(Programme).where(Programme.code == "eaglet"))
            tier_list = TierList(programme_id=eaglet.id, year=2016, title="2016年度雏鹰企业名单（基准）")
            firm_ids = db.session.scalars(select(Recognition.firm_id).where(
                Recognition.programme_id == eaglet.id, Recognition.year == 2016).distinct())
            tier_list.entries = [TierListEntry(firm_id=fid, seq=n + 1, source="search")
                                 for n, fid in enumerate(sorted(firm_ids))]
            db.session.add(tier_list)
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(Firm))
        town = db.session.scalar(select(Town).where(Town.name == "周巷镇"))
        in_town = db.session.scalar(select(func.count()).where(Firm.town_id == town.id))
        sample = db.session.scalar(select(Firm).where(Firm.id == max(1, total // 3)))
        busy = db.session.scalar(
            select(RdInstitution.firm_id).join(Recognition, Recognition.firm_id == RdInstitution.firm_id)
            .group_by(RdInstitution.firm_id).order_by(func.count().desc()).limit(1))
        former = db.session.scalar(select(FirmName.name).order_by(FirmName.id).limit(1))
        per_page = app.config["PER_PAGE"]
        params = {"town": town.id, "last_town_page": max(1, -(-in_town // per_page)),
                  "last_page": max(1, -(-total // per_page)),
                  "long": sample.name[3:7], "short": sample.name[3:5], "uscc": sample.uscc[-8:],
                  "former": former[3:8], "detail": busy or sample.id, "list": tier_list.id,
                  "list_size": len(tier_list.entries)}
        db.session.remove()
        db.engine.dispose()
    return params


def make_app(url: str):
    from config import TestConfig
    from registry import create_app

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(BenchConfig)


def pages(p: dict) -> list[tuple[str, str, str]]:
    """(label, path, target kind) of every page timed."""
    q = urllib.parse.quote
    return [
        ("firm list, page 1", "/firms/", "list"),
        ("firm list, town filter, page 3", f"/firms/?town={p['town']}&page=3", "list"),
        ("firm list, town filter, last page", f"/firms/?town={p['town']}&page={p['last_town_page']}", "list"),
        ("firm list, page 2500", "/firms/?page=2500", "list"),
        ("firm list, last page", f"/firms/?page={p['last_page']}", "list"),
        ("firm list, active, by capital ▼, p. 2000", "/firms/?status=active&sort=capital&dir=desc&page=2000", "list"),
        ("firm list, by founding date, page 3000", "/firms/?sort=founded&page=3000", "list"),
        ("firm list, by town, page 2500", "/firms/?sort=town&page=2500", "list"),
        ("firm list, by industry ▼, page 4000", "/firms/?sort=industry&dir=desc&page=4000", "list"),
        (f"search 4 chars “{p['long']}”", f"/firms/?q={q(p['long'])}", "search"),
        (f"search 2 chars “{p['short']}”", f"/firms/?q={q(p['short'])}", "search"),
        (f"search USCC “{p['uscc']}”", f"/firms/?q={q(p['uscc'])}", "search"),
        (f"search former name “{p['former']}”", f"/firms/?q={q(p['former'])}", "search"),
        ("search “有限公司”, page 50", f"/firms/?q={q('有限公司')}&page=50", "search"),
        ("firm 档案 page", f"/firms/{p['detail']}", "detail"),
        ("institutions list", "/institutions/", "other"),
        ("teams list", "/teams/", "other"),
        (f"tier list page ({p['list_size']} firms)", f"/lists/{p['list']}", "other"),
        ("dashboard 2016", "/stats/?year=2016", "dashboard"),
    ]


def baseline_ms(url: str, n: int) -> tuple[float, float]:
    """``SELECT count(*) FROM firms`` and a full scan ``count(town_id)`` (SQLite answers the
    first from b-tree page counts, so the second is the more telling unit there)."""
    from sqlalchemy import text

    from registry.extensions import db

    app = make_app(url)
    with app.app_context():
        count = median_ms(lambda: db.session.execute(text("SELECT count(*) FROM firms")).scalar(), n)
        scan = median_ms(lambda: db.session.execute(text("SELECT count(town_id) FROM firms")).scalar(), n)
        db.session.remove()
        db.engine.dispose()
    return count, scan


def with_test_client(url: str, p: dict, n: int) -> dict:
    app = make_app(url)
    figures = {}
    for username, paths in (("bench", pages(p)), ("benchfirm", [("portal home", "/portal/", "other")])):
        client = app.test_client()
        resp = client.post("/auth/login", data={"username": username, "password": PASSWORD})
        assert resp.status_code == 302, resp.status_code
        for label, path, kind in paths:
            def get(path=path):
                resp = client.get(path)
                assert resp.status_code == 200, (path, resp.status_code)
            figures[label] = (median_ms(get, n), kind)
    with app.app_context():
        from registry.extensions import db
        db.engine.dispose()
    return figures


class Browser:
    """A signed-in HTTP client on one kept-alive connection (cookies by hand)."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp.status, data

    def login(self, username: str) -> None:
        _, page = self.request("GET", "/auth/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
            re.search(r'name="csrf_token" value="([^"]+)"', page)
        form = {"username": username, "password": PASSWORD}
        if token:
            form["csrf_token"] = token.group(1)
        status, _ = self.request("POST", "/auth/login", urllib.parse.urlencode(form))
        assert status == 302, f"login failed ({status})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_server(url: str, p: dict, n: int) -> dict:
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-" + os.urandom(16).hex(),
               REGISTRY_INSTANCE_DIR=str(work), REGISTRY_ENV="development")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "registry:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        figures = {}
        for username, paths in (("bench", pages(p)), ("benchfirm", [("portal home", "/portal/", "other")])):
            browser = Browser(port)
            browser.login(username)
            for label, path, kind in paths:
                def get(path=path):
                    status, _ = browser.request("GET", path)
                    assert status == 200, (path, status)
                figures[label] = (median_ms(get, n), kind)
        return figures
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        for f in work.iterdir():
            f.unlink()
        work.rmdir()


def report(title: str, figures: dict, baseline: tuple[float, float]) -> None:
    count, scan = baseline
    print(f"  {title}")
    print(f"    {'page':44} {'median ms':>10} {'target':>7} {'× count(*)':>11} {'× scan':>7}")
    for label, (ms, kind) in figures.items():
        target = TARGETS_MS[kind]
        verdict = "ok" if ms <= target else "OVER"
        print(f"    {label:44} {ms:10.1f} {target:7} {ms / count:11.1f} {ms / scan:7.2f}  {verdict}")


def run(url: str, args, fill: bool) -> None:
    p = build(url, args.firms, args.years, fill)
    baseline = baseline_ms(url, max(args.requests, 15))
    print(f"  baseline SELECT count(*) FROM firms: {baseline[0]:.2f} ms, full scan "
          f"SELECT count(town_id): {baseline[1]:.2f} ms (medians of {max(args.requests, 15)})")
    report("test client", with_test_client(url, p, args.requests), baseline)
    if not args.no_server:
        report("real server (gunicorn, 1 worker, http on 127.0.0.1)", with_server(url, p, args.requests),
               baseline)
    print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--requests", type=int, default=15, help="requests per page (median)")
    parser.add_argument("--postgresql", action="store_true", help="also on a fresh PostgreSQL database")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-server", action="store_true", help="test client only")
    parser.add_argument("--database-url", default=None, help="an already filled database to use")
    args = parser.parse_args()

    if args.database_url:
        run(args.database_url, args, fill=False)
        return
    if not args.no_sqlite:
        work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
        path = work / "bench.sqlite3"
        try:
            run(f"sqlite:///{path}", args, fill=True)
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            work.rmdir()
    if args.postgresql:
        from tests.dbutil import create_database, drop_database

        url = create_database("postgresql", tag="bench_")
        try:
            run(url, args, fill=True)
        finally:
            drop_database(url)


if __name__ == "__main__":
    main()
