"""Project rules: scoped access, the list query, creation, editing, deletion and the process
tracking (过程跟踪) of milestones, the mid-term check and acceptance.

Every function takes the acting user, flushes and never commits. Audit entries carry
``firm_id`` (so they show on the firm's 档案 page) and the project's ``version`` (so a stale
edit can say what changed in between, see ``institutions.shared.check_version``).
Recording an acceptance with its result is also what closes a project: the project takes
the acceptance year and result, and a passed acceptance makes it 结题.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from registry.audit.services import record, snapshot
from registry.errors import NotFound, ValidationError
from registry.extensions import db
from registry.firms.models import Firm
from registry.firms.services import firm_scope
from registry.records import check_version, clean_text, get_owned, owned_scope, parse_id, resolve_host_firm
from registry.projects import rules
from registry.projects.models import Project, ProjectMilestone
from registry.vocab import (
    ACCEPTANCE_RESULTS, LEVEL_RANK, LEVELS, PROJECT_ROLES, PROJECT_STATUSES,
)

ENTITY = "project"
MILESTONE = "project_milestone"
FIELDS = ("firm_id", "name", "project_no", "plan", "level", "role", "start_year", "end_year",
          "funding", "status", "acceptance_year", "acceptance_result", "note", "version")
EDITABLE = FIELDS[1:-1]
LABELS = {"firm_id": "承担企业", "name": "项目名称", "project_no": "项目编号", "plan": "计划类别",
          "level": "级别", "role": "承担方式", "start_year": "开始年份", "end_year": "结束年份",
          "funding": "资助经费（万元）", "status": "项目状态", "acceptance_year": "验收年份",
          "acceptance_result": "验收结果", "note": "备注"}
MILESTONE_FIELDS = ("project_id", "kind", "title", "due_on", "done_on", "result", "note")
NOT_FOUND = "科技计划项目不存在或您无权查看。"
MILESTONE_NOT_FOUND = "跟踪记录不存在或您无权查看。"


def shown(key, value):
    """A stored value as the clerk reads it."""
    table = {"level": LEVELS, "role": PROJECT_ROLES, "status": PROJECT_STATUSES,
             "acceptance_result": ACCEPTANCE_RESULTS}.get(key)
    return table.get(value, value) if table else value


def _audit(actor, action, project, summary, before=None):
    db.session.flush()
    return record(actor, action, ENTITY, project.id, firm_id=project.firm_id, summary=summary,
                  before=before, after=snapshot(project, FIELDS))


# --- access -------------------------------------------------------------------

def project_scope(user):
    """SQL condition: projects of the firms ``user`` may see."""
    return owned_scope(Project, user)


def get_project_for(user, project_id) -> Project:
    """The project if its firm is in ``user``'s scope; NotFound otherwise (no existence leak)."""
    return get_owned(user, Project, project_id, NOT_FOUND, selectinload(Project.milestones),
                     selectinload(Project.firm).selectinload(Firm.town))


def get_milestone_for(user, milestone_id) -> ProjectMilestone:
    mid = parse_id(milestone_id, MILESTONE_NOT_FOUND)
    milestone = db.session.scalar(
        select(ProjectMilestone).join(Project, Project.id == ProjectMilestone.project_id)
        .where(ProjectMilestone.id == mid, project_scope(user)))
    if milestone is None:
        raise NotFound(MILESTONE_NOT_FOUND)
    return milestone


# --- the list -----------------------------------------------------------------

@dataclass
class ProjectFilter:
    q: str = ""
    year: int | None = None  # projects running in that year (start ≤ year ≤ end)
    level: str | None = None
    status: str | None = None
    town_id: int | None = None
    role: str | None = None


def project_query(user, f: ProjectFilter):
    """A SELECT of the projects matching ``f`` in the user's scope: newest, highest level first."""
    stmt = select(Project).join(Firm, Project.firm_id == Firm.id).where(firm_scope(user))
    q = " ".join((f.q or "").split())
    if q:
        stmt = stmt.where(or_(Project.name.contains(q, autoescape=True),
                              Project.plan.contains(q, autoescape=True),
                              Project.project_no.contains(q, autoescape=True),
                              Firm.name.contains(q, autoescape=True)))
    if f.year:
        stmt = stmt.where(Project.start_year <= f.year,
                          or_(Project.end_year.is_(None), Project.end_year >= f.year))
    if f.level in LEVELS:
        stmt = stmt.where(Project.level == f.level)
    if f.status in PROJECT_STATUSES:
        stmt = stmt.where(Project.status == f.status)
    if f.role in PROJECT_ROLES:
        stmt = stmt.where(Project.role == f.role)
    if f.town_id:
        stmt = stmt.where(Firm.town_id == f.town_id)
    return stmt.options(selectinload(Project.firm).selectinload(Firm.town)).order_by(
        Project.start_year.desc(), _level_order(), Project.name, Project.id)


