"""Cell value parsers: one per parser key of ``specs`` (text, uscc, date, decimal …).

Each parser takes a non-blank cell as the reader got it (``str``, ``float``, ``int``,
``bool``, ``date``/``datetime``; CSV cells are always ``str``) and returns the Python value
to store, or raises :class:`CellProblem` with a reason in plain Chinese. The reason may
name its subject as ``{label}``; the reader fills in the column's label, so one parser
serves "成立日期" and "发证日期" alike.

Parsers that depend on the caller — the valid towns and industries (the registry's
reference tables, which this module must not query) and "today" for future dates — are
built by :func:`build_parsers`; ``PARSERS`` is the default set (any town name accepted,
today = the day it is called).

Parsers run once per cell of a 100,000-row workbook, so they test types before
anything else, avoid regular expressions on the common path and cache lookups.

Code and vocabulary parsers live in ``codes``, the text side of cells in ``cells``;
both are re-exported here, so ``values`` is the one place callers import from.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterable

from registry.excel.cells import (  # noqa: F401  (re-exported)
    CellProblem, cell_text, compact, is_blank, normalise_header, parse_text, strip_unit,
)
from registry.excel.codes import (  # noqa: F401  (re-exported)
    INDUSTRY_ALIASES, TOWN_ALIASES, LegacyCode, make_name_parser, parse_level, parse_programme,
    parse_role, parse_uscc, programme_code,
)


# --- numbers ------------------------------------------------------------------------
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_EMPTY_WORDS = {"-", "—", "--", "——", "/", "无", "－"}
_MONEY_UNITS = ("万元", "万")
_COUNT_UNITS = ("人", "项", "件", "个", "家", "名")


def _number_text(text: str, units: tuple[str, ...]) -> Decimal | None:
    s = compact(text).replace(",", "")
    if s in _EMPTY_WORDS or not s:
        return None
    for unit in units:
        if s.endswith(unit):
            s = s[: -len(unit)]
            break
    if not _NUMBER.fullmatch(s):
        if s.endswith("元") and units is _MONEY_UNITS:
            raise CellProblem("{label}应以万元为单位填写数字：" + text.strip())
        raise CellProblem("{label}“" + text.strip() + "”不是数字，请填写阿拉伯数字")
    return Decimal(s)


_WHOLE: dict[int, Decimal] = {}  # one Decimal per whole number seen (they repeat: 100, 500 …)
_WHOLE_MAX = 50_000


def _whole(number: int) -> Decimal:
    """A whole-number Decimal, shared between cells (Decimals are immutable; 100,000 of
    them at 104 bytes each are a tenth of a large roster's parsed size)."""
    found = _WHOLE.get(number)
    if found is None:
        found = Decimal(number)
        if len(_WHOLE) < _WHOLE_MAX:
            _WHOLE[number] = found
    return found


def _to_decimal(value: Any, units: tuple[str, ...]) -> Decimal | None:
    kind = type(value)
    if kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise CellProblem("{label}不是有效的数字")
        return _whole(int(value)) if value.is_integer() else Decimal(repr(value))
    if kind is int:
        return _whole(value)
    if kind is str:
        return _number_text(value, units)
    if kind is bool:
        raise CellProblem("{label}应为数字，而不是逻辑值")
    raise CellProblem("{label}应为数字，而不是" + cell_text(value))


#: Money columns are NUMERIC(16, 2): below 10^14 万元. Counts are 32-bit integers.
MAX_MONEY = Decimal(10) ** 14
MAX_INT = 2**31 - 1


def parse_decimal(value: Any) -> Decimal | None:
    """Money in 万元: numbers, "1,200", "1200万元", full-width digits; never negative,
    below 10^14 (what the database column holds)."""
    number = _to_decimal(value, _MONEY_UNITS)
    if number is not None:
        if number < 0:
            raise CellProblem("{label}不能为负数：" + cell_text(value).strip())
        if number >= MAX_MONEY:
            raise CellProblem("{label}数值过大（应小于10¹⁴万元），请检查单位和位数")
    return number


def parse_int(value: Any) -> int | None:
    """A whole, non-negative number (people, projects); "12人" is 12."""
    number = _to_decimal(value, _COUNT_UNITS)
    if number is None:
        return None
    if number < 0:
        raise CellProblem("{label}不能为负数：" + cell_text(value).strip())
    if number > MAX_INT:
        raise CellProblem("{label}数值过大，请检查")
    if number != number.to_integral_value():
        raise CellProblem("{label}应为整数：" + cell_text(value).strip())
    return int(number)


def parse_count(value: Any) -> int:
    """Like ``parse_int``, but an empty cell means none (0): firms leave zero counts blank."""
    if value is None or (type(value) is str and not value.strip()):
        return 0
    number = parse_int(value)
    return 0 if number is None else number


_YEAR_TEXT = re.compile(r"(\d{4})(?:年度?|年)?")


def parse_year(value: Any) -> int | None:
    """A year 1950–2100: 2016, 2016.0, "2016年", "2016年度", or a date's year."""
    kind = type(value)
    if kind is int or kind is float:
        if kind is float and not value.is_integer():
            raise CellProblem("{label}应为四位年份：" + cell_text(value))
        year = int(value)
    elif isinstance(value, (date, datetime)):
        year = value.year
    elif kind is str:
        s = compact(value)
        if not s:
            return None
        match = _YEAR_TEXT.fullmatch(s)
        if not match:
            raise CellProblem("{label}应为四位年份：" + value.strip())
        year = int(match.group(1))
    else:
        raise CellProblem("{label}应为四位年份：" + cell_text(value))
    if not 1950 <= year <= 2100:
        raise CellProblem("{label}超出范围（1950–2100）：" + str(year))
    return year


# --- dates --------------------------------------------------------------------------
_EXCEL_EPOCH = date(1899, 12, 30)
_DATE_TEXT = re.compile(r"(\d{4})[.\-/年](\d{1,2})[.\-/月](\d{1,2})日?(?:\d{1,2}:\d{2}(?::\d{2})?)?")
_DATE_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _date_from_text(text: str) -> date:
    s = compact(text)
    match = _DATE_TEXT.fullmatch(s) or _DATE_DIGITS.fullmatch(s)
    if not match:
        raise CellProblem("{label}“" + text.strip() + "”不是可识别的日期，请按 2009-05-12 的格式填写")
    y, m, d = (int(g) for g in match.groups())
    try:
        return date(y, m, d)
    except ValueError:
        raise CellProblem("{label}“" + text.strip() + "”不是有效的日期") from None


def _date_from_number(number: float) -> date:
    if number.is_integer() and 19000101 <= number <= 21001231:  # 20090512 typed as a number
        return _date_from_text(str(int(number)))
    if not 1 <= number < 2958466:
        raise CellProblem("{label}不是有效的日期：" + cell_text(number))
    return _EXCEL_EPOCH + timedelta(days=int(number))


def make_date_parser(today: date | None = None) -> Callable[[Any], date | None]:
    """Dates as Excel dates, serial numbers or text; a date after ``today`` is an error."""

    limit = today or date.today()

    def parse_date(value: Any) -> date | None:
        kind = type(value)
        if kind is date:
            result = value
        elif kind is datetime:
            result = value.date()
        elif kind is str:
            if not value.strip():
                return None
            result = _date_from_text(value)
        elif kind is float or kind is int:
            result = _date_from_number(float(value))
        elif isinstance(value, datetime):
            result = value.date()
        elif isinstance(value, date):
            result = value
        else:
            raise CellProblem("{label}不是可识别的日期：" + cell_text(value))
        if result > limit:
            raise CellProblem("{label} " + result.isoformat() + " 晚于今天")
        if result.year < 1900:
            raise CellProblem("{label} " + result.isoformat() + " 早于1900年，请检查")
        return result

    return parse_date


# --- yes/no, phone ------------------------------------------------------------------
_BOOLS = {
    "是": True, "否": False, "√": True, "×": False, "✓": True, "✔": True, "✗": False,
    "✘": False, "x": False, "y": True, "n": False, "yes": True, "no": False, "1": True,
    "0": False, "true": True, "false": False, "对": True, "有": True, "无": False, "非": False,
    "是的": True, "不是": False,
}


def parse_bool(value: Any) -> bool | None:
    """是/否, √/×, Y/N, yes/no, 1/0, TRUE/FALSE; blank is None (unknown)."""
    kind = type(value)
    if kind is str:
        hit = _BOOLS.get(value)
        if hit is not None:
            return hit
    elif kind is bool:
        return value
    elif kind is float or kind is int:
        if value in (0, 1):
            return bool(value)
        raise CellProblem("{label}应填“是”或“否”：" + cell_text(value))
    s = compact(value).lower()
    if not s:
        return None
    result = _BOOLS.get(s)
    if result is None:
        raise CellProblem("{label}应填“是”或“否”：" + cell_text(value).strip())
    return result


def parse_phone(value: Any) -> str | None:
    """Phone numbers as text; a mobile stored as a number (1.38e10) is read back whole."""
    if type(value) is float or type(value) is int:
        if not float(value).is_integer():
            raise CellProblem("{label}不是有效的电话号码：" + cell_text(value))
        return str(int(value))
    if type(value) is str and value.isascii() and value[:1].isdigit() and value[-1:].isdigit() \
            and " " not in value:
        return value  # the common case: 13812345678, 0574-63123456
    text = parse_text(value)
    if text is None:
        return None
    if not any(ch.isdigit() for ch in text):
        raise CellProblem("{label}不是有效的电话号码：" + text)
    return text



def build_parsers(*, towns: Iterable[str] = (), industries: Iterable[str] = (),
                  today: date | None = None) -> dict[str, Callable[[Any], Any]]:
    """The parser table for one workbook: towns/industries are the valid reference names."""
    return {
        "text": parse_text,
        "uscc": parse_uscc,
        "date": make_date_parser(today),
        "decimal": parse_decimal,
        "int": parse_int,
        "count": parse_count,
        "bool": parse_bool,
        "town": make_name_parser(towns, "镇（街道）", TOWN_ALIASES),
        "industry": make_name_parser(industries, "产业", INDUSTRY_ALIASES),
        "level": parse_level,
        "year": parse_year,
        "phone": parse_phone,
        "programme": parse_programme,
        "role": parse_role,
    }


#: Default parsers: any town or industry name is accepted as written (normalised).
PARSERS = build_parsers()

#: What an empty cell means per parser (None everywhere except counts).
BLANK = {"count": 0}
