"""Statistics speed: the full figures for one year over 100,000 firms, beside count(*).

Builds a throw-away database (SQLite by default; ``--postgresql`` also a fresh PostgreSQL
database, ``--database-url`` any other) with ``registry.demo.bulk``: N firms with Y years
of recognitions, annual data, R&D institutions and teams. Then times
``registry.stats.services.compute(year, zone)`` — every figure of the JSON, breakdowns
included — as the median of several runs, beside a plain ``SELECT count(*) FROM firms``
timed in the same run, so the figure can be read as a ratio on a noisy shared machine.

Target (issue #4): ≤ 300 ms per full computation on SQLite and PostgreSQL; the
dashboard's statistics (the figures, trend lines 2011→year and the ladder, as the /stats/
page computes them; issue #10: ≤ 300 ms) are timed beside it. On SQLite
``count(*)`` is answered from the b-tree without reading rows, so a full-scan
``count(town_id)`` is printed as a second, more telling ratio.

    .venv/bin/python -m bench.stats [--firms 100000] [--years 10] [--runs 7] [--postgresql]
                                    [--verbose]

``--verbose`` adds, per zone, the median time of each query function of
``registry.stats.queries`` within one computation (the rest is Python and the reference
lookups).
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

TARGET_MS = 300
ZONES = ("all", "exclude-new-area", "new-area")


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


QUERY_FUNCTIONS = ("first_recognition_year", "holding_cells",
                   "institution_cells", "above_scale_cells", "team_cells", "member_cells")


class QueryTimer:
    """Wraps the query functions of ``registry.stats.queries`` to time each call."""

    def __init__(self):
        from registry.stats import queries

        self.queries, self.current, self.runs = queries, {}, []
        self.originals = {name: getattr(queries, name) for name in QUERY_FUNCTIONS}
        for name, fn in self.originals.items():
            setattr(queries, name, self._wrap(name, fn))

    def _wrap(self, name, fn):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = (time.perf_counter() - start) * 1000
                self.current[name] = self.current.get(name, 0.0) + elapsed
        return timed

    def next_run(self) -> None:
        self.runs.append(self.current)
        self.current = {}

    def report(self) -> None:
        done = [r for r in self.runs if r]
        for name in QUERY_FUNCTIONS:
            values = [r.get(name, 0.0) for r in done]
            if any(values):
                print(f"      {name:24} {statistics.median(values):8.1f} ms")
        self.runs = []

    def restore(self) -> None:
        for name, fn in self.originals.items():
            setattr(self.queries, name, fn)


def run(url: str, firms: int, years: int, runs: int, year: int, verbose: bool = False) -> None:
    from sqlalchemy import text

    from bench.bulkdata import fill
    from config import TestConfig
    from registry import create_app
    from registry.extensions import db
    from registry.stats.services import compute, compute_with_trend
    from registry.stats.trends import ladder, trends

    def dashboard(year, zone):
        """What the /stats/ page computes: the figures, the trend lines and the ladder."""
        stats, lines = compute_with_trend(year, zone)
        return stats, trends(year, zone, lines), ladder(year, zone)

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(BenchConfig)
    with app.app_context():
        print(f"\n{db.engine.dialect.name}: {fill(firms, years, last_year=year)}")

        def count_firms():
            db.session.execute(text("SELECT count(*) FROM firms")).scalar()

        def scan_firms():  # count(*) can be answered from the b-tree's page counts on SQLite
            db.session.execute(text("SELECT count(town_id) FROM firms")).scalar()

        compute(year, "all")  # warm the caches once, as a running server would be
        baseline = _median_ms(count_firms, runs)
        scan = _median_ms(scan_firms, runs)
        print(f"  baseline SELECT count(*) FROM firms: {baseline:8.1f} ms (median of {runs}); "
              f"full scan SELECT count(town_id): {scan:.1f} ms")
        timer = QueryTimer() if verbose else None
        try:
            for zone in ZONES:
                def once(zone=zone):
                    compute(year, zone)
                    db.session.rollback()  # each call in its own transaction, as per request
                    if timer:
                        timer.next_run()
                ms = _median_ms(once, runs)
                verdict = "OK" if ms <= TARGET_MS else "OVER"
                print(f"  compute({year}, {zone!r:20}) {ms:8.1f} ms  target ≤ {TARGET_MS} ms  "
                      f"[{verdict}]  = {ms / baseline:7.1f} × count(*), {ms / scan:5.1f} × full scan")
                if timer:
                    timer.report()
                ms = _median_ms(lambda zone=zone: (dashboard(year, zone), db.session.rollback()), runs)
                verdict = "OK" if ms <= TARGET_MS else "OVER"
                print(f"  dashboard({year}, {zone!r:18}) {ms:8.1f} ms  target ≤ {TARGET_MS} ms  "
                      f"[{verdict}]  = {ms / baseline:7.1f} × count(*), {ms / scan:5.1f} × full scan")
        finally:
            if timer:
                timer.restore()
        print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--year", type=int, default=2016, help="the year computed (last year built)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--postgresql", action="store_true", help="also on a fresh PostgreSQL database")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--database-url", default=None, help="an empty database to use instead")
    parser.add_argument("--verbose", action="store_true",
                        help="also the median time of each query function per zone")
    args = parser.parse_args()

    if args.database_url:
        run(args.database_url, args.firms, args.years, args.runs, args.year, args.verbose)
        return
    if not args.no_sqlite:
        work = Path(tempfile.mkdtemp(prefix="bench-stats-"))
        path = work / "bench.sqlite3"
        try:
            run(f"sqlite:///{path}", args.firms, args.years, args.runs, args.year, args.verbose)
        finally:
            path.unlink(missing_ok=True)
            work.rmdir()
    if args.postgresql:
        from tests.dbutil import create_database, drop_database

        url = create_database("postgresql", tag="bench_")
        try:
            run(url, args.firms, args.years, args.runs, args.year, args.verbose)
        finally:
            drop_database(url)


if __name__ == "__main__":
    main()
