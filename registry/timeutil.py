"""Time helpers: the registry stores naive UTC datetimes and shows Beijing time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> datetime:
    """Naive UTC now, the form every DateTime column holds on all three databases."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone(CHINA_TZ)
