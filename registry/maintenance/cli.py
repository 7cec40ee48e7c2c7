"""``flask --app registry backup FILE`` and ``flask --app registry restore FILE [--force]``.

On the SQLite default they copy the database online (SQLite's backup API); on PostgreSQL
or MariaDB they print the procedure with the server's own tools and exit with status 2.
Exit status: 0 done, 1 refused (not a backup, database not empty, file exists), 2 not
SQLite.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from registry.errors import RegistryError
from registry.maintenance import services


def _not_sqlite() -> None:
    click.echo(services.server_procedure())
    raise SystemExit(2)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="备份文件已存在时覆盖")
@with_appcontext
def backup_command(file: Path, force: bool):
    """在线备份数据库到 FILE（SQLite；PostgreSQL/MariaDB 显示备份步骤）。"""
    if services.backend() != "sqlite":
        _not_sqlite()
    try:
        info = services.backup_sqlite(file, force=force)
    except RegistryError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"备份完成：{info.path}（{info.tables} 张表，{info.rows} 行，数据库版本 {info.revision}）")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="当前数据库已有数据时仍然恢复（覆盖全部现有数据）")
@with_appcontext
def restore_command(file: Path, force: bool):
    """从备份文件 FILE 恢复数据库（SQLite；PostgreSQL/MariaDB 显示恢复步骤）。恢复前请先停止正在运行的应用。"""
    if services.backend() != "sqlite":
        _not_sqlite()
    try:
        info = services.restore_sqlite(file, force=force)
    except RegistryError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"恢复完成：{info.path}（{info.tables} 张表，{info.rows} 行，数据库版本 {info.revision}）。"
               "如备份来自较早的版本，请再运行 flask --app registry db upgrade。")


commands = (backup_command, restore_command)
