"""Promise 7: backup and restore.

``flask backup`` copies the SQLite default online and consistently (SQLite's backup API);
``flask restore`` puts a backup into a fresh database, refuses a file that is not a
registry backup and refuses to overwrite records without ``--force``. On PostgreSQL and
MariaDB the commands print the procedure with the server's tools (pg_dump / mysqldump).

The SQLite tests build their own SQLite databases, whatever backend the suite runs on:
the commands are about the SQLite default. The suite's ``app`` fixture is used only to
check what the commands say on the suite's own backend.
"""
from __future__ import annotations

import sqlite3
import threading
import zipfile
from pathlib import Path

import pytest

from tests.conftest import BACKEND


def _sqlite_app(path: Path):
    from flask_migrate import upgrade

    from config import TestConfig
    from registry import create_app

    class OwnConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"

    application = create_app(OwnConfig)
    with application.app_context():
        upgrade()
    return application


def _dispose(application) -> None:
    from registry.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _tables(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, in a stable order, plus the schema."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        out = {"<schema>": sorted(conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall(),
            key=repr)}
        for name in names:
            out[name] = sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
        return out
    finally:
        conn.close()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """A migrated SQLite database holding the demo dataset (built once for the module)."""
    from registry.demo.services import load_demo
    from registry.extensions import db

    path = tmp_path_factory.mktemp("backup-source") / "registry.sqlite3"
    application = _sqlite_app(path)
    with application.app_context():
        counts = load_demo()
        db.session.commit()
    assert counts["企业"] > 100
    yield application, path
    _dispose(application)


def _run(application, *args):
    return application.test_cli_runner().invoke(args=list(args))


def test_a_backup_restored_into_a_fresh_database_matches_table_by_table_and_row_by_row(demo_db, tmp_path):
    source_app, source_path = demo_db
    backup = tmp_path / "备份" / "registry-backup.sqlite3"
    result = _run(source_app, "backup", str(backup))
    assert result.exit_code == 0, result.output
    assert "备份完成" in result.output and backup.is_file()

    fresh_path = tmp_path / "fresh.sqlite3"
    fresh = _sqlite_app(fresh_path)  # migrated: reference rows only, counts as empty
    try:
        result = _run(fresh, "restore", str(backup))
        assert result.exit_code == 0, result.output
        assert "恢复完成" in result.output
        before, after = _tables(source_path), _tables(fresh_path)
        assert list(before) == list(after)
        populated = [name for name, rows in before.items() if rows and name != "<schema>"]
        assert {"firms", "recognitions", "rd_institutions", "teams", "tier_lists"} <= set(populated)
        for name in before:
            assert before[name] == after[name], f"table {name} differs after restore"
        # the application restarted on the restored file reads it
        from registry.extensions import db
        from registry.firms.models import Firm
        from sqlalchemy import func, select

        with fresh.app_context():
            assert db.session.scalar(select(func.count()).select_from(Firm)) == len(before["firms"])
    finally:
        _dispose(fresh)


def test_a_backup_is_online_and_holds_only_committed_data(demo_db, tmp_path):
    """A writer holding an open transaction does not block the backup, and its rows are not in it."""
    source_app, source_path = demo_db
    writer = sqlite3.connect(source_path, timeout=30)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE firms SET phone = 'uncommitted' WHERE id = (SELECT min(id) FROM firms)")
    done = {}

    def take_backup():
        with source_app.app_context():
            done["result"] = _run(source_app, "backup", str(tmp_path / "online.sqlite3"))

    try:
        thread = threading.Thread(target=take_backup)
        thread.start()
        thread.join(timeout=120)
        assert not thread.is_alive(), "the backup waited for the open write transaction"
    finally:
        writer.rollback()
        writer.close()
    assert done["result"].exit_code == 0, done["result"].output
    copy = sqlite3.connect(tmp_path / "online.sqlite3")
    try:
        assert copy.execute("SELECT count(*) FROM firms WHERE phone = 'uncommitted'").fetchone()[0] == 0
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        copy.close()
    assert _tables(tmp_path / "online.sqlite3") == _tables(source_path)


def test_backup_does_not_overwrite_a_file_without_force(demo_db, tmp_path):
    source_app, _ = demo_db
    target = tmp_path / "exists.sqlite3"
    target.write_bytes(b"keep me")
    result = _run(source_app, "backup", str(target))
    assert result.exit_code == 1 and "已存在" in result.output and "--force" in result.output
    assert target.read_bytes() == b"keep me"
    result = _run(source_app, "backup", "--force", str(target))
    assert result.exit_code == 0, result.output


