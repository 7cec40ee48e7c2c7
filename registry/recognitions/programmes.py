"""Programme settings (认定类别): programmes are data, so the bureau adds one (专精特新 …)
without a code change. Admin only (the views say so; these functions trust their caller).

A programme's code is its stable key (imports, statistics and the demo refer to codes),
so it is set once and never changed; a programme that any record uses cannot be deleted.
"""
from __future__ import annotations

import re

from sqlalchemy import func, select

from registry.audit.services import record, snapshot
from registry.errors import ConflictError, NotFound, ValidationError
from registry.extensions import db
from registry.firms.services import MAX_ID
from registry.recognitions.models import Programme, Recognition
from registry.vocab import LEVELS

FIELDS = ("code", "name", "short_name", "level", "validity_years", "has_certificate",
          "is_ladder_rung", "ladder_rank", "sort_order", "description")
CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def get_programme(programme_id) -> Programme:
    try:
        pid = int(programme_id)
    except (TypeError, ValueError):
        raise NotFound("认定类别不存在。")
    programme = db.session.get(Programme, pid) if 0 < pid <= MAX_ID else None
    if programme is None:
        raise NotFound("认定类别不存在。")
    return programme


#: What a referring table's rows are called when a deletion is refused.
TABLE_LABELS = {"recognitions": "认定记录", "tier_lists": "培育名单", "import_batches": "导入批次",
                "list_criteria_sets": "名单评审条件"}


def usage(programme: Programme) -> dict[str, int]:
    """How many rows of every table with a foreign key to programmes refer to it (only
    the tables that do): a table added later is counted without touching this code."""
    counts: dict[str, int] = {}
    for table in db.metadata.sorted_tables:
        if table.name == "programme_holdings":  # derived from the recognitions counted here
            continue
        for column in table.columns:
            if any(fk.column.table.name == "programmes" for fk in column.foreign_keys):
                n = db.session.scalar(select(func.count()).select_from(table)
                                      .where(column == programme.id))
                if n:
                    label = TABLE_LABELS.get(table.name, table.name)
                    counts[label] = counts.get(label, 0) + n
    return counts


def programme_list() -> list[tuple[Programme, int]]:
    """Every programme in display order with its number of recognitions."""
    counts = dict(db.session.execute(select(Recognition.programme_id, func.count())
                                     .group_by(Recognition.programme_id)).all())
    programmes = db.session.scalars(select(Programme).order_by(Programme.sort_order, Programme.id))
    return [(p, counts.get(p.id, 0)) for p in programmes]


def _clean(values: dict, programme: Programme | None) -> dict:
    clean = {}
    for field, limit, label in (("name", 100, "名称"), ("short_name", 30, "简称")):
        text = (values.get(field) or "").strip()
        if not text:
            raise ValidationError(f"请填写{label}", field=field)
        if len(text) > limit:
            raise ValidationError(f"{label}不能超过{limit}个字符", field=field)
        clean[field] = text
    if values.get("level") not in LEVELS:
        raise ValidationError("请选择级别", field="level")
    clean["level"] = values["level"]
    years = values.get("validity_years")
    if years is None or not 1 <= int(years) <= 20:
        raise ValidationError("有效期应为1–20年", field="validity_years")
    clean["validity_years"] = int(years)
    clean["has_certificate"] = bool(values.get("has_certificate"))
    clean["is_ladder_rung"] = bool(values.get("is_ladder_rung"))
    rank = values.get("ladder_rank")
    if clean["is_ladder_rung"]:
        if rank is None or not 1 <= int(rank) <= 20:
            raise ValidationError("梯度培育类别须填写梯度序位（1–20，如雏鹰1、瞪羚2、头雁3）",
                                  field="ladder_rank")
        taken = db.session.scalar(select(Programme).where(
            Programme.is_ladder_rung.is_(True), Programme.ladder_rank == int(rank),
            Programme.id != (programme.id if programme else -1)))
        if taken is not None:
            raise ConflictError(f"梯度序位 {rank} 已由“{taken.name}”使用", field="ladder_rank")
        clean["ladder_rank"] = int(rank)
    else:
        clean["ladder_rank"] = None
    clean["sort_order"] = int(values.get("sort_order") or 0)
    description = (values.get("description") or "").strip()
    if len(description) > 2000:
        raise ValidationError("说明不能超过2000个字符", field="description")
    clean["description"] = description or None
    clash = db.session.scalar(select(Programme).where(
        Programme.name == clean["name"], Programme.id != (programme.id if programme else -1)))
    if clash is not None:
        raise ConflictError(f"名称“{clean['name']}”已被其他类别使用", field="name")
    return clean


def create_programme(actor, *, code: str, **values) -> Programme:
    code = (code or "").strip().lower()
    if not CODE.match(code):
        raise ValidationError("代码应为2–32位小写英文字母、数字或下划线，以字母开头，如 zjtx",
                              field="code")
    existing = db.session.scalar(select(Programme).where(Programme.code == code))
    if existing is not None:
        raise ConflictError(f"代码“{code}”已被“{existing.name}”使用", field="code")
    clean = _clean(values, None)
    programme = Programme(code=code, **clean)
    db.session.add(programme)
    db.session.flush()
    record(actor, "create", "programme", programme.id, summary=f"新增认定类别：{programme.name}",
           after=snapshot(programme, FIELDS))
    return programme


def update_programme(actor, programme: Programme, **values) -> list[str]:
    """Change everything but the code; returns the changed field names (audited)."""
    values.pop("code", None)
    clean = _clean(values, programme)
    before = snapshot(programme, FIELDS)
    for attr, value in clean.items():
        setattr(programme, attr, value)
    after = snapshot(programme, FIELDS)
    changed = [k for k in FIELDS if before[k] != after[k]]
    if not changed:
        return []
    db.session.flush()
    record(actor, "update", "programme", programme.id, summary=f"修改认定类别：{programme.name}",
           before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return changed


def delete_programme(actor, programme: Programme) -> None:
    """Delete a programme nothing refers to; one in use is refused, saying by what."""
    used = usage(programme)
    if used:
        what = "、".join(f"{k}{v}条" for k, v in used.items())
        raise ConflictError(f"“{programme.name}”已被使用（{what}），不能删除。")
    record(actor, "delete", "programme", programme.id, summary=f"删除认定类别：{programme.name}",
           before=snapshot(programme, FIELDS))
    db.session.delete(programme)
    db.session.flush()
