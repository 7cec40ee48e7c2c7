"""Backup and restore of the SQLite default, and the procedure for the server databases.

A SQLite backup is taken with SQLite's online backup API: it copies a consistent snapshot
of the database page by page while the application keeps running (in WAL mode readers and
the one writer are not stopped; a transaction still open is simply not in the copy). A
restore checks that the file really is a registry backup (a SQLite database that passes
its integrity check and holds the registry's tables and a known schema revision) before
anything is touched, and refuses to overwrite a database that already holds records
unless it is forced. PostgreSQL and MariaDB have their own tools for this, which do it
better than the application could; the commands print the procedure instead.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url

from registry.errors import ConflictError, ValidationError
from registry.extensions import db

#: Tables the migration fills with reference data: an otherwise empty database has rows
#: here and is still "empty" for a restore.
REFERENCE_TABLES = {"towns", "industries", "programmes", "alembic_version"}
#: Tables every registry database holds (at any revision since the first).
REQUIRED_TABLES = {"alembic_version", "firms", "users", "audit_log"}


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    revision: str
    tables: int
    rows: int


def backend() -> str:
    """The running database's dialect name: sqlite, postgresql or mysql/mariadb."""
    return db.engine.dialect.name


def sqlite_path() -> Path:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise ValidationError("当前数据库不是 SQLite 文件数据库。")
    return Path(url.database)


def server_procedure() -> str:
    """How to back up and restore PostgreSQL or MariaDB, with this database's names filled in."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    name, host, port, user = url.database, url.host or "127.0.0.1", url.port, url.username or ""
    if url.get_backend_name() == "postgresql":
        port = port or 5432
        who = f" -U {user}" if user else ""
        return "\n".join([
            "当前数据库为 PostgreSQL，请使用 PostgreSQL 自带工具备份和恢复（在线、一致）：",
            "",
            "备份（自定义格式，含全部表结构与数据）：",
            f"  pg_dump -h {host} -p {port}{who} -Fc -f registry.dump {name}",
            "恢复到新建的空数据库：",
            f"  createdb -h {host} -p {port}{who} -E UTF8 -T template0 {name}_restored",
            f"  pg_restore -h {host} -p {port}{who} --no-owner -d {name}_restored registry.dump",
            "恢复到原数据库（先停止应用，会覆盖现有数据）：",
            f"  pg_restore -h {host} -p {port}{who} --clean --if-exists --no-owner -d {name} registry.dump",
            "恢复后将 DATABASE_URL 指向该数据库，运行 flask --app registry db upgrade，再启动应用。",
        ])
    port = port or 3306
    who = f" -u {user}" if user else ""
    return "\n".join([
        "当前数据库为 MariaDB/MySQL，请使用 mysqldump 备份、mysql 客户端恢复：",
        "",
        "备份（--single-transaction：在线、一致，不锁表）：",
        f"  mysqldump -h {host} -P {port}{who} -p --single-transaction --routines "
        f"--default-character-set=utf8mb4 {name} > registry.sql",
        "恢复到新建的空数据库：",
        f"  mysql -h {host} -P {port}{who} -p -e \"CREATE DATABASE {name}_restored "
        "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci\"",
        f"  mysql -h {host} -P {port}{who} -p --default-character-set=utf8mb4 {name}_restored < registry.sql",
        "恢复到原数据库会覆盖现有数据：请先停止应用。",
        "恢复后将 DATABASE_URL 指向该数据库，运行 flask --app registry db upgrade，再启动应用。",
    ])


def backup_sqlite(target: Path, *, force: bool = False) -> BackupInfo:
    """Copy the running SQLite database to ``target`` with the online backup API.

    The copy is written next to the target and moved into place when complete, so a
    failed backup never leaves a half-written file under the target's name."""
    source_path = sqlite_path()
    target = Path(target)
    if target.exists() and not force:
        raise ConflictError(f"备份文件 {target} 已存在；如需覆盖请加 --force。")
    if target.resolve() == source_path.resolve():
        raise ValidationError("备份文件不能是数据库文件本身。")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # all pages in one step: one consistent snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    finally:
        source.close()
    partial.replace(target)
    return inspect_backup(target)


def inspect_backup(path: Path) -> BackupInfo:
    """Check that ``path`` is a registry backup; ValidationError (in Chinese) if not."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"备份文件 {path} 不存在。")
    with path.open("rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise ValidationError(f"{path} 不是本系统的备份文件（不是 SQLite 数据库）。")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ValidationError(f"无法打开备份文件 {path}：{exc}") from None
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            raise ValidationError(f"备份文件 {path} 已损坏（完整性检查未通过）。")
        tables = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}
        missing = REQUIRED_TABLES - tables
        if missing:
            raise ValidationError(f"{path} 不是本系统的备份文件（缺少数据表：{'、'.join(sorted(missing))}）。")
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        rows = sum(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
    except sqlite3.DatabaseError as exc:
        raise ValidationError(f"{path} 不是本系统的备份文件（{exc}）。") from None
    finally:
        conn.close()
    if not revision:
        raise ValidationError(f"{path} 不是本系统的备份文件（没有数据库版本记录）。")
    if not _known_revision(revision[0]):
        raise ValidationError(f"备份文件的数据库版本 {revision[0]} 不属于本系统（可能来自更新的版本），"
                              "不能恢复。")
    return BackupInfo(path=path, revision=revision[0], tables=len(tables), rows=rows)


def _known_revision(revision: str) -> bool:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(current_app.root_path).parent / "migrations"))
    try:
        return ScriptDirectory.from_config(config).get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
        return False


def records_held() -> int:
    """Rows in the running database outside the reference tables (0: safe to restore into)."""
    names = set(inspect(db.engine).get_table_names())
    total = 0
    for table in db.metadata.sorted_tables:
        if table.name in names and table.name not in REFERENCE_TABLES:
            total += db.session.scalar(select(func.count()).select_from(table)) or 0
    db.session.rollback()
    return total


def restore_sqlite(source: Path, *, force: bool = False) -> BackupInfo:
    """Replace the running SQLite database with the backup ``source``, all or nothing.

    Refused (nothing changed) when the file is not a registry backup, or when the
    database holds records and ``force`` is not given. The backup API writes the copy in
    one transaction on the target: a failure halfway leaves the old database as it was."""
    info = inspect_backup(source)
    target_path = sqlite_path()
    if Path(source).resolve() == target_path.resolve():
        raise ValidationError("不能用数据库文件本身恢复自身。")
    held = records_held() if target_path.exists() else 0
    if held and not force:
        raise ConflictError(f"当前数据库中已有 {held} 条记录，恢复会覆盖全部现有数据；"
                            "如确需恢复，请加 --force。")
    db.session.remove()
    db.engine.dispose()  # no pooled connection keeps reading the old pages
    target_path.parent.mkdir(parents=True, exist_ok=True)
    backup = sqlite3.connect(f"file:{Path(source)}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(target_path, timeout=30)
        try:
            backup.backup(target)
        finally:
            target.close()
    finally:
        backup.close()
    return info