def _not_backups(folder: Path) -> dict[str, Path]:
    files = {}
    files["random"] = folder / "random.bak"
    files["random"].write_bytes(bytes(range(256)) * 40)
    files["empty"] = folder / "empty.bak"
    files["empty"].write_bytes(b"")
    files["csv"] = folder / "firms.csv"
    files["csv"].write_text("统一社会信用代码,企业名称\n91330282MA2AB1C2X0,慈溪市甲公司\n", encoding="utf-8")
    files["xlsx"] = folder / "book.xlsx"
    with zipfile.ZipFile(files["xlsx"], "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    files["other sqlite"] = folder / "other.sqlite3"
    other = sqlite3.connect(files["other sqlite"])
    other.execute("CREATE TABLE firms (id INTEGER PRIMARY KEY, name TEXT)")
    other.execute("INSERT INTO firms (name) VALUES ('x')")
    other.commit()
    other.close()
    files["truncated"] = folder / "truncated.sqlite3"
    return files


def test_restore_refuses_what_is_not_a_registry_backup(demo_db, tmp_path):
    source_app, source_path = demo_db
    files = _not_backups(tmp_path)
    good = tmp_path / "good.sqlite3"
    assert _run(source_app, "backup", str(good)).exit_code == 0
    files["truncated"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    fresh_path = tmp_path / "fresh.sqlite3"
    fresh = _sqlite_app(fresh_path)
    try:
        before = _tables(fresh_path)
        for what, path in files.items():
            result = _run(fresh, "restore", str(path))
            assert result.exit_code == 1, (what, result.output)
            assert "不是本系统的备份文件" in result.output or "已损坏" in result.output, (what, result.output)
            assert _tables(fresh_path) == before, what
        result = _run(fresh, "restore", str(tmp_path / "missing.sqlite3"))
        assert result.exit_code == 1 and "不存在" in result.output
    finally:
        _dispose(fresh)


def test_restore_refuses_to_overwrite_records_without_force(demo_db, tmp_path):
    from registry.extensions import db
    from tests.factories import Factory

    source_app, source_path = demo_db
    backup = tmp_path / "b.sqlite3"
    assert _run(source_app, "backup", str(backup)).exit_code == 0
    target_path = tmp_path / "in-use.sqlite3"
    target = _sqlite_app(target_path)
    try:
        with target.app_context():
            Factory(db.session).firm("慈溪市现有数据有限公司")
            db.session.commit()
        before = _tables(target_path)
        result = _run(target, "restore", str(backup))
        assert result.exit_code == 1, result.output
        assert "已有" in result.output and "--force" in result.output
        assert _tables(target_path) == before  # nothing touched
        result = _run(target, "restore", "--force", str(backup))
        assert result.exit_code == 0, result.output
        assert _tables(target_path) == _tables(source_path)
    finally:
        _dispose(target)


@pytest.mark.parametrize("url, tools", [
    ("postgresql+psycopg://registry@db.example:5433/registry", ("pg_dump", "pg_restore", "-p 5433", "registry")),
    ("mysql+pymysql://registry@db.example/registry?charset=utf8mb4", ("mysqldump", "--single-transaction", "mysql")),
])
def test_on_a_database_server_the_commands_print_the_procedure(url, tools, tmp_path):
    """No server is contacted: the commands only print the procedure (exit status 2)."""
    from config import TestConfig
    from registry import create_app

    class ServerConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    application = create_app(ServerConfig)
    for command in ("backup", "restore"):
        result = _run(application, command, str(tmp_path / "x"))
        assert result.exit_code == 2, result.output
        for tool in tools:
            assert tool in result.output, (command, tool, result.output)
        assert not (tmp_path / "x").exists()


def test_the_suites_own_backend(app, tmp_path):
    """On the suite's database: a server prints its procedure; SQLite backs up for real."""
    result = _run(app, "backup", str(tmp_path / "suite.bak"))
    if BACKEND == "sqlite":
        assert result.exit_code == 0, result.output
        assert (tmp_path / "suite.bak").is_file()
    else:
        assert result.exit_code == 2, result.output
        assert ("pg_dump" if BACKEND == "postgresql" else "mysqldump") in result.output
