"""``flask --app registry stats --year Y [--zone …] [--json]``: the figures from the shell.

``--json`` prints exactly what ``GET /api/stats`` returns; without it, the bureau's summary
paragraph. Bad input exits with status 2 and a Chinese message, like any usage error.
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from registry.errors import ValidationError
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


commands = (stats_command,)
