"""Run the test suite once per database: SQLite always, PostgreSQL and MariaDB when reachable.

``make test`` calls this. With CI=true an unreachable server is a failure; locally it is
reported and skipped. The last line sums the runs as "total: N passed, N failed, N skipped".
The browser tests (tests/browser) run once, in the SQLite leg.

    python -m tests.matrix [--db sqlite,postgresql,mysql] [pytest args …]
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

from tests.dbutil import BACKENDS, server_reachable

LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB/MySQL"}
COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")
#: Browser tests check the pages, not the database: they run once, in the SQLite leg.
BROWSER_TESTS = os.path.join("tests", "browser")


def _is_browser_path(arg: str) -> bool:
    path = os.path.normpath(arg.split("::", 1)[0])
    return path == BROWSER_TESTS or path.startswith(BROWSER_TESTS + os.sep)


def leg_args(backend: str, pytest_args: list[str]) -> list[str] | None:
    """The pytest arguments for one database, or None when nothing is left to run there.

    Outside SQLite the browser tests are left out (``--ignore`` alone would not do: pytest
    still collects a directory named on the command line)."""
    if backend == "sqlite":
        return pytest_args
    paths = [a for a in pytest_args if not a.startswith("-") and os.path.exists(a.split("::", 1)[0])]
    browser = [a for a in paths if _is_browser_path(a)]
    if browser and len(browser) == len(paths):
        return None
    return [a for a in pytest_args if a not in browser] + ["--ignore=" + BROWSER_TESTS]


def run_backend(backend: str, pytest_args: list[str], note: str = "") -> tuple[int, dict]:
    env = dict(os.environ, REGISTRY_TEST_DB=backend)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", *pytest_args]
    print(f"\n===== tests on {LABELS[backend]}{note} =====", flush=True)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    last = ""
    for line in proc.stdout:
        sys.stdout.write(line)
        if line.strip():
            last = line
    proc.wait()
    counts = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    for number, kind in COUNT.findall(last):
        key = "errors" if kind.startswith("error") else kind
        if key in counts:
            counts[key] += int(number)
    return proc.returncode, counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("DB", ",".join(BACKENDS)))
    args, pytest_args = parser.parse_known_args(argv)
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    results, problems = {}, []
    for backend in [b.strip() for b in args.db.split(",") if b.strip()]:
        if backend not in BACKENDS:
            parser.error(f"unknown database {backend!r}; choose from {', '.join(BACKENDS)}")
        backend_args = leg_args(backend, pytest_args)
        if backend_args is None:
            print(f"\n===== {LABELS[backend]}: browser tests run in the SQLite leg only; nothing to run =====")
            continue
        reason = server_reachable(backend)
        if reason:
            msg = f"{LABELS[backend]} is unreachable ({reason})"
            if in_ci:
                problems.append(msg + ": in CI this is a failure")
                results[backend] = (1, {"passed": 0, "failed": 0, "skipped": 0, "errors": 1})
            else:
                print(f"\n===== {msg}: its tests are NOT run (SQLite-only locally) =====")
            continue
        note = "" if backend == "sqlite" else " (browser tests: SQLite leg only)"
        results[backend] = run_backend(backend, backend_args, note)

    print("\n===== summary =====")
    total = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    for backend, (code, counts) in results.items():
        for key in total:
            total[key] += counts[key]
        state = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"{LABELS[backend]:15} {counts['passed']} passed, {counts['failed']} failed, "
              f"{counts['skipped']} skipped, {counts['errors']} errors — {state}")
    for msg in problems:
        print("ERROR:", msg)
    failed = total["failed"] + total["errors"]
    print(f"total: {total['passed']} passed, {failed} failed, {total['skipped']} skipped")
    ok = results and all(code == 0 for code, _ in results.values()) and not problems
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
