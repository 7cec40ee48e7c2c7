"""``flask --app registry jobs worker``: the RQ worker that runs large imports.

It runs jobs in its own process, one at a time, inside this application's context (so a
job sees the same configuration and database as the web servers). SimpleWorker, not the
forking Worker: a forked child would inherit the parent's database connections; jobs are
rare and long, so the fork's isolation buys nothing here. Run one or more under systemd
(see docs/DEPLOY.md); ``--burst`` drains the queue and exits (tests, cron).
"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from registry.jobs import queue_name


@click.group("jobs")
def jobs_cli():
    """后台任务（大文件导入）。"""


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="处理完队列中的任务后退出")
@with_appcontext
def worker_command(burst: bool):
    """运行后台任务进程（需要 REDIS_URL）。"""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("未设置 REDIS_URL：没有 Redis 时，大文件导入在网站进程的后台线程中运行，无需单独的任务进程。")
    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(url)
    worker = SimpleWorker([Queue(queue_name(), connection=connection)], connection=connection)
    worker.work(burst=burst, with_scheduler=False)
