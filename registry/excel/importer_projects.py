"""Projects (科技计划项目) with their process tracking (过程跟踪), and awards (科技奖励).

A project is keyed by (firm, normalised name, start year), as the table's unique key is;
a tracked step by (project, type, 事项); an award by (firm, project, award, year). Every
value goes through the same checks the clerk's form uses (``projects.services.
clean_values``, ``awards.services.clean_values``), so a negative amount, an end year before
the start, an unknown grade or an award won before the firm existed is refused with the
same Chinese reason, on the cell it concerns. A tracked step finds its project in the
file's 科技计划项目 sheet or in the registry, by name (and firm, when the name is not
enough).

Unlike the 验收 form, an imported acceptance step does not close its project: in a
workbook the project row's 项目状态 / 验收年份 / 验收结果 columns say that themselves.
"""
from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

from sqlalchemy import select

from registry.awards import services as award_rules
from registry.awards.models import Award
from registry.errors import ValidationError
from registry.excel.importer_base import (
    FIRMS, Context, changed_labels, check_lengths, chunks, fail, in_error, max_lengths, name_key,
    name_variants, seen_at, shown, same,
)
from registry.excel.importer_lists import firm_field
from registry.excel.importer_write import Writer
from registry.excel.specs import SHEET_KINDS
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED, Change, PlannedRow
from registry.extensions import db
from registry.projects import services as project_rules
from registry.projects.models import Project, ProjectMilestone
from registry.vocab import ACCEPTANCE_RESULTS, AWARD_GRADES, LEVELS, MILESTONE_KINDS, PROJECT_ROLES, PROJECT_STATUSES

PROJECT = Project.__table__
STEP = ProjectMilestone.__table__
AWARD = Award.__table__
#: spec field → the service's value name (the spec's ``name`` is the firm's)
PROJECT_FIELDS = {"project_name": "name", "project_no": "project_no", "plan": "plan", "level": "level",
                  "role": "role", "start_year": "start_year", "end_year": "end_year", "funding": "funding",
                  "status": "status", "acceptance_year": "acceptance_year",
                  "acceptance_result": "acceptance_result", "note": "note"}
TO_SPEC = {v: k for k, v in PROJECT_FIELDS.items()}
STEP_FIELDS = ("kind", "title", "due_on", "done_on", "result", "note")
AWARD_FIELDS = ("project_name", "award", "level", "grade", "year", "firm_rank", "note")
SHOWN = {"level": LEVELS, "role": PROJECT_ROLES, "status": PROJECT_STATUSES,
         "acceptance_result": ACCEPTANCE_RESULTS, "result": ACCEPTANCE_RESULTS, "kind": MILESTONE_KINDS,
         "grade": AWARD_GRADES}


def _label(kind: str, field: str) -> str:
    return SHEET_KINDS[kind].field(field).label


def _shown(column: str, value):
    table = SHOWN.get(column)
    return table.get(value, value) if table and value is not None else shown(value)


def _firm(ctx: Context, prow: PlannedRow, sheet, founded: dict):
    """The row's stored firm (with its founding date), or None with the row in error."""
    firm, code = ctx.firms.resolve(prow, sheet, what="企业")
    if firm is None:
        if code:
            fail(prow, sheet, firm_field(sheet), f"企业（统一社会信用代码{code}）不在库中，请先导入企业名录")
        return None
    prow.uscc, prow.firm_id = firm.uscc, firm.id
    return SimpleNamespace(id=firm.id, name=firm.name, founded_on=founded.get(firm.id))


def _founding_dates(ctx: Context, sheets) -> dict:
    """Founding dates of the firms the rows name (the firm index loads ids and names only)."""
    ids = set()
    for sheet in sheets:
        for parsed in sheet.rows:
            code = parsed.values.get("uscc")
            row = ctx.firms.by_uscc.get(code) if type(code) is str else None
            if row is None and parsed.values.get("name"):
                hits = ctx.firms.by_name.get(name_key(parsed.values["name"]), ())
                ids |= set(hits)
            elif row is not None:
                ids.add(row.id)
    out = {}
    for chunk in chunks(ids):
        out.update(db.session.execute(select(FIRMS.c.id, FIRMS.c.founded_on).where(FIRMS.c.id.in_(chunk))).all())
    return out


