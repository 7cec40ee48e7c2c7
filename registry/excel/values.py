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
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from operator import getitem
from typing import Any, Callable, Iterable

from registry.excel.specs import PROGRAMME_WORDS
from registry.firms.uscc import (
    CHARSET, ORG_WEIGHTS, USCC_WEIGHTS, InvalidUSCC, normalise_uscc, org_check_char, validate_uscc,
)
from registry.vocab import LEVEL_SYNONYMS

_NFKC = "NFKC"
_normalize = unicodedata.normalize
_is_normalized = unicodedata.is_normalized


class CellProblem(ValueError):
    """A cell that cannot be read as its column's kind of value."""

    def __init__(self, template: str):
        super().__init__(template)
        self.template = template

    def reason(self, label: str = "") -> str:
        """The message with its subject filled in (``label`` of the column, or nothing)."""
        return self.template.replace("{label}", label)

    def __str__(self) -> str:
        return self.reason("")


@dataclass(frozen=True)
class LegacyCode:
    """A pre-2015 code found where a USCC was expected.

    ``kind`` is ``"registration_no"`` (15-digit 工商注册号) or ``"org_code"`` (9-character
    组织机构代码, stored without its hyphen). An org code equals positions 9–17 of the
    firm's USCC, so the importer can match it; a registration number can only be
    reported (or matched against a stored one).
    """

    kind: str
    code: str

    @property
    def label(self) -> str:
        return "注册号" if self.kind == "registration_no" else "组织机构代码"

    def __str__(self) -> str:
        return self.code


# --- headers ------------------------------------------------------------------------
_HEADER_DROP = str.maketrans("", "", " \t\r\n*＊\u3000\xa0")
_UNIT_SUFFIX = re.compile(r"\((?:万?元|万元人民币|人|个|项|件|家|%|年|亿元)\)$")


def normalise_header(text: Any) -> str:
    """Half-width, no spaces, line breaks or required-marks ("*企业 名称" → "企业名称")."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = cell_text(text)
    return _normalize(_NFKC, text).translate(_HEADER_DROP).strip()


def strip_unit(header: str) -> str:
    """A normalised header without a trailing unit: "注册资本(万元)" → "注册资本"."""
    return _UNIT_SUFFIX.sub("", header)


def cell_text(value: Any) -> str:
    """A cell as the sender sees it: 200.0 → "200", dates as yyyy-mm-dd, None → ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def is_blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


# --- text ---------------------------------------------------------------------------
_BRACKETS = str.maketrans({"(": "（", ")": "）"})
_SPACES_NEAR_WIDE = re.compile(r"\s+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])\s+")
_SPACES = re.compile(r"\s+")


def parse_text(value: Any) -> str | None:
    """NFKC, brackets as full-width （）, no spaces next to Chinese, inner runs collapsed."""
    if type(value) is not str:
        value = cell_text(value)
    if not _is_normalized(_NFKC, value):
        value = _normalize(_NFKC, value)
    if "(" in value or ")" in value:
        value = value.translate(_BRACKETS)
    if " " in value or "\n" in value or "\t" in value or "\r" in value:
        value = _SPACES.sub(" ", _SPACES_NEAR_WIDE.sub("", value.strip()))
    return value or None


def _compact(value: Any) -> str:
    """NFKC text without any whitespace, for vocabulary look-ups."""
    if type(value) is not str:
        value = cell_text(value)
    return "".join(_normalize(_NFKC, value).split())


# --- numbers ------------------------------------------------------------------------
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_EMPTY_WORDS = {"-", "—", "--", "——", "/", "无", "－"}
_MONEY_UNITS = ("万元", "万")
_COUNT_UNITS = ("人", "项", "件", "个", "家", "名")


def _number_text(text: str, units: tuple[str, ...]) -> Decimal | None:
    s = _compact(text).replace(",", "")
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


def _to_decimal(value: Any, units: tuple[str, ...]) -> Decimal | None:
    kind = type(value)
    if kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise CellProblem("{label}不是有效的数字")
        return Decimal(int(value)) if value.is_integer() else Decimal(repr(value))
    if kind is int:
        return Decimal(value)
    if kind is str:
        return _number_text(value, units)
    if kind is bool:
        raise CellProblem("{label}应为数字，而不是逻辑值")
    raise CellProblem("{label}应为数字，而不是" + cell_text(value))


