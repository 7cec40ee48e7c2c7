"""Shared state of one demo run: the seeded RNG, reference rows, firm plans, 文号 numbering.

Every random choice of a run goes through ``Demo.rng`` (one ``random.Random(seed)``), and
nothing iterates over a set or depends on today's date, so one seed always gives the
same rows. Generation happens on plain ``FirmPlan`` objects first; ORM rows are built
from them and inserted in bulk at the end.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from registry.demo.names import Kind, People
from registry.extensions import db
from registry.firms.models import Firm, FirmName, Industry, Town
from registry.lists.models import TierList
from registry.recognitions.models import Programme, Recognition

FIRST_YEAR, LAST_YEAR = 2011, 2016  # the registry's years
HISTORY_FROM = 2008  # revenue is simulated from here so 2009–2010 certificates have a basis
NEW_AREA = "杭州湾新区"


@dataclass(eq=False)
class FirmPlan:
    """A firm while it is being generated, with the facts later steps choose by."""

    firm: Firm
    brand: str
    kind: Kind
    town: Town
    industry: Industry
    founded: date
    revenue: dict[int, float] = field(default_factory=dict)  # 万元, HISTORY_FROM..last_year
    last_year: int = LAST_YEAR  # last year of business in Cixi (earlier when it left)
    ht_years: set[int] = field(default_factory=set)  # years under a 高企 certificate
    data_from: int | None = FIRST_YEAR  # first year with annual data; None for none
    busy: bool = False  # holds a recognition, institution or team: keep its data complete

    @property
    def new_area(self) -> bool:
        return self.town.zone == "new_area"

    def alive(self, year: int) -> bool:
        return self.founded.year <= year <= self.last_year

    def age(self, year: int) -> int:
        return year - self.founded.year

    def rev(self, year: int) -> float:
        return self.revenue.get(year, 0.0)

    def growth(self, year: int, span: int = 2) -> float:
        """Average yearly revenue growth over the ``span`` years up to ``year``."""
        start = self.rev(year - span)
        if start <= 0 or self.rev(year) <= 0:
            return 0.0
        return (self.rev(year) / start) ** (1 / span) - 1


class DocNumbers:
    """文号 like 慈科〔2014〕12号: per issuer and year, numbers rise with gaps."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.last: dict[tuple[str, int], int] = {}

    def next(self, issuer: str, year: int) -> str:
        number = self.last.get((issuer, year), self.rng.randint(2, 30)) + self.rng.randint(1, 12)
        self.last[(issuer, year)] = number
        return f"{issuer}〔{year}〕{number}号"


class Demo:
    """One run: the RNG, reference data by name/code, generated plans and the rows to add."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.people = People(self.rng)
        self.docs = DocNumbers(self.rng)
        session = db.session
        self.towns = list(session.scalars(select(Town).order_by(Town.sort_order, Town.code)))
        self.industries = {i.name: i for i in session.scalars(select(Industry).order_by(Industry.code))}
        programmes = session.scalars(select(Programme).order_by(Programme.code))
        self.programmes = {p.code: p for p in programmes}
        # What the database already holds (``flask demo --force`` appends): never repeat it.
        self.taken_usccs = set(session.scalars(select(Firm.uscc)))
        self.taken_names = set(session.scalars(select(Firm.name))) | set(
            session.scalars(select(FirmName.name)))
        self.taken_certificates = {tuple(row) for row in session.execute(
            select(Recognition.programme_id, Recognition.certificate_no)
            .where(Recognition.certificate_no.is_not(None)))}
        self.taken_lists = {tuple(row) for row in session.execute(
            select(TierList.programme_id, TierList.year, TierList.batch))}
        self.plans: list[FirmPlan] = []
        self.plan_of: dict[Firm, FirmPlan] = {}
        self.tier_lists: dict[str, TierList] = {}  # ladder programme code -> its 2016 list
        self.institutions_of: dict[FirmPlan, list] = {}  # host plan -> its RdInstitution rows

    def pick(self, items, k: int, weight=lambda item: 1.0) -> list:
        """``k`` distinct items, each drawn with probability ∝ ``weight`` (Efraimidis–Spirakis)."""
        keyed = []
        for index, item in enumerate(items):
            w = weight(item)
            if w > 0:
                keyed.append((self.rng.random() ** (1.0 / w), index, item))
        keyed.sort(key=lambda t: (-t[0], t[1]))
        return [item for _, _, item in keyed[:k]]

    def serials(self, programme: Programme, k: int, top: int, number) -> list[int]:
        """``k`` ascending certificate serials below ``top`` whose ``number(serial)`` is unused."""
        free = [n for n in range(1, top) if (programme.id, number(n)) not in self.taken_certificates]
        return sorted(self.rng.sample(free, k))


def money(value: float) -> Decimal:
    """万元 with two decimals, as the MONEY columns hold it."""
    return Decimal(f"{value:.2f}")


def day_in(rng: random.Random, year: int, first_month: int = 1, last_month: int = 12) -> date:
    return date(year, rng.randint(first_month, last_month), rng.randint(1, 28))
