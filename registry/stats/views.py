"""Statistics: the dashboard (/stats/), its Excel export, and the JSON API (/api/stats).

Thin views: parse year and zone, call the services, respond. Bad input is a 400 with the
service's Chinese message (as JSON on the API). The dashboard page carries its data in a
``<script type="application/json">`` block that ``static/stats.js`` reads: the CSP forbids
inline script.
"""
from __future__ import annotations

from io import BytesIO
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request, send_file

from registry.auth.access import bureau_required
from registry.errors import ValidationError
from registry.stats.export import stats_workbook
from registry.stats.serialize import dumps, dumps_for_script
from registry.stats.services import (
    compute, compute_with_trend, data_years, default_year, parse_year, parse_zone, zone_choices,
)
from registry.stats.summary import high_tech_change, summary_text
from registry.stats.trends import ladder, trends

bp = Blueprint("stats", __name__, url_prefix="")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _params():
    """(year, zone) from the query string; the latest year with data when none is given."""
    raw = request.args.get("year", "").strip()
    year = parse_year(raw) if raw else default_year()
    return year, parse_zone(request.args.get("zone", "all"))


def _bad(message: str):
    return render_template("errors/error.html", code=400, title="参数错误", text=message), 400


@bp.route("/stats/")
@bureau_required
def index():
    try:
        year, zone = _params()
    except ValidationError as exc:
        return _bad(exc.message)
    stats, lines = compute_with_trend(year, zone)
    payload = {"stats": stats, "trend": trends(year, zone, lines), "ladder": ladder(year, zone),
               "zone_label": zone.label}
    return render_template("stats/index.html", stats=stats, zone=zone, year=year,
                           summary=summary_text(stats), payload=dumps_for_script(payload),
                           zones=zone_choices(), years=_year_options(year),
                           high_tech=high_tech_change(stats))


def _year_options(year: int) -> list[int]:
    span = data_years()
    first, last = (span if span else (year, year))
    return list(range(max(last, year), min(first, year) - 1, -1))


@bp.route("/stats/export")
@bureau_required
def export():
    try:
        year, zone = _params()
    except ValidationError as exc:
        return _bad(exc.message)
    stats = compute(year, zone)
    data = stats_workbook(stats, summary_text(stats), zone.label)
    name = f"{zone.label}{year}年科技统计.xlsx"
    resp = send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
    resp.headers["Content-Disposition"] = f"attachment; filename=stats-{year}.xlsx; filename*=UTF-8''{quote(name)}"
    return resp


@bp.route("/api/stats")
@bureau_required
def api():
    try:
        year = parse_year(request.args.get("year", ""))
        zone = parse_zone(request.args.get("zone", "all"))
    except ValidationError as exc:
        return Response(dumps({"error": exc.message, "field": exc.field}), status=400,
                        mimetype="application/json")
    return Response(dumps(compute(year, zone)), mimetype="application/json")
