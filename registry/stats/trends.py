"""What the dashboard draws beyond one year's figures: trend lines and ladder movement.

Trends run from 2011 (the start of the bureau's reporting period) to the chosen year:
firms holding a valid recognition of each programme at the end of each year, R&D
institutions open at each year's end, and teams recognised by then. The ladder shows how
firms climbed 雏鹰 → 瞪羚 → 头雁: of the firms that ever held a rung up to the year, how
many were recognised on the rung below in an earlier year. Both aggregate in SQL like the rest.
"""
from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from registry.extensions import db
from registry.recognitions.holdings import BASE_YEAR, join
from registry.recognitions.models import ProgrammeHolding
from registry.reference import programmes
from registry.stats import queries
from registry.stats.services import (
    Zone, cell_filter, compute_with_trend, parse_year, parse_zone, sql_towns, trend_years,
)


def trends(year, zone="all", lines: dict | None = None) -> dict:
    """{"years": [...], "valid": {NAME: [...]}, "recognized": {NAME: [...]},
    "institutions": [...], "teams": [...]} for the zone, one value per year.

    ``lines`` are the recognition trend lines ``compute_with_trend`` already worked out in
    its pass over the recognitions (the dashboard passes them on rather than paying twice)."""
    year = parse_year(year)
    zone = zone if isinstance(zone, Zone) else parse_zone(zone)
    years, keep, towns = trend_years(year), cell_filter(zone), sql_towns(zone)
    if lines is None:
        lines = compute_with_trend(year, zone)[1]
    institutions, teams = [0] * len(years), [0] * len(years)
    for town_id, start, stop, n in queries.institution_spans(towns):
        if keep(town_id):  # open at the end of y ⟺ start ≤ y < stop (None: unbounded)
            for i, y in enumerate(years):
                if (start is None or start <= y) and (stop is None or y < stop):
                    institutions[i] += n
    for town_id, first, n in queries.team_years(towns):
        if keep(town_id):
            for i, y in enumerate(years):
                if first is None or first <= y:
                    teams[i] += n
    return {"years": years, "valid": lines["valid"], "recognized": lines["recognized"],
            "institutions": institutions, "teams": teams}


def ladder(year, zone="all") -> list[dict]:
    """Each ladder rung up to ``year``: firms that held it, and of them how many came from
    the rung below (recognised under it in an earlier year) — 雏鹰 → 瞪羚 → 头雁.

    Read from the programme holdings: a firm held a rung if its first recognition came by
    ``year``; it climbed if one of its rung years up to ``year`` follows its first year on
    the rung below."""
    year = parse_year(year)
    zone = zone if isinstance(zone, Zone) else parse_zone(zone)
    keep, towns = cell_filter(zone), sql_towns(zone)
    rungs = sorted((p for p in programmes() if p.is_ladder_rung and p.ladder_rank),
                   key=lambda p: p.ladder_rank)
    H, B = ProgrammeHolding, aliased(ProgrammeHolding)
    out, below = [], None
    for rung in rungs:
        stmt = (select(H.town_id, func.count())
                .where(H.programme_id == rung.id, H.first_year <= year).group_by(H.town_id))
        if towns is not None:
            stmt = stmt.where(H.town_id.in_(towns))
        held = sum(n for town_id, n in queries.rows(stmt) if keep(town_id))
        climbed = 0
        if below is not None:
            stmt = (select(H.town_id, H.first_year, H.recognized_bits, H.recognized_late,
                           B.first_year)
                    .join(B, and_(B.firm_id == H.firm_id, B.programme_id == below.id))
                    .where(H.programme_id == rung.id, H.first_year <= year, B.first_year < year))
            if towns is not None:
                stmt = stmt.where(H.town_id.in_(towns))
            for town_id, first, low, late, first_below in db.session.execute(stmt):
                if keep(town_id) and _climbed(year, first, join(low, late), first_below):
                    climbed += 1
        out.append({"name": rung.short_name, "firms": held, "from_below": climbed,
                    "below": below.short_name if below else None})
        below = rung
    return out


def _climbed(year: int, first: int, recognized: int, first_below: int) -> bool:
    """A rung year in (first_below, year]: the first one, or one from the bit set."""
    if first > first_below:
        return True
    start = max(first_below + 1, BASE_YEAR)
    return start <= year and bool(recognized >> (start - BASE_YEAR) & ((1 << (year - start + 1)) - 1))
