"""The firm's own profile through the portal: contact details changed at once, key fields
through a change request the bureau approves or returns.

Every function takes the acting user. A firm user acts only on ``user.firm_id`` — the firm
is always taken from the account, never from the request — and the fetch helpers
(``get_change_for``) limit a firm user to its own firm's requests, so a foreign id is a
NotFound. Reviewing is bureau staff's, and never the submitter's own.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry import records
from registry.audit.services import record
from registry.errors import ConflictError, NotFound, ValidationError
from registry.extensions import db
from registry.firms.changes import _text, update_firm
from registry.firms.locking import check_version, diff, last_edit_note
from registry.firms.models import Firm, Industry, Town
from registry.firms.services import (
    _decimal, check_unique_uscc, firm_snapshot, rename_firm,
)
from registry.firms.uscc import validate_uscc
from registry.portal.models import FirmChangeRequest
from registry.portal.notices import notify
from registry.templating import fmt_money
from registry.timeutil import utcnow

#: Applied at once when the firm saves them (audited).
DIRECT_FIELDS = ("contact_person", "phone", "address", "email")
#: Go through the bureau: identity and what decides a recognition.
REVIEWED_FIELDS = ("name", "uscc", "legal_representative", "town_id", "industry_id",
                   "founded_on", "registered_capital")
FIELD_LABELS = {"name": "企业名称", "uscc": "统一社会信用代码", "legal_representative": "法定代表人",
                "town_id": "所在镇（街道）", "industry_id": "所属产业", "founded_on": "成立日期",
                "registered_capital": "注册资本（万元）"}
NOT_FOUND = "申请不存在或您无权查看。"


class Forbidden(ValidationError):
    """The actor may not do this (shown as a message; views answer 403 where it matters)."""


# --- who acts on what ----------------------------------------------------------------

def own_firm(user) -> Firm:
    """The firm a firm user acts for; NotFound for anyone else."""
    if user is None or user.role != "firm" or not user.firm_id:
        raise NotFound("企业不存在或您无权查看。")
    firm = db.session.get(Firm, user.firm_id)
    if firm is None:
        raise NotFound("企业不存在或您无权查看。")
    return firm


def ensure_own(user, firm_id: int) -> None:
    if user is None or user.role != "firm" or user.firm_id != firm_id:
        raise NotFound(NOT_FOUND)


def ensure_reviewer(user, submitted_by_id) -> None:
    """Bureau staff review; nobody reviews what they submitted themselves."""
    if user is None or not user.is_staff:
        raise Forbidden("只有科技局工作人员可以审核。")
    if submitted_by_id is not None and user.id == submitted_by_id:
        raise Forbidden("不能审核自己提交的申请。")


def parse_id(value, message=NOT_FOUND) -> int:
    """An id from a URL, or NotFound with the portal's message (see ``registry.records``)."""
    return records.parse_id(value, message)


def request_scope(user, model):
    """SQL condition: the requests ``user`` may see (staff all; a firm user its own)."""
    from sqlalchemy import false, true

    if user is not None and user.is_staff:
        return true()
    if user is not None and user.role == "firm" and user.firm_id:
        return model.firm_id == user.firm_id
    return false()


def get_change_for(user, change_id) -> FirmChangeRequest:
    cid = parse_id(change_id)
    req = db.session.scalar(select(FirmChangeRequest).where(
        FirmChangeRequest.id == cid, request_scope(user, FirmChangeRequest)))
    if req is None:
        raise NotFound(NOT_FOUND)
    return req


# --- contact details: at once --------------------------------------------------------

def update_contact(actor, *, version, original: dict | None = None, **values) -> list:
    """The firm user's own contact person, phone, address, email; audited, locked."""
    firm = own_firm(actor)
    unknown = set(values) - set(DIRECT_FIELDS)
    if unknown:
        raise ValueError(f"not a contact field: {sorted(unknown)}")
    check_version(firm, version, original, firm_snapshot(firm), what="本企业信息", entity_type="firm")
    new = {f: _text(f, values[f]) for f in DIRECT_FIELDS if f in values}
    if new.get("email") and ("@" not in new["email"] or " " in new["email"]):
        raise ValidationError("电子邮箱格式不正确", field="email")
    before = firm_snapshot(firm)
    for attr, value in new.items():
        setattr(firm, attr, value)
    changes = diff(before, firm_snapshot(firm))
    if not changes:
        return []
    db.session.flush()
    record(actor, "update", "firm", firm.id, firm_id=firm.id,
           summary="企业自行更新联系信息：" + "、".join(c.label for c in changes),
           before={c.field: c.before for c in changes}, after={c.field: c.after for c in changes})
    return changes


