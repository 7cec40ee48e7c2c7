"""Demo firms: the roster, revenue histories, renames, firms that left, annual data.

Revenue is simulated first as a yearly path ending in the firm's last year; whether a
firm is 规上 (above_scale) then follows from it (营业收入 ≥ 2000 万元), and later steps
choose recognitions from the same numbers, so a 瞪羚 really grew and a 高企 really spent
enough on R&D. Annual data rows are written last, once the 高企 years are known.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from registry.demo.base import (
    FIRST_YEAR, HISTORY_FROM, LAST_YEAR, NEW_AREA, Demo, FirmPlan, day_in, money,
)
from registry.demo.names import KINDS, Brands, Usccs, address, firm_name, phone
from registry.firms.models import AnnualData, Firm, FirmName

FIRM_COUNT = 400
NEW_AREA_SHARE = 0.10
# Relative weight of each Cixi town (by the migration's sort order); 杭州湾新区 is fixed above.
TOWN_WEIGHTS = {
    "浒山街道": 10, "白沙路街道": 6, "古塘街道": 8, "宗汉街道": 9, "坎墩街道": 7, "周巷镇": 10,
    "观海卫镇": 8, "逍林镇": 5, "新浦镇": 6, "胜山镇": 4, "横河镇": 6, "匡堰镇": 3, "长河镇": 5,
    "崇寿镇": 3, "庵东镇": 5, "桥头镇": 4, "附海镇": 4, "掌起镇": 4, "龙山镇": 5,
}
CAPITAL_LARGE = (500, 800, 1000, 1200, 1500, 1800, 2000, 2500, 3000, 3600, 5000, 5180, 6000,
                 8000, 10000, 12000, 15000, 20000, 2380.5, 1288)
CAPITAL_SMALL = (10, 30, 50, 50, 100, 100, 120, 200, 300, 500, 518, 600, 800, 1000, 68.8)
# Older wording for a 厂 (factory) name a firm carried before becoming a company.
FACTORY_WORDS = {"塑业": "塑料", "纺织": "针织", "电子科技": "电子", "生物科技": "生物制品",
                 "新材料": "化工", "汽车部件": "汽车配件", "智能装备": "机械",
                 "自动化设备": "机电", "医疗器械": "医疗用品"}
DESIGN_HEAVY = ("电器", "五金", "塑业")  # 外观设计 patents are their daily bread
SOFTWARE_KINDS = ("电子科技", "智能装备", "自动化设备")  # firms that register 软件著作权
LEFT = (("deregistered", 6, "企业已办理注销登记。"), ("moved_out", 4, "企业注册地已迁出慈溪市。"))


def make_firms(demo: Demo) -> list[FirmName]:
    """Fill ``demo.plans`` with firms and their revenue; return the former-name rows."""
    rng = demo.rng
    brands, usccs = Brands(rng, demo.taken_names), Usccs(rng, demo.taken_usccs)
    towns = _town_sequence(demo)
    kind_weights = [k.weight for k in KINDS]
    years = list(range(1988, LAST_YEAR + 1))
    for town in towns:
        in_new_area = town.name == NEW_AREA
        year_weights = [0 if in_new_area and y < 2003 else 1 if y < 1998 else 3 if y < 2008 else 4
                        for y in years]
        year = rng.choices(years, year_weights)[0]
        founded = day_in(rng, year, last_month=9 if year == LAST_YEAR else 12)
        kind = rng.choices(KINDS, kind_weights)[0]
        industry = demo.industries[rng.choice(kind.industries)]
        brand = brands.new()
        legal = demo.people.new()
        firm = Firm(
            uscc=usccs.new(year, founded >= date(2015, 10, 1)),
            name="", town=town, industry=industry, founded_on=founded,
            legal_representative=legal,
            contact_person=legal if rng.random() < 0.35 else demo.people.new(),
            phone=phone(rng), address=address(rng, town.name), status="active",
        )
        demo.plans.append(FirmPlan(firm, brand, kind, town, industry, founded))
    _mark_leavers(demo)
    for plan in demo.plans:
        _simulate_revenue(demo, plan)
        _finish_firm(demo, plan)
    return _renames(demo, brands)


def _town_sequence(demo: Demo) -> list:
    """Town of each firm: ~10% in 杭州湾新区, at least three per Cixi town, rest weighted."""
    rng = demo.rng
    new_area = [t for t in demo.towns if t.name == NEW_AREA]
    cixi = [t for t in demo.towns if t.name != NEW_AREA]
    towns = new_area * round(FIRM_COUNT * NEW_AREA_SHARE) + [t for t in cixi for _ in range(3)]
    towns += rng.choices(cixi, [TOWN_WEIGHTS.get(t.name, 4) for t in cixi], k=FIRM_COUNT - len(towns))
    rng.shuffle(towns)
    return towns


def _mark_leavers(demo: Demo) -> None:
    """A few older firms were deregistered or moved away between 2012 and 2016."""
    rng = demo.rng
    candidates = [p for p in demo.plans if p.founded.year <= 2009]
    chosen = demo.pick(candidates, sum(n for _, n, _ in LEFT))
    for status, count, note in LEFT:
        for plan in chosen[:count]:
            changed = day_in(rng, rng.randint(2012, LAST_YEAR), last_month=11)
            plan.firm.status, plan.firm.status_changed_on, plan.firm.note = status, changed, note
            plan.last_year = changed.year - 1
        chosen = chosen[count:]


def _simulate_revenue(demo: Demo, plan: FirmPlan) -> None:
    """营业收入 path ending in the firm's last year; young firms grow fastest."""
    rng = demo.rng
    age = plan.last_year - plan.founded.year
    p_above = 0.68 if age >= 11 else 0.5 if age >= 6 else 0.2 if age >= 3 else 0.05
    if plan.new_area:
        p_above += 0.1
    if rng.random() < p_above:
        final = min(max(rng.lognormvariate(8.7, 0.95), 2050.0), 260_000.0)
    else:
        final = rng.uniform(80.0, 1500.0) if age < 3 else rng.uniform(150.0, 1990.0)
    base = (rng.uniform(0.15, 0.5) if age < 6 else rng.uniform(0.05, 0.25) if age < 11
            else rng.uniform(-0.03, 0.12))
    first = max(plan.founded.year, HISTORY_FROM)
    value = final
    for year in range(plan.last_year, first - 1, -1):
        plan.revenue[year] = value
        value /= 1 + max(base + rng.gauss(0, 0.06), -0.2)
    if plan.founded.year >= HISTORY_FROM and plan.founded.year <= plan.last_year:
        plan.revenue[plan.founded.year] *= (13 - plan.founded.month) / 12  # part of a year


