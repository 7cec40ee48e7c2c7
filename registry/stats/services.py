"""The figures the bureau reports, for a year and a zone, in the one JSON shape others read.

``compute(year, zone)`` answers for the end of ``year`` and one of four zones: ``all``,
``exclude-new-area`` (不含新区: every town whose zone is not 杭州湾新区, and firms with no
town), ``new-area`` (杭州湾新区 only) or one town (its name or code). The SQL lives in
``registry.stats.queries``; here the aggregated cells are added up into the total and the
by-town and by-industry breakdowns, so all three always agree. The result is plain JSON
data: the CLI, the API, the dashboard, the summary text and the Excel export all start
from it. No request in here; nothing is written.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from registry.errors import ValidationError
from registry.awards.stats import award_figures
from registry.credit.stats import credit_figures
from registry.extensions import db
from registry.projects.stats import project_figures
from registry.recognitions.holdings import BASE_YEAR
from registry.recognitions.models import Recognition
from registry.reference import industries, programmes, towns
from registry.stats import queries
from registry.vocab import LEVELS, ZONE_NEW_AREA
from registry.vouchers.stats import voucher_figures

MIN_YEAR, MAX_YEAR = 1990, 2100
ALL, EXCLUDE_NEW_AREA, NEW_AREA = "all", "exclude-new-area", "new-area"
ZONE_LABELS = {ALL: "全市", EXCLUDE_NEW_AREA: "全市（不含新区）", NEW_AREA: "杭州湾新区"}
HIGH_TECH = "high_tech"
UNKNOWN = "未填写"  # firms without a town or an industry
TREND_FROM = 2011  # the dashboard's trend lines start with the bureau's reporting period
TEAM_KEYS = ("cumulative", "active", "ningbo_level", "members", "senior_members", "zhenggao",
             "fugao", "projects_in_progress")


@dataclass(frozen=True)
class Zone:
    """A parsed zone: its key as written in the JSON, a label, and the towns it covers."""

    key: str
    label: str
    town_ids: tuple | None  # None = every town
    include_no_town: bool  # firms without a town count too (all, 不含新区)


def parse_year(value) -> int:
    """The year as an int in 1990–2100, or ValidationError with a Chinese message."""
    if value is None or not str(value).strip():
        raise ValidationError(f"请填写统计年份（{MIN_YEAR}至{MAX_YEAR}之间）。", field="year")
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(f"年份“{value}”无效，请填写1990至2100之间的四位年份。", field="year")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(f"年份须在{MIN_YEAR}至{MAX_YEAR}之间（收到 {year}）。", field="year")
    return year


def parse_zone(value) -> Zone:
    """``all``, ``exclude-new-area``, ``new-area`` or a town's name or code."""
    key = (value or ALL).strip()
    all_towns = towns()
    if key == ALL:
        return Zone(ALL, ZONE_LABELS[ALL], None, True)
    if key in (EXCLUDE_NEW_AREA, NEW_AREA):
        inside = key == NEW_AREA
        ids = tuple(t.id for t in all_towns if (t.zone == ZONE_NEW_AREA) == inside)
        # 不含新区 keeps firms without a town: they are not in the new area either
        return Zone(key, ZONE_LABELS[key], ids, not inside)
    for town in all_towns:
        if key in (town.name, town.code):
            return Zone(town.name, town.name, (town.id,), False)
    raise ValidationError(
        f"未知的区域或镇（街道）：“{key}”。可选：all（全市）、exclude-new-area（不含新区）、"
        f"new-area（杭州湾新区），或镇（街道）名称。", field="zone")


def sql_towns(zone: Zone):
    """The town ids to filter on in SQL; None when the filter must wait for the cells
    (a zone that keeps firms without a town cannot say so with ``town_id IN``)."""
    return None if zone.include_no_town else zone.town_ids


class Figures:
    """The figures of one scope (the whole zone, one town or one industry) being added up."""

    def __init__(self, programme_ids, years):
        self.programmes = {pid: [0, 0, 0] for pid in programme_ids}
        self.high_tech = {y: 0 for y in years}
        self.levels = {code: 0 for code in LEVELS}
        self.above_scale = 0
        self.with_institution = 0
        self.teams = dict.fromkeys(TEAM_KEYS, 0)

    def as_json(self, short_names) -> dict:
        levels = {LEVELS[code]: n for code, n in self.levels.items()}
        levels["total"] = sum(self.levels.values())
        teams = dict(self.teams)
        teams["senior_members"] = teams["zhenggao"] + teams["fugao"]
        return {
            "programmes": {short_names[pid]: dict(zip(("recognized", "cumulative", "valid"), v))
                           for pid, v in self.programmes.items()},
            "high_tech_valid_by_year": {str(y): n for y, n in self.high_tech.items()},
            "rd_institutions": levels,
            "rd_institution_rate": rate(self.with_institution, self.above_scale),
            "teams": teams,
        }