# --- key fields: through a request ---------------------------------------------------

def _plain(field: str, firm: Firm):
    value = getattr(firm, field)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    return value


def current_values(firm: Firm) -> dict:
    """The reviewed fields as stored, JSON-safe (ids for town and industry)."""
    return {f: _plain(f, firm) for f in REVIEWED_FIELDS}


def shown(field: str, value) -> str:
    """A value of a reviewed field as people read it."""
    if value in (None, ""):
        return "（空）"
    if field == "town_id":
        town = db.session.get(Town, int(value))
        return town.name if town else str(value)
    if field == "industry_id":
        industry = db.session.get(Industry, int(value))
        return industry.name if industry else str(value)
    if field == "registered_capital":
        return fmt_money(Decimal(str(value)))
    return str(value)


def _clean(firm: Firm, field: str, raw, today: date):
    """A requested value, checked as the bureau's own edit would check it; JSON-safe."""
    if field == "name":
        name = (raw or "").strip()
        if not name:
            raise ValidationError("企业名称不能为空", field="name")
        if len(name) > 200:
            raise ValidationError("企业名称不能超过200个字符", field="name")
        return name
    if field == "uscc":
        code = validate_uscc(raw)
        check_unique_uscc(code, exclude_id=firm.id)
        return code
    if field == "legal_representative":
        return _text("legal_representative", raw)
    if field in ("town_id", "industry_id"):
        if raw in (None, "", 0):
            return None
        model, what = (Town, "所选镇（街道）") if field == "town_id" else (Industry, "所选产业")
        found = db.session.get(model, int(raw))
        if found is None:
            raise ValidationError(f"{what}不存在", field=field)
        return found.id
    if field == "founded_on":
        if raw is None:
            return None
        if raw > today:
            raise ValidationError(f"成立日期 {raw:%Y-%m-%d} 晚于今天", field="founded_on")
        return raw.isoformat()
    if field == "registered_capital":
        value = _decimal(raw, "注册资本", "registered_capital")
        return None if value is None else str(value.quantize(Decimal("0.01")))
    raise ValueError(field)


def pending_change(firm_id: int) -> FirmChangeRequest | None:
    return db.session.scalar(select(FirmChangeRequest).where(
        FirmChangeRequest.firm_id == firm_id, FirmChangeRequest.status == "pending").limit(1))


def request_change(actor, *, version, values: dict, reason: str | None = None,
                   today: date | None = None) -> FirmChangeRequest:
    """File a change of key fields for the bureau; the firm sees it as 待审核."""
    firm = own_firm(actor)
    check_version(firm, version, None, {}, what="本企业信息", entity_type="firm")
    if pending_change(firm.id) is not None:
        raise ConflictError("已有一份待审核的变更申请：请等待科技局审核，或撤回后重新提交。")
    today = today or date.today()
    now = current_values(firm)
    changes = {}
    for field in REVIEWED_FIELDS:
        if field not in values:
            continue
        new = _clean(firm, field, values[field], today)
        if new != now[field]:
            changes[field] = {"old": now[field], "new": new}
    if not changes:
        raise ValidationError("没有需要审核的变更：请修改至少一项后再提交。")
    reason = (reason or "").strip() or None
    if reason and len(reason) > 500:
        raise ValidationError("变更说明不能超过500个字符", field="reason")
    req = FirmChangeRequest(firm_id=firm.id, changes=changes, firm_version=firm.version,
                            reason=reason, status="pending", submitted_by_id=actor.id,
                            submitted_at=utcnow())
    db.session.add(req)
    db.session.flush()
    record(actor, "submit", "change_request", req.id, firm_id=firm.id,
           summary="企业提交信息变更申请：" + "、".join(FIELD_LABELS[f] for f in changes),
           before={f: c["old"] for f, c in changes.items()},
           after={f: c["new"] for f, c in changes.items()})
    return req


def conflicts(req: FirmChangeRequest) -> list[str]:
    """Fields of a pending request whose stored value is no longer the one it was made
    against (someone changed them meanwhile): approving would overwrite that blindly."""
    if req.status != "pending":
        return []
    now = current_values(req.firm)
    return [f for f, c in req.changes.items() if now.get(f) != c.get("old")]


