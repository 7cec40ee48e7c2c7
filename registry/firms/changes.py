"""Changing a firm that exists: its profile and its status, each behind the optimistic lock.

A firm is never hard-deleted once it has history; a firm that closes or leaves Cixi gets
the status 注销 or 迁出 with the day it happened, and can be set back to 在营. The name has
its own path (``services.rename_firm``) because an old name must stay searchable.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm.exc import StaleDataError

from registry.audit.services import record
from registry.errors import ValidationError
from registry.extensions import db
from registry.firms.locking import EditConflict, check_version, diff, last_edit_note
from registry.firms.models import Firm, Industry, Town
from registry.firms.services import (
    _decimal, check_unique_uscc, ensure_can_edit, ensure_may_use_town, firm_snapshot,
)
from registry.firms.uscc import validate_uscc
from registry.vocab import FIRM_STATUSES

#: Profile fields the edit form changes, with their length limits (the columns' sizes).
TEXT_FIELDS = {"legal_representative": 50, "contact_person": 50, "phone": 40, "email": 120,
               "address": 255, "note": 2000}
EDITABLE = ("uscc", "town_id", "industry_id", "founded_on", "registered_capital",
            "above_scale", *TEXT_FIELDS)


def _text(field: str, value) -> str | None:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if len(text) > TEXT_FIELDS[field]:
        from registry.firms.locking import label

        raise ValidationError(f"{label(field)}不能超过{TEXT_FIELDS[field]}个字符", field=field)
    return text or None


def _reference(model, value, field: str, what: str):
    if value in (None, ""):
        return None
    found = db.session.get(model, int(value))
    if found is None:
        raise ValidationError(f"{what}不存在", field=field)
    return found


def _flush_or_conflict(firm: Firm, original: dict | None) -> None:
    """Flush; a save that raced past the version check becomes the same EditConflict."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        current = db.session.get(Firm, firm.id)
        changes = diff(original, firm_snapshot(current)) if original and current else []
        raise EditConflict("该企业信息", changes, last_edit_note("firm", firm.id))


def update_firm(actor, firm: Firm, *, version, original: dict | None = None, today: date | None = None,
                **values) -> list:
    """Apply the edit form's ``values`` if ``firm`` is still at ``version``; return the changes.

    Refuses (EditConflict, nothing written) when someone saved the firm since the form was
    loaded; a town officer may edit only firms in their towns and may not move one out of
    them. Only changed fields are written and audited; no change writes nothing."""
    ensure_can_edit(actor, firm)
    check_version(firm, version, original, firm_snapshot(firm), what="该企业信息", entity_type="firm")
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")

    new = {}
    if "uscc" in values:
        new["uscc"] = validate_uscc(values["uscc"])
        check_unique_uscc(new["uscc"], exclude_id=firm.id)
    if "town_id" in values:
        town = _reference(Town, values["town_id"], "town_id", "所选镇（街道）")
        if (town.id if town else None) != firm.town_id:
            ensure_may_use_town(actor, town.id if town else None)
        new["town"] = town
    if "industry_id" in values:
        new["industry"] = _reference(Industry, values["industry_id"], "industry_id", "所选产业")
    if "founded_on" in values:
        founded = values["founded_on"]
        if founded and founded > (today or date.today()):
            raise ValidationError(f"成立日期 {founded:%Y-%m-%d} 晚于今天", field="founded_on")
        new["founded_on"] = founded
    if "registered_capital" in values:
        new["registered_capital"] = _decimal(values["registered_capital"], "注册资本",
                                             "registered_capital")
    if "above_scale" in values:
        new["above_scale"] = bool(values["above_scale"])
    for field in TEXT_FIELDS:
        if field in values:
            new[field] = _text(field, values[field])

    before = firm_snapshot(firm)
    old_uscc = firm.uscc
    for attr, value in new.items():
        setattr(firm, attr, value)
    after = firm_snapshot(firm)
    changes = diff(before, after)
    if not changes:
        return []
    _flush_or_conflict(firm, original)
    record(actor, "update", "firm", firm.id, firm_id=firm.id,
           summary="修改企业信息：" + "、".join(c.label for c in changes),
           before={c.field: c.before for c in changes}, after={c.field: c.after for c in changes})
    if firm.uscc != old_uscc:
        from registry.portal.accounts import follow_uscc_change  # the firm's logins carry its code

        follow_uscc_change(actor, firm.id, old_uscc, firm.uscc)
    return changes


def change_status(actor, firm: Firm, *, status: str, on: date | None, version,
                  reason: str | None = None, today: date | None = None) -> Firm:
    """在营 / 注销 / 迁出 with the day it happened; the firm and its history stay."""
    ensure_can_edit(actor, firm)
    check_version(firm, version, None, firm_snapshot(firm), what="该企业信息", entity_type="firm")
    if status not in FIRM_STATUSES:
        raise ValidationError("请选择有效的企业状态", field="status")
    if on is None:
        raise ValidationError("请填写状态变更日期", field="on")
    if on > (today or date.today()):
        raise ValidationError(f"状态变更日期 {on:%Y-%m-%d} 晚于今天", field="on")
    if firm.founded_on and on < firm.founded_on:
        raise ValidationError(f"状态变更日期早于成立日期 {firm.founded_on:%Y-%m-%d}", field="on")
    reason = (reason or "").strip() or None
    if reason and len(reason) > 200:
        raise ValidationError("说明不能超过200个字符", field="reason")
    if status == firm.status and on == firm.status_changed_on:
        return firm
    before = {"status": firm.status, "status_changed_on": firm.status_changed_on}
    firm.status, firm.status_changed_on = status, on
    _flush_or_conflict(firm, None)
    summary = f"状态变更：{FIRM_STATUSES[before['status']]} → {FIRM_STATUSES[status]}（{on:%Y-%m-%d}）"
    if reason:
        summary += f"，{reason}"
    record(actor, "status", "firm", firm.id, firm_id=firm.id, summary=summary[:255],
           before=before, after={"status": status, "status_changed_on": on})
    return firm
