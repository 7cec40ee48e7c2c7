"""R&D institution rules: scoped access, the list query, creation, editing, 晋级/降级, closing.

Every function takes the acting user, flushes and never commits (the view or CLI commits
once). The level ladder is 国家级 > 省级 > 宁波市级 > 慈溪市级 (``LEVEL_RANK``, 1 = top);
each level change is a ``RdLevelChange`` row and the institution keeps its current level,
year and 文号 beside that history. Audit entries carry ``firm_id`` so they show on the
firm's 档案 page, and ``version`` so a stale edit can say what changed in between.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from registry.audit.services import record, snapshot
from registry.errors import ValidationError
from registry.extensions import db
from registry.firms.models import Firm
from registry.firms.services import firm_scope
from registry.institutions.models import RdInstitution, RdLevelChange
from registry.paging import IdsFirstPage
from registry.records import check_version, check_year, clean_text, get_owned, owned_scope, resolve_host_firm
from registry.vocab import INSTITUTION_STATUSES, LEVEL_CHANGE_KINDS, LEVEL_RANK, LEVELS, RD_TYPES

ENTITY = "rd_institution"
FIELDS = ("firm_id", "name", "type", "level", "recognised_year", "first_recognised_year",
          "document_no", "status", "closed_year", "note", "version")
LABELS = {"firm_id": "依托企业", "name": "机构名称", "type": "机构类型", "level": "级别",
          "recognised_year": "现级别认定年份", "first_recognised_year": "首次认定年份",
          "document_no": "文号", "status": "状态", "closed_year": "撤销/注销年份", "note": "备注"}
EDITABLE = ("name", "type", "note")
NOT_FOUND = "研发机构不存在或您无权查看。"


def shown(key, value):
    """A stored value as the clerk reads it (level and status labels)."""
    if key == "level":
        return LEVELS.get(value, value)
    if key == "status":
        return INSTITUTION_STATUSES.get(value, value)
    return value


def _audit(actor, action, inst, summary, before=None):
    db.session.flush()
    return record(actor, action, ENTITY, inst.id, firm_id=inst.firm_id, summary=summary,
                  before=before, after=snapshot(inst, FIELDS))


# --- access -------------------------------------------------------------------

def institution_scope(user):
    """SQL condition: institutions whose host firm ``user`` may see."""
    return owned_scope(RdInstitution, user)


def get_institution_for(user, institution_id) -> RdInstitution:
    """The institution if it exists and its host firm is in ``user``'s scope; NotFound otherwise."""
    return get_owned(user, RdInstitution, institution_id, NOT_FOUND,
                     selectinload(RdInstitution.level_changes), selectinload(RdInstitution.firm))


# --- the list -----------------------------------------------------------------

@dataclass
class InstitutionFilter:
    q: str = ""
    level: str | None = None
    type: str | None = None
    town_id: int | None = None
    status: str | None = None


def institution_query(user, f: InstitutionFilter):
    """A SELECT of the institutions matching ``f`` in the user's scope: highest level first."""
    stmt = select(RdInstitution)
    q = " ".join((f.q or "").split())
    if q or f.town_id or not user.can_view_all:  # else the firms need not be read at all
        stmt = stmt.join(Firm, RdInstitution.firm_id == Firm.id).where(firm_scope(user))
    if q:
        stmt = stmt.where(or_(RdInstitution.name.contains(q, autoescape=True),
                              Firm.name.contains(q, autoescape=True)))
    if f.level in LEVELS:
        stmt = stmt.where(RdInstitution.level == f.level)
    if f.type:
        stmt = stmt.where(RdInstitution.type == f.type)
    if f.town_id:
        stmt = stmt.where(Firm.town_id == f.town_id)
    if f.status in INSTITUTION_STATUSES:
        stmt = stmt.where(RdInstitution.status == f.status)
    return stmt.order_by(_level_order(), RdInstitution.name, RdInstitution.id)


