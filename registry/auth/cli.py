"""``flask --app registry users …``: account administration from the shell.

The same services as the web pages (role rules, audit entries); the shell acts as
"系统" (no user) in the audit log.
"""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from registry.auth.services import add_user, ensure_admin
from registry.errors import RegistryError
from registry.extensions import db

users_cli = AppGroup("users", help="用户管理 / account administration")


@users_cli.command("ensure-admin")
def ensure_admin_command():
    """Create the admin account if none exists and print its one-time password."""
    user, password = ensure_admin()
    db.session.commit()
    if password:
        click.echo(f"已创建管理员账号 admin，一次性密码：{password}（首次登录后请修改）")
    else:
        click.echo(f"管理员账号已存在：{user.username}")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "staff", "town", "viewer"]), default="staff")
@click.option("--name", "display_name", default=None)
@click.option("--town", "towns", multiple=True, help="负责的镇（街道），镇街道联络员必填，可重复")
def create_command(username, role, display_name, towns):
    """Create a bureau account with a generated one-time password."""
    from registry.firms.models import Town

    found = list(db.session.scalars(select(Town).where(Town.name.in_(towns)))) if towns else []
    unknown = sorted(set(towns) - {t.name for t in found})
    if unknown:
        raise click.ClickException(f"未知的镇（街道）：{'、'.join(unknown)}")
    try:
        user, password = add_user(None, username=username, role=role,
                                  display_name=display_name or "", towns=found)
    except RegistryError as exc:
        raise click.ClickException(exc.message)
    db.session.commit()
    click.echo(f"已创建用户 {user.username}（{role}），一次性密码：{password}")
