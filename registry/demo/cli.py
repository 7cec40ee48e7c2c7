"""``flask --app registry demo``: fill an empty database with the synthetic Cixi dataset."""
import click
from flask.cli import with_appcontext

from registry.demo.services import database_is_empty, load_demo
from registry.extensions import db


@click.command("demo")
@click.option("--force", is_flag=True, help="即使数据库已有企业数据也继续加载（会追加演示数据）")
@click.option("--seed", default=2016, show_default=True, help="随机种子：相同种子生成相同数据")
@click.option("--if-empty", is_flag=True, help="数据库非空时静默跳过（供 make run 使用）")
@with_appcontext
def demo_command(force, seed, if_empty):
    """加载演示数据（慈溪市，2011–2016年，合成数据）。"""
    if not database_is_empty():
        if if_empty:
            click.echo("数据库中已有数据，跳过演示数据加载。")
            return
        if not force:
            raise click.ClickException("数据库中已有企业数据；如确需追加演示数据，请加 --force。")
    counts = load_demo(seed=seed)
    db.session.commit()
    click.echo("演示数据已加载：" + "，".join(f"{k} {v}" for k, v in counts.items()))
