"""Ladder movement and 高企 follow-up: who moved between rungs, whose certificate runs out,
who has not filed the 年报.

* Movement in year Y: each ladder recognition of Y is classed by the highest rung the firm
  held before Y (新晋雏鹰, 雏鹰→瞪羚, 直接认定瞪羚, 瞪羚→头雁, 直接认定头雁); an exit is a firm
  that held a rung during Y-1 and holds none during Y.
* 高企 expiring next year: certificates not revoked whose validity ends in Y+1 and that
  no later certificate replaces — 需重新认定.
* Missing 年报 for fiscal year Y (due 31 May of Y+1): 高企 in force during Y without a
  report; a firm that also missed Y-1 while certified is flagged: two missed years cancel
  the status.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry.audit.services import record
from registry.errors import ConflictError, ValidationError
from registry.extensions import db
from registry.firms.models import Firm
from registry.firms.services import firm_scope
from registry.lists.certificates import certificate_problem
from registry.recognitions.models import HighTechReport, Programme, Recognition

RUNGS = ("eaglet", "gazelle", "lead_goose")
MOVES = {
    "new_eaglet": "新晋雏鹰",
    "eaglet_to_gazelle": "雏鹰→瞪羚",
    "direct_gazelle": "直接认定瞪羚",
    "gazelle_to_lead": "瞪羚→头雁",
    "direct_lead": "直接认定头雁",
    "renewed": "原级复评",
    "exit": "退出梯队",
}


@dataclass
class Move:
    kind: str
    firm: Firm
    before: str  # the rung held before ("" when none)
    after: str  # the rung reached ("" for an exit)

    @property
    def label(self) -> str:
        return MOVES[self.kind]


@dataclass
class Ladder:
    year: int
    moves: list[Move] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in MOVES}
        for m in self.moves:
            out[m.kind] += 1
        return out

    def of(self, kind: str) -> list[Move]:
        return [m for m in self.moves if m.kind == kind]


def _window(rec: Recognition, validity: int) -> tuple[date, date]:
    start = rec.valid_from or date(rec.year, 1, 1)
    end = rec.valid_until or date(rec.year + validity - 1, 12, 31)
    if rec.status == "revoked":
        end = min(end, rec.revoked_on or start)
    return start, end


def _overlaps(window: tuple[date, date], year: int) -> bool:
    return window[0] <= date(year, 12, 31) and window[1] >= date(year, 1, 1)


def ladder_movement(user, year: int) -> Ladder:
    """Movements on the ladder in ``year`` (within the user's scope), in one query."""
    programmes = {p.id: p for p in db.session.scalars(select(Programme).where(Programme.code.in_(RUNGS)))}
    rank = {pid: p.ladder_rank or RUNGS.index(p.code) + 1 for pid, p in programmes.items()}
    names = {p.ladder_rank or RUNGS.index(p.code) + 1: p.short_name for p in programmes.values()}
    recs = db.session.scalars(
        select(Recognition).join(Firm, Firm.id == Recognition.firm_id)
        .where(Recognition.programme_id.in_(list(programmes) or [-1]), Recognition.year <= year,
               firm_scope(user))
        .options(selectinload(Recognition.firm).selectinload(Firm.town)))
    by_firm: dict[int, list[Recognition]] = {}
    for rec in recs:
        by_firm.setdefault(rec.firm_id, []).append(rec)
    ladder = Ladder(year)
    for history in by_firm.values():
        firm = history[0].firm
        before = max((rank[r.programme_id] for r in history if r.year < year and r.status == "valid"),
                     default=0)
        new = [r for r in history if r.year == year]  # recognised that year, even if revoked later
        for rec in sorted(new, key=lambda r: rank[r.programme_id]):
            to = rank[rec.programme_id]
            kind = ("new_eaglet" if to == 1 and before == 0 else
                    "renewed" if to <= before else
                    "eaglet_to_gazelle" if to == 2 and before == 1 else
                    "direct_gazelle" if to == 2 else
                    "gazelle_to_lead" if to == 3 and before == 2 else "direct_lead")
            ladder.moves.append(Move(kind, firm, names.get(before, ""), names[to]))
        held_last = [r for r in history if _overlaps(_window(r, programmes[r.programme_id].validity_years),
                                                     year - 1)]
        held_now = [r for r in history if _overlaps(_window(r, programmes[r.programme_id].validity_years),
                                                    year)]
        if held_last and not held_now:
            last = max(rank[r.programme_id] for r in held_last)
            ladder.moves.append(Move("exit", firm, names[last], ""))
    order = list(MOVES)
    ladder.moves.sort(key=lambda m: (order.index(m.kind), m.firm.town.sort_order if m.firm.town else 99,
                                     m.firm.name))
    return ladder


def _high_tech_recs(user, *, until_from: date | None = None, until_to: date | None = None):
    stmt = (select(Recognition).join(Programme, Programme.id == Recognition.programme_id)
            .join(Firm, Firm.id == Recognition.firm_id)
            .where(Programme.code == "high_tech", firm_scope(user))
            .options(selectinload(Recognition.firm).selectinload(Firm.town),
                     selectinload(Recognition.programme)))
    return list(db.session.scalars(stmt))


@dataclass
class Expiring:
    recognition: Recognition
    problem: str | None  # certificate number check

    @property
    def firm(self) -> Firm:
        return self.recognition.firm


def expiring_high_tech(user, year: int) -> list[Expiring]:
    """高企 whose certificate ends in ``year`` + 1 and is not replaced by a later one."""
    recs = _high_tech_recs(user)
    latest: dict[int, int] = {}
    for rec in recs:
        if rec.status == "valid":
            latest[rec.firm_id] = max(latest.get(rec.firm_id, 0), rec.year)
    out = []
    for rec in recs:
        end = _window(rec, 3)[1]
        if rec.status == "valid" and end.year == year + 1 and latest[rec.firm_id] == rec.year:
            out.append(Expiring(rec, certificate_problem(rec.certificate_no, rec.year)
                                if rec.certificate_no else "未登记证书编号"))
    out.sort(key=lambda e: (_window(e.recognition, 3)[1], e.firm.name))
    return out


@dataclass
class MissingReport:
    recognition: Recognition
    missed_before: bool  # the previous fiscal year is missing too, while certified

    @property
    def firm(self) -> Firm:
        return self.recognition.firm


def missing_reports(user, year: int) -> list[MissingReport]:
    """高企 in force during fiscal ``year`` with no 年报 for it (two queries)."""
    recs = _high_tech_recs(user)
    filed = {(fid, y) for fid, y in db.session.execute(select(HighTechReport.firm_id, HighTechReport.year)
                                                      .where(HighTechReport.year.in_([year - 1, year])))}
    in_force: dict[int, Recognition] = {}
    before: set[int] = set()
    for rec in recs:
        window = _window(rec, 3)
        if _overlaps(window, year) and rec.year <= year:
            in_force.setdefault(rec.firm_id, rec)
        if _overlaps(window, year - 1) and rec.year <= year - 1:
            before.add(rec.firm_id)
    out = [MissingReport(rec, fid in before and (fid, year - 1) not in filed)
           for fid, rec in in_force.items() if (fid, year) not in filed]
    out.sort(key=lambda m: (not m.missed_before, m.firm.town.sort_order if m.firm.town else 99, m.firm.name))
    return out


def record_report(actor, firm: Firm, year: int, submitted_on: date | None, note: str | None = None
                  ) -> HighTechReport:
    """Note that ``firm`` filed its 年报 for fiscal ``year``."""
    if not 1950 <= int(year) <= 2200:
        raise ValidationError("年度无效", field="year")
    if submitted_on and submitted_on.year < year:
        raise ValidationError("报送日期早于所报年度。", field="submitted_on")
    if db.session.scalar(select(HighTechReport.id).where(HighTechReport.firm_id == firm.id,
                                                         HighTechReport.year == year)):
        raise ConflictError(f"{firm.name}的{year}年度年报已登记。")
    rec = db.session.scalar(
        select(Recognition).join(Programme).where(Programme.code == "high_tech",
                                                  Recognition.firm_id == firm.id,
                                                  Recognition.year <= year)
        .order_by(Recognition.year.desc()).limit(1))
    report = HighTechReport(firm_id=firm.id, year=year, recognition_id=rec.id if rec else None,
                            submitted_on=submitted_on, note=(note or "").strip() or None)
    db.session.add(report)
    db.session.flush()
    record(actor, "create", "high_tech_report", report.id, firm_id=firm.id,
           summary=f"登记{firm.name}{year}年度高企年报",
           after={"year": year, "submitted_on": submitted_on})
    return report
