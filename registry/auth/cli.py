"""``flask --app registry users …``: account administration from the shell."""
import click
from flask.cli import AppGroup

from registry.auth.services import create_user, ensure_admin, generate_password
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
def create_command(username, role, display_name):
    """Create a bureau account with a generated one-time password."""
    password = generate_password()
    try:
        create_user(username, role, password=password, display_name=display_name,
                    must_change_password=True)
    except RegistryError as exc:
        raise click.ClickException(exc.message)
    db.session.commit()
    click.echo(f"已创建用户 {username}（{role}），一次性密码：{password}")