def _finish_firm(demo: Demo, plan: FirmPlan) -> None:
    rng, firm = demo.rng, plan.firm
    last_revenue = plan.rev(plan.last_year)
    firm.above_scale = last_revenue >= 2000
    big = last_revenue >= 30_000
    if big and rng.random() < 0.5:
        firm.name = firm_name("浙江", plan.brand, plan.kind, "股份有限公司")
    else:
        city = "宁波" if rng.random() < (0.45 if plan.new_area else 0.15) else "慈溪市"
        firm.name = firm_name(city, plan.brand, plan.kind)
    capital = rng.choice(CAPITAL_LARGE if firm.above_scale else CAPITAL_SMALL)
    firm.registered_capital = money(capital * (3 if big else 1))


def _renames(demo: Demo, brands: Brands) -> list[FirmName]:
    """About a dozen firms changed their name; the old names stay searchable."""
    rng = demo.rng
    taken = demo.taken_names | {p.firm.name for p in demo.plans}
    candidates = [p for p in demo.plans if p.founded.year <= 2012 and p.last_year == LAST_YEAR]
    rows, two_done = [], False
    for n, plan in enumerate(demo.pick(candidates, 12)):
        firm, kind = plan.firm, plan.kind
        factory = f"慈溪市{plan.brand}{FACTORY_WORDS.get(kind.word, kind.word)}厂"
        if firm.name.startswith("慈溪市"):
            olds = [factory if n % 3 == 0 else firm_name("慈溪市", brands.new(), kind)]
        else:  # 宁波…/浙江… names were 慈溪市… before; the first such firm was a 厂 even earlier
            olds = [firm_name("慈溪市", plan.brand, kind)] + ([factory] if not two_done else [])
            two_done = True
        day = date(LAST_YEAR, 9, 30)
        for old in olds:  # newest former name first, each used until ``day``
            earliest = max(plan.founded + timedelta(days=400), date(FIRST_YEAR, 1, 1))
            if old in taken or earliest >= day:
                break
            day = earliest + timedelta(days=rng.randrange((day - earliest).days))
            taken.add(old)
            rows.append(FirmName(firm=firm, name=old, changed_on=day))
    return rows