def institution_page(user, f: InstitutionFilter, *, per_page: int) -> IdsFirstPage:
    """The request's page of ``institution_query``, ids first and narrowed to the levels
    the page falls in (20,000 institutions are not sorted whole for twenty rows)."""
    return IdsFirstPage(page=None, per_page=per_page, max_per_page=100, error_out=False,
                        select=institution_query(user, f), model=RdInstitution,
                        group=(RdInstitution.level, LEVEL_RANK, False,
                               (RdInstitution.name, RdInstitution.id)),
                        options=(selectinload(RdInstitution.firm).selectinload(Firm.town),))


def _level_order():
    return case({code: rank for code, rank in LEVEL_RANK.items()}, value=RdInstitution.level, else_=9)


def level_counts(user, f: InstitutionFilter) -> dict[str, int]:
    """How many institutions of each level match ``f`` (the list's summary line)."""
    sub = institution_query(user, InstitutionFilter(q=f.q, type=f.type, town_id=f.town_id,
                                                    status=f.status)).order_by(None).subquery()
    rows = db.session.execute(select(sub.c.level, func.count()).group_by(sub.c.level))
    return {level: count for level, count in rows}


# --- creation and editing -----------------------------------------------------

def _check_type(kind) -> str:
    if kind not in RD_TYPES:
        raise ValidationError("请选择机构类型", field="type")
    return kind


def _check_level(level, field="level") -> str:
    if level not in LEVELS:
        raise ValidationError("请选择级别", field=field)
    return level


def create_institution(actor, *, firm_text=None, firm_id=None, name, type, level, year,
                       document_no=None, note=None, today: date | None = None) -> RdInstitution:
    """A new institution of a firm in the actor's scope, with its first (认定) step."""
    firm = resolve_host_firm(actor, firm_text, firm_id=firm_id)
    name = clean_text(name, "机构名称", field="name", max_length=200, required=True)
    kind = _check_type(type)
    level = _check_level(level)
    year = check_year(year, "认定年份", today=today)
    doc = clean_text(document_no, "文号", field="document_no", max_length=100)
    note = clean_text(note, "备注", field="note", max_length=2000)
    _check_unique_name(firm, name)
    inst = RdInstitution(firm=firm, name=name, type=kind, level=level, recognised_year=year,
                         first_recognised_year=year, document_no=doc, status="active", note=note)
    inst.level_changes.append(RdLevelChange(kind="initial", from_level=None, to_level=level,
                                            year=year, document_no=doc))
    db.session.add(inst)
    _audit(actor, "create", inst, f"新增研发机构 {name}（{LEVELS[level]}，{year}年认定）")
    return inst


