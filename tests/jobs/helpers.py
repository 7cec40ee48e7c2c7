"""Shared steps of the background-import tests: upload, wait for the job, read the state."""
from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "imports" / "samples"
#: How long a test waits for a job before failing: a bound, not a timing assertion.
WAIT_SECONDS = 180
REDIS_URL = os.environ.get("REGISTRY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def redis_or_skip() -> str:
    """The test Redis URL; skip (with the reason) when it does not answer — in CI, fail."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # any client error means "not usable"
        reason = f"Redis at {REDIS_URL} unreachable ({type(exc).__name__}: {exc})"
        if in_ci():
            pytest.fail(reason + ": in CI this is a failure")
        print("SKIP:", reason)
        pytest.skip(reason)
    return REDIS_URL


def upload(client, path: Path, **fields):
    form = {"file": (io.BytesIO(path.read_bytes()), path.name), **fields}
    resp = client.post("/excel/upload", data=form, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def wait(client, batch_id: int) -> dict:
    """Poll the status endpoint like the page does until the job is no longer active."""
    from registry.extensions import db

    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        # the test client's requests share the test's application context and so its
        # session: end its transaction, or MariaDB's REPEATABLE READ shows an old snapshot
        db.session.rollback()
        state = client.get(f"/excel/{batch_id}/status.json").get_json()
        if not state["active"]:
            return state
        assert time.monotonic() < deadline, f"job still {state} after {WAIT_SECONDS} s"
        time.sleep(0.2)
