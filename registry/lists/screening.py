"""Screening: every firm in the user's scope against a programme's criteria for a year.

The facts every criterion needs are loaded in a handful of queries for all firms at once
(firms with their town; annual data of the years the criteria look at; recognitions of
the programmes they name; active R&D institutions) — never one query per firm. Only
annual data the bureau has accepted (已确认) is used: a figure a firm typed in and nobody
checked is not a basis for a list.

The result of a firm: 直通车 when a direct criterion passes; 符合 when every required one
passes; 不符合 when one fails; 数据缺失 otherwise. Rows are sorted by how close they are:
qualified first, then those only missing data, then the failures by how many criteria
they miss and by how far.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from registry.errors import NotFound
from registry.extensions import db
from registry.firms.models import AnnualData, Firm, Town
from registry.firms.services import firm_scope
from registry.institutions.models import RdInstitution
from registry.lists.criteria import FAIL, MISSING, PASS, Facts, Outcome, evaluate
from registry.lists.models import CriteriaSet, Criterion
from registry.recognitions.models import Programme, Recognition

RESULT_LABELS = {"direct": "直通车", PASS: "符合", MISSING: "数据缺失", FAIL: "不符合"}
RESULT_RANK = {"direct": 0, PASS: 0, MISSING: 1, FAIL: 2}


@dataclass
class ScreenRow:
    facts: Facts
    outcomes: list[Outcome]
    result: str
    failed: int = 0
    missing: int = 0
    gap: float = 0.0

    @property
    def result_label(self) -> str:
        return RESULT_LABELS[self.result]

    def payload(self, criteria: list[Criterion], data_year: int) -> dict:
        """What is kept on a list entry: why the firm qualified, as it was screened."""
        return {"data_year": data_year, "result": self.result,
                "criteria": [{"label": c.label, "status": o.status, "value": o.value}
                             for c, o in zip(criteria, self.outcomes)]}


@dataclass
class Screening:
    criteria_set: CriteriaSet
    criteria: list[Criterion]
    rows: list[ScreenRow] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in RESULT_LABELS}
        for row in self.rows:
            out[row.result] += 1
        return out


def criteria_set_for(programme_id, year) -> CriteriaSet | None:
    return db.session.scalar(select(CriteriaSet).where(
        CriteriaSet.programme_id == programme_id, CriteriaSet.year == year))


def _years_needed(criteria: list[Criterion], data_year: int) -> set[int]:
    years = {data_year}
    for c in criteria:
        if c.kind == "revenue_growth":
            years.add(data_year - int(c.params.get("years", 2)))
    return years


def load_facts(user, *, years: set[int], programme_codes: set[str], firm_ids=None,
               town_id: int | None = None) -> dict[int, Facts]:
    """Facts of every active firm in ``user``'s scope (or of ``firm_ids``), in four queries."""
    scope = select(Firm.id).where(firm_scope(user), Firm.status == "active")
    if town_id:
        scope = scope.where(Firm.town_id == town_id)
    if firm_ids is not None:
        scope = scope.where(Firm.id.in_(list(firm_ids) or [-1]))
    facts: dict[int, Facts] = {}
    rows = db.session.execute(
        select(Firm.id, Firm.name, Firm.uscc, Firm.town_id, Town.name, Town.zone, Firm.founded_on,
               Firm.above_scale)
        .outerjoin(Town, Town.id == Firm.town_id).where(Firm.id.in_(scope)))
    for fid, name, uscc, town_id_, town_name, zone, founded, above in rows:
        facts[fid] = Facts(fid, name, uscc, town_id_, town_name or "", zone, founded, bool(above))
    if not facts:
        return facts
    for row in db.session.scalars(select(AnnualData).where(
            AnnualData.firm_id.in_(scope), AnnualData.year.in_(sorted(years)),
            AnnualData.status == "accepted")):
        facts[row.firm_id].annual[row.year] = row
    if programme_codes:
        recs = db.session.execute(
            select(Programme.code, Programme.validity_years, Recognition.firm_id, Recognition.year,
                   Recognition.valid_from, Recognition.valid_until, Recognition.status,
                   Recognition.revoked_on)
            .join(Programme, Programme.id == Recognition.programme_id)
            .where(Programme.code.in_(sorted(programme_codes)), Recognition.firm_id.in_(scope)))
        for code, validity, fid, year, start, end, status, revoked_on in recs:
            start = start or date(year, 1, 1)
            end = end or date(year + (validity or 1) - 1, 12, 31)
            if status == "revoked":
                revoked_on = revoked_on or start
            else:
                revoked_on = None
            facts[fid].recognitions.append((code, year, start, end, revoked_on))
    for fid, level in db.session.execute(select(RdInstitution.firm_id, RdInstitution.level).where(
            RdInstitution.firm_id.in_(scope), RdInstitution.status == "active")):
        facts[fid].institution_levels.append(level)
    return facts


def judge(criteria: list[Criterion], outcomes: list[Outcome]) -> tuple[str, int, int, float]:
    """(result, failed, missing, gap) of one firm from its criteria's outcomes."""
    required = [(c, o) for c, o in zip(criteria, outcomes) if c.role == "required"]
    if any(o.status == PASS for c, o in zip(criteria, outcomes) if c.role == "direct"):
        return "direct", 0, 0, 0.0
    failed = sum(o.status == FAIL for _c, o in required)
    missing = sum(o.status == MISSING for _c, o in required)
    gap = sum(o.gap for _c, o in required)
    result = FAIL if failed else MISSING if missing else PASS
    return result, failed, missing, gap


def screen(user, criteria_set: CriteriaSet, *, town_id: int | None = None,
           firm_ids=None) -> Screening:
    """Every firm in scope with each criterion's outcome, closest first."""
    criteria = list(criteria_set.criteria)
    codes = {c.params.get("programme") for c in criteria if c.kind == "holds_programme"}
    facts = load_facts(user, years=_years_needed(criteria, criteria_set.data_year),
                       programme_codes={c for c in codes if c}, firm_ids=firm_ids, town_id=town_id)
    result = Screening(criteria_set, criteria)
    for f in facts.values():
        outcomes = [evaluate(c.kind, c.params or {}, f, year=criteria_set.year,
                             data_year=criteria_set.data_year) for c in criteria]
        verdict, failed, missing, gap = judge(criteria, outcomes)
        result.rows.append(ScreenRow(f, outcomes, verdict, failed, missing, gap))
    result.rows.sort(key=lambda r: (RESULT_RANK[r.result], r.failed, r.missing, r.gap, r.facts.name,
                                    r.facts.firm_id))
    return result


def require_criteria(programme_id, year) -> CriteriaSet:
    cset = criteria_set_for(programme_id, year)
    if cset is None:
        raise NotFound("该类别当年尚未设定评定条件。")
    return cset