def _refuse(prow, sheet, exc: ValidationError, to_spec=None) -> None:
    """The service's refusal on the cell it names (the spec's field for the service's)."""
    fail(prow, sheet, (to_spec or {}).get(exc.field, exc.field), exc.message)


def _compare(prow: PlannedRow, sheet, existing, clean: dict, columns, kind: str) -> None:
    """UPDATED with the changed columns (old → new), or UNCHANGED."""
    writes, before = {}, {}
    for column in columns:
        field = TO_SPEC.get(column, column) if kind == "projects" else column
        if field not in sheet.columns:
            continue  # a column the file does not have changes nothing
        old, new = getattr(existing, column), clean[column]
        if same(old, new):
            continue
        writes[column], before[column] = new, old
        prow.changes.append(Change(sheet.name, prow.parsed.row, prow.uscc, field, _label(kind, field),
                                   _shown(column, old), _shown(column, new)))
    if writes:
        prow.status, prow.writes, prow.extra["before"] = UPDATED, writes, before
    else:
        prow.status = UNCHANGED


# --- projects and their tracking ----------------------------------------------------

def plan_projects(ctx: Context, project_sheets, step_sheets) -> None:
    ctx.firms.load(parsed for sheet in step_sheets for parsed in sheet.rows)  # firms are optional there
    founded = _founding_dates(ctx, list(project_sheets) + list(step_sheets))
    entries = []
    for sheet in project_sheets:
        for parsed in sheet.rows:
            prow = ctx.rows.start(parsed)
            prow.entity = "project"
            prow.extra["title"] = parsed.values.get("project_name") or ""
            check_lengths(prow, sheet, parsed.values, LIMITS, {"project_name": "name", "project_no": "project_no",
                                                               "plan": "plan"})
            firm = _firm(ctx, prow, sheet, founded)
            entries.append((prow, sheet, firm))
    stored = _load_projects({f.id for _p, _s, f in entries if f is not None}, step_sheets)
    by_key = {(r.firm_id, name_key(r.name), r.start_year): r for r in stored.values()}
    seen, in_file = {}, defaultdict(list)
    for prow, sheet, firm in entries:
        if firm is None or in_error(prow):
            prow.status = ERROR
            continue
        values = {service: prow.parsed.values.get(spec) for spec, service in PROJECT_FIELDS.items()}
        try:
            clean = project_rules.clean_values(firm, values, today=ctx.today)
        except ValidationError as exc:
            _refuse(prow, sheet, exc, TO_SPEC)
            continue
        key = (firm.id, name_key(clean["name"]), clean["start_year"])
        first = seen.get(key)
        if first is not None:
            fail(prow, sheet, "project_name", f"项目与{seen_at(first, sheet)}重复（企业、项目名称、开始年份相同）")
            continue
        seen[key] = (sheet.name, prow.parsed.row)
        in_file[name_key(clean["name"])].append(prow)
        prow.extra["start_year"] = clean["start_year"]
        existing = by_key.get(key)
        if existing is None:
            prow.status, prow.writes = NEW, dict(clean, firm_id=firm.id)
        else:
            prow.entity_id = existing.id
            _compare(prow, sheet, existing, clean, [c for c in clean if c != "name"], "projects")
    _plan_steps(ctx, step_sheets, in_file, stored, founded)


LIMITS = max_lengths(PROJECT)


def _load_projects(firm_ids: set[int], step_sheets) -> dict:
    columns = [PROJECT.c.id, PROJECT.c.firm_id, PROJECT.c.name, *(PROJECT.c[c] for c in PROJECT_FIELDS.values()
                                                                   if c != "name")]
    found = {}
    for chunk in chunks(firm_ids):
        for row in db.session.execute(select(*columns).where(PROJECT.c.firm_id.in_(chunk))):
            found[row.id] = row
    names = set()
    for sheet in step_sheets:
        for parsed in sheet.rows:
            if parsed.values.get("project_name"):
                names |= name_variants(parsed.values["project_name"])
    for chunk in chunks(names):
        for row in db.session.execute(select(*columns).where(PROJECT.c.name.in_(chunk))):
            found[row.id] = row
    return found