def _level_order():
    from sqlalchemy import case

    return case(LEVEL_RANK, value=Project.level, else_=9)


def status_counts(user, f: ProjectFilter) -> dict[str, int]:
    """How many matching projects are in each status (the list's summary line)."""
    sub = project_query(user, ProjectFilter(q=f.q, year=f.year, level=f.level, town_id=f.town_id,
                                            role=f.role)).order_by(None).subquery()
    return {s: n for s, n in db.session.execute(select(sub.c.status, func.count()).group_by(sub.c.status))}


# --- creation, editing, deletion ---------------------------------------------------

def clean_values(firm, values: dict, *, today: date | None = None) -> dict:
    """Every editable field checked and normalised (codes, years, 万元), or ValidationError."""
    out = {
        "name": clean_text(values.get("name"), "项目名称", field="name", max_length=200, required=True),
        "project_no": clean_text(values.get("project_no"), "项目编号", field="project_no", max_length=64),
        "plan": clean_text(values.get("plan"), "计划类别", field="plan", max_length=100, required=True),
        "level": rules.pick_level(values.get("level")),
        "role": rules.pick_role(values.get("role")),
        "start_year": rules.check_year(values.get("start_year"), "开始年份", field="start_year", today=today),
        "end_year": rules.check_year(values.get("end_year"), "结束年份", field="end_year", required=False,
                                     ahead=rules.FUTURE_YEARS, today=today),
        "funding": rules.check_money(values.get("funding"), "资助经费", field="funding"),
        "status": rules.pick_status(values.get("status")),
        "acceptance_year": rules.check_year(values.get("acceptance_year"), "验收年份",
                                            field="acceptance_year", required=False, today=today),
        "acceptance_result": rules.pick_result(values.get("acceptance_result")),
        "note": clean_text(values.get("note"), "备注", field="note", max_length=2000),
    }
    rules.check_span(out["start_year"], out["end_year"])
    rules.check_after_founding(firm, out["start_year"], "项目开始年份", field="start_year")
    if out["acceptance_year"] is not None and out["acceptance_year"] < out["start_year"]:
        raise ValidationError(f"验收年份（{out['acceptance_year']}年）不能早于开始年份"
                              f"（{out['start_year']}年）", field="acceptance_year")
    if out["status"] == "in_progress" and out["acceptance_result"] in ("excellent", "passed"):
        raise ValidationError("项目已通过验收，状态应为“结题”", field="status")
    return out


