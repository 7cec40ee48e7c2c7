"""Stateless serving: gunicorn with 3 worker processes on PostgreSQL, driven over HTTP.

The upload → preview → confirm flow is run twice — a small workbook checked in the
request, and a larger one checked and imported by a background job in a thread of
whichever worker took the upload — while every response names its worker in X-Worker-Pid
(WORKER_PID_HEADER, a testing aid off by default). The test asserts that pages were served
by a worker other than the one that took the upload: nothing the flow needs lives in a
worker's memory. PostgreSQL only (the production database); skipped elsewhere.
"""
from __future__ import annotations

import http.cookiejar
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 180  # a bound for start-up and jobs, not a timing assertion

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason=f"gunicorn multi-worker test runs on PostgreSQL only (this run: {BACKEND})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie-keeping HTTP client that records which worker served each response."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())
        self.pids: list[tuple[str, int]] = []

    def request(self, method: str, path: str, data: bytes | None = None, headers=None):
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            resp = self.opener.open(req, timeout=60)
        except urllib.error.HTTPError as err:  # 3xx (not followed), 4xx, 5xx
            resp = err
        body = resp.read().decode("utf-8", "replace")
        self.pids.append((f"{method} {path}", int(resp.headers["X-Worker-Pid"])))
        return resp.status, resp.headers, body

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, fields: dict, files: dict | None = None):
        boundary = uuid.uuid4().hex
        out = io.BytesIO()
        for name, value in fields.items():
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content) in (files or {}).items():
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                      f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode())
            out.write(content + b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, out.getvalue(),
                            {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def csrf(self, path) -> str:
        status, _h, body = self.get(path)
        assert status == 200, body[:1000]
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)


@pytest.fixture
def server(app, database_url, tmp_path):
    """gunicorn, 3 sync workers, development config with CSRF on, on the test database."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, REGISTRY_ENV="development",
               SECRET_KEY="gunicorn-test-" + uuid.uuid4().hex, WORKER_PID_HEADER="1",
               REGISTRY_INSTANCE_DIR=str(tmp_path), IMPORT_BACKGROUND_BYTES="50000",
               IMPORT_BACKGROUND_ROWS="1000", IMPORT_JOBS="thread")
    env.pop("REDIS_URL", None)
    log = open(tmp_path / "gunicorn.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "3", "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--graceful-timeout", "10", "registry:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            urllib.request.urlopen(base + "/auth/login", timeout=5).read()
            break
        except OSError:
            assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not answer"
            time.sleep(0.3)
    yield base
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def login(browser: Browser, username: str) -> None:
    token = browser.csrf("/auth/login")
    status, headers, body = browser.post("/auth/login", {"csrf_token": token, "username": username,
                                                         "password": "correct-horse-1"})
    assert status == 302, body[:1000]


def upload(browser: Browser, name: str, content: bytes) -> tuple[str, int]:
    token = browser.csrf("/excel/")
    status, headers, body = browser.post("/excel/upload", {"csrf_token": token}, {"file": (name, content)})
    assert status == 302, body[:2000]
    return headers["Location"].replace(browser.base, ""), browser.pids[-1][1]


def page_from_another_worker(browser: Browser, path: str, not_pid: int) -> str:
    """GET ``path`` until a worker other than ``not_pid`` answers (a bounded number of tries).

    The requests go four at a time: one after another, an idle sync worker that has just
    answered is often first back at accept() and can take every request; requests that
    overlap must be spread over the workers."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(30):
            for status, headers, body in pool.map(lambda _: browser.get(path), range(4)):
                assert status == 200, body[:2000]
                if int(headers["X-Worker-Pid"]) != not_pid:
                    return body
    pytest.fail(f"120 requests, all served by worker {not_pid}: {browser.pids}")


def wait_job(browser: Browser, path: str) -> dict:
    import json

    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        status, _h, body = browser.get(path + "/status.json")
        state = json.loads(body)
        if not state["active"]:
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.3)


def confirm(browser: Browser, path: str, preview_page: str) -> None:
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', preview_page).group(1)
    status, _h, body = browser.post(path + "/confirm", {"csrf_token": token})
    assert status == 302, body[:2000]


def test_import_flow_across_three_workers(server, make, ctx, tmp_path):
    from sqlalchemy import func, select

    from bench.import_roster import make_roster
    from registry.firms.models import Firm

    user = make.user(role="staff")
    ctx.commit()
    browser = Browser(server)
    login(browser, user.username)

    # small: checked in the upload request, previewed and confirmed by other workers
    path, uploader = upload(browser, "名录.xlsx", (ROOT / "imports/samples/firms_roster_2016.xlsx").read_bytes())
    page = page_from_another_worker(browser, path, uploader)
    assert "确认导入" in page and "导入预览" in page
    confirm(browser, path, page)
    status, _h, body = browser.get(path)
    assert "导入结果" in body and "已导入" in body

    # large: a background job in the uploading worker's thread; progress and preview from any
    big = tmp_path / "大名录.xlsx"
    make_roster(big, 2500, offset=50_000)
    path, uploader = upload(browser, big.name, big.read_bytes())
    state = wait_job(browser, path)
    assert state["job_status"] == "done", state
    page = page_from_another_worker(browser, path, uploader)
    assert "后台检查的结果" in page and 'data-count="new">2500<' in page
    confirm(browser, path, page)
    state = wait_job(browser, path)
    assert state["status"] == "applied", state

    pids = {pid for _step, pid in browser.pids}
    print(f"{len(browser.pids)} requests served by workers {sorted(pids)}")
    assert len(pids) >= 2, browser.pids
    ctx.rollback()
    assert ctx.scalar(select(func.count()).select_from(Firm)) >= 2500