def rate(part: int, whole: int) -> float:
    """A share in [0, 1] rounded to four decimals; 0.0 when there is nothing to divide."""
    return round(part / whole, 4) if whole else 0.0


def compute(year, zone="all") -> dict:
    """Every figure for the end of ``year`` in ``zone`` (see the README for the JSON)."""
    return _compute(year, zone, with_trend=False)[0]


def trend_years(year: int) -> list[int]:
    """The years the dashboard's trend lines cover: TREND_FROM (or ``year``) to ``year``."""
    return list(range(min(TREND_FROM, year), year + 1))


def compute_with_trend(year, zone="all") -> tuple[dict, dict]:
    """``compute`` and, from the same pass over the recognitions, the dashboard's trend
    lines over ``trend_years``: {"valid": {short name: [firms holding a valid recognition
    at the end of each year]}, "recognized": {short name: [firms recognised that year]}}.

    Both read the programme holdings once; the trend lines add little to ``compute``."""
    return _compute(year, zone, with_trend=True)


def _compute(year, zone, *, with_trend: bool) -> tuple[dict, dict | None]:
    year, zone = parse_year(year), (zone if isinstance(zone, Zone) else parse_zone(zone))
    queries.tune_session()
    progs = programmes()
    short = {p.id: p.short_name for p in progs}
    ids = [p.id for p in progs]
    years = high_tech_years(year, progs)
    town_ids = sql_towns(zone)
    keep = cell_filter(zone)
    town_rows = [t for t in towns() if zone.town_ids is None or t.id in zone.town_ids]
    town_names = {t.id: t.name for t in towns()}
    industry_names = {i.id: i.name for i in industries()}

    total = Figures(ids, years)
    by_town = {t.id: Figures(ids, years) for t in town_rows}
    by_industry = {i: Figures(ids, years) for i in industry_names}

    def scopes(town_id, industry_id):
        if not keep(town_id):
            return ()
        if town_id not in by_town:
            by_town[town_id] = Figures(ids, years)
        if industry_id not in by_industry:
            by_industry[industry_id] = Figures(ids, years)
        return total, by_town[town_id], by_industry[industry_id]

    figures, by_year, trend_lines = _recognitions(year, years, progs, town_ids, keep, with_trend)
    for (pid, town_id, industry_id), counts in figures.items():
        for f in scopes(town_id, industry_id):
            total_counts = f.programmes.setdefault(pid, [0, 0, 0])
            for i, n in enumerate(counts):
                total_counts[i] += n
    for (_pid, y, town_id, industry_id), n in by_year.items():
        for f in scopes(town_id, industry_id):
            f.high_tech[y] += n
    for town_id, industry_id, *per_level, hosts in queries.institution_cells(year, town_ids):
        for f in scopes(town_id, industry_id):
            for code, n in zip(LEVELS, per_level):
                f.levels[code] += n
            f.with_institution += hosts
    for town_id, industry_id, firms in queries.above_scale_cells(year, town_ids):
        for f in scopes(town_id, industry_id):
            f.above_scale += firms
    for town_id, industry_id, cumulative, active, ningbo, projects in \
            queries.team_cells(year, town_ids):
        for f in scopes(town_id, industry_id):
            f.teams["cumulative"] += cumulative
            f.teams["active"] += active
            f.teams["ningbo_level"] += ningbo
            f.teams["projects_in_progress"] += int(projects or 0)
    for town_id, industry_id, members, zhenggao, fugao in queries.member_cells(year, town_ids):
        for f in scopes(town_id, industry_id):
            f.teams["members"] += members
            f.teams["zhenggao"] += zhenggao
            f.teams["fugao"] += fugao

    result = {"year": year, "zone": zone.key}
    result.update(total.as_json(short))
    result["by_town"] = {_name(town_names, k): v.as_json(short) for k, v in _ordered(by_town)}
    result["by_industry"] = {_name(industry_names, k): v.as_json(short)
                             for k, v in _ordered(by_industry)}
    result["projects"] = project_figures(year, town_ids, keep)
    result["awards"] = award_figures(year, town_ids, keep)
    result["vouchers"] = voucher_figures(year, town_ids, keep)
    result["credit"] = credit_figures(year, town_ids, keep)
    return result, trend_lines


