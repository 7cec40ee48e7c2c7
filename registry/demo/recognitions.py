"""Demo recognitions: 高企 certificates, 科技型中小企业, 宁波初创, the 雏鹰→瞪羚→头雁 ladder.

Choices are made year by year from the simulated revenue, so they hang together: a 高企
is certified at least a year after founding and renews every three years, a 雏鹰 is
young and small, a 瞪羚 grew fast (and mostly was a 雏鹰 first), a 头雁 is large. The
2016 ladder rungs are published as tier lists with a frozen snapshot of each firm.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from registry.demo.base import LAST_YEAR, Demo, FirmPlan, day_in, money
from registry.lists.models import TierList, TierListEntry
from registry.recognitions.models import Recognition

# First 高企 certificates per year; renewals come on top (certificates run three years).
HIGH_TECH_NEW = {2009: 12, 2010: 14, 2011: 16, 2012: 14, 2013: 16, 2014: 18, 2015: 20, 2016: 24}
RENEWAL_RATE = 0.85
REVOKE_REASONS = (
    "经复核，企业研究开发费用归集不实，不再符合高新技术企业认定条件，取消其高新技术企业资格。",
    "企业发生重大安全生产事故，依规取消其高新技术企业资格。",
)
TECH_SME = {2012: 28, 2013: 34, 2014: 40, 2015: 46, 2016: 52}
NB_STARTUP = {2013: 10, 2014: 14, 2015: 16, 2016: 20}
EAGLET = {2013: 12, 2014: 15, 2015: 18, 2016: 20}
GAZELLE = {2014: 6, 2015: 8, 2016: 10}
GAZELLE_FROM_EAGLETS = 0.85  # share of each year's 瞪羚 that were 雏鹰 before
LEAD_GOOSE = {2015: 2, 2016: 3}
LADDER = ("eaglet", "gazelle", "lead_goose")
BATCHES = ("第一批", "第二批")


def make_recognitions(demo: Demo) -> list[Recognition]:
    """Every recognition, oldest programme logic first: later choices look at 高企 years."""
    rows = _high_tech(demo) + _tech_sme(demo) + _nb_startup(demo) + _ladder(demo)
    for rec in rows:
        demo.plan_of[rec.firm].busy = True
    return rows


def _window(year: int, years: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + years - 1, 12, 31)


def _high_tech(demo: Demo) -> list[Recognition]:
    rng, programme = demo.rng, demo.programmes["high_tech"]
    chains: dict[FirmPlan, list[Recognition]] = {}
    rows = []
    for year in sorted(HIGH_TECH_NEW):
        renewing = [p for p, chain in chains.items()
                    if chain[-1].year == year - 3 and p.alive(year) and rng.random() < RENEWAL_RATE]
        fresh = demo.pick(  # firms that later left Cixi are kept out: their certificates would dangle
            [p for p in demo.plans if p not in chains and p.alive(year) and p.age(year) >= 1
             and p.last_year == LAST_YEAR and p.rev(year - 1) >= 300],
            HIGH_TECH_NEW[year],
            lambda p: (3 if p.rev(year - 1) >= 2000 else 1) * (0.3 if p.industry.name == "其他" else 1),
        )
        firms = renewing + fresh
        rng.shuffle(firms)
        first_batch = len(firms) * 2 // 3
        days = (day_in(rng, year, 9, 10), day_in(rng, year, 11, 12))
        docs = (demo.docs.next("浙科发高", year), demo.docs.next("浙科发高", year))
        serials = demo.serials(programme, len(firms), 1500, lambda n: f"GR{year}3310{n:04d}")
        for n, (plan, serial) in enumerate(zip(firms, serials)):
            batch = 0 if n < first_batch else 1
            issued = days[batch]
            rec = Recognition(
                firm=plan.firm, programme=programme, year=year, batch=BATCHES[batch],
                certificate_no=f"GR{year}3310{serial:04d}", issued_on=issued, valid_from=issued,
                valid_until=date(year + 3, issued.month, issued.day) - timedelta(days=1),
                document_no=docs[batch], status="valid",
            )
            chains.setdefault(plan, []).append(rec)
            rows.append(rec)
    latest = [chain[-1] for chain in chains.values() if chain[-1].year in (2013, 2014, 2015)]
    for rec, reason in zip(demo.pick(latest, len(REVOKE_REASONS)), REVOKE_REASONS):
        end = min(rec.valid_until, date(LAST_YEAR, 10, 31))
        rec.status, rec.revoke_reason = "revoked", reason
        rec.revoked_on = rec.issued_on + timedelta(days=rng.randint(180, (end - rec.issued_on).days))
    for plan, chain in chains.items():
        for rec in chain:
            stop = rec.revoked_on.year if rec.revoked_on else rec.year + 3
            plan.ht_years.update(range(rec.year, min(stop, LAST_YEAR + 1)))
    return rows


def _tech_sme(demo: Demo) -> list[Recognition]:
    rng, programme = demo.rng, demo.programmes["tech_sme"]
    rows, previous = [], set()
    for year, count in TECH_SME.items():
        chosen = demo.pick(
            [p for p in demo.plans if p.alive(year) and p.age(year) >= 1
             and 100 <= p.rev(year - 1) < 20_000],
            count, lambda p: (4 if p.firm.uscc in previous else 1) * (1.5 if year in p.ht_years else 1),
        )
        issued = day_in(rng, year, 6, 9)
        doc = demo.docs.next("浙科发高", year)
        serials = demo.serials(programme, len(chosen), 3000, lambda n: f"{year}330282{n:06d}")
        for plan, serial in zip(chosen, serials):
            rows.append(Recognition(  # 入库登记编号: year, Cixi's division code, serial
                firm=plan.firm, programme=programme, year=year,
                certificate_no=f"{year}330282{serial:06d}", issued_on=issued, valid_from=issued,
                valid_until=date(year, 12, 31), document_no=doc, status="valid"))
        previous = {p.firm.uscc for p in chosen}
    return rows


def _nb_startup(demo: Demo) -> list[Recognition]:
    programme, rows, done = demo.programmes["nb_startup"], [], set()
    for year, count in NB_STARTUP.items():
        chosen = demo.pick(
            [p for p in demo.plans if p.alive(year) and 1 <= p.age(year) <= 5
             and p.firm.uscc not in done and 0 < p.rev(year - 1) < 2000],
            count, lambda p: 0.3 if year in p.ht_years else 1)
        doc = demo.docs.next("甬科高", year)
        for plan in chosen:
            done.add(plan.firm.uscc)
            rows.append(_rung(plan, programme, year, doc))
    return rows


def _rung(plan: FirmPlan, programme, year: int, doc: str) -> Recognition:
    start, end = _window(year, programme.validity_years)
    return Recognition(firm=plan.firm, programme=programme, year=year, valid_from=start,
                       valid_until=end, document_no=doc, status="valid")


def _ladder(demo: Demo) -> list[Recognition]:
    """雏鹰 for young small firms; 瞪羚 mostly from earlier 雏鹰; 头雁 from 瞪羚 or large 高企."""
    held: dict[str, dict[FirmPlan, int]] = {code: {} for code in LADDER}
    rows = []
    cixi = [p for p in demo.plans if not p.new_area]  # 杭州湾新区 runs its own ladder
    for year in range(2013, LAST_YEAR + 1):
        def growth(p, year=year):
            return max(p.growth(year - 1), 0.0)

        eaglets = demo.pick(
            [p for p in cixi if p.alive(year) and 1 <= p.age(year) <= 8 and p not in held["eaglet"]
             and 100 < p.rev(year - 1) < 3000],
            EAGLET.get(year, 0), lambda p: (0.3 if year in p.ht_years else 1) * (1 + growth(p)))
        count = GAZELLE.get(year, 0)
        promoted = demo.pick(
            [p for p, y in held["eaglet"].items()
             if y < year and p.alive(year) and p not in held["gazelle"]],
            round(count * GAZELLE_FROM_EAGLETS), lambda p: 0.05 + growth(p))
        direct = demo.pick(
            [p for p in cixi if p.alive(year) and p.age(year) <= 12 and p not in held["eaglet"]
             and p not in held["gazelle"] and 2000 <= p.rev(year - 1) <= 30_000 and growth(p) >= 0.15],
            count - len(promoted))
        count = LEAD_GOOSE.get(year, 0)
        geese = demo.pick(
            [p for p, y in held["gazelle"].items() if y < year and p.alive(year)
             and p not in held["lead_goose"] and p.rev(year - 1) >= 5000],
            min(count, 1), lambda p: p.rev(year - 1))
        geese += demo.pick(
            [p for p in cixi if p.alive(year) and year in p.ht_years and p not in geese
             and p not in held["lead_goose"] and p.rev(year - 1) >= 20_000],
            count - len(geese), lambda p: p.rev(year - 1))
        for code, plans in (("eaglet", eaglets), ("gazelle", promoted + direct), ("lead_goose", geese)):
            if not plans:
                continue
            tier_list = demo.tier_lists.get(code) if year == LAST_YEAR else None
            doc = tier_list.document_no if tier_list else demo.docs.next("慈科", year)
            for plan in plans:
                held[code][plan] = year
                rec = _rung(plan, demo.programmes[code], year, doc)
                rec.tier_list_id = tier_list.id if tier_list else None
                rows.append(rec)
    return rows


def make_tier_lists(demo: Demo) -> list[TierList]:
    """The published 2016 list of each ladder rung, without entries yet.

    Lists are flushed before the recognitions so each 2016 rung can carry its list's id;
    the list's 文号 is the one the 2016 recognitions cite.
    """
    rng = demo.rng
    for code in LADDER:
        programme = demo.programmes[code]
        if (programme.id, LAST_YEAR, "") in demo.taken_lists:
            continue  # appending to a database that has its own 2016 list: leave that alone
        notice_from = date(LAST_YEAR, 11, rng.randint(7, 18))
        demo.tier_lists[code] = TierList(
            programme=programme, year=LAST_YEAR, batch="",
            title=f"关于公布{LAST_YEAR}年度{programme.name}名单的通知",
            status="published", notice_from=notice_from, notice_until=notice_from + timedelta(days=6),
            document_no=demo.docs.next("慈科", LAST_YEAR),
            published_at=datetime(LAST_YEAR, 12, rng.randint(1, 9), rng.randint(1, 8), 30),
            note="排名不分先后",
        )
    return list(demo.tier_lists.values())


def fill_tier_lists(demo: Demo, recognitions: list[Recognition]) -> list[TierListEntry]:
    """Entries of the 2016 lists in town order, with the firm's particulars frozen in."""
    rows, basis = [], LAST_YEAR - 1  # lists are screened on the previous year's figures
    for code, tier_list in demo.tier_lists.items():
        recs = [r for r in recognitions if r.tier_list_id == tier_list.id]
        recs.sort(key=lambda r: (r.firm.town.sort_order, r.firm.uscc))
        for seq, rec in enumerate(recs, start=1):
            plan, firm = demo.plan_of[rec.firm], rec.firm
            rows.append(TierListEntry(
                tier_list_id=tier_list.id, firm=firm, seq=seq, firm_name=firm.name, uscc=firm.uscc,
                town_name=firm.town.name, industry_name=firm.industry.name,
                score=Decimal(f"{demo.rng.uniform(72, 96):.2f}"),
                screening={"basis_year": basis, "revenue": str(money(plan.rev(basis))),
                           # average yearly growth over two years, when the firm is old enough
                           "revenue_growth": round(plan.growth(basis), 4)
                           if plan.rev(basis - 2) > 0 else None},
            ))
    return rows