def parse_decimal(value: Any) -> Decimal | None:
    """Money in 万元: numbers, "1,200", "1200万元", full-width digits; never negative."""
    number = _to_decimal(value, _MONEY_UNITS)
    if number is not None and number < 0:
        raise CellProblem("{label}不能为负数：" + cell_text(value).strip())
    return number


def parse_int(value: Any) -> int | None:
    """A whole, non-negative number (people, projects); "12人" is 12."""
    number = _to_decimal(value, _COUNT_UNITS)
    if number is None:
        return None
    if number < 0:
        raise CellProblem("{label}不能为负数：" + cell_text(value).strip())
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
        s = _compact(value)
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
    s = _compact(text)
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
    s = _compact(value).lower()
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


# --- vocabularies ---------------------------------------------------------------------
_PLACE_PREFIXES = ("浙江省宁波市慈溪市", "宁波市慈溪市", "浙江省慈溪市", "慈溪市")


def make_name_parser(names: Iterable[str], what: str, aliases: dict[str, str] | None = None):
    """Match a cell against a list of reference names (towns, industries).

    Exact names first, then a unique name that starts with or contains what was written
    ("浒山" → "浒山街道"); anything else is an error naming the value. With no names the
    parser only normalises the text (for callers without the reference tables).
    """
    names = [parse_text(n) for n in names if n]
    cache: dict[str, str] = {n: n for n in names}
    for alias, name in (aliases or {}).items():
        if name in cache:
            cache[alias] = name

    def resolve(text: str) -> str:
        for prefix in _PLACE_PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix):]
                break
        if text in cache:
            return cache[text]
        if len(text) >= 2:
            hits = [n for n in names if n.startswith(text) or text.startswith(n)]
            if len(hits) != 1:
                hits = [n for n in names if text in n]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise CellProblem(f"{what}“{text}”不明确，可能是：" + "、".join(hits))
        raise CellProblem(f"未知的{what}：{text}")

    def parse(value: Any) -> str | None:
        key = value if type(value) is str else cell_text(value)
        hit = cache.get(key)
        if hit is not None:
            return hit
        text = parse_text(key)
        if text is None:
            return None
        text = text.replace(" ", "")
        if not names:
            return text
        result = resolve(text)
        cache[key] = result
        return result

    return parse


_LEVELS = {key: code for key, code in LEVEL_SYNONYMS.items()}


def parse_level(value: Any) -> str | None:
    """国家级/省级/宁波市级/市级/慈溪市级 → level code (in a Cixi file "市级" is 慈溪市级)."""
    s = _compact(value).translate(_BRACKETS)
    if not s:
        return None
    code = _LEVELS.get(s) or _LEVELS.get(s.removesuffix("研发机构")) or _LEVELS.get(s.removesuffix("重点"))
    if code is None:
        raise CellProblem("未知的级别：" + s + "（应为国家级、省级、宁波市级或慈溪市级）")
    return code


_ROLES = {"带头人": "leader", "团队带头人": "leader", "负责人": "leader", "团队负责人": "leader",
          "领军人才": "leader", "核心成员": "core", "核心骨干": "core", "骨干": "core",
          "骨干成员": "core", "成员": "member", "一般成员": "member", "团队成员": "member",
          "其他成员": "member", "参与人员": "member"}


def parse_role(value: Any) -> str | None:
    """带头人 / 核心成员 / 成员 → leader / core / member."""
    s = _compact(value)
    if not s:
        return None
    code = _ROLES.get(s)
    if code is None:
        raise CellProblem("未知的团队角色：" + s + "（应为带头人、核心成员或成员）")
    return code


def programme_code(text: str) -> str | None:
    """The programme named anywhere in ``text`` (a title, a file name), by specs.PROGRAMME_WORDS."""
    s = _compact(text).lower()
    for word, code in PROGRAMME_WORDS:
        if word in s:
            return code
    return None


