"""Write audit entries; every service that changes a record calls ``record``."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from registry.audit.models import AuditLog
from registry.extensions import db


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj, fields) -> dict:
    """The listed attributes of ``obj`` as JSON-safe values."""
    return {f: _plain(getattr(obj, f)) for f in fields}


def record(actor, action: str, entity_type: str, entity_id: int | None, *, firm_id=None,
           summary: str | None = None, before: dict | None = None,
           after: dict | None = None) -> AuditLog:
    entry = AuditLog(
        user_id=getattr(actor, "id", None), action=action, entity_type=entity_type,
        entity_id=entity_id, firm_id=firm_id, summary=summary,
        before={k: _plain(v) for k, v in (before or {}).items()} or None,
        after={k: _plain(v) for k, v in (after or {}).items()} or None,
    )
    db.session.add(entry)
    return entry
