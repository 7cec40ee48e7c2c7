"""Large imports as background jobs: the same check and the same all-or-nothing write as in
a request, run by ``registry.jobs`` (RQ or a thread), with the state in the batch row.

A job has a phase — ``plan`` (read and check the upload, keep the preview as a snapshot)
or ``apply`` (re-read, re-check against the registry as it is now, write) — and a status:
queued → running → done | failed. ``job_id`` names one run: a job that finds another id on
its batch (the batch was discarded, or re-checked with another column map) stops without
touching it.

Progress (rows read / total) is written through its own short transaction on a separate
connection, never the job's own, so the page's polling sees it at once and the import's
transaction holds no lock while it reads. Once the job's own transaction starts writing
(the import itself, or the final state) no progress is written any more: on SQLite the
second connection would wait for the job's writer lock, and on PostgreSQL or MariaDB for
the batch row the job has locked. ``job_updated_at`` moves with every progress write; a
job whose ``job_updated_at`` is older than IMPORT_JOB_STALE_SECONDS is taken as dead.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections import namedtuple
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from registry import jobs
from registry.auth.models import User
from registry.errors import RegistryError
from registry.excel import container, preview, services, snapshot
from registry.excel.container import Limits
from registry.excel.models import ImportBatch
from registry.excel.types import FileRefused
from registry.extensions import db
from registry.timeutil import utcnow

TARGET = "registry.excel.background:run"
ACTIVE = ("queued", "running")
BATCHES = ImportBatch.__table__
CRASHED = "后台处理时发生内部错误，未写入任何数据。请重新上传；如仍失败，请联系系统管理员查看日志。"
log = logging.getLogger(__name__)


# --- deciding and starting (in the request) ---------------------------------------------

def wants_background_upload(size: int) -> bool:
    return size >= int(current_app.config.get("IMPORT_BACKGROUND_BYTES", 1024 * 1024))


def wants_background_confirm(batch: ImportBatch) -> bool:
    """A batch a job checked, or one with many rows, is imported by a job too."""
    return (snapshot.usable(batch.result)
            or batch.total_rows >= int(current_app.config.get("IMPORT_BACKGROUND_ROWS", 10000)))


def is_active(batch: ImportBatch) -> bool:
    return batch.job_status in ACTIVE


def is_stale(batch: ImportBatch) -> bool:
    """An active job that has not reported for IMPORT_JOB_STALE_SECONDS: its worker died."""
    if not is_active(batch):
        return False
    limit = timedelta(seconds=int(current_app.config.get("IMPORT_JOB_STALE_SECONDS", 600)))
    return batch.job_updated_at is None or utcnow() - batch.job_updated_at > limit


def upload(actor, data: bytes, filename: str, *, kind=None, programme=None, year=None) -> ImportBatch:
    """Keep an upload as a preview batch: checked here when small, else queued for a job
    (``start_queued`` after the commit starts it)."""
    if not wants_background_upload(len(data)):
        batch, _plan = services.stage_upload(actor, data, filename, kind=kind, programme=programme,
                                             year=year)
        return batch
    container.precheck(data, filename, Limits.from_config(current_app.config))  # refused: nothing kept
    batch = services.new_batch(actor, data, filename, kind=kind, programme=programme, year=year)
    queue_plan(actor, batch)
    return batch


def confirm(actor, batch: ImportBatch, *, valid_only: bool = False) -> dict | None:
    """Import ``batch`` now (small: returns the counts) or queue a job for it (None)."""
    if is_active(batch):
        raise RegistryError("该批次正在后台处理，请等待完成后再操作。")
    if not wants_background_confirm(batch):
        return services.confirm_batch(actor, batch, valid_only=valid_only)
    queue_apply(actor, batch, valid_only=valid_only)
    return None


def no_preview(batch: ImportBatch) -> bool:
    """The page has no preview to show: a job is at work on the batch, or its check failed
    without one (the page then shows the error and the discard button)."""
    return is_active(batch) or (batch.status == "preview" and batch.job_status == "failed"
                                and batch.job_phase == "plan" and not snapshot.usable(batch.result))


MappingChoices = namedtuple("MappingChoices", "workbook sheets current snapshot")


def mapping_choices(batch: ImportBatch) -> MappingChoices:
    """The column-map form's sheets: from a job's snapshot (large batch), else a fresh plan."""
    snap = batch.result if snapshot.usable(batch.result) else None
    if snap:
        workbook, sheets = snapshot.workbook(snap), snapshot.mapping_sheets(snap)
        current = preview.per_sheet((batch.options or {}).get("mapping"), workbook)
    else:
        plan = services.load_plan(batch)
        workbook = plan.workbook
        current = preview.per_sheet((batch.options or {}).get("mapping"), workbook)
        sheets = preview.mapping_sheets(plan, current)
    return MappingChoices(workbook, sheets, current, snap)


def remap(actor, batch: ImportBatch, choices: MappingChoices, chosen: dict, *, save: bool) -> bool:
    """Apply the user's column map (and remember it when ``save``); a batch a job checked is
    queued to be checked again (True), a small one is re-planned on its next view."""
    current = choices.current
    merged = {name: {**current.get(name, {}), **chosen.get(name, {})} for name in {*current, *chosen}}
    batch.options = dict(batch.options or {}, mapping=merged)
    if save:
        for sheet in choices.workbook.sheets:
            if merged.get(sheet.name):
                services.save_mapping(actor, sheet.sheet_kind, sheet.headers, merged[sheet.name])
    if choices.snapshot:
        queue_plan(actor, batch)
        return True
    db.session.flush()
    return False


def queue_plan(actor, batch: ImportBatch) -> None:
    """Mark ``batch`` (new, or with a changed column map) to be checked by a job. The old
    preview goes: it no longer matches the column map."""
    _refuse_if_busy(batch)
    batch.result = None
    _queue(batch, "plan", {})


def queue_apply(actor, batch: ImportBatch, *, valid_only: bool = False) -> None:
    """Mark ``batch`` to be imported by a job; the same refusals as a confirm in the request."""
    if batch.status != "preview":
        raise RegistryError(f"该导入批次{batch.status_label}，不能再次导入。")
    _refuse_if_busy(batch)
    sheet_errors = len(batch.result["workbook"]["errors"]) if snapshot.usable(batch.result) else 0
    if (batch.error_count or sheet_errors) and not valid_only:  # the job would refuse it too
        problems = [f"{batch.error_count}行错误"] if batch.error_count else []
        if sheet_errors:
            problems.append(f"{sheet_errors}处工作表问题")
        raise RegistryError(f"文件中有{'、'.join(problems)}，未导入任何数据。请修正后重新上传，"
                            "或选择“仅导入无误的行”。")
    _queue(batch, "apply", {"actor_id": getattr(actor, "id", None), "valid_only": bool(valid_only)})


def _refuse_if_busy(batch: ImportBatch) -> None:
    if is_active(batch) and not is_stale(batch):
        raise RegistryError("该批次正在后台处理，请等待完成后再操作。")


def _queue(batch: ImportBatch, phase: str, args: dict) -> None:
    db.session.add(batch)
    batch.job_id = uuid.uuid4().hex
    batch.job_phase = phase
    batch.job_status = "queued"
    batch.job_error = None
    batch.progress_done = 0
    batch.progress_total = 0
    batch.job_updated_at = utcnow()
    db.session.flush()
    db.session.info.setdefault("excel.jobs", []).append((batch.id, batch.job_id, phase, args))


def start_queued() -> None:
    """Hand the jobs queued in this transaction to the runner; call right after commit.

    A runner that cannot take the job (Redis down) fails the batch with a message rather
    than leaving it queued forever.
    """
    for batch_id, job_id, phase, args in db.session.info.pop("excel.jobs", []):
        try:
            jobs.submit(TARGET, (batch_id, job_id, phase, args.get("actor_id"),
                                 args.get("valid_only", False)), job_id=job_id)
        except Exception:
            log.exception("could not start import job %s", job_id)
            _finish_failed(batch_id, job_id, "无法启动后台任务（任务队列不可用），未写入任何数据。请稍后重试，或联系系统管理员。")


def status(batch: ImportBatch) -> dict:
    """What the progress bar polls: plain values, text in Chinese."""
    done, total = batch.progress_done or 0, batch.progress_total or 0
    stale = is_stale(batch)
    if batch.job_status == "queued":
        text = "排队等待处理…"
    elif batch.job_status == "running" and total and done < total:
        text = f"正在读取：{done:,} / {total:,} 行"
    elif batch.job_status == "running":
        read = f"已读取 {total:,} 行，" if total else ""
        text = read + ("正在核对数据…" if batch.job_phase == "plan" else "正在核对并写入数据…")
    elif batch.job_status == "failed":
        text = batch.job_error or "后台处理失败。"
    else:
        text = "处理完成。"
    if stale:
        text = "后台任务长时间没有进展，可能已中断。可以放弃本批次后重新上传。"
    return {"batch": batch.id, "status": batch.status, "job_status": batch.job_status,
            "job_phase": batch.job_phase, "done": done, "total": total,
            "percent": int(100 * done / total) if total else 0,
            "active": is_active(batch) and not stale, "stale": stale, "text": text,
            "error": batch.job_error}


# --- the job (outside any request) --------------------------------------------------------

def run(batch_id: int, job_id: str, phase: str, actor_id: int | None = None,
        valid_only: bool = False) -> None:
    """The job body: check or import one batch; commits at its own edge."""
    if not _claim(batch_id, job_id):
        return  # discarded or superseded before it started
    try:
        if phase == "plan":
            _plan(batch_id, job_id)
        else:
            _apply(batch_id, job_id, actor_id, valid_only)
    except FileRefused as exc:
        db.session.rollback()
        _finish_failed(batch_id, job_id, exc.message, reject=True)
    except RegistryError as exc:
        db.session.rollback()
        _finish_failed(batch_id, job_id, exc.message)
    except Exception:
        db.session.rollback()
        log.exception("import job %s (batch %s, %s) failed", job_id, batch_id, phase)
        _finish_failed(batch_id, job_id, CRASHED)
    finally:
        db.session.remove()


def _plan(batch_id: int, job_id: str) -> None:
    batch = db.session.get(ImportBatch, batch_id)
    with db.session.no_autoflush:  # the batch's new counts are written after the lock
        plan = services.plan_batch(batch, progress=Progress(batch_id, job_id))
        mine = _still_mine(batch_id, job_id)
    if not mine:
        db.session.rollback()
        return
    rows = len(plan.rows)
    batch.result = snapshot.take(plan, (batch.options or {}).get("mapping"))
    _done(batch, rows)
    db.session.commit()


def _apply(batch_id: int, job_id: str, actor_id, valid_only: bool) -> None:
    batch = db.session.get(ImportBatch, batch_id)
    actor = db.session.get(User, actor_id) if actor_id else None
    plan = services.load_plan(batch, progress=Progress(batch_id, job_id))
    if not _still_mine(batch_id, job_id):  # locks the row: no progress writes from here on
        db.session.rollback()
        return
    outcome = services.confirm_batch(actor, batch, valid_only=valid_only, plan=plan)
    batch.result = {"applied": {k: v for k, v in outcome.items() if k != "counts"}}
    _done(batch, len(plan.rows))
    db.session.commit()


def _done(batch: ImportBatch, rows: int) -> None:
    batch.job_status = "done"
    batch.progress_done = batch.progress_total = rows
    batch.job_updated_at = utcnow()
    db.session.flush()


def _still_mine(batch_id: int, job_id: str) -> bool:
    """Lock the batch row and check it is still a preview this job runs."""
    row = db.session.execute(select(BATCHES.c.status, BATCHES.c.job_id)
                             .where(BATCHES.c.id == batch_id).with_for_update()).one_or_none()
    return row is not None and row.status == "preview" and row.job_id == job_id


def _claim(batch_id: int, job_id: str) -> bool:
    with db.engine.begin() as conn:
        claimed = conn.execute(update(BATCHES).where(
            BATCHES.c.id == batch_id, BATCHES.c.job_id == job_id, BATCHES.c.job_status == "queued",
            BATCHES.c.status == "preview").values(job_status="running", job_updated_at=utcnow()))
        return claimed.rowcount == 1


def _touch(batch_id: int, job_id: str, **values) -> bool:
    """Write job state through a separate short transaction; False if the job lost its batch."""
    with db.engine.begin() as conn:
        changed = conn.execute(update(BATCHES).where(
            BATCHES.c.id == batch_id, BATCHES.c.job_id == job_id)
            .values(job_updated_at=utcnow(), **values))
        return changed.rowcount == 1


def _finish_failed(batch_id: int, job_id: str, message: str, *, reject: bool = False) -> None:
    """Record a failed job. A file the reader refused closes its batch (like a refused
    upload in a request, which is never stored); any other failure leaves the preview."""
    values = {"job_status": "failed", "job_error": message}
    if reject:
        values.update(status="rejected", content=None)
    with db.engine.begin() as conn:
        conn.execute(update(BATCHES).where(
            BATCHES.c.id == batch_id, BATCHES.c.job_id == job_id, BATCHES.c.status == "preview")
            .values(job_updated_at=utcnow(), **values))


class Progress:
    """The reader's progress callback: writes rows read / total at most every INTERVAL
    seconds (and at the end of each sheet), through ``_touch``.

    A progress write that cannot get through (SQLite busy with another writer for longer
    than its busy timeout) is skipped: the bar lags, the import goes on.
    """

    INTERVAL = 0.5

    def __init__(self, batch_id: int, job_id: str):
        self.batch_id, self.job_id = batch_id, job_id
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < self.INTERVAL:
            return
        self._last = now
        try:
            _touch(self.batch_id, self.job_id, progress_done=done, progress_total=total)
        except OperationalError:
            log.warning("progress of import job %s not written (database busy)", self.job_id)


def discard(actor, batch: ImportBatch) -> None:
    """Discard a preview. With a job still working on it the discard waits for the job;
    a stale job (its worker died) is marked failed, and if it ever wakes up it finds the
    batch discarded and stops without writing."""
    if is_active(batch):
        _refuse_if_busy(batch)
        batch.job_status = "failed"
        batch.job_error = "后台任务长时间没有进展，已放弃。"
    services.discard_batch(actor, batch)
