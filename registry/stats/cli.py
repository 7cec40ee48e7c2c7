"""``flask --app registry stats --year Y [--zone …] [--json]``: the figures from the shell;
``flask --app registry holdings [--rebuild]``: check (or rebuild) the programme holdings
the figures are read from, e.g. after rows were changed by hand in SQL.

``--json`` prints exactly what ``GET /api/stats`` returns; without it, the bureau's summary
paragraph. Bad input exits with status 2 and a Chinese message, like any usage error.
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from registry.errors import ValidationError
from registry.extensions import db
from registry.recognitions import holdings
from registry.stats.serialize import dumps
from registry.stats.services import compute, parse_year, parse_zone
from registry.stats.summary import summary_text


@click.command("stats")
@click.option("--year", required=True, help="统计年份（1990–2100），按该年年底计算")
@click.option("--zone", default="all", show_default=True,
              help="all（全市）| exclude-new-area（不含新区）| new-area（杭州湾新区）| 镇（街道）名称")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（与 /api/stats 相同）")
@with_appcontext
def stats_command(year, zone, as_json):
    """计算统计数字（年度、区域），输出文字摘要或 JSON。"""
    try:
        year, zone = parse_year(year), parse_zone(zone)
    except ValidationError as exc:
        raise click.UsageError(exc.message)
    stats = compute(year, zone)
    click.echo(dumps(stats) if as_json else summary_text(stats))


@click.command("holdings")
@click.option("--rebuild", is_flag=True, help="按认定记录重新计算全部汇总行")
@with_appcontext
def holdings_command(rebuild):
    """核对统计所用的“企业认定年份汇总”（programme_holdings）与认定记录是否一致。"""
    connection = db.session.connection()
    if rebuild:
        rows = holdings.rebuild(connection)
        db.session.commit()
        click.echo(f"已按认定记录重建汇总：{rows} 行。")
        return
    stale = holdings.drift(connection)
    db.session.rollback()  # only read: end the transaction (and its snapshot) here
    if stale:
        click.echo(f"有 {len(stale)} 组（企业, 类别）与认定记录不一致，例如企业ID "
                   f"{', '.join(str(f) for f, _p in stale[:5])}。请运行 holdings --rebuild。", err=True)
        raise SystemExit(1)
    click.echo("汇总与认定记录一致。")


commands = (stats_command, holdings_command)
