"""Large imports as background jobs on the thread runner (no REDIS_URL): upload → progress
→ the same preview → confirm → progress → imported; failures write nothing and say why in
Chinese; a stuck job can be recognised and discarded; progress is visible mid-job."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from registry.excel import background
from registry.excel.models import ImportBatch
from registry.firms.models import Firm
from registry.timeutil import utcnow
from tests.jobs.helpers import SAMPLES, upload, wait


@pytest.fixture
def jobs_on(app, monkeypatch):
    """Every upload and confirm goes to a job, run by a thread of this process."""
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_BYTES", 0)
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_ROWS", 0)
    monkeypatch.setitem(app.config, "IMPORT_JOBS", "thread")
    monkeypatch.setitem(app.config, "REDIS_URL", None)


def firms(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Firm))


def counts_in(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', page)}


def test_upload_preview_confirm_as_jobs(client, login, ctx, jobs_on):
    login("staff")
    batch_id = upload(client, SAMPLES / "firms_roster_2016.xlsx")
    state = wait(client, batch_id)
    assert state["job_status"] == "done" and state["job_phase"] == "plan", state
    assert state["total"] > 0 and state["done"] == state["total"]
    page = client.get(f"/excel/{batch_id}").get_data(as_text=True)
    assert "后台检查的结果" in page and "确认导入" in page
    assert "后台检查中" not in client.get("/excel/").get_data(as_text=True)
    counts = counts_in(page)
    assert counts["new"] > 0 and counts["error"] == 0
    assert firms(ctx) == 0  # checking writes nothing

    resp = client.post(f"/excel/{batch_id}/confirm", data={})
    assert resp.status_code == 302
    state = wait(client, batch_id)
    assert state["job_status"] == "done" and state["job_phase"] == "apply", state
    assert state["status"] == "applied"
    assert firms(ctx) == counts["new"]
    page = client.get(f"/excel/{batch_id}").get_data(as_text=True)
    assert "导入结果" in page and f"新增 {counts['new']} 条" in page
    batch = ctx.get(ImportBatch, batch_id)
    assert batch.content is None and batch.result["applied"]["batch_id"] == batch_id


def test_progress_page_polls_a_status_endpoint(client, login, ctx, make):
    """While queued, the page shows the bar wired to the status URL (no job is started here)."""
    user = login("staff")
    from registry.excel import services

    batch = services.new_batch(user, (SAMPLES / "firms_roster_2016.xlsx").read_bytes(), "大表.xlsx")
    background.queue_plan(user, batch)
    ctx.commit()
    ctx.info.pop("excel.jobs", None)
    page = client.get(f"/excel/{batch.id}").get_data(as_text=True)
    assert f'data-status-url="/excel/{batch.id}/status.json"' in page and 'data-active="1"' in page
    state = client.get(f"/excel/{batch.id}/status.json")
    assert state.headers["Cache-Control"] == "no-store"
    assert state.get_json()["text"] == "排队等待处理…"
    assert "后台检查中" in client.get("/excel/").get_data(as_text=True)
    # a confirm, a column map or a discard while the job is active is refused
    resp = client.post(f"/excel/{batch.id}/confirm", data={}, follow_redirects=True)
    assert "正在后台处理" in resp.get_data(as_text=True)
    resp = client.post(f"/excel/{batch.id}/discard", data={}, follow_redirects=True)
    assert "正在后台处理" in resp.get_data(as_text=True)


def test_stuck_job_is_recognised_and_can_be_discarded(client, login, ctx, make, app):
    user = login("staff")
    from registry.excel import services

    batch = services.new_batch(user, (SAMPLES / "firms_roster_2016.xlsx").read_bytes(), "大表.xlsx")
    background.queue_plan(user, batch)
    batch.job_status = "running"
    batch.job_updated_at = utcnow() - timedelta(seconds=app.config["IMPORT_JOB_STALE_SECONDS"] + 5)
    ctx.commit()
    ctx.info.pop("excel.jobs", None)
    state = client.get(f"/excel/{batch.id}/status.json").get_json()
    assert state["stale"] and not state["active"] and "中断" in state["text"]
    page = client.get(f"/excel/{batch.id}").get_data(as_text=True)
    assert 'data-active="0"' in page and "放弃本批次" in page
    resp = client.post(f"/excel/{batch.id}/discard", data={}, follow_redirects=True)
    assert "没有写入任何数据" in resp.get_data(as_text=True)
    ctx.rollback()
    batch = ctx.get(ImportBatch, batch.id)
    assert batch.status == "discarded" and batch.job_status == "failed" and batch.content is None
    # the job, if it wakes up after all, finds the batch gone and writes nothing
    background.run(batch.id, batch.job_id, "plan")
    ctx.rollback()
    assert ctx.get(ImportBatch, batch.id).status == "discarded" and firms(ctx) == 0


def test_refused_file_fails_the_job_with_a_chinese_reason(client, login, ctx, jobs_on, tmp_path):
    """A file only reading can refuse (here bytes that are no CSV either) fails its job."""
    login("staff")
    broken = tmp_path / "名录.csv"
    broken.write_bytes(bytes(range(256)) * 8)
    batch_id = upload(client, broken)
    state = wait(client, batch_id)
    assert state["job_status"] == "failed" and state["status"] == "rejected"
    assert re.search(r"[\u4e00-\u9fff]", state["error"])
    page = client.get(f"/excel/{batch_id}").get_data(as_text=True)
    assert "检查失败" in page and state["error"] in page
    assert ctx.get(ImportBatch, batch_id).content is None


def test_a_broken_workbook_is_refused_at_upload_without_a_batch(client, login, ctx, jobs_on, tmp_path):
    """What the file's structure alone refuses (a zip that is no workbook, a zip bomb …) is
    refused in the request even when the upload is large enough for a job: nothing kept."""
    login("staff")
    broken = tmp_path / "名录.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook" * 100)
    resp = client.post("/excel/upload", data={"file": (broken.open("rb"), broken.name)},
                       content_type="multipart/form-data")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/excel/")
    assert "已损坏" in client.get("/excel/").get_data(as_text=True)
    assert ctx.scalar(select(func.count()).select_from(ImportBatch)) == 0


def _fail_audit_inserts(session):
    """A real database refusal half-way through the write: the audit rows come after the
    firms, so the firms are already inserted when it strikes."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("CREATE TRIGGER boom BEFORE INSERT ON audit_log "
                             "BEGIN SELECT RAISE(ABORT, 'boom'); END"))
    elif dialect == "postgresql":
        session.execute(text("CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN "
                             "RAISE EXCEPTION 'boom'; END $$ LANGUAGE plpgsql"))
        session.execute(text("CREATE TRIGGER boom BEFORE INSERT ON audit_log "
                             "FOR EACH ROW EXECUTE FUNCTION boom()"))
    else:
        session.execute(text("CREATE TRIGGER boom BEFORE INSERT ON audit_log FOR EACH ROW "
                             "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom'"))
    session.commit()


