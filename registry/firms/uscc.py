"""The 统一社会信用代码 (USCC) rule, in one place: GB 32100-2015 with GB 11714 inside.

A USCC has 18 characters from a 31-symbol alphabet (digits and capitals without
I, O, S, V, Z):

* 1      registration authority (1 机构编制, 5 民政, 9 工商, Y 其他 …)
* 2      category within the authority
* 3–8    administrative division code (Cixi: 330282)
* 9–17   the organisation code (GB 11714): eight body characters and, at position 17,
         their mod-11 check character (0–9 or X)
* 18     the mod-31 check character over positions 1–17

``validate_uscc`` normalises what people type (spaces, full-width characters, lower
case) and raises ``InvalidUSCC`` with a Chinese message naming the failing position.
"""
from __future__ import annotations

import unicodedata

from registry.errors import ValidationError

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
FORBIDDEN = "IOSVZ"


class InvalidUSCC(ValidationError):
    """A code that is not a valid USCC; ``position`` is 1-based when one position fails."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message, field="uscc")
        self.position = position


def normalise_uscc(raw) -> str:
    """Upper-case, half-width, without spaces: the form codes are stored in."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    return "".join(text.split()).upper()


def org_check_char(body8: str) -> str:
    """GB 11714 check character over the eight-character organisation code body."""
    total = 0
    for ch, weight in zip(body8, ORG_WEIGHTS):
        value = int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10
        total += value * weight
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character (position 18) over the first seventeen characters."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def validate_uscc(raw) -> str:
    """Return the normalised code, or raise ``InvalidUSCC`` saying what is wrong where."""
    code = normalise_uscc(raw)
    if not code:
        raise InvalidUSCC("统一社会信用代码不能为空")
    if len(code) != 18:
        raise InvalidUSCC(f"统一社会信用代码应为18位，实际为{len(code)}位：{code}")
    for pos, ch in enumerate(code, start=1):
        if ch in FORBIDDEN:
            raise InvalidUSCC(
                f"统一社会信用代码第{pos}位“{ch}”无效：代码中不使用字母 I、O、S、V、Z", pos
            )
        if ch not in _VALUE:
            raise InvalidUSCC(f"统一社会信用代码第{pos}位“{ch}”不是有效字符", pos)
    expected17 = org_check_char(code[8:16])
    if code[16] != expected17:
        raise InvalidUSCC(
            f"统一社会信用代码第17位（组织机构代码校验码）错误：应为“{expected17}”，实际为“{code[16]}”",
            17,
        )
    expected18 = uscc_check_char(code[:17])
    if code[17] != expected18:
        raise InvalidUSCC(
            f"统一社会信用代码第18位（校验码）错误：应为“{expected18}”，实际为“{code[17]}”", 18
        )
    return code


def is_valid_uscc(raw) -> bool:
    try:
        validate_uscc(raw)
    except InvalidUSCC:
        return False
    return True


def make_uscc(prefix8: str, body8: str) -> str:
    """Build a valid code from an 8-character prefix and organisation body (demo data, tests)."""
    first17 = prefix8 + body8 + org_check_char(body8)
    return first17 + uscc_check_char(first17)