def rows(req: FirmChangeRequest) -> list[dict]:
    """Old → new per field for the pages, with the value stored now when it moved."""
    now = current_values(req.firm)
    stale = set(conflicts(req))
    return [{"field": f, "label": FIELD_LABELS[f], "old": shown(f, c.get("old")),
             "new": shown(f, c.get("new")), "now": shown(f, now.get(f)), "conflict": f in stale}
            for f, c in req.changes.items()]


def _lock_request(req, version) -> None:
    try:
        expected = int(version)
    except (TypeError, ValueError):
        expected = None
    if expected != req.version:
        raise ConflictError("该申请已被他人处理或修改，请刷新页面后查看。")


def approve_change(actor, req: FirmChangeRequest, *, version, firm_version=None) -> FirmChangeRequest:
    """Apply every requested field in one go, or nothing: refused when a field changed
    since the request (conflict) or since the reviewer opened it (``firm_version``)."""
    ensure_reviewer(actor, req.submitted_by_id)
    _lock_request(req, version)
    if req.status != "pending":
        raise ConflictError(f"该申请{req.status_label}，不能再审核。")
    firm = req.firm
    if firm_version is not None:
        check_version(firm, firm_version, None, {}, what="该企业信息", entity_type="firm")
    stale = conflicts(req)
    if stale:
        raise ConflictError(
            "申请提交后，以下字段已被修改：" + "、".join(FIELD_LABELS[f] for f in stale)
            + f"{last_edit_note('firm', firm.id)}。为免覆盖他人的修改，不能直接通过："
            "请退回并请企业按最新信息重新申请。", field="conflict")
    changes = dict(req.changes)
    values = {}
    for field, change in changes.items():
        new = change.get("new")
        if field == "name":
            continue
        if field == "founded_on":
            values[field] = date.fromisoformat(new) if new else None
        else:
            values[field] = new
    if values:
        update_firm(actor, firm, version=firm.version, **values)
    if "name" in changes:
        rename_firm(actor, firm, changes["name"]["new"])
    req.status, req.reviewed_by_id, req.reviewed_at = "approved", actor.id, utcnow()
    db.session.flush()
    record(actor, "accept", "change_request", req.id, firm_id=firm.id,
           summary="通过企业信息变更申请：" + "、".join(FIELD_LABELS[f] for f in changes))
    notify(firm.id, "change_approved", "信息变更申请已通过",
           "科技局已通过您的信息变更申请：" + "、".join(FIELD_LABELS[f] for f in changes) + "。",
           link="/portal/", actor=actor)
    return req


def return_change(actor, req: FirmChangeRequest, *, version, comment: str) -> FirmChangeRequest:
    """Send the request back with the reason; nothing of it is applied."""
    ensure_reviewer(actor, req.submitted_by_id)
    _lock_request(req, version)
    if req.status != "pending":
        raise ConflictError(f"该申请{req.status_label}，不能再审核。")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError("退回时请填写原因", field="comment")
    if len(comment) > 500:
        raise ValidationError("退回原因不能超过500个字符", field="comment")
    req.status, req.reviewed_by_id, req.reviewed_at = "returned", actor.id, utcnow()
    req.review_comment = comment
    db.session.flush()
    record(actor, "return", "change_request", req.id, firm_id=req.firm_id,
           summary=f"退回企业信息变更申请：{comment}")
    notify(req.firm_id, "change_returned", "信息变更申请被退回", f"退回原因：{comment}",
           link="/portal/", actor=actor)
    return req


def withdraw_change(actor, req: FirmChangeRequest, *, version) -> FirmChangeRequest:
    ensure_own(actor, req.firm_id)
    _lock_request(req, version)
    if req.status != "pending":
        raise ConflictError(f"该申请{req.status_label}，不能撤回。")
    req.status = "withdrawn"
    db.session.flush()
    record(actor, "withdraw", "change_request", req.id, firm_id=req.firm_id, summary="企业撤回信息变更申请")
    return req


def changes_of(firm_id: int, limit: int = 20) -> list[FirmChangeRequest]:
    return list(db.session.scalars(
        select(FirmChangeRequest).where(FirmChangeRequest.firm_id == firm_id)
        .order_by(FirmChangeRequest.submitted_at.desc(), FirmChangeRequest.id.desc()).limit(limit)))


def pending_changes() -> list[FirmChangeRequest]:
    return list(db.session.scalars(
        select(FirmChangeRequest).where(FirmChangeRequest.status == "pending")
        .options(selectinload(FirmChangeRequest.firm), selectinload(FirmChangeRequest.submitted_by))
        .order_by(FirmChangeRequest.submitted_at, FirmChangeRequest.id)))
