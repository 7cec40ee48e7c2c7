"""Everything the 档案 page shows about one firm, gathered in a few queries."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry.audit.models import AuditLog
from registry.extensions import db
from registry.institutions.models import RdInstitution
from registry.recognitions.models import Recognition
from registry.teams.models import Team


def firm_profile(firm) -> dict:
    recognitions = list(db.session.scalars(
        select(Recognition).where(Recognition.firm_id == firm.id)
        .options(selectinload(Recognition.programme))
        .order_by(Recognition.year.desc(), Recognition.id)
    ))
    by_programme: dict = defaultdict(list)
    for rec in recognitions:
        by_programme[rec.programme].append(rec)
    ladder = sorted((p for p in by_programme if p.is_ladder_rung), key=lambda p: p.ladder_rank or 0)
    institutions = list(db.session.scalars(
        select(RdInstitution).where(RdInstitution.firm_id == firm.id)
        .options(selectinload(RdInstitution.level_changes)).order_by(RdInstitution.id)
    ))
    teams = list(db.session.scalars(
        select(Team).where(Team.firm_id == firm.id)
        .options(selectinload(Team.members), selectinload(Team.evaluations)).order_by(Team.id)
    ))
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
        "annual": sorted(firm.annual_data, key=lambda a: a.year, reverse=True),
        "history": history,
    }