def _target(prow, sheet, firm, in_file: dict, stored_by_name: dict):
    """The project a tracked step belongs to: a row of the file, or a stored project."""
    nk = name_key(prow.parsed.values["project_name"])
    rows = in_file.get(nk, [])
    records = stored_by_name.get(nk, [])
    if firm is not None:
        rows = [r for r in rows if r.firm_id == firm.id]
        records = [r for r in records if r.firm_id == firm.id]
    if rows:
        candidates = rows
    else:
        candidates = records
    if len(candidates) > 1:
        fail(prow, sheet, "project_name", "多个项目同名（不同企业或开始年份），无法确定是哪一个："
                                          "请填写企业名称或统一社会信用代码")
        return None
    if not candidates:
        fail(prow, sheet, "project_name", f"项目“{prow.parsed.values['project_name']}”不在本文件的"
                                          "科技计划项目表中，库中也没有")
        return None
    return candidates[0]


def _plan_steps(ctx: Context, sheets, in_file: dict, stored: dict, founded: dict) -> None:
    stored_by_name = defaultdict(list)
    for r in stored.values():
        stored_by_name[name_key(r.name)].append(r)
    steps = _load_steps(list(stored))
    # a file row in error still blocks its steps: collect the names that had an error row
    seen = {}
    for sheet in sheets:
        for parsed in sheet.rows:
            prow = ctx.rows.start(parsed)
            prow.entity = "project_milestone"
            prow.extra["title"] = parsed.values.get("project_name") or ""
            check_lengths(prow, sheet, parsed.values, {"title": 200}, {"title": "title"})
            if not parsed.values.get("project_name"):
                continue
            firm = None
            if parsed.values.get("uscc") is not None or parsed.values.get("name"):
                firm = _firm(ctx, prow, sheet, founded)
                if firm is None:
                    continue
            target = _target(prow, sheet, firm, in_file, stored_by_name)
            if target is None or in_error(prow):
                continue
            if isinstance(target, PlannedRow):
                start, stored_id, prow.firm_id = target.extra["start_year"], target.entity_id, target.firm_id
                if in_error(target):
                    fail(prow, sheet, "project_name",
                         f"所属项目（“{target.parsed.sheet}”表第{target.parsed.row}行）有错误")
                    continue
            else:
                start, stored_id, prow.firm_id = target.start_year, target.id, target.firm_id
            prow.uscc = prow.uscc or ""
            prow.extra["target"] = target
            try:
                clean = project_rules._milestone_values(SimpleNamespace(start_year=start), {
                    k: prow.parsed.values.get(k) for k in STEP_FIELDS}, ctx.today)
            except ValidationError as exc:
                _refuse(prow, sheet, exc)
                continue
            key = (id(target), clean["kind"], name_key(clean["title"]))
            first = seen.get(key)
            if first is not None:
                fail(prow, sheet, "title", f"跟踪记录与{seen_at(first, sheet)}重复（项目、类型、事项相同）")
                continue
            seen[key] = (sheet.name, prow.parsed.row)
            existing = steps.get((stored_id, clean["kind"], name_key(clean["title"]))) if stored_id else None
            if existing is None:
                prow.status, prow.writes = NEW, clean
            else:
                prow.entity_id = existing.id
                _compare(prow, sheet, existing, clean, ("due_on", "done_on", "result", "note"), "milestones")


def _load_steps(project_ids: list[int]) -> dict:
    found = {}
    for chunk in chunks(project_ids):
        stmt = select(STEP.c.id, STEP.c.project_id, STEP.c.kind, STEP.c.title, STEP.c.due_on, STEP.c.done_on,
                      STEP.c.result, STEP.c.note).where(STEP.c.project_id.in_(chunk))
        for row in db.session.execute(stmt):
            found[(row.project_id, row.kind, name_key(row.title))] = row
    return found


def apply_projects(writer: Writer, rows: list[PlannedRow]) -> None:
    projects = [r for r in rows if r.entity == "project"]
    new = [r for r in projects if r.status == NEW]
    writer.insert_new(PROJECT, new, ("firm_id", "name", "start_year"), names=("name",))
    for r in new:
        w = r.writes
        writer.log("project", r.entity_id, r.firm_id,
                   f"新增科技计划项目 {w['name']}（{LEVELS[w['level']]}，{w['start_year']}年）", None, w)
    changed = [r for r in projects if r.status == UPDATED]
    writer.update(PROJECT, [(r.entity_id, r.writes) for r in changed])
    for r in changed:
        writer.log("project", r.entity_id, r.firm_id, f"更新科技计划项目 {r.extra['title']}（{changed_labels(r)}）",
                   r.extra["before"], r.writes)
    _apply_steps(writer, rows)


