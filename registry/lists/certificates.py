"""The 高新技术企业 certificate number rule, in one place for every caller.

A certificate number is "GR" + the four-digit recognition year + a four-digit code of the
recognising authority (e.g. 3310 for 浙江省 in 宁波's series, 3302 …) + a four-digit serial:
GR201633100123. The year in the number must be the recognition's year.
"""
from __future__ import annotations

import re

from registry.errors import ValidationError

PATTERN = re.compile(r"GR(\d{4})(\d{4})(\d{4})")


def normalise_certificate_no(value) -> str:
    """Upper-case, without spaces (full-width letters and digits folded)."""
    text = "" if value is None else str(value)
    text = text.translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)})  # full-width → ASCII
    return re.sub(r"\s+", "", text).upper()


def certificate_problem(value, year: int | None = None) -> str | None:
    """Why ``value`` is not a valid 高企 certificate number for ``year`` (None when it is)."""
    number = normalise_certificate_no(value)
    if not number:
        return "证书编号为空"
    match = PATTERN.fullmatch(number)
    if not match:
        return f"证书编号“{value}”格式不符：应为GR+4位年份+4位发证机关代码+4位流水号，如GR201633100123"
    if year is not None and int(match.group(1)) != int(year):
        return f"证书编号中的年份{match.group(1)}与认定年度{year}不一致"
    return None


def validate_certificate_no(value, year: int | None = None) -> str:
    """The normalised number, or ValidationError with the reason."""
    problem = certificate_problem(value, year)
    if problem:
        raise ValidationError(problem, field="certificate_no")
    return normalise_certificate_no(value)