def _drop_trigger(session):
    session.rollback()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("DROP TRIGGER IF EXISTS boom ON audit_log"))
        session.execute(text("DROP FUNCTION IF EXISTS boom()"))
    else:
        session.execute(text("DROP TRIGGER IF EXISTS boom"))
    session.commit()


def test_failed_apply_job_writes_nothing(client, login, ctx, jobs_on):
    login("staff")
    batch_id = upload(client, SAMPLES / "firms_roster_2016.xlsx")
    assert wait(client, batch_id)["job_status"] == "done"
    _fail_audit_inserts(ctx)
    try:
        client.post(f"/excel/{batch_id}/confirm", data={})
        state = wait(client, batch_id)
    finally:
        _drop_trigger(ctx)
    assert state["job_status"] == "failed" and state["job_phase"] == "apply"
    assert state["status"] == "preview" and "未写入任何数据" in state["error"]
    assert firms(ctx) == 0
    page = client.get(f"/excel/{batch_id}").get_data(as_text=True)
    assert "导入失败" in page and "确认导入" in page  # the preview is still there to retry
    # and retrying once the database accepts the rows imports them
    client.post(f"/excel/{batch_id}/confirm", data={})
    assert wait(client, batch_id)["status"] == "applied"
    assert firms(ctx) > 0


