"""Which criteria are possible, and how each reads in words.

``validate_params`` refuses a criterion that no firm could ever meet — a minimum above the
maximum, a share over 100%, revenue bands out of order, a rubric whose pass mark exceeds
its points — with a message naming the problem; ``describe`` says what a criterion asks
for, for pages and the screening workbook. Split from ``criteria`` (evaluation).
"""
from __future__ import annotations

from decimal import Decimal

from registry.errors import ValidationError
from registry.lists.criteria import (
    HOLD_MODES, METRICS, MIN_KINDS, PERCENT_KINDS, RANGE_KINDS, _num, item_max,
)
from registry.lists.models import CRITERION_KINDS
from registry.vocab import LEVELS, ZONES


def validate_params(kind: str, params: dict, *, programme_codes=(), town_names=()) -> dict:
    """Clean ``params`` for ``kind`` or raise ValidationError naming what is impossible."""
    if kind not in CRITERION_KINDS:
        raise ValidationError(f"未知的条件类型：{kind}", field="kind")
    p = dict(params or {})
    name = CRITERION_KINDS[kind]
    if kind in RANGE_KINDS:
        low, high = _bound(p, "min", name), _bound(p, "max", name)
        if low is None and high is None:
            raise ValidationError(f"{name}：请至少填写下限或上限", field="min")
        if low is not None and high is not None and low > high:
            raise ValidationError(f"{name}：下限 {low} 大于上限 {high}，没有企业能满足", field="min")
        if kind == "firm_age" and ((low or 0) < 0 or (high is not None and high < 0)):
            raise ValidationError(f"{name}：年限不能为负数", field="min")
        return _drop_none({"min": _plain(low), "max": _plain(high)})
    if kind == "rd_intensity" and p.get("bands"):
        return {"bands": _clean_bands(p["bands"])}
    if kind in MIN_KINDS:
        low = _bound(p, "min", name)
        if low is None:
            raise ValidationError(f"{name}：请填写下限", field="min")
        if kind in PERCENT_KINDS and not 0 <= low <= 100:
            raise ValidationError(f"{name}：比例须在0%到100%之间，现为{low}%", field="min")
        if kind == "invention_patents" and low < 0:
            raise ValidationError(f"{name}：件数不能为负数", field="min")
        out = {"min": _plain(low)}
        if kind == "revenue_growth":
            if low < -100:
                raise ValidationError(f"{name}：增长率不能低于-100%", field="min")
            years = _bound(p, "years", "计算年数")
            if years is None or years != int(years) or not 1 <= years <= 10:
                raise ValidationError(f"{name}：计算年数须为1到10的整数", field="years")
            out["years"] = int(years)
        return out
    if kind == "holds_programme":
        if p.get("programme") not in set(programme_codes):
            raise ValidationError(f"{name}：请选择认定类别", field="programme")
        if p.get("mode", "holds") not in HOLD_MODES:
            raise ValidationError(f"{name}：未知的方式 {p.get('mode')}", field="mode")
        return {"programme": p["programme"], "mode": p.get("mode", "holds")}
    if kind == "rd_institution":
        if p.get("level") not in LEVELS:
            raise ValidationError(f"{name}：请选择最低级别", field="level")
        return {"level": p["level"]}
    if kind == "above_scale":
        return {"value": bool(p.get("value", True))}
    if kind == "location":
        if p.get("zone"):
            if p["zone"] not in ZONES:
                raise ValidationError(f"{name}：未知的区域 {p['zone']}", field="zone")
            return {"zone": p["zone"]}
        towns = [t for t in (p.get("towns") or []) if t]
        unknown = [t for t in towns if t not in set(town_names)]
        if not towns or unknown:
            raise ValidationError(f"{name}：请选择区域或镇（街道）" if not towns
                                  else f"{name}：未知的镇（街道）{'、'.join(unknown)}", field="towns")
        return {"towns": towns}
    return _clean_rubric(p)


def _bound(p: dict, key: str, name: str) -> Decimal | None:
    raw = p.get(key)
    if raw is None or raw == "":
        return None
    value = _num(raw)
    if value is None:
        raise ValidationError(f"{name}：“{raw}”不是有效的数字", field=key)
    return value


