"""Run the test suite once per database: SQLite always, PostgreSQL and MariaDB when reachable.

``make test`` calls this. With CI=true an unreachable server is a failure; locally it is
reported and skipped. The last line sums the runs as "total: N passed, N failed, N skipped".

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


def run_backend(backend: str, pytest_args: list[str]) -> tuple[int, dict]:
    env = dict(os.environ, REGISTRY_TEST_DB=backend)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", *pytest_args]
    print(f"\n===== tests on {LABELS[backend]} =====", flush=True)
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
        reason = server_reachable(backend)
        if reason:
            msg = f"{LABELS[backend]} is unreachable ({reason})"
            if in_ci:
                problems.append(msg + ": in CI this is a failure")
                results[backend] = (1, {"passed": 0, "failed": 0, "skipped": 0, "errors": 1})
            else:
                print(f"\n===== {msg}: its tests are NOT run (SQLite-only locally) =====")
            continue
        results[backend] = run_backend(backend, pytest_args)

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