def test_rows_in_error_are_refused_before_queueing(client, login, ctx, jobs_on):
    login("staff")
    batch_id = upload(client, SAMPLES / "firms_roster_dirty.xlsx")
    assert wait(client, batch_id)["job_status"] == "done"
    page = client.get(f"/excel/{batch_id}").get_data(as_text=True)
    assert counts_in(page)["error"] > 0
    resp = client.post(f"/excel/{batch_id}/confirm", data={}, follow_redirects=True)
    assert "未导入任何数据" in resp.get_data(as_text=True)
    assert ctx.get(ImportBatch, batch_id).job_phase == "plan"  # nothing was queued
    client.post(f"/excel/{batch_id}/confirm", data={"valid_only": "y"})
    state = wait(client, batch_id)
    assert state["status"] == "applied", state
    assert firms(ctx) == counts_in(page)["new"]


def test_progress_is_visible_while_the_job_runs(app, ctx, make, monkeypatch):
    """Each progress write is committed on its own, so another connection sees it while the
    job's transaction is still open, and the job's own writes are not blocked by it (on
    SQLite too, where a second writer would wait for the first)."""
    from registry.excel import reader, services
    from registry.extensions import db

    monkeypatch.setattr(reader, "PROGRESS_EVERY", 5)
    monkeypatch.setattr(background.Progress, "INTERVAL", 0)
    user = make.user(role="staff")
    batch = services.new_batch(user, (SAMPLES / "firms_roster_2016.xlsx").read_bytes(), "r.xlsx")
    background.queue_plan(user, batch)
    ctx.commit()
    ctx.info.pop("excel.jobs", None)
    seen = []
    write = background._touch

    def touch_and_look(batch_id, job_id, **values):
        changed = write(batch_id, job_id, **values)
        with db.engine.connect() as other:  # a third connection, as the status endpoint
            seen.append(other.execute(select(ImportBatch.progress_done, ImportBatch.progress_total)
                                      .where(ImportBatch.id == batch_id)).one())
        return changed

    monkeypatch.setattr(background, "_touch", touch_and_look)
    batch_id, job_id = batch.id, batch.job_id
    background.run(batch_id, job_id, "plan")  # in this thread; it ends with its own session
    done = ctx.get(ImportBatch, batch_id)
    assert done.job_status == "done", done.job_error
    running = [s for s in seen if 0 < s.progress_done < s.progress_total]
    assert len(running) >= 2 and running == sorted(running)
    assert done.progress_done == done.total_rows > 0


def test_column_map_on_a_job_checked_batch_checks_it_again(client, login, ctx, jobs_on, tmp_path):
    """The map form of a large batch comes from the job's snapshot; answering it queues a new
    check with the map, and the preview then shows the mapped column."""
    import io

    from openpyxl import Workbook

    from registry.excel.models import ImportMapping
    from tests.factories import next_uscc

    login("staff")
    wb = Workbook()
    ws = wb.active
    ws.title = "企业名录"
    ws.append(["企业名称", "统一社会信用代码", "成立日期", "办公电话"])
    ws.append(["慈溪市后台映射电器有限公司", next_uscc(), "2016-01-05", "0574-63000011"])
    ws.append(["慈溪市后台映射五金有限公司", next_uscc(), "2016-02-05", "0574-63000012"])
    path = tmp_path / "补报名录.xlsx"
    wb.save(path)
    batch_id = upload(client, path, kind="firms")
    assert wait(client, batch_id)["job_status"] == "done"
    page = client.get(f"/excel/{batch_id}").get_data(as_text=True)
    assert "以下列未能识别" in page and "办公电话" in page and "0574-63000011" in page
    resp = client.post(f"/excel/{batch_id}/mapping", data={"map-0-0": "phone", "save": "1"},
                       follow_redirects=True)
    assert "正在按所选对应关系重新检查" in resp.get_data(as_text=True)
    state = wait(client, batch_id)
    assert state["job_status"] == "done" and state["job_phase"] == "plan"
    page = client.get(f"/excel/{batch_id}").get_data(as_text=True)
    assert "以下列未能识别" not in page and "0574-63000011" in page
    ctx.rollback()
    assert ctx.get(ImportBatch, batch_id).options["mapping"] == {"企业名录": {"办公电话": "phone"}}
    assert ctx.scalar(select(func.count()).select_from(ImportMapping)) == 1
