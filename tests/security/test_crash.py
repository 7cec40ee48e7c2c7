"""Promise 6: crash safety. An import killed halfway leaves the database exactly as it was.

A real ``flask --app registry import FILE`` runs in a child process against the suite's
database and is killed with SIGKILL while its transaction holds written but uncommitted
rows. No hook in the application: the moment is chosen from outside.

- PostgreSQL and MariaDB: this test holds a lock on ``audit_log`` (SHARE / LOCK TABLES
  READ). The import writes every new firm first and its audit entries after, so it writes
  its firms and then waits for the lock; the test sees it waiting with firms written
  (pg_locks; on MariaDB a READ UNCOMMITTED count of firms), kills it and releases the lock.
- SQLite: there are no table locks, so the import is made large enough for its
  uncommitted pages to spill into the write-ahead log; once the log has grown by several
  megabytes while the child still holds the write lock, it is killed.

Then every table is compared with its state before (row counts and a checksum of all
rows), and a new process reads the database and imports the same file successfully.
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.engine import make_url

from tests.conftest import BACKEND
from tests.factories import next_uscc

ROOT = Path(__file__).resolve().parents[2]
WAIT = int(os.environ.get('CRASH_WAIT', 180))  # seconds: generous, the machine is shared
ROWS = {"sqlite": 20000, "postgresql": 3000, "mysql": 3000}


def big_roster(path: Path, rows: int) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业名录")
    ws.append(["2016年慈溪市企业名录"])
    ws.append(["序号", "企业名称", "统一社会信用代码", "所在镇（街道）", "所属产业", "联系电话", "法定代表人",
               "地址"])
    for n in range(1, rows + 1):
        ws.append([n, f"慈溪市崩溃测试{n}号电器有限公司", next_uscc(), "浒山街道", "智能家电",
                   f"0574-6{n:07d}", "测试代表", f"浒山街道崩溃测试路{n}号"])
    wb.save(path)


def state(engine) -> dict[str, tuple[int, str]]:
    """Every table: (row count, sha256 of its rows in a stable order)."""
    out = {}
    with engine.connect() as conn:
        for name in sorted(sa.inspect(conn).get_table_names()):
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            rows = sorted(repr(tuple(r)) for r in conn.execute(sa.select(table)))
            out[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def child_env(database_url: str, tmp_path: Path) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, REGISTRY_ENV="development",
               SECRET_KEY="crash-test-secret-key-crash-test-secret-key",
               REGISTRY_INSTANCE_DIR=str(tmp_path / "instance"), PYTHONUNBUFFERED="1")
    env.pop("REGISTRY_TEST_DB", None)
    return env


def flask(*args) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "registry", *args]


def wait_until(condition, child, what: str, explain=lambda: ""):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if child.poll() is not None:
            out = child.stdout.read() if child.stdout else ""
            pytest.fail(f"the import ended (exit {child.returncode}) before {what}: {out[-2000:]}")
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}: {explain()}")


class AuditLock:
    """Hold a lock on audit_log from outside, and see the import waiting for it with firms written."""

    def __init__(self, engine):
        self.engine = engine
        self.holder = engine.connect()
        # MariaDB: the watcher reads uncommitted rows, to see the import's firms before commit
        self.watcher = engine.connect().execution_options(
            isolation_level="AUTOCOMMIT" if BACKEND == "postgresql" else "READ UNCOMMITTED")
        self.firms_before = self.watcher.execute(sa.text("SELECT count(*) FROM firms")).scalar()
        self.backend_id = None

    def __enter__(self):
        if BACKEND == "postgresql":
            self.holder.execute(sa.text("LOCK TABLE audit_log IN SHARE MODE"))
        else:
            self.holder.execute(sa.text("LOCK TABLES audit_log READ"))
        return self

    def child_blocked_after_writing(self):
        """The child's server-side id once it waits for audit_log holding written firm rows."""
        if BACKEND == "postgresql":
            row = self.watcher.execute(sa.text(
                "SELECT w.pid FROM pg_locks w JOIN pg_class c ON c.oid = w.relation "
                "WHERE c.relname = 'audit_log' AND NOT w.granted AND EXISTS ("
                " SELECT 1 FROM pg_locks f JOIN pg_class fc ON fc.oid = f.relation"
                " WHERE f.pid = w.pid AND fc.relname = 'firms' AND f.mode = 'RowExclusiveLock' AND f.granted)"
            )).first()
        else:
            row = self.watcher.execute(sa.text(
                "SELECT p.id FROM information_schema.processlist p WHERE p.db = DATABASE() "
                "AND p.state LIKE 'Waiting for table%lock' AND p.info LIKE 'INSERT INTO audit_log%'"
            )).first()
            dirty = self.watcher.execute(sa.text("SELECT count(*) FROM firms")).scalar()
            self.watcher.rollback()
            if dirty <= self.firms_before:
                row = None
        self.backend_id = row[0] if row else None
        return self.backend_id

    def explain(self) -> str:
        """What the server's sessions are doing (for a failure message)."""
        if BACKEND == "postgresql":
            sql = "SELECT pid, state, wait_event_type, left(query, 80) FROM pg_stat_activity"
        else:
            sql = "SELECT id, db, command, state, left(info, 80) FROM information_schema.processlist"
            trx = ("SELECT trx_mysql_thread_id, trx_state, trx_rows_modified, DATABASE() "
                   "FROM information_schema.innodb_trx")
            return repr(self.watcher.execute(sa.text(sql)).all()) + repr(self.watcher.execute(sa.text(trx)).all())
        return repr(self.watcher.execute(sa.text(sql)).all())

    def server_side_gone(self) -> bool:
        if BACKEND == "postgresql":
            sql = "SELECT count(*) FROM pg_stat_activity WHERE pid = :id"
        else:
            sql = "SELECT count(*) FROM information_schema.processlist WHERE id = :id"
        return self.watcher.execute(sa.text(sql), {"id": self.backend_id}).scalar() == 0

    def release(self):
        if BACKEND != "postgresql":
            self.holder.execute(sa.text("UNLOCK TABLES"))
        self.holder.rollback()

    def __exit__(self, *exc):
        try:
            self.release()
        finally:
            self.holder.close()
            self.watcher.close()