def _apply_steps(writer: Writer, rows: list[PlannedRow]) -> None:
    steps = [r for r in rows if r.entity == "project_milestone"]
    new = [r for r in steps if r.status == NEW]
    for r in new:
        target = r.extra["target"]
        r.writes["project_id"] = target.entity_id if isinstance(target, PlannedRow) else target.id
    if new:
        writer.insert(STEP, [r.writes for r in new])
        ids = {}
        for chunk in chunks({r.writes["project_id"] for r in new}):
            stmt = select(STEP.c.id, STEP.c.project_id, STEP.c.kind, STEP.c.title).where(STEP.c.project_id.in_(chunk))
            for i, p, k, t in writer.session.execute(stmt):
                ids[(p, k, name_key(t))] = i
        for r in new:
            w = r.writes
            r.entity_id = ids.get((w["project_id"], w["kind"], name_key(w["title"])))
            writer.log("project_milestone", r.entity_id, r.firm_id,
                       f"项目 {r.extra['title']} 新增{MILESTONE_KINDS[w['kind']]}：{w['title']}", None, w)
    changed = [r for r in steps if r.status == UPDATED]
    writer.update(STEP, [(r.entity_id, r.writes) for r in changed])
    for r in changed:
        writer.log("project_milestone", r.entity_id, r.firm_id,
                   f"项目 {r.extra['title']} 更新跟踪记录（{changed_labels(r)}）", r.extra["before"], r.writes)


# --- awards ---------------------------------------------------------------------------

def plan_awards(ctx: Context, sheets) -> None:
    founded = _founding_dates(ctx, sheets)
    entries = []
    for sheet in sheets:
        for parsed in sheet.rows:
            prow = ctx.rows.start(parsed)
            prow.entity = "award"
            prow.extra["title"] = parsed.values.get("project_name") or ""
            check_lengths(prow, sheet, parsed.values, AWARD_LIMITS, {"project_name": "project_name", "award": "award"})
            entries.append((prow, sheet, _firm(ctx, prow, sheet, founded)))
    stored = {}
    for chunk in chunks({f.id for _p, _s, f in entries if f is not None}):
        stmt = select(AWARD.c.id, AWARD.c.firm_id, *(AWARD.c[c] for c in AWARD_FIELDS)).where(AWARD.c.firm_id.in_(chunk))
        for row in db.session.execute(stmt):
            stored[(row.firm_id, name_key(row.project_name), name_key(row.award), row.year)] = row
    seen = {}
    for prow, sheet, firm in entries:
        if firm is None or in_error(prow):
            prow.status = ERROR
            continue
        try:
            clean = award_rules.clean_values(firm, {k: prow.parsed.values.get(k) for k in AWARD_FIELDS},
                                             today=ctx.today)
        except ValidationError as exc:
            _refuse(prow, sheet, exc)
            continue
        key = (firm.id, name_key(clean["project_name"]), name_key(clean["award"]), clean["year"])
        first = seen.get(key)
        if first is not None:
            fail(prow, sheet, "project_name", f"奖励与{seen_at(first, sheet)}重复（企业、项目、奖项、年份相同）")
            continue
        seen[key] = (sheet.name, prow.parsed.row)
        existing = stored.get(key)
        if existing is None:
            prow.status, prow.writes = NEW, dict(clean, firm_id=firm.id)
        else:
            prow.entity_id = existing.id
            _compare(prow, sheet, existing, clean, ("level", "grade", "firm_rank", "note"), "awards")


AWARD_LIMITS = max_lengths(AWARD)


def apply_awards(writer: Writer, rows: list[PlannedRow]) -> None:
    awards = [r for r in rows if r.entity == "award"]
    new = [r for r in awards if r.status == NEW]
    writer.insert_new(AWARD, new, ("firm_id", "project_name", "award", "year"),
                      names=("project_name", "award"))
    for r in new:
        w = r.writes
        writer.log("award", r.entity_id, r.firm_id,
                   f"新增科技奖励 {w['project_name']}（{w['year']}年{w['award']}{AWARD_GRADES[w['grade']]}）",
                   None, w)
    changed = [r for r in awards if r.status == UPDATED]
    writer.update(AWARD, [(r.entity_id, r.writes) for r in changed])
    for r in changed:
        writer.log("award", r.entity_id, r.firm_id, f"更新科技奖励 {r.extra['title']}（{changed_labels(r)}）",
                   r.extra["before"], r.writes)