def _recognitions(year: int, years: list[int], progs, town_ids, keep, with_trend: bool):
    """(figures, 高企 valid per year, trend lines or None) from the programme holdings.

    ``figures`` maps (programme_id, town_id, industry_id) to [recognized, cumulative,
    valid] at the end of ``year``; the 高企 years map (programme_id, y, town_id,
    industry_id) to the firms holding a valid 高企 at the end of each y in ``years``; with
    ``with_trend``, the trend lines over ``trend_years`` for the zone: {"valid": {short
    name: [firms in force at the end of each year]}, "recognized": {…: [firms recognised
    that year]}}. Each group of holdings is one firm count with its years as bits."""
    short = {p.id: p.short_name for p in progs}
    high_tech = {p.id for p in progs if p.code == HIGH_TECH}
    at = 1 << (year - BASE_YEAR)
    ht_lo, ht_mask = _window(years)
    figures, by_year, per_zone = {}, {}, {}
    for pid, town_id, industry_id, valid, recognized, first_year, firms in \
            queries.holding_cells(town_ids):
        counts = figures.get((pid, town_id, industry_id))
        if counts is None:
            counts = figures[(pid, town_id, industry_id)] = [0, 0, 0]
        if recognized & at:
            counts[0] += firms
        if first_year <= year:
            counts[1] += firms
        if valid & at:
            counts[2] += firms
        if pid in high_tech:
            for y in _years(valid >> ht_lo & ht_mask, ht_lo):
                key = (pid, y, town_id, industry_id)
                by_year[key] = by_year.get(key, 0) + firms
        if with_trend and keep(town_id):  # added up per distinct bits, expanded below
            key = (pid, valid, recognized)
            per_zone[key] = per_zone.get(key, 0) + firms
    lines = None
    if with_trend:
        trend = trend_years(year)
        lo, mask = _window(trend)
        lines = {"valid": {short[p.id]: [0] * len(trend) for p in progs},
                 "recognized": {short[p.id]: [0] * len(trend) for p in progs}}
        for (pid, valid, recognized), firms in per_zone.items():
            for line, value in (("valid", valid), ("recognized", recognized)):
                counts = lines[line][short[pid]]
                for y in _years(value >> lo & mask, lo):
                    counts[y - trend[0]] += firms
    return figures, by_year, lines


def _window(years: list[int]) -> tuple[int, int]:
    """(shift, mask) that cut the years of a holding's bit set down to ``years``."""
    return years[0] - BASE_YEAR, (1 << len(years)) - 1


def _years(bits: int, shift: int):
    """The years whose bits are set, after a ``_window`` cut (bit 0 = BASE_YEAR + shift)."""
    while bits:
        low = bits & -bits
        yield BASE_YEAR + shift + low.bit_length() - 1
        bits ^= low


def cell_filter(zone: Zone):
    """Which towns' cells belong to the zone (for the zones ``sql_towns`` left unfiltered)."""
    if zone.town_ids is None:
        return lambda town_id: True
    allowed = set(zone.town_ids)
    return lambda town_id: town_id in allowed or (town_id is None and zone.include_no_town)


def _ordered(scopes: dict):
    """Known towns/industries in their reference order (dicts keep it), unknown (None) last."""
    return sorted(scopes.items(), key=lambda kv: kv[0] is None)


def _name(names: dict, key) -> str:
    return UNKNOWN if key is None else names.get(key, str(key))


def high_tech_years(year: int, progs=None) -> list[int]:
    """From the first 高新技术企业 recognition in the registry (or ``year``) to ``year``."""
    progs = progs if progs is not None else programmes()
    high_tech = next((p for p in progs if p.code == HIGH_TECH), None)
    first = queries.first_recognition_year(high_tech.id) if high_tech else None
    start = min(first, year) if first else year
    return list(range(max(start, MIN_YEAR), year + 1))


def zone_choices() -> list[tuple[str, str]]:
    """(value, label) for the zone picker: the three zones, then every town."""
    choices = [(ALL, "全市"), (EXCLUDE_NEW_AREA, "不含新区"), (NEW_AREA, "杭州湾新区")]
    return choices + [(t.name, t.name) for t in towns() if t.zone != ZONE_NEW_AREA]


def data_years() -> tuple[int, int] | None:
    """The first and last recognition year on record, for the year picker."""
    row = db.session.execute(select(func.min(Recognition.year), func.max(Recognition.year))).one()
    return (row[0], row[1]) if row[0] is not None else None


def default_year() -> int:
    """The year the dashboard opens on: the last year with a recognition, else this year."""
    span = data_years()
    if span:
        return min(max(span[1], MIN_YEAR), MAX_YEAR)
    from registry.timeutil import utcnow

    return utcnow().year

