"""The checks a project or an award must pass, in one place for forms, services and imports.

A clerk's form and an imported row say the same things in different words: the form sends
codes ("in_progress"), a bureau workbook writes "在研", "已结题", "一等", "国家级". Each
``pick_*`` accepts either and answers with the stored code, or raises ValidationError with
a Chinese reason naming the allowed values; the importer turns that reason into a cell
error. Years and money are checked here too, so "结束年份早于开始年份" or "获奖年份早于企业
成立年份" reads the same wherever it is refused.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from registry.errors import ValidationError
from registry.vocab import (
    ACCEPTANCE_RESULTS, AWARD_GRADES, LEVEL_SYNONYMS, LEVELS, MILESTONE_KINDS, PROJECT_ROLES,
    PROJECT_STATUSES,
)

MIN_YEAR = 1980
#: A project's planned end (and a milestone) may lie this many years ahead.
FUTURE_YEARS = 10
MAX_MONEY = Decimal(10) ** 14
CENT = Decimal("0.01")


def _compact(value) -> str:
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", str(value or "")).split())


def _pick(value, vocab: dict, synonyms: dict, what: str, field: str, *, required=True) -> str | None:
    text = _compact(value)
    if not text:
        if required:
            raise ValidationError(f"请选择{what}", field=field)
        return None
    if text in vocab:
        return text
    for code, label in vocab.items():
        if text == label:
            return code
    code = synonyms.get(text)
    if code is None:
        allowed = "、".join(vocab.values())
        raise ValidationError(f"未知的{what}：“{text}”（应为{allowed}）", field=field)
    return code


_LEVELS = dict(LEVEL_SYNONYMS)
_LEVELS.update({"国家级项目": "national", "省部级": "provincial", "省级项目": "provincial",
                "宁波市": "ningbo", "宁波市级项目": "ningbo", "慈溪市": "cixi", "区县级": "cixi"})
_ROLES = {"牵头单位": "lead", "承担": "lead", "承担单位": "lead", "主持": "lead", "负责": "lead",
          "第一承担单位": "lead", "参与单位": "participant", "合作": "participant",
          "合作单位": "participant", "参加": "participant", "协作": "participant"}
_STATUSES = {"在研中": "in_progress", "在建": "in_progress", "实施中": "in_progress",
             "进行中": "in_progress", "已结题": "completed", "结题验收": "completed",
             "已验收": "completed", "验收": "completed", "完成": "completed", "已完成": "completed",
             "已终止": "terminated", "撤销": "terminated", "已撤销": "terminated", "中止": "terminated"}
_RESULTS = {"优": "excellent", "合格": "passed", "通过验收": "passed", "验收通过": "passed",
            "未通过": "failed", "不合格": "failed", "未通过验收": "failed"}
_KINDS = {"节点": "milestone", "进度": "milestone", "里程碑": "milestone", "中期": "midterm",
          "中期评估": "midterm", "中期检查": "midterm", "结题验收": "acceptance", "结题": "acceptance"}
_GRADES = {"特等": "special", "一等": "first", "二等": "second", "三等": "third",
           "特": "special", "一": "first", "二": "second", "三": "third",
           "1": "first", "2": "second", "3": "third"}


def pick_level(value, field="level", required=True):
    """国家级/省级/宁波市级/慈溪市级 (or the code) → code; "市级" is 慈溪市级 in a Cixi file."""
    return _pick(value, LEVELS, _LEVELS, "级别", field, required=required)


def pick_role(value, field="role"):
    """牵头/参与 → lead/participant; blank means the firm leads (the common case)."""
    return _pick(value, PROJECT_ROLES, _ROLES, "承担方式", field, required=False) or "lead"


def pick_status(value, field="status"):
    return _pick(value, PROJECT_STATUSES, _STATUSES, "项目状态", field, required=False) or "in_progress"


def pick_result(value, field="acceptance_result"):
    return _pick(value, ACCEPTANCE_RESULTS, _RESULTS, "验收结果", field, required=False)


def pick_kind(value, field="kind"):
    return _pick(value, MILESTONE_KINDS, _KINDS, "跟踪类型", field, required=False) or "milestone"


def pick_grade(value, field="grade"):
    """特等奖/一等奖/二等奖/三等奖 (also 一等, 二等 …) → code."""
    return _pick(value, AWARD_GRADES, _GRADES, "奖励等级", field)


#: Words in an award's name that give its level, checked in this order.
AWARD_LEVEL_WORDS = (("国家", "national"), ("中国", "national"), ("浙江", "provincial"),
                     ("省", "provincial"), ("宁波", "ningbo"), ("慈溪", "cixi"))


def award_level(award: str | None) -> str | None:
    """The level an award's name implies (国家科技进步奖 → national), or None."""
    text = _compact(award)
    for word, code in AWARD_LEVEL_WORDS:
        if word in text:
            return code
    return None


def check_year(value, label: str, *, field: str, required=True, ahead: int = 0,
               today: date | None = None) -> int | None:
    """A four-digit year from 1980 to this year (plus ``ahead`` years for planned dates)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"请填写{label}", field=field)
        return None
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(f"{label}应为四位年份，如 2016", field=field)
    last = (today or date.today()).year + ahead
    if not MIN_YEAR <= year <= last:
        raise ValidationError(f"{label}应在 {MIN_YEAR}–{last} 之间（收到 {year}）", field=field)
    return year


def check_money(value, label: str, *, field: str) -> Decimal | None:
    """万元, two decimals, never negative."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{label}应填写数字（单位：万元）", field=field)
    if not number.is_finite():
        raise ValidationError(f"{label}应填写数字（单位：万元）", field=field)
    if number < 0:
        raise ValidationError(f"{label}不能为负数（收到 {value}）", field=field)
    if number >= MAX_MONEY:
        raise ValidationError(f"{label}数值过大，请检查单位（万元）", field=field)
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def check_rank(value, *, field="firm_rank") -> int | None:
    """完成单位排名: a whole number from 1."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        rank = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError("完成单位排名应为正整数（1 表示第一完成单位）", field=field)
    if rank < 1 or rank > 1000:
        raise ValidationError(f"完成单位排名应为正整数（1 表示第一完成单位，收到 {rank}）", field=field)
    return rank


def check_span(start: int, end: int | None, *, field="end_year") -> None:
    if end is not None and end < start:
        raise ValidationError(f"结束年份（{end}年）不能早于开始年份（{start}年）", field=field)


def founded_year(firm) -> int | None:
    """The year the firm was registered, from a Firm or a row with ``founded_on``."""
    founded = getattr(firm, "founded_on", None)
    return founded.year if founded else None


def check_after_founding(firm, year: int, what: str, *, field: str) -> None:
    """A firm can neither undertake a project nor win an award before it existed."""
    first = founded_year(firm)
    if first is not None and year < first:
        raise ValidationError(f"{what}（{year}年）早于企业成立年份（{first}年，成立日期 "
                              f"{firm.founded_on:%Y-%m-%d}），请核对", field=field)
