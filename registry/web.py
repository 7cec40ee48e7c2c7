"""View helpers shared by the pages of the records that hang off a firm — institutions,
teams, projects, awards, vouchers, loans (no rules in here; those are in registry.records).

A service error lands on the form field it names, or as a message at the top; a stale
edit keeps the clerk's input, shows what changed in between and moves the hidden version
on, so a second save is a conscious choice rather than a silent overwrite.
"""
from __future__ import annotations

from io import BytesIO
from types import SimpleNamespace

from flask import flash, request, send_file
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from registry.errors import RegistryError
from registry.extensions import db
from registry.firms.models import Firm
from registry.records import StaleEdit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: What a view catches around its service call and commit.
FAILED = (RegistryError, StaleDataError, IntegrityError)
RACE = ("保存未成功：就在您保存的同时，该记录已被他人修改。您的内容没有保存，"
        "也没有覆盖他人的修改；请重新打开页面核对后再保存。")


def refused(form, exc: Exception) -> list:
    """Roll back and put the refusal where the clerk will see it; returns the stale changes."""
    db.session.rollback()
    if isinstance(exc, StaleDataError):
        flash(RACE, "warning")
        return []
    if isinstance(exc, IntegrityError):  # a duplicate saved by someone else a moment ago
        flash("保存未成功：与刚刚保存的另一条记录冲突（如名称重复）。请核对后重试。", "danger")
        return []
    if isinstance(exc, StaleEdit):
        if hasattr(form, "version"):
            form.version.data = exc.current_version
        merge(form, exc.changes)
        flash(exc.message, "warning")
        return exc.changes
    assert isinstance(exc, RegistryError)
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [exc.message]
    else:
        flash(exc.message, "danger")
    return []


def _same(a, b) -> bool:
    return ("" if a is None else str(a).strip()) == ("" if b is None else str(b).strip())


def merge(form, changes) -> None:
    """Fields the clerk left as they were take the value others saved since; fields the
    clerk changed keep the clerk's value. A second save then overwrites nothing by accident."""
    for change in changes:
        for key, before, after in change.raw:
            field = getattr(form, key, None)
            if field is not None and hasattr(field, "data") and _same(field.data, before):
                field.data = after


#: Bookkeeping keys our audit entries carry for the optimistic lock, not for the reader.
HIDDEN_KEYS = ("version", "team_id")


def readable(entries) -> list:
    """Copies of audit entries for a record's history panel: without the bookkeeping keys,
    and with the host firm named rather than numbered."""
    ids = {v for e in entries for side in (e.before or {}, e.after or {}) for k, v in side.items()
           if k == "firm_id" and isinstance(v, int)}
    names = dict(db.session.execute(select(Firm.id, Firm.name).where(Firm.id.in_(ids))).all()) if ids else {}

    def clean(side):
        if not side:
            return side
        return {k: names.get(v, v) if k == "firm_id" else v for k, v in side.items() if k not in HIDDEN_KEYS}

    return [SimpleNamespace(id=e.id, at=e.at, user=e.user, user_id=e.user_id, action=e.action,
                            entity_type=e.entity_type, entity_id=e.entity_id, firm_id=e.firm_id,
                            summary=e.summary, before=clean(e.before), after=clean(e.after))
            for e in entries]


def host_firm(form):
    """The firm a 新增 form is for: the one the form already carries, else ``?firm_id=``
    from the 档案 page's button; fetched within the user's scope (404 otherwise) and kept
    on the form. None when the clerk is to pick the firm."""
    from registry.firms.services import get_firm_for

    wanted = form.firm_id.data or request.args.get("firm_id")
    if not wanted:
        return None
    firm = get_firm_for(current_user, wanted)
    form.firm_id.data = firm.id
    return firm


def xlsx(data: bytes, name: str):
    """A workbook attachment; werkzeug writes the Chinese name as RFC 5987 filename*."""
    resp = send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
    resp.headers["Cache-Control"] = "no-store"
    return resp
