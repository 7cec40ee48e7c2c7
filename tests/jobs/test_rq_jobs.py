"""The RQ runner against the real Redis (REDIS_URL): the web request only enqueues; an RQ
worker — in this process (SimpleWorker, burst) and as the real ``flask jobs worker``
command in a child process — checks and imports the batch. Skipped with the reason when
Redis does not answer; in CI that is a failure."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry.excel.models import ImportBatch
from registry.firms.models import Firm
from tests.jobs.helpers import REDIS_URL, SAMPLES, redis_or_skip, upload, wait

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rq_jobs(app, monkeypatch):
    url = redis_or_skip()
    name = f"registry-test-{uuid.uuid4().hex[:12]}"  # this test's own queue
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    monkeypatch.setitem(app.config, "IMPORT_JOBS", "auto")
    monkeypatch.setitem(app.config, "IMPORT_JOBS_QUEUE", name)
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_BYTES", 0)
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_ROWS", 0)
    from registry.jobs import queue

    q = queue(url, name)
    yield q
    q.delete(delete_jobs=True)


def work_in_process(app, q) -> None:
    from rq import SimpleWorker

    with app.app_context():
        SimpleWorker([q], connection=q.connection).work(burst=True, with_scheduler=False)


def work_in_child(q, database_url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=database_url, REGISTRY_ENV="testing",
               REDIS_URL=REDIS_URL, IMPORT_JOBS_QUEUE=q.name)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "registry", "jobs", "worker", "--burst"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def firms(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Firm))


def test_upload_and_confirm_run_on_rq_workers(app, client, login, ctx, rq_jobs, database_url):
    login("staff")
    batch_id = upload(client, SAMPLES / "firms_roster_2016.xlsx")
    state = client.get(f"/excel/{batch_id}/status.json").get_json()
    assert state["job_status"] == "queued" and state["active"]  # the request only enqueued
    assert rq_jobs.count == 1
    work_in_process(app, rq_jobs)
    state = wait(client, batch_id)
    assert state["job_status"] == "done" and state["total"] > 0
    assert firms(ctx) == 0

    client.post(f"/excel/{batch_id}/confirm", data={})
    assert client.get(f"/excel/{batch_id}/status.json").get_json()["job_status"] == "queued"
    child = work_in_child(rq_jobs, database_url)  # the command systemd runs, in burst mode
    assert child.returncode == 0, child.stderr[-3000:]
    state = wait(client, batch_id)
    assert state["status"] == "applied" and state["job_phase"] == "apply", state
    ctx.rollback()
    batch = ctx.get(ImportBatch, batch_id)
    assert firms(ctx) == batch.created_count > 0


def test_worker_command_needs_redis(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output


def test_unreachable_queue_fails_the_batch_with_a_message(app, client, login, ctx, monkeypatch):
    """Redis down when the job is handed over: the batch says so instead of waiting forever.
    (A real refused connection: nothing listens on port 1.)"""
    login("staff")
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.config, "IMPORT_JOBS", "rq")
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_BYTES", 0)
    batch_id = upload(client, SAMPLES / "firms_roster_2016.xlsx")
    state = client.get(f"/excel/{batch_id}/status.json").get_json()
    assert state["job_status"] == "failed" and not state["active"]
    assert "无法启动后台任务" in state["error"]
    page = client.get(f"/excel/{batch_id}").get_data(as_text=True)
    assert "无法启动后台任务" in page and "放弃本批次" in page


def test_a_bare_rq_worker_builds_the_app_from_the_environment(app, client, login, ctx, rq_jobs,
                                                             database_url):
    """docs/DEPLOY.md says a plain ``rq worker`` (forking, no Flask CLI) runs the jobs too."""
    login("staff")
    batch_id = upload(client, SAMPLES / "firms_roster_2016.xlsx")
    env = dict(os.environ, DATABASE_URL=database_url, REGISTRY_ENV="testing", REDIS_URL=REDIS_URL)
    child = subprocess.run([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", REDIS_URL,
                            rq_jobs.name], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert child.returncode == 0, child.stderr[-3000:]
    state = wait(client, batch_id)
    assert state["job_status"] == "done" and state["total"] > 0, state