def _check_unique(firm, name, start_year, exclude_id=None) -> None:
    stmt = select(Project.id).where(Project.firm_id == firm.id, Project.name == name,
                                    Project.start_year == start_year)
    if exclude_id is not None:
        stmt = stmt.where(Project.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise ValidationError(f"企业“{firm.name}”已有{start_year}年开始的项目“{name}”", field="name")


def create_project(actor, *, firm_text=None, firm_id=None, today: date | None = None, **values) -> Project:
    """A new project of a firm in the actor's scope."""
    firm = resolve_host_firm(actor, firm_text, firm_id=firm_id)
    clean = clean_values(firm, values, today=today)
    _check_unique(firm, clean["name"], clean["start_year"])
    project = Project(firm=firm, **clean)
    db.session.add(project)
    _audit(actor, "create", project, f"新增科技计划项目 {clean['name']}（{LEVELS[clean['level']]}，"
                                     f"{clean['plan']}，{clean['start_year']}年）")
    return project


def update_project(actor, project: Project, *, version, today: date | None = None, **values) -> Project:
    """Edit every field under the optimistic lock; an unchanged form writes nothing."""
    check_version(project, version, entity_type=ENTITY, what="该项目", labels={ENTITY: LABELS}, shown=shown)
    clean = clean_values(project.firm, values, today=today)
    _check_unique(project.firm, clean["name"], clean["start_year"], exclude_id=project.id)
    changed = {k: v for k, v in clean.items() if getattr(project, k) != v}
    if not changed:
        return project
    before = snapshot(project, FIELDS)
    for key, value in changed.items():
        setattr(project, key, value)
    _audit(actor, "update", project, f"修改科技计划项目 {project.name}（{'、'.join(LABELS[k] for k in changed)}）",
           before=before)
    return project


def delete_project(actor, project: Project, *, version) -> None:
    """Remove a project entered by mistake, with its tracking; the audit log keeps a copy."""
    check_version(project, version, entity_type=ENTITY, what="该项目", labels={ENTITY: LABELS}, shown=shown)
    before = snapshot(project, FIELDS)
    record(actor, "delete", ENTITY, project.id, firm_id=project.firm_id,
           summary=f"删除科技计划项目 {project.name}（{project.start_year}年）", before=before)
    db.session.delete(project)
    db.session.flush()


# --- process tracking -----------------------------------------------------------

def _milestone_values(project: Project, values: dict, today: date | None) -> dict:
    kind = rules.pick_kind(values.get("kind"))
    out = {"kind": kind,
           "title": clean_text(values.get("title"), "事项", field="title", max_length=200)
           or {"midterm": "中期检查", "acceptance": "结题验收"}.get(kind),
           "due_on": values.get("due_on") or None, "done_on": values.get("done_on") or None,
           "result": rules.pick_result(values.get("result"), field="result"),
           "note": clean_text(values.get("note"), "说明", field="note", max_length=2000)}
    if not out["title"]:
        raise ValidationError("请填写事项（如“样机试制完成”）", field="title")
    for key, label in (("due_on", "计划日期"), ("done_on", "完成日期")):
        day = out[key]
        if day is not None and not isinstance(day, date):
            raise ValidationError(f"{label}应为日期，如 2016-05-12", field=key)
        if day is not None and day.year < project.start_year:
            raise ValidationError(f"{label}（{day:%Y-%m-%d}）早于项目开始年份（{project.start_year}年）", field=key)
    if out["done_on"] is not None and out["done_on"] > (today or date.today()):
        raise ValidationError("完成日期不能晚于今天", field="done_on")
    if out["result"] and not out["done_on"]:
        raise ValidationError("填写了结果，请同时填写完成日期", field="done_on")
    if out["result"] and kind == "milestone":
        raise ValidationError("进度节点不填结果；中期检查和验收才有结果", field="result")
    return out


def _accept(actor, project: Project, milestone: ProjectMilestone) -> None:
    """A done acceptance with a result closes the project (结题) when it passed."""
    if milestone.kind != "acceptance" or not milestone.result or milestone.done_on is None:
        return
    target = {"acceptance_year": milestone.done_on.year, "acceptance_result": milestone.result}
    if milestone.result in ("excellent", "passed"):
        target["status"] = "completed"
    changed = {k: v for k, v in target.items() if getattr(project, k) != v}
    if not changed:
        return
    before = snapshot(project, FIELDS)
    for key, value in changed.items():
        setattr(project, key, value)
    _audit(actor, "update", project, f"科技计划项目 {project.name} 验收：{milestone.result_label}"
                                     f"（{milestone.done_on.year}年）", before=before)


def add_milestone(actor, project: Project, *, today: date | None = None, **values) -> ProjectMilestone:
    """A tracked step (进度节点 / 中期检查 / 验收); a passed acceptance closes the project."""
    clean = _milestone_values(project, values, today)
    milestone = ProjectMilestone(project=project, **clean)
    db.session.add(milestone)
    db.session.flush()
    record(actor, "create", MILESTONE, milestone.id, firm_id=project.firm_id,
           summary=f"项目 {project.name} 新增{milestone.kind_label}：{milestone.title}",
           after=snapshot(milestone, MILESTONE_FIELDS))
    _accept(actor, project, milestone)
    return milestone


def update_milestone(actor, milestone: ProjectMilestone, *, today: date | None = None, **values) -> ProjectMilestone:
    """Record progress on a step (done date, result); a passed acceptance closes the project."""
    project = milestone.project
    clean = _milestone_values(project, values, today)
    changed = {k: v for k, v in clean.items() if getattr(milestone, k) != v}
    if not changed:
        return milestone
    before = snapshot(milestone, MILESTONE_FIELDS)
    for key, value in changed.items():
        setattr(milestone, key, value)
    db.session.flush()
    record(actor, "update", MILESTONE, milestone.id, firm_id=project.firm_id,
           summary=f"项目 {project.name} 修改{milestone.kind_label}：{milestone.title}",
           before=before, after=snapshot(milestone, MILESTONE_FIELDS))
    _accept(actor, project, milestone)
    return milestone


def delete_milestone(actor, milestone: ProjectMilestone) -> None:
    project = milestone.project
    record(actor, "delete", MILESTONE, milestone.id, firm_id=project.firm_id,
           summary=f"项目 {project.name} 删除{milestone.kind_label}：{milestone.title}",
           before=snapshot(milestone, MILESTONE_FIELDS))
    project.milestones.remove(milestone)
    db.session.flush()


def tracking_summary(project: Project) -> str:
    """One line for lists and the 档案 page: steps done of planned, the mid-term and acceptance."""
    steps = project.milestones
    if not steps:
        return ""
    done = sum(1 for m in steps if m.done_on is not None)
    parts = [f"跟踪 {done}/{len(steps)} 项完成"]
    for kind, label in (("midterm", "中期检查"), ("acceptance", "验收")):
        last = [m for m in steps if m.kind == kind and m.done_on is not None]
        if last:
            m = last[-1]
            parts.append(f"{label}{m.done_on:%Y-%m}" + (f" {m.result_label}" if m.result else ""))
    return "，".join(parts)
