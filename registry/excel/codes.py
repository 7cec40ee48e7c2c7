"""Parsers for codes and closed vocabularies: USCC (and legacy codes), towns and
industries against the caller's reference names, levels, team roles, programmes.

Like every parser (see values.py) each takes a non-blank cell and returns the value to
store or raises CellProblem with a plain-Chinese reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from operator import getitem
from typing import Any, Iterable

from registry.excel.cells import BRACKETS, CellProblem, cell_text, compact, parse_text
from registry.excel.specs import PROGRAMME_WORDS
from registry.firms.uscc import (
    CHARSET, ORG_WEIGHTS, USCC_WEIGHTS, InvalidUSCC, normalise_uscc, org_check_char, validate_uscc,
)
from registry.vocab import LEVEL_SYNONYMS


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
    s = compact(value).translate(BRACKETS)
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
    s = compact(value)
    if not s:
        return None
    code = _ROLES.get(s)
    if code is None:
        raise CellProblem("未知的团队角色：" + s + "（应为带头人、核心成员或成员）")
    return code


def programme_code(text: str) -> str | None:
    """The programme named anywhere in ``text`` (a title, a file name), by specs.PROGRAMME_WORDS."""
    s = compact(text).lower()
    for word, code in PROGRAMME_WORDS:
        if word in s:
            return code
    return None


def parse_programme(value: Any) -> str | None:
    s = compact(value)
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


TOWN_ALIASES = {"新区": "杭州湾新区", "杭州湾": "杭州湾新区", "杭州湾新区管委会": "杭州湾新区"}
INDUSTRY_ALIASES = {"其它": "其他", "汽车零部件": "汽车及关键零部件", "机械基础件": "高端机械基础件",
                    "家电": "智能家电", "生物医药": "生命健康"}