def sqlite_wal_grew(db_path: Path, since: int):
    def check():
        wal = Path(str(db_path) + "-wal")
        size = wal.stat().st_size if wal.exists() else 0
        if size < since + 4 * 1024 * 1024:
            return False
        import sqlite3

        probe = sqlite3.connect(db_path, timeout=0)
        try:  # the child still holds the write lock: its transaction is not committed
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError as exc:
            return "locked" in str(exc)
        finally:
            probe.close()
    return check


def test_an_import_killed_halfway_leaves_the_database_as_it_was(app, make, database_url, tmp_path):
    make.firm("慈溪市崩溃之前电器有限公司", phone="0574-63000000")  # something to keep
    make.session.commit()
    book = tmp_path / "企业名录（大）.xlsx"
    big_roster(book, ROWS[BACKEND])
    engine = sa.create_engine(database_url)
    try:
        before = state(engine)
        env = child_env(database_url, tmp_path)
        command = flask("import", str(book))
        if BACKEND == "sqlite":
            db_path = Path(make_url(database_url).database)
            wal = Path(str(db_path) + "-wal")
            start = wal.stat().st_size if wal.exists() else 0
            child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
            try:
                wait_until(sqlite_wal_grew(db_path, start), child, "its uncommitted pages reached the log")
                child.send_signal(signal.SIGKILL)
                child.wait(timeout=WAIT)
            finally:
                if child.poll() is None:
                    child.kill()
        else:
            with AuditLock(engine) as lock:
                child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True)
                try:
                    wait_until(lock.child_blocked_after_writing, child, "it had written firms", lock.explain)
                    child.send_signal(signal.SIGKILL)
                    child.wait(timeout=WAIT)
                finally:
                    if child.poll() is None:
                        child.kill()
                lock.release()
                deadline = time.monotonic() + WAIT  # the server ends the orphaned transaction
                while not lock.server_side_gone():
                    assert time.monotonic() < deadline, "the killed import's session never ended"
                    time.sleep(0.05)
        assert child.returncode == -signal.SIGKILL
        engine.dispose()
        after = state(engine)
        changed = {t: (before.get(t), after.get(t)) for t in set(before) | set(after) if before.get(t) != after.get(t)}
        assert not changed, f"tables changed by the killed import: {changed}"

        # the application restarts cleanly: a new process reads, and imports the same file
        done = subprocess.run(command + ["--json"], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=WAIT * 2)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert f'"new": {ROWS[BACKEND]}' in done.stdout and '"status": "committed"' in done.stdout
        engine.dispose()
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM firms")).scalar() == ROWS[BACKEND] + 1
        read = subprocess.run(flask("stats", "--year", "2016", "--json"), cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=WAIT)
        assert read.returncode == 0, read.stderr[-2000:]
    finally:
        engine.dispose()
