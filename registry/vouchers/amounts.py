"""Money and dates as a clerk types them, for the voucher and credit services.

Amounts are 万元 with two decimals (``Numeric(16, 2)``), always ``Decimal``: a float would
let 0.1 + 0.2 drift past a budget by a fraction of a cent. A clerk may type full-width
digits or a trailing 万元; anything else is refused with a Chinese message naming the field.
"""
from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from registry.errors import ValidationError

CENT = Decimal("0.01")
MAX_MONEY = Decimal("99999999999999.99")  # Numeric(16, 2)


def parse_money(value, label: str, *, field: str, required: bool = True,
                positive: bool = False) -> Decimal | None:
    """A non-negative amount in 万元 (positive when ``positive``), rounded to the cent."""
    if isinstance(value, Decimal):
        amount = value
    elif value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"请填写{label}", field=field)
        return None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
        for unit in ("万元", "万"):
            if text.endswith(unit):
                text = text[:-len(unit)].strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError(f"{label}应为数字（单位万元），如 12.5", field=field)
    if not amount.is_finite():
        raise ValidationError(f"{label}应为数字（单位万元），如 12.5", field=field)
    if amount < 0:
        raise ValidationError(f"{label}不能为负数", field=field)
    if positive and amount == 0:
        raise ValidationError(f"{label}应大于0", field=field)
    if amount > MAX_MONEY:
        raise ValidationError(f"{label}过大", field=field)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_day(value, label: str, *, field: str, required: bool = True,
              today: date | None = None) -> date | None:
    """A date (a ``date`` or ISO text), not in the future."""
    if isinstance(value, datetime):
        value = value.date()
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"请填写{label}", field=field)
        return None
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(unicodedata.normalize("NFKC", str(value)).strip())
        except ValueError:
            raise ValidationError(f"{label}应为日期，如 2016-05-12", field=field)
    if value > (today or date.today()):
        raise ValidationError(f"{label}不能晚于今天", field=field)
    return value


def wan(amount) -> str:
    """An amount as the bureau writes it: 228.3万元, 2460万元 (no trailing zeros)."""
    text = format(Decimal(amount or 0).quantize(CENT).normalize(), "f")
    return f"{text}万元"
