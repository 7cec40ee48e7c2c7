"""Load test: 50 concurrent clients on the firm list, search and 档案 pages for 60 s, against
gunicorn (3 workers) on PostgreSQL with 100,000 firms (issue #10).

Steps: create a fresh PostgreSQL database (or use ``--database-url`` as it is), migrate it,
fill it with ``registry.demo.bulk`` (N firms, Y years of history) and VACUUM ANALYZE; start
gunicorn; run locust headless (``bench/locustfile.py``); print throughput, p50/p95/p99
latency and errors per page kind and in total, with the machine's core count and load.
Exit status 1 when any request failed. Figures are wall-clock on whatever else the
machine is doing: read them with the load average printed beside them.

    .venv/bin/python -m bench.load [--firms 100000] [--years 10] [--users 50] [--duration 60]
                                   [--workers 3] [--think 0] [--database-url URL] [--keep]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("REGISTRY_LOAD_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "load-test-password-1"
GROUPS = ("firm list", "search", "firm 档案 page", "sign-in form", "sign in")


def create_database() -> str:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"registry_load_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    engine.dispose()
    return make_url(SERVER).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    engine = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def build(url: str, firms: int, years: int, fill: bool) -> dict:
    """Migrate and fill the database; a staff account; the pages' parameters."""
    from sqlalchemy import func, select

    from bench import bulkdata
    from config import TestConfig
    from registry import create_app
    from registry.auth.models import User
    from registry.auth.services import create_user
    from registry.extensions import db
    from registry.firms.models import Firm, Town

    class LoadConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(LoadConfig)
    with app.app_context():
        if fill:
            print(bulkdata.fill(firms, years), flush=True)
        if db.session.scalar(select(User).where(User.username == "loadtest")) is None:
            create_user("loadtest", "staff", password=PASSWORD)
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(Firm))
        first, last = db.session.execute(select(func.min(Firm.id), func.max(Firm.id))).one()
        rng = random.Random(10)
        sample = [db.session.get(Firm, rng.randint(first, last)) for _ in range(200)]
        sample = [f for f in sample if f is not None]
        terms = []
        for f in sample:
            start = rng.randint(3, max(3, len(f.name) - 4))
            terms += [f.name[start:start + rng.choice((2, 3, 4))], f.uscc[-rng.choice((6, 8)):]]
        params = {"username": "loadtest", "password": PASSWORD, "firms": total,
                  "first_id": first, "last_id": last,
                  "last_page": max(1, -(-total // app.config["PER_PAGE"])),
                  "towns": list(db.session.scalars(select(Town.id))), "terms": terms}
        db.session.remove()
        db.engine.dispose()
    return params


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, workers: int, tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, REGISTRY_ENV="development",
               SECRET_KEY="load-" + uuid.uuid4().hex, REGISTRY_INSTANCE_DIR=str(tmp))
    log = open(tmp / "gunicorn.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
                             f"127.0.0.1:{port}", "--timeout", "120", "registry:create_app()"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/auth/login", timeout=5).read()
            return proc, base
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start:\n" + (tmp / "gunicorn.log").read_text()[-3000:])


def run_locust(base: str, params: dict, users: int, duration: int, think: float, tmp: Path) -> list[dict]:
    (tmp / "params.json").write_text(json.dumps(params, ensure_ascii=False), encoding="utf-8")
    env = dict(os.environ, LOAD_PARAMS=str(tmp / "params.json"), LOAD_THINK=str(think))
    prefix = tmp / "load"
    cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
           "-u", str(users), "-r", str(max(1, users // 2)), "-t", f"{duration}s", "--host", base,
           "--csv", str(prefix), "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"]
    subprocess.run(cmd, cwd=ROOT, env=env, check=False)
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def report(rows: list[dict], *, firms: int, users: int, duration: int, workers: int, think: float,
           load_before: tuple) -> int:
    by_name = {r["Name"]: r for r in rows}
    print(f"\nLoad test: {users} clients, {duration} s, think time {think:g} s, gunicorn {workers} "
          f"sync workers, PostgreSQL, {firms:,} firms; machine: {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in load_before)} before the run (others' work), "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at its end")
    header = f"{'page':20} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>7}"
    print(header + "\n" + "-" * len(header))
    failed = 0
    for name in (*GROUPS, "Aggregated"):
        r = by_name.get(name)
        if r is None:
            continue
        failed += int(r["Failure Count"]) if name != "Aggregated" else 0
        label = "all requests" if name == "Aggregated" else name
        print(f"{label:20} {int(r['Request Count']):>9} {float(r['Requests/s']):>7.1f} {r['50%']:>7} "
              f"{r['95%']:>7} {r['99%']:>7} {int(r['Failure Count']):>7}")
    pages = [by_name[n] for n in GROUPS[:3] if n in by_name]
    served = sum(int(r["Request Count"]) for r in pages)
    print(f"\npages served: {served:,} in {duration} s = {served / duration:.1f} pages/s; errors: {failed}")
    return 1 if failed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--think", type=float, default=0.0, help="seconds between a client's pages")
    parser.add_argument("--database-url", help="an already filled database, used as it is")
    parser.add_argument("--keep", action="store_true", help="keep the database built for the run")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    url = args.database_url or create_database()
    proc = None
    try:
        params = build(url, args.firms, args.years, fill=not args.database_url)
        with tempfile.TemporaryDirectory(prefix="registry-load-") as tmp:
            load_before = os.getloadavg()
            proc, base = start_gunicorn(url, args.workers, Path(tmp))
            rows = run_locust(base, params, args.users, args.duration, args.think, Path(tmp))
            return report(rows, firms=params["firms"], users=args.users, duration=args.duration,
                          workers=args.workers, think=args.think, load_before=load_before)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        if not args.database_url and not args.keep:
            drop_database(url)
        elif not args.database_url:
            print(f"database kept: {url}")


if __name__ == "__main__":
    sys.exit(main())
