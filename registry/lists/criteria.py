"""Criteria as data: what each kind measures, how it is checked, and which ranges are impossible.

A criterion is a row (``Criterion``): a kind from ``CRITERION_KINDS`` and its ``params``.
This module is the one place that knows what a kind means. ``evaluate`` turns one
criterion and one firm's facts into an ``Outcome`` — pass, fail or 数据缺失 — with the
value it looked at and how far the firm is from passing; ``validate_params`` refuses a
criterion that could never be met (min above max, a share above 100%, a rubric whose pass
mark exceeds its points …) with a message a clerk can act on.

Conventions, documented here because a list is only as fair as its reading of the rules:
* figures come from the criteria set's ``data_year`` (usually the year before the list);
* firm age is the list year minus the founding year (成立年限);
* "holds" a programme = a recognition not revoked whose validity overlaps the list year;
  "has held" = one recognised before the list year and not revoked;
* a value that is needed but not recorded is 数据缺失 — never a silent pass or fail. A
  rubric with missing items still passes (or fails) when the known points already decide it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from registry.errors import ValidationError
from registry.vocab import LEVEL_RANK, LEVELS

PASS, FAIL, MISSING = "pass", "fail", "missing"
STATUS_LABELS = {PASS: "符合", FAIL: "不符合", MISSING: "数据缺失"}
HOLD_MODES = {"holds": "持有有效认定", "held": "曾获认定", "not_held": "未曾获认定",
              "not_holds": "不持有有效认定"}
#: Figures a rubric item can score, with their labels and units.
METRICS = {
    "tech_staff_share": ("科技人员占比", "%"),
    "rd_intensity": ("研发费用占营业收入比例", "%"),
    "rd_cost_share": ("研发费用占成本费用总额比例", "%"),
    "high_tech_revenue_share": ("高新技术产品收入占比", "%"),
    "invention_patents": ("发明专利（I类知识产权）", "件"),
    "other_ip": ("实用新型、外观设计、软件著作权（II类知识产权）", "件"),
    "revenue": ("营业收入", "万元"),
    "employees": ("职工人数", "人"),
}
RANGE_KINDS = {"firm_age": "年", "revenue": "万元", "employees": "人"}
MIN_KINDS = {"rd_intensity": "%", "revenue_growth": "%", "tech_staff_share": "%",
             "high_tech_revenue_share": "%", "invention_patents": "件"}
PERCENT_KINDS = {"rd_intensity", "tech_staff_share", "high_tech_revenue_share"}


@dataclass
class Facts:
    """What screening knows about one firm, loaded in bulk (see ``screening.load_facts``)."""

    firm_id: int
    name: str
    uscc: str
    town_id: int | None
    town_name: str
    zone: str | None
    founded_on: date | None
    above_scale: bool
    annual: dict[int, Any] = field(default_factory=dict)  # year → AnnualData
    recognitions: list[tuple] = field(default_factory=list)  # (code, year, start, end, revoked_on)
    institution_levels: list[str] = field(default_factory=list)  # active institutions


@dataclass
class Outcome:
    status: str
    value: str = ""  # what was looked at, for the clerk
    gap: float = 0.0  # 0 when passing; how far off otherwise (a fraction of the threshold)
    number: float | None = None  # the measured value, for sorting and export

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


# --- reading figures --------------------------------------------------------------------

def _num(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _share(part, whole) -> Decimal | None:
    part, whole = _num(part), _num(whole)
    if part is None or not whole:
        return None
    return part * 100 / whole


def metric(facts: Facts, name: str, data_year: int) -> Decimal | None:
    """One figure of the data year, or None when it is not recorded."""
    row = facts.annual.get(data_year)
    if row is None:
        return None
    if name == "tech_staff_share":
        return _share(row.tech_staff, row.employees)
    if name == "rd_intensity":
        return _share(row.rd_expense, row.revenue)
    if name == "rd_cost_share":
        return _share(row.rd_expense, row.total_cost)
    if name == "high_tech_revenue_share":
        return _share(row.high_tech_revenue, row.revenue)
    if name == "other_ip":
        parts = [row.utility_patents, row.design_patents, row.software_copyrights]
        return None if all(p is None for p in parts) else Decimal(sum(p or 0 for p in parts))
    return _num(getattr(row, name))


def _fmt(value: Decimal | None, unit: str) -> str:
    if value is None:
        return "未填报"
    if unit in ("%", "万元"):
        return f"{value:,.2f}{unit}"
    return f"{value:,.0f}{unit}"


# --- evaluation ---------------------------------------------------------------------------

def evaluate(kind: str, params: dict, facts: Facts, *, year: int, data_year: int) -> Outcome:
    """The outcome of one criterion for one firm (see the module docstring for conventions)."""
    if kind in RANGE_KINDS:
        if kind == "firm_age":
            value = None if facts.founded_on is None else Decimal(year - facts.founded_on.year)
        else:
            value = metric(facts, kind, data_year)
        return _range(value, params, RANGE_KINDS[kind])
    if kind == "rd_intensity" and params.get("bands"):
        revenue = metric(facts, "revenue", data_year)
        value = metric(facts, "rd_intensity", data_year)
        if revenue is None or value is None:
            return Outcome(MISSING, _fmt(value, "%"))
        return _at_least(value, _band_min(params["bands"], revenue), "%")
    if kind == "revenue_growth":
        return _growth(facts, int(params.get("years", 2)), _num(params.get("min")), data_year)
    if kind in MIN_KINDS:
        return _at_least(metric(facts, kind, data_year), _num(params.get("min")), MIN_KINDS[kind])
    if kind == "holds_programme":
        return _holds(facts, params, year)
    if kind == "rd_institution":
        top = min((LEVEL_RANK[lv] for lv in facts.institution_levels), default=None)
        need = LEVEL_RANK[params.get("level", "provincial")]
        shown = LEVELS[next(k for k, r in LEVEL_RANK.items() if r == top)] if top else "无"
        return Outcome(PASS if top is not None and top <= need else FAIL, shown,
                       0.0 if top is not None and top <= need else 1.0)
    if kind == "above_scale":
        want = bool(params.get("value", True))
        return Outcome(PASS if facts.above_scale == want else FAIL,
                       "是" if facts.above_scale else "否", 0.0 if facts.above_scale == want else 1.0)
    if kind == "location":
        return _location(facts, params)
    if kind == "rubric":
        return _rubric(facts, params, data_year)
    raise ValidationError(f"未知的条件类型：{kind}")


def _range(value: Decimal | None, params: dict, unit: str) -> Outcome:
    if value is None:
        return Outcome(MISSING, _fmt(None, unit))
    low, high = _num(params.get("min")), _num(params.get("max"))
    shown = _fmt(value, unit)
    if low is not None and value < low:
        return Outcome(FAIL, shown + f"（需≥{low.normalize():f}{unit}）",
                       float((low - value) / (abs(low) or 1)), float(value))
    if high is not None and value > high:
        return Outcome(FAIL, shown + f"（需≤{high.normalize():f}{unit}）",
                       float((value - high) / (abs(high) or 1)), float(value))
    return Outcome(PASS, shown, 0.0, float(value))


def _at_least(value: Decimal | None, low: Decimal | None, unit: str) -> Outcome:
    if value is None:
        return Outcome(MISSING, _fmt(None, unit))
    shown = _fmt(value, unit)
    if low is not None and value < low:
        return Outcome(FAIL, shown + f"（需≥{low.normalize():f}{unit}）",
                       float((low - value) / (abs(low) or 1)), float(value))
    return Outcome(PASS, shown, 0.0, float(value))


def _band_min(bands: list[dict], revenue: Decimal) -> Decimal | None:
    """The threshold of the first band whose ``below`` the revenue is under (last: the rest)."""
    for band in bands:
        below = _num(band.get("below"))
        if below is None or revenue < below:
            return _num(band.get("min"))
    return _num(bands[-1].get("min"))


def _growth(facts: Facts, years: int, low: Decimal | None, data_year: int) -> Outcome:
    end, start = metric(facts, "revenue", data_year), metric(facts, "revenue", data_year - years)
    if end is None or start is None or start <= 0:
        return Outcome(MISSING, "缺少{}年或{}年营业收入".format(data_year - years, data_year)
                       if end is None or start is None else "基期营业收入为0")
    rate = (Decimal((float(end) / float(start)) ** (1 / years)) - 1) * 100
    return _at_least(rate, low, "%")


def _holds(facts: Facts, params: dict, year: int) -> Outcome:
    code, mode = params.get("programme"), params.get("mode", "holds")
    first, last = date(year, 1, 1), date(year, 12, 31)
    held_years, holding = [], []
    for rec_code, rec_year, start, end, revoked_on in facts.recognitions:
        if rec_code != code:
            continue
        if rec_year < year and (revoked_on is None or revoked_on > date(rec_year, 12, 31)):
            held_years.append(rec_year)
        if start <= last and end >= first and (revoked_on is None or revoked_on > first):
            holding.append(rec_year)
    found = holding if mode in ("holds", "not_holds") else held_years
    ok = bool(found) if mode in ("holds", "held") else not found
    shown = "、".join(f"{y}年" for y in sorted(set(found))) if found else "无"
    return Outcome(PASS if ok else FAIL, shown, 0.0 if ok else 1.0)


def _location(facts: Facts, params: dict) -> Outcome:
    if facts.town_id is None:
        return Outcome(MISSING, "未填镇（街道）")
    if params.get("zone"):
        ok = facts.zone == params["zone"]
    else:
        ok = facts.town_name in set(params.get("towns") or ())
    return Outcome(PASS if ok else FAIL, facts.town_name, 0.0 if ok else 1.0)


def _points(bands: list, value: Decimal) -> Decimal:
    best = Decimal(0)
    for threshold, points in bands:
        if value >= _num(threshold):
            best = _num(points)
    return best


def _rubric(facts: Facts, params: dict, data_year: int) -> Outcome:
    total, unknown_max, parts, mandatory_missing, mandatory_zero = Decimal(0), Decimal(0), [], False, False
    for item in params.get("items", []):
        scores = []
        for option in item.get("options", []):
            value = metric(facts, option["metric"], data_year)
            if value is not None:
                scores.append(_points(option["bands"], value))
        if scores:
            score = max(scores)
            total += score
            parts.append(f"{item['label']}{score.normalize():f}")
            mandatory_zero |= bool(item.get("mandatory")) and score == 0
        else:
            unknown_max += item_max(item)
            parts.append(f"{item['label']}缺")
            mandatory_missing |= bool(item.get("mandatory"))
    pass_mark = _num(params.get("pass_mark")) or Decimal(0)
    shown = f"{total.normalize():f}分（{'，'.join(parts)}）"
    if mandatory_zero or total + unknown_max < pass_mark:
        gap = float((pass_mark - total) / pass_mark) if pass_mark and total < pass_mark else 1.0
        return Outcome(FAIL, shown, gap, float(total))
    if total >= pass_mark and not mandatory_missing:
        return Outcome(PASS, shown, 0.0, float(total))
    return Outcome(MISSING, shown, 0.0, float(total))


def item_max(item: dict) -> Decimal:
    return max((max((_num(p) for _t, p in o.get("bands", [])), default=Decimal(0))
                for o in item.get("options", [])), default=Decimal(0))


# Validation and wording live in ``criteria_rules``; callers keep using ``criteria.*``.
from registry.lists.criteria_rules import describe, validate_params  # noqa: E402,F401