def _plain(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def _clean_bands(bands) -> list[dict]:
    """Revenue bands of a banded R&D ratio: ascending ``below`` limits, the last open-ended."""
    if not isinstance(bands, list) or not bands:
        raise ValidationError("分档：至少需要一档", field="bands")
    out, last = [], None
    for i, band in enumerate(bands, 1):
        low = _num(band.get("min")) if isinstance(band, dict) else None
        if low is None or not 0 <= low <= 100:
            raise ValidationError(f"分档第{i}档：比例须在0%到100%之间", field="bands")
        below = _num(band.get("below"))
        if below is None and i != len(bands):
            raise ValidationError(f"分档第{i}档：除最后一档外须填写营业收入上限", field="bands")
        if below is not None and (below <= 0 or (last is not None and below <= last)):
            raise ValidationError(f"分档第{i}档：营业收入上限须大于0并逐档递增", field="bands")
        last = below if below is not None else last
        out.append(_drop_none({"below": _plain(below), "min": _plain(low)}))
    return out


def _clean_rubric(p: dict) -> dict:
    items = p.get("items")
    if not isinstance(items, list) or not items:
        raise ValidationError("评分表：至少需要一个评分项", field="params")
    clean = []
    for i, item in enumerate(items, 1):
        label = str((item or {}).get("label") or "").strip()
        if not label:
            raise ValidationError(f"评分表第{i}项：请填写名称", field="params")
        options = []
        for option in item.get("options") or []:
            if option.get("metric") not in METRICS:
                raise ValidationError(f"评分表“{label}”：未知的指标 {option.get('metric')}", field="params")
            bands, last = [], None
            for pair in option.get("bands") or []:
                try:
                    threshold, points = _num(pair[0]), _num(pair[1])
                except (TypeError, IndexError, KeyError):
                    threshold = points = None
                if threshold is None or points is None or points < 0:
                    raise ValidationError(f"评分表“{label}”：分档应为“下限, 分值”，分值不能为负", field="params")
                if last is not None and threshold <= last:
                    raise ValidationError(f"评分表“{label}”：分档下限须逐档递增", field="params")
                last = threshold
                bands.append([_plain(threshold), _plain(points)])
            if not bands:
                raise ValidationError(f"评分表“{label}”：至少需要一档分值", field="params")
            options.append({"metric": option["metric"], "bands": bands})
        if not options:
            raise ValidationError(f"评分表“{label}”：至少需要一个计分指标", field="params")
        clean.append({"label": label, "mandatory": bool(item.get("mandatory")), "options": options})
    pass_mark = _num(p.get("pass_mark"))
    full = sum((item_max(i) for i in clean), Decimal(0))
    if pass_mark is None or pass_mark <= 0:
        raise ValidationError("评分表：请填写大于0的合格分数线", field="params")
    if pass_mark > full:
        raise ValidationError(f"评分表：合格分数线{pass_mark}分高于满分{full}分，没有企业能通过",
                              field="params")
    return {"items": clean, "pass_mark": _plain(pass_mark)}


def describe(kind: str, params: dict, programme_names: dict | None = None) -> str:
    """The criterion in words, for pages and the screening workbook."""
    p, names = params or {}, programme_names or {}
    if kind in RANGE_KINDS:
        unit = RANGE_KINDS[kind]
        low, high = p.get("min"), p.get("max")
        if low is not None and high is not None:
            return f"{low}–{high}{unit}"
        return f"≥{low}{unit}" if low is not None else f"≤{high}{unit}"
    if kind == "rd_intensity" and p.get("bands"):
        return "；".join((f"营业收入<{b['below']}万元：≥{b['min']}%" if "below" in b
                         else f"其余：≥{b['min']}%") for b in p["bands"])
    if kind == "revenue_growth":
        return f"近{p.get('years')}年复合增长率≥{p.get('min')}%"
    if kind in MIN_KINDS:
        return f"≥{p.get('min')}{MIN_KINDS[kind]}"
    if kind == "holds_programme":
        return f"{HOLD_MODES.get(p.get('mode'), '')}：{names.get(p.get('programme'), p.get('programme'))}"
    if kind == "rd_institution":
        return f"{LEVELS.get(p.get('level'), '')}及以上研发机构"
    if kind == "above_scale":
        return "规上企业" if p.get("value", True) else "非规上企业"
    if kind == "location":
        return ZONES.get(p["zone"], p["zone"]) if p.get("zone") else "、".join(p.get("towns", []))
    if kind == "rubric":
        items = "、".join(f"{i['label']}{item_max(i).normalize():f}分" + ("（须得分）" if i.get("mandatory") else "")
                         for i in p.get("items", []))
        return f"{items}；{p.get('pass_mark')}分合格"
    return ""