def parse_programme(value: Any) -> str | None:
    s = _compact(value)
    if not s:
        return None
    code = programme_code(s)
    if code is None:
        raise CellProblem("未知的认定类别：" + s)
    return code


# --- USCC ---------------------------------------------------------------------------
_USCC_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
_ORG_VALUE = {ch: (int(ch) if ch.isdigit() else ord(ch) - 55) for ch in CHARSET}
# Per position: character → value × weight, so a checksum is one C-level map + sum.
_USCC_TERMS = [{ch: _USCC_VALUE[ch] * w for ch in CHARSET} for w in USCC_WEIGHTS]
_ORG_TERMS = [{ch: _ORG_VALUE[ch] * w for ch in CHARSET} for w in ORG_WEIGHTS]


def _uscc_ok(code: str) -> bool:
    """The GB 11714 and GB 32100 checks of registry.firms.uscc, computed at C speed.

    Only a fast path: a code that fails goes through ``validate_uscc`` for its message,
    so the rule and its wording stay in one place.
    """
    try:
        org = sum(map(getitem, _ORG_TERMS, code[8:16]))
        total = sum(map(getitem, _USCC_TERMS, code))  # the 18th char has no weight
    except KeyError:
        return False
    check17 = 11 - org % 11
    if code[16] != ("X" if check17 == 10 else "0" if check17 == 11 else str(check17)):
        return False
    return _USCC_VALUE.get(code[17]) == (31 - total % 31) % 31


_LOST_DIGITS = "统一社会信用代码被Excel存成了数字，已丢失末位数字，请将该列设为文本后重新填写"
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?E\+?\d+", re.IGNORECASE)
_ORG_CODE = re.compile(r"([0-9A-Z]{8})-?([0-9X])")


def _legacy_org(code: str) -> LegacyCode | None:
    match = _ORG_CODE.fullmatch(code)
    if not match:
        return None
    body, check = match.groups()
    if org_check_char(body) != check:
        raise CellProblem(f"组织机构代码校验位错误：{body}-{check}（应为{org_check_char(body)}）")
    return LegacyCode("org_code", body + check)


def parse_uscc(value: Any) -> str | LegacyCode | None:
    """A valid USCC, or a LegacyCode for a 15-digit 注册号 / 9-character 组织机构代码.

    A code held as a number has lost its last digits (Excel keeps 15 significant
    digits) and is always an error, never a guess. The exception is a 15-digit 注册号,
    which a float holds exactly.
    """
    kind = type(value)
    if kind is float or kind is int:
        if float(value).is_integer() and len(str(int(value))) == 15:
            return LegacyCode("registration_no", str(int(value)))
        raise CellProblem(_LOST_DIGITS)
    if kind is not str:
        raise CellProblem("统一社会信用代码格式不正确：" + cell_text(value))
    if len(value) == 18 and _uscc_ok(value):
        return value  # already normalised and valid: the common case
    code = normalise_uscc(value)
    if not code:
        return None
    if len(code) == 18:
        if _uscc_ok(code):
            return code
        try:
            return validate_uscc(code)
        except InvalidUSCC as exc:
            raise CellProblem(exc.message) from None
    if _SCIENTIFIC.fullmatch(code):
        raise CellProblem(_LOST_DIGITS)
    if len(code) == 15 and code.isdigit():
        return LegacyCode("registration_no", code)
    if len(code) in (9, 10):
        legacy = _legacy_org(code)
        if legacy is not None:
            return legacy
    try:
        validate_uscc(code)
    except InvalidUSCC as exc:
        raise CellProblem(exc.message) from None
    raise CellProblem("统一社会信用代码格式不正确：" + code)  # pragma: no cover


# --- the table ----------------------------------------------------------------------
TOWN_ALIASES = {"新区": "杭州湾新区", "杭州湾": "杭州湾新区", "杭州湾新区管委会": "杭州湾新区"}
INDUSTRY_ALIASES = {"其它": "其他", "汽车零部件": "汽车及关键零部件", "机械基础件": "高端机械基础件",
                    "家电": "智能家电", "生物医药": "生命健康"}


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
