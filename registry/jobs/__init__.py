"""Background jobs: work too long for a request (a 100,000-row import) runs outside it.

Two runners, one contract. ``submit("module:function", args, job_id=…)`` runs the
function with ``args`` inside an application context, where it commits at its own edge
like a CLI command; the job's state and progress live in the database (the caller's
table), never in process memory, so any app server can show them.

* **RQ on Redis** when ``REDIS_URL`` is set (``IMPORT_JOBS=auto``, the default, or
  ``rq``): a separate ``flask --app registry jobs worker`` process runs the job, so a
  restart of the web servers does not kill it, and the web workers stay free.
* **A thread in the serving process** otherwise (``IMPORT_JOBS=thread``): nothing else
  to install or run. The thread dies with its process; the job then looks stale
  (``job_updated_at`` stops moving) and the user may discard it.
"""
from __future__ import annotations

import importlib
import logging
import threading

from flask import current_app, has_app_context

QUEUE = "registry"  # the default; IMPORT_JOBS_QUEUE names another (tests, two registries on one Redis)
#: RQ gives up on a job after this long; an import of the largest allowed workbook takes
#: well under a minute.
JOB_TIMEOUT = 3600

log = logging.getLogger(__name__)


def runner(config=None) -> str:
    """"rq" or "thread", from IMPORT_JOBS and REDIS_URL."""
    config = config if config is not None else current_app.config
    wanted = (config.get("IMPORT_JOBS") or "auto").lower()
    if wanted == "auto":
        return "rq" if config.get("REDIS_URL") else "thread"
    if wanted == "rq" and not config.get("REDIS_URL"):
        raise RuntimeError("IMPORT_JOBS=rq needs REDIS_URL")
    if wanted not in ("rq", "thread"):
        raise RuntimeError(f"IMPORT_JOBS must be auto, rq or thread, not {wanted!r}")
    return wanted


def submit(target: str, args: tuple, *, job_id: str) -> str:
    """Start ``target`` ("package.module:function") with ``args``; returns the runner used.

    Call it after the caller's commit: the job reads what the request wrote.
    """
    kind = runner()
    if kind == "rq":
        queue(current_app.config["REDIS_URL"], queue_name()).enqueue(
            "registry.jobs.call", target, *args, job_id=job_id, job_timeout=JOB_TIMEOUT,
            result_ttl=0, failure_ttl=7 * 24 * 3600, description=f"{target}{args}")
    else:
        app = current_app._get_current_object()
        thread = threading.Thread(target=_in_thread, args=(app, target, args),
                                  name=f"job-{job_id}", daemon=False)
        thread.start()
    return kind


def queue_name(config=None) -> str:
    config = config if config is not None else current_app.config
    return config.get("IMPORT_JOBS_QUEUE") or QUEUE


def queue(url: str, name: str = QUEUE):
    from redis import Redis
    from rq import Queue

    return Queue(name, connection=Redis.from_url(url))


def _resolve(target: str):
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def call(target: str, *args):
    """What RQ runs: ``target(*args)`` inside an application context.

    ``flask jobs worker`` already provides one; a bare ``rq worker`` does not, so one is
    made from the environment's configuration (once per worker process).
    """
    if has_app_context():
        return _resolve(target)(*args)
    global _APP
    if _APP is None:
        from registry import create_app

        _APP = create_app()
    with _APP.app_context():
        return _resolve(target)(*args)


_APP = None  # a bare `rq worker` process's application, made on its first job


def _in_thread(app, target: str, args: tuple) -> None:
    from registry.extensions import db

    with app.app_context():
        try:
            _resolve(target)(*args)
        except Exception:  # the job records its own failure; this is the last resort
            log.exception("background job %s%r crashed", target, args)
        finally:
            db.session.remove()