@dataclass
class _Habits:
    """What stays the same in a firm's figures from year to year."""

    export_share: float  # 出口交货值 / 营业收入
    productivity: float  # 万元 of revenue per employee in 2011
    rd_base: float  # R&D intensity when not a 高企
    ht_share: float  # 高新技术产品收入 share under a certificate
    other_ht_share: float  # the same share for a firm that never was a 高企
    tech_share: float  # 科技人员 / 职工


def make_annual_data(demo: Demo) -> list[AnnualData]:
    """年度数据 for most firms, 2011–2016, all accepted; 高企 years meet the 高企 ratios."""
    rng = demo.rng
    rows = []
    for plan in demo.plans:
        if not plan.busy:  # some firms began reporting late, a few never did
            roll = rng.random()
            plan.data_from = (None if roll < 0.06 else rng.randint(2013, 2015) if roll < 0.18
                              else FIRST_YEAR)
        if plan.data_from is None:
            continue
        habits = _Habits(
            export_share=rng.uniform(0.1, 0.7) if plan.kind.exporter and rng.random() < 0.7 else 0.0,
            productivity=rng.uniform(35, 120), rd_base=rng.uniform(0.012, 0.045),
            ht_share=rng.uniform(0.62, 0.93),
            other_ht_share=0.0 if rng.random() < 0.6 else rng.uniform(0.05, 0.45),
            tech_share=rng.uniform(0.1, 0.3),
        )
        for year in range(max(plan.data_from, plan.founded.year), plan.last_year + 1):
            if plan.rev(year) > 0:
                rows.append(_annual_row(rng, plan, year, habits))
    return rows


def _annual_row(rng, plan: FirmPlan, year: int, habits: _Habits) -> AnnualData:
    revenue = plan.rev(year)
    high_tech = year in plan.ht_years
    if high_tech:  # the 高企 R&D floor depends on revenue (5% / 4% / 3%)
        floor = 0.05 if revenue < 5000 else 0.04 if revenue < 20000 else 0.03
        intensity = min(floor + rng.uniform(0.002, 0.025), 0.08)
        share = max(0.605, min(habits.ht_share + rng.uniform(-0.03, 0.03), 0.97))
        tech = max(0.1, habits.tech_share) + rng.uniform(0, 0.05)
    elif plan.ht_years:  # before or after its certificates: the same firm, a little weaker
        intensity = max(0.011, min(habits.rd_base + 0.01 + rng.uniform(-0.004, 0.004), 0.08))
        share = habits.ht_share * rng.uniform(0.55, 0.85)
        tech = habits.tech_share * 0.8
    else:
        intensity = max(0.011, min(habits.rd_base + rng.uniform(-0.004, 0.004), 0.08))
        share = habits.other_ht_share
        tech = habits.tech_share * 0.6
    employees = max(6, round(revenue / (habits.productivity * 1.04 ** (year - FIRST_YEAR))))
    tech_staff = min(employees, max(1, round(employees * tech)))
    scale = 1 + (revenue > 20_000) + (revenue > 80_000)
    # Naive UTC like every DateTime column: 01:00–09:00 UTC is office hours in Beijing.
    submitted = datetime(year + 1, rng.randint(1, 3), rng.randint(1, 28), rng.randint(1, 9),
                         rng.randint(0, 59))
    reviewed = datetime.combine(submitted.date() + timedelta(days=rng.randint(2, 20)),
                                time(rng.randint(1, 9), rng.randint(0, 59)))
    return AnnualData(
        firm=plan.firm, year=year, revenue=money(revenue), rd_expense=money(revenue * intensity),
        total_cost=money(revenue * rng.uniform(0.82, 0.95)),
        high_tech_revenue=money(revenue * share), export_value=money(revenue * habits.export_share),
        employees=employees, tech_staff=tech_staff,
        rd_staff=min(tech_staff, max(1, round(tech_staff * rng.uniform(0.5, 0.9)))),
        invention_patents=rng.randint(0, 2 * scale + (2 if high_tech else 0)),
        utility_patents=rng.randint(1 if high_tech else 0, 6 * scale + (6 if high_tech else 0)),
        design_patents=rng.randint(0, 10 if plan.kind.word in DESIGN_HEAVY else 2),
        software_copyrights=rng.randint(0, 3) if plan.kind.word in SOFTWARE_KINDS else 0,
        status="accepted", submitted_at=submitted, reviewed_at=reviewed,
    )
