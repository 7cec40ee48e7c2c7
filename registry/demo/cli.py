"""``flask --app registry demo``: fill an empty database with the synthetic Cixi dataset.

Without ``--firms`` it loads the hand-made demo (about 400 firms, every page filled in);
with ``--firms N`` the bulk generator writes N firms with ``--years`` years of history in
Core bulk inserts, for trying the registry at the size of a real county (100,000 firms
take well under two minutes on SQLite).
"""
import time

import click
from flask.cli import with_appcontext
from sqlalchemy import text

from registry.demo.services import database_is_empty, load_demo
from registry.extensions import db

#: Row counts of the bulk generator, by its table keys, as the command prints them.
BULK_LABELS = {"firms": "企业", "former": "企业曾用名", "recognitions": "认定记录",
               "annual": "年度数据", "institutions": "研发机构", "changes": "研发机构级别变动",
               "teams": "科技创新团队", "members": "团队成员"}


@click.command("demo")
@click.option("--force", is_flag=True, help="即使数据库已有企业数据也继续加载（会追加演示数据）")
@click.option("--seed", default=2016, show_default=True, help="随机种子：相同种子生成相同数据")
@click.option("--if-empty", is_flag=True, help="数据库非空时静默跳过（供 make run 使用）")
@click.option("--firms", type=click.IntRange(1, 1_000_000), default=None,
              help="批量生成的企业数（如 100000）；不加则加载约400家的精编演示数据")
@click.option("--years", type=click.IntRange(1, 30), default=10, show_default=True,
              help="与 --firms 同用：生成多少年的历史数据")
@click.option("--last-year", type=click.IntRange(1990, 2100), default=2016, show_default=True,
              help="与 --firms 同用：历史数据的最后一年")
@with_appcontext
def demo_command(force, seed, if_empty, firms, years, last_year):
    """加载演示数据（慈溪市，合成数据）。"""
    if not database_is_empty():
        if if_empty:
            click.echo("数据库中已有数据，跳过演示数据加载。")
            return
        if not force:
            raise click.ClickException("数据库中已有企业数据；如确需追加演示数据，请加 --force。")
    start = time.perf_counter()
    if firms:
        from registry.demo.bulk import load_bulk

        counts = {BULK_LABELS.get(k, k): v
                  for k, v in load_bulk(firms, years, last_year=last_year, seed=seed).items()}
        db.session.commit()
        if db.engine.dialect.name in ("sqlite", "postgresql"):
            db.session.execute(text("ANALYZE"))  # fresh planner statistics after a bulk load
            db.session.commit()
    else:
        counts = load_demo(seed=seed)
        db.session.commit()
    click.echo("演示数据已加载：" + "，".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                                          for k, v in counts.items())
               + f"（用时 {time.perf_counter() - start:.1f} 秒）")
