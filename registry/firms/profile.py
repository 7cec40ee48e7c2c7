"""Everything the 档案 page shows about one firm, gathered in a few queries, and the
recognition timeline (one row per programme, one column per year) drawn from it."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry.audit.models import AuditLog
from registry.awards.models import Award
from registry.extensions import db
from registry.institutions.models import RdInstitution
from registry.projects.models import Project
from registry.recognitions.models import Recognition
from registry.teams.models import Team
from registry.credit.services import loans_of_firm


TIMELINE_YEARS = 12  # columns at most: the latest years


@dataclass
class Cell:
    state: str  # "" (nothing), "start" (recognised that year), "held", "revoked"
    text: str = ""
    title: str = ""


def period(rec) -> tuple[date, date]:
    """The days a recognition covers: its validity, or its year plus the programme's years."""
    start = rec.valid_from or rec.issued_on or date(rec.year, 1, 1)
    end = rec.valid_until or date(rec.year + max(rec.programme.validity_years, 1) - 1, 12, 31)
    if rec.status == "revoked" and rec.revoked_on:
        end = min(end, rec.revoked_on)
    return start, max(start, end)


def timeline(recognitions, today: date) -> dict:
    """Years × programmes: which recognition covered which year (the ladder rungs first)."""
    if not recognitions:
        return {"years": [], "rows": []}
    spans = [(rec, *period(rec)) for rec in recognitions]
    last = max(end.year for _, _, end in spans)
    first = max(min(start.year for _, start, _ in spans), last - TIMELINE_YEARS + 1)
    years = list(range(first, last + 1))
    programmes = sorted({rec.programme for rec in recognitions},
                        key=lambda p: (0 if p.is_ladder_rung else 1, p.ladder_rank or 0, p.sort_order, p.id))
    rows = []
    for prog in programmes:
        cells = []
        for year in years:
            cell = Cell("")
            for rec, start, end in spans:
                if rec.programme is not prog or not (start.year <= year <= end.year):
                    continue
                revoked = rec.status == "revoked"
                what = f"{rec.year}年{prog.short_name}" + (f" {rec.certificate_no}" if rec.certificate_no else "")
                title = f"{what}：{start:%Y-%m-%d} 至 {end:%Y-%m-%d}" + ("（已撤销）" if revoked else "")
                if revoked:
                    cell = Cell("revoked", "撤销" if year == end.year else "", title)
                elif year == rec.year or (year == start.year and cell.state != "start"):
                    cell = Cell("start", "认定" if year == rec.year else "", title)
                elif cell.state == "":
                    cell = Cell("held", "", title)
            cells.append(cell)
        rows.append((prog, cells))
    return {"years": years, "rows": rows}


def firm_profile(firm, today: date | None = None) -> dict:
    recognitions = list(db.session.scalars(
        select(Recognition).where(Recognition.firm_id == firm.id)
        .options(selectinload(Recognition.programme))
        .order_by(Recognition.year.desc(), Recognition.id)
    ))
    by_programme: dict = defaultdict(list)
    for rec in recognitions:
        by_programme[rec.programme].append(rec)
    # The rungs of the ladder the firm has reached (a revoked recognition does not count).
    ladder = sorted((p for p, recs in by_programme.items()
                     if p.is_ladder_rung and any(r.status != "revoked" for r in recs)),
                    key=lambda p: p.ladder_rank or 0)
    institutions = list(db.session.scalars(
        select(RdInstitution).where(RdInstitution.firm_id == firm.id)
        .options(selectinload(RdInstitution.level_changes)).order_by(RdInstitution.id)
    ))
    teams = list(db.session.scalars(
        select(Team).where(Team.firm_id == firm.id)
        .options(selectinload(Team.members), selectinload(Team.evaluations)).order_by(Team.id)
    ))
    projects = list(db.session.scalars(
        select(Project).where(Project.firm_id == firm.id).options(selectinload(Project.milestones))
        .order_by(Project.start_year.desc(), Project.id)))
    awards = list(db.session.scalars(
        select(Award).where(Award.firm_id == firm.id).order_by(Award.year.desc(), Award.id)))
    history = list(db.session.scalars(
        select(AuditLog).where(AuditLog.firm_id == firm.id)
        .options(selectinload(AuditLog.user)).order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(50)
    ))
    return {
        "recognitions": recognitions,
        "ladder": ladder,
        "by_programme": dict(by_programme),
        "institutions": institutions,
        "teams": teams,
        "projects": projects,
        "awards": awards,
        "annual": sorted(firm.annual_data, key=lambda a: a.year, reverse=True),
        "history": history,
        "timeline": timeline(recognitions, today or date.today()),
        "credit_loans": loans_of_firm(firm.id),  # with their events: two queries in all
    }
