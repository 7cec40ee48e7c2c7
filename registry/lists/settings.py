"""Editing the criteria of a programme and year (admins): thresholds are rows, not code.

Every change is validated by ``criteria.validate_params`` (an impossible range is refused
with its reason), bumps the set's version (two admins editing at once: the later save is
told to reload) and is written to the audit log with the values before and after.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import attributes

from registry.audit.services import record, snapshot
from registry.errors import ConflictError, NotFound, ValidationError
from registry.extensions import db
from registry.lists.criteria import validate_params
from registry.lists.models import CRITERION_ROLES, CriteriaSet, Criterion
from registry.lists.screening import criteria_set_for
from registry.recognitions.models import Programme
from registry.reference import towns

CRITERION_FIELDS = ("seq", "kind", "role", "label", "params")


def _check_version(cset: CriteriaSet, version) -> None:
    if version not in (None, "") and int(version) != cset.version:
        raise ConflictError("评定条件已被他人修改，请刷新页面后重试。")


def _clean(kind: str, role: str, label: str, params: dict) -> tuple[str, str, dict]:
    if role not in CRITERION_ROLES:
        raise ValidationError("请选择条件性质。", field="role")
    codes = set(db.session.scalars(select(Programme.code)))
    clean = validate_params(kind, params, programme_codes=codes, town_names={t.name for t in towns()})
    label = (label or "").strip()[:100]
    if not label:
        raise ValidationError("请填写条件名称。", field="label")
    return role, label, clean


def ensure_set(actor, programme: Programme, year: int) -> CriteriaSet:
    """The set for ``programme`` and ``year``, created empty (data of the year before)."""
    cset = criteria_set_for(programme.id, year)
    if cset is None:
        if not 1950 < int(year) <= 2200:
            raise ValidationError("年度无效", field="year")
        cset = CriteriaSet(programme=programme, year=year, data_year=year - 1,
                           updated_by_id=getattr(actor, "id", None))
        db.session.add(cset)
        db.session.flush()
        record(actor, "create", "criteria_set", cset.id,
               summary=f"新建{year}年度{programme.short_name}评定条件")
    return cset


def update_set(actor, cset: CriteriaSet, *, data_year: int, note: str | None, version=None) -> None:
    _check_version(cset, version)
    if not cset.year - 5 <= int(data_year) <= cset.year:
        raise ValidationError(f"数据年度应在{cset.year - 5}至{cset.year}年之间。", field="data_year")
    before = snapshot(cset, ("data_year", "note"))
    cset.data_year, cset.note = int(data_year), (note or "").strip() or None
    cset.is_default, cset.updated_by_id = False, getattr(actor, "id", None)
    db.session.flush()
    record(actor, "update", "criteria_set", cset.id, summary=f"修改{cset.year}年度{cset.programme.short_name}评定条件",
           before=before, after=snapshot(cset, ("data_year", "note")))


def save_criterion(actor, cset: CriteriaSet, *, criterion_id=None, kind: str, role: str,
                   label: str, params: dict, version=None) -> Criterion:
    """Add a criterion, or change one (``criterion_id``) of this set."""
    _check_version(cset, version)
    role, label, clean = _clean(kind, role, label, params)
    if criterion_id:
        criterion = next((c for c in cset.criteria if str(c.id) == str(criterion_id)), None)
        if criterion is None:
            raise NotFound("评定条件不存在。")
        before = snapshot(criterion, CRITERION_FIELDS)
        criterion.kind, criterion.role, criterion.label, criterion.params = kind, role, label, clean
        action = "update"
    else:
        criterion = Criterion(kind=kind, role=role, label=label, params=clean,
                              seq=max((c.seq for c in cset.criteria), default=0) + 1)
        cset.criteria.append(criterion)
        before, action = None, "create"
    cset.is_default, cset.updated_by_id = False, getattr(actor, "id", None)
    attributes.flag_modified(cset, "note")  # a criterion change is a change of the set
    db.session.flush()
    record(actor, action, "criterion", criterion.id,
           summary=f"{cset.year}年度{cset.programme.short_name}：{label}", before=before,
           after=snapshot(criterion, CRITERION_FIELDS))
    return criterion


def delete_criterion(actor, cset: CriteriaSet, criterion_id, *, version=None) -> None:
    _check_version(cset, version)
    criterion = next((c for c in cset.criteria if str(c.id) == str(criterion_id)), None)
    if criterion is None:
        raise NotFound("评定条件不存在。")
    before, criterion_id = snapshot(criterion, CRITERION_FIELDS), criterion.id
    cset.criteria.remove(criterion)
    cset.is_default = False
    attributes.flag_modified(cset, "note")
    db.session.flush()
    record(actor, "delete", "criterion", criterion_id,
           summary=f"{cset.year}年度{cset.programme.short_name}：删除 {before['label']}", before=before)


def copy_from(actor, programme: Programme, year: int, source_year: int) -> CriteriaSet:
    """Start ``year``'s criteria as a copy of ``source_year``'s (then edit what changed)."""
    source = criteria_set_for(programme.id, source_year)
    if source is None or not source.criteria:
        raise NotFound(f"{source_year}年度{programme.short_name}没有评定条件可复制。")
    target = criteria_set_for(programme.id, year)
    if target is not None and target.criteria:
        raise ConflictError(f"{year}年度{programme.short_name}已有评定条件，请逐条修改。")
    target = target or ensure_set(actor, programme, year)
    target.data_year = year - (source.year - source.data_year)
    target.note = source.note
    target.is_default = False
    for c in source.criteria:
        target.criteria.append(Criterion(seq=c.seq, kind=c.kind, role=c.role, label=c.label,
                                         params=dict(c.params or {}), note=c.note))
    db.session.flush()
    record(actor, "copy", "criteria_set", target.id,
           summary=f"{year}年度{programme.short_name}评定条件复制自{source_year}年度",
           after={"criteria": len(source.criteria), "source_year": source_year})
    return target


def params_from_fields(kind: str, fields: dict) -> dict:
    """The criterion's ``params`` from the edit form's flat fields (strings as typed).

    Bands are typed "5000:5, 20000:4, :3" (revenue limit : minimum %); a rubric is JSON.
    """
    import json

    if kind == "rubric":
        try:
            data = json.loads(fields.get("rubric") or "")
        except ValueError as exc:
            raise ValidationError(f"评分表不是有效的JSON：{exc}", field="rubric")
        if not isinstance(data, dict):
            raise ValidationError("评分表应为一个JSON对象（含 items 和 pass_mark）", field="rubric")
        return data
    if kind == "rd_intensity" and (fields.get("bands") or "").strip():
        bands = []
        for part in (fields["bands"] or "").replace("，", ",").replace("：", ":").split(","):
            if not part.strip():
                continue
            below, _, low = part.partition(":")
            if not _:
                raise ValidationError(f"分档“{part.strip()}”应写成“收入上限:比例”", field="bands")
            bands.append({"below": below.strip() or None, "min": low.strip()})
        return {"bands": bands}
    if kind == "holds_programme":
        return {"programme": fields.get("programme"), "mode": fields.get("mode")}
    if kind == "rd_institution":
        return {"level": fields.get("level")}
    if kind == "above_scale":
        return {"value": str(fields.get("value")) == "1"}
    if kind == "location":
        return {"zone": fields.get("zone")} if fields.get("zone") else {"towns": fields.get("towns") or []}
    return {"min": fields.get("min"), "max": fields.get("max"), "years": fields.get("years")}


def fields_from_params(kind: str, params: dict) -> dict:
    """The reverse of ``params_from_fields``: what the edit form shows for a criterion."""
    import json

    p = params or {}
    if kind == "rubric":
        return {"rubric": json.dumps(p, ensure_ascii=False, indent=1)}
    if kind == "rd_intensity" and p.get("bands"):
        return {"bands": ", ".join(f"{b.get('below', '')}:{b['min']}" for b in p["bands"])}
    out = {k: ("" if p.get(k) is None else str(p.get(k))) for k in ("min", "max", "years")}
    out.update({k: p[k] for k in ("programme", "mode", "level", "zone", "towns") if k in p})
    if "value" in p:
        out["value"] = "1" if p["value"] else "0"
    return out