def _check_unique_name(firm, name, exclude_id=None) -> None:
    stmt = select(RdInstitution.id).where(RdInstitution.firm_id == firm.id, RdInstitution.name == name)
    if exclude_id is not None:
        stmt = stmt.where(RdInstitution.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise ValidationError(f"企业“{firm.name}”已有名为“{name}”的研发机构", field="name")


def update_institution(actor, inst: RdInstitution, *, version, name, type, note=None) -> RdInstitution:
    """Edit the descriptive fields under the optimistic lock (levels change by 晋级/降级)."""
    check_version(inst, version, entity_type=ENTITY, what="该研发机构", labels={ENTITY: LABELS}, shown=shown)
    values = {"name": clean_text(name, "机构名称", field="name", max_length=200, required=True),
              "type": _check_type(type),
              "note": clean_text(note, "备注", field="note", max_length=2000)}
    _check_unique_name(inst.firm, values["name"], exclude_id=inst.id)
    before = snapshot(inst, FIELDS)
    changed = {k: v for k, v in values.items() if getattr(inst, k) != v}
    if not changed:
        return inst
    for key, value in changed.items():
        setattr(inst, key, value)
    labels = "、".join(LABELS[k] for k in changed)
    _audit(actor, "update", inst, f"修改研发机构 {inst.name}（{labels}）", before=before)
    return inst


# --- level changes ------------------------------------------------------------

def last_change(inst: RdInstitution) -> RdLevelChange | None:
    return inst.level_changes[-1] if inst.level_changes else None


def allowed_levels(inst: RdInstitution, kind: str) -> list[str]:
    """Levels a promotion (higher) or demotion (lower) may move ``inst`` to, top first."""
    rank = LEVEL_RANK[inst.level]
    if kind == "promotion":
        return [code for code in LEVELS if LEVEL_RANK[code] < rank]
    return [code for code in LEVELS if LEVEL_RANK[code] > rank]


def change_level(actor, inst: RdInstitution, kind: str, *, version, to_level, year, document_no,
                 note=None, today: date | None = None) -> RdLevelChange:
    """晋级 (``promotion``) or 降级 (``demotion``) with year and 文号; the history keeps the step."""
    if kind not in ("promotion", "demotion"):
        raise ValidationError("未知的级别调整类型")
    check_version(inst, version, entity_type=ENTITY, what="该研发机构", labels={ENTITY: LABELS}, shown=shown)
    word = LEVEL_CHANGE_KINDS[kind]
    if inst.status != "active":
        raise ValidationError(f"研发机构{inst.status_label}，不能{word}")
    to_level = _check_level(to_level, field="to_level")
    if to_level == inst.level:
        raise ValidationError(f"新级别与当前级别（{inst.level_label}）相同", field="to_level")
    if to_level not in allowed_levels(inst, kind):
        relation = "高于" if kind == "promotion" else "低于"
        raise ValidationError(f"{word}后的级别须{relation}当前级别（{inst.level_label}）", field="to_level")
    year = check_year(year, f"{word}年份", today=today)
    last = last_change(inst)
    floor = last.year if last is not None else inst.recognised_year
    if floor is not None and year < floor:
        raise ValidationError(f"{word}年份不能早于上一次级别变动（{floor}年）", field="year")
    doc = clean_text(document_no, "文号", field="document_no", max_length=100, required=True)
    note = clean_text(note, "说明", field="note", max_length=2000)
    before = snapshot(inst, FIELDS)
    old = inst.level
    step = RdLevelChange(kind=kind, from_level=old, to_level=to_level, year=year, document_no=doc,
                         note=note or f"由{LEVELS[old]}{word}为{LEVELS[to_level]}")
    inst.level_changes.append(step)
    inst.level, inst.recognised_year, inst.document_no = to_level, year, doc
    if inst.first_recognised_year is None:
        inst.first_recognised_year = floor
    _audit(actor, "promote" if kind == "promotion" else "demote", inst, f"研发机构 {inst.name} {word}：{LEVELS[old]} → {LEVELS[to_level]}"
                              f"（{year}年，{doc}）", before=before)
    return step


# --- closing ------------------------------------------------------------------

END_ACTIONS = {"revoked": "撤销认定", "closed": "注销"}
AUDIT_ACTIONS = {"revoked": "revoke", "closed": "status"}  # codes the audit log has words for


def end_institution(actor, inst: RdInstitution, status: str, *, version, year, reason,
                    today: date | None = None) -> RdInstitution:
    """撤销 (``revoked``) or 注销 (``closed``) with year and reason; the reason joins the note."""
    if status not in END_ACTIONS:
        raise ValidationError("请选择撤销认定或注销", field="status")
    check_version(inst, version, entity_type=ENTITY, what="该研发机构", labels={ENTITY: LABELS}, shown=shown)
    if inst.status != "active":
        raise ValidationError(f"研发机构已{inst.status_label}")
    year = check_year(year, "年份", today=today)
    last = last_change(inst)
    floor = last.year if last is not None else inst.recognised_year
    if floor is not None and year < floor:
        raise ValidationError(f"年份不能早于该机构最近一次认定或级别变动（{floor}年）", field="year")
    reason = clean_text(reason, "原因", field="reason", max_length=500, required=True)
    before = snapshot(inst, FIELDS)
    line = f"{year}年{END_ACTIONS[status]}：{reason}"
    inst.status, inst.closed_year = status, year
    inst.note = f"{inst.note}\n{line}" if inst.note else line
    _audit(actor, AUDIT_ACTIONS[status], inst, f"研发机构 {inst.name} {END_ACTIONS[status]}（{year}年）：{reason}"[:255],
           before=before)
    return inst
