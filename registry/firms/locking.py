"""No lost edits: the optimistic lock every edit form goes through.

An edit form carries the record's ``version`` as it was loaded and a sealed copy of the
values it showed (``original``). When the saved record has moved on, the save is refused
with an ``EditConflict`` listing, field by field, what changed in between (the value the
clerk saw → the value stored now) and who changed it last; nothing is overwritten. The
models' ``version_id_col`` also makes the UPDATE itself conditional, so two saves racing
past the check still cannot both win (``StaleDataError`` becomes the same conflict).

Firms and recognitions use it; the values are the audit snapshots, so the conflict and
the history speak the same language.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.errors import ConflictError
from registry.extensions import db
from registry.templating import fmt_datetime, fmt_money
from registry.vocab import FIRM_STATUSES, RECOGNITION_STATUSES

#: Chinese labels of the fields the audit snapshots of firms and recognitions hold.
FIELD_LABELS = {
    "uscc": "统一社会信用代码", "name": "企业名称", "town": "所在镇（街道）", "industry": "所属产业",
    "founded_on": "成立日期", "registered_capital": "注册资本（万元）",
    "legal_representative": "法定代表人", "contact_person": "联系人", "phone": "联系电话",
    "email": "电子邮箱", "address": "地址", "above_scale": "规上企业", "status": "状态",
    "status_changed_on": "状态变更日期", "note": "备注",
    "programme": "认定类别", "year": "年度", "batch": "批次", "certificate_no": "证书编号",
    "issued_on": "发证日期", "valid_from": "有效期起", "valid_until": "有效期止",
    "document_no": "文号", "revoked_on": "撤销日期", "revoke_reason": "撤销原因",
    "short_name": "简称", "code": "代码", "level": "级别", "validity_years": "有效期（年）",
    "has_certificate": "发放证书", "is_ladder_rung": "梯度培育", "ladder_rank": "梯度序位",
    "sort_order": "排序", "description": "说明",
}
MONEY_FIELDS = {"registered_capital"}
STATUS_LABELS = {**FIRM_STATUSES, **RECOGNITION_STATUSES}


def label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


def show(field: str, value) -> str:
    """A snapshot value as a clerk reads it (empty → "（空）")."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if field in MONEY_FIELDS:
        try:
            return fmt_money(Decimal(str(value)))
        except InvalidOperation:
            return str(value)
    if field == "status":
        return STATUS_LABELS.get(value, str(value))
    return str(value)


@dataclass(frozen=True)
class Change:
    field: str
    before: object
    after: object

    @property
    def label(self) -> str:
        return label(self.field)

    @property
    def before_text(self) -> str:
        return show(self.field, self.before)

    @property
    def after_text(self) -> str:
        return show(self.field, self.after)

    def __str__(self) -> str:
        return f"{self.label}：{self.before_text} → {self.after_text}"


def _same(a, b) -> bool:
    if a == b:
        return True
    if a in (None, "") and b in (None, ""):
        return True
    try:  # "500" and "500.00" are the same capital
        return Decimal(str(a)) == Decimal(str(b))
    except (InvalidOperation, TypeError, ValueError):
        return False


def diff(before: dict, after: dict) -> list[Change]:
    """Fields whose value differs between two snapshots, in ``after``'s order."""
    return [Change(k, before.get(k), v) for k, v in after.items() if not _same(before.get(k), v)]


class EditConflict(ConflictError):
    """The record changed since the form was loaded; ``changes`` says how."""

    def __init__(self, what: str, changes: list[Change], last_edit: str = ""):
        head = f"保存失败：在您编辑期间，{what}已被他人修改{last_edit}，您的修改没有保存。"
        if changes:
            body = "期间的变更：" + "；".join(str(c) for c in changes) + "。"
        else:
            body = "无法确定具体变更的字段。"
        super().__init__(head + body + "请核对后重新填写并保存。")
        self.changes = changes
        self.last_edit = last_edit
        self.conflicted: set[str] = set()  # fields the clerk changed too (set by the view)


def last_edit_note(entity_type: str, entity_id: int) -> str:
    """'（最近一次由 张三 于 2016-05-01 10:00 修改）' from the newest audit entry, or ''."""
    entry = db.session.scalar(
        select(AuditLog).where(AuditLog.entity_type == entity_type, AuditLog.entity_id == entity_id)
        .order_by(AuditLog.id.desc()).limit(1))
    if entry is None:
        return ""
    who = entry.user.display_name if entry.user else "系统"
    return f"（最近一次由 {who} 于 {fmt_datetime(entry.at)} 修改）"


def check_version(record, expected_version, original: dict | None, current: dict, *,
                  what: str, entity_type: str) -> None:
    """Raise EditConflict when ``record`` is no longer at ``expected_version``.

    ``original`` is the snapshot the form was loaded with; without it the conflict lists
    the stored values that differ from nothing we know, so it says only who changed it."""
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        expected = None
    if expected == record.version:
        return
    changes = diff(original, current) if original else []
    raise EditConflict(what, changes, last_edit_note(entity_type, record.id))


# --- for views: the snapshot a form was loaded with, sealed so it cannot be forged --------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="edit-original")


def seal(values: dict) -> str:
    return _serializer().dumps(values)


def unseal(token: str | None) -> dict | None:
    if not token:
        return None
    try:
        values = _serializer().loads(token)
    except BadSignature:
        return None
    return values if isinstance(values, dict) else None
