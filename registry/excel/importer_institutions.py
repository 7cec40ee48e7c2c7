"""R&D institutions (研发机构) and their level history (晋级记录).

An institution is keyed by (host firm, normalised name); the 级别 column is its current
level. The 晋级 sheet, matched to institutions by name, builds the history: an 'initial'
step at the first known level, then one 'promotion' or 'demotion' per row. History and
current level must agree: the last step's level is the institution's level.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from registry.excel.importer_base import (
    Context, changed_labels, check_lengths, chunks, fail, in_error, max_lengths, name_key,
    name_variants, same, seen_at, shown,
)
from registry.excel.importer_write import Writer
from registry.excel.importer_lists import firm_field
from registry.excel.specs import INSTITUTIONS
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED, Change, PlannedRow
from registry.extensions import db
from registry.institutions.models import RdInstitution, RdLevelChange
from registry.vocab import LEVEL_RANK, LEVELS, RD_TYPES

INST = RdInstitution.__table__
CHG = RdLevelChange.__table__
LIMITS = max_lengths(INST)
TEXT_FIELDS = {"inst_name": "name", "type": "type", "document_no": "document_no"}
INST_LABELS = {f.name: f.label for f in INSTITUTIONS.fields}
TYPES = {name_key(t): t for t in RD_TYPES}
UNKNOWN_START = "首次认定年份不详，按首次晋级年份记录"


def _kind(from_level: str | None, to_level: str) -> str:
    if from_level is None:
        return "initial"
    return "promotion" if LEVEL_RANK[to_level] < LEVEL_RANK[from_level] else "demotion"


def _step(kind, from_level, to_level, year, document_no=None, note=None) -> dict:
    return {"kind": kind, "from_level": from_level, "to_level": to_level, "year": year,
            "document_no": document_no, "note": note}


def plan_institutions(ctx: Context, inst_sheets, change_sheets) -> None:
    entries = _resolve_institutions(ctx, inst_sheets)
    steps = _resolve_changes(ctx, change_sheets)
    firm_ids = {e[2].id for e in entries if e[2] is not None}
    names = set()
    for prow, _sheet in steps:
        names |= name_variants(prow.parsed.values["inst_name"])
    stored = _load_institutions(firm_ids, names)
    by_key = {(r.firm_id, name_key(r.name)): r for r in stored.values()}
    by_name = defaultdict(list)
    for r in stored.values():
        by_name[name_key(r.name)].append(r)
    history = _load_history(stored)

    # institutions in the file, by key and by name
    seen, in_file = {}, defaultdict(list)
    for prow, sheet, firm, code in entries:
        values = prow.parsed.values
        nk = name_key(values.get("inst_name"))
        if code and nk:
            first = seen.get((code, nk))
            if first is not None:
                fail(prow, sheet, "inst_name", f"研发机构与{seen_at(first, sheet)}重复")
            else:
                seen[(code, nk)] = (sheet.name, prow.parsed.row)
                in_file[nk].append(prow)
        prow.extra["existing"] = by_key.get((firm.id, nk)) if firm is not None and nk else None

    # level-change rows, grouped by their institution (a file row or a stored record)
    groups: dict[int, list] = defaultdict(list)
    targets: dict[int, object] = {}
    for prow, sheet in steps:
        nk = name_key(prow.parsed.values["inst_name"])
        rows_named, stored_named = in_file.get(nk, []), by_name.get(nk, [])
        if len(rows_named) > 1 or (not rows_named and len(stored_named) > 1):
            fail(prow, sheet, "inst_name", "多家企业有同名研发机构，无法确定是哪一家")
            continue
        if rows_named:
            target = rows_named[0]
        elif stored_named:
            target = stored_named[0]
        else:
            fail(prow, sheet, "inst_name", f"研发机构“{prow.parsed.values['inst_name']}”不在本文件的"
                                           "研发机构表中，库中也没有")
            continue
        groups[id(target)].append((prow, sheet))
        targets[id(target)] = target

    for prow, sheet, firm, code in entries:
        if not in_error(prow):
            _classify(prow, sheet, firm, bool(groups.get(id(prow))))
    for key, rows in groups.items():
        _history(targets[key], rows, history)


def _resolve_institutions(ctx: Context, sheets) -> list[tuple]:
    out = []
    for sheet in sheets:
        for parsed in sheet.rows:
            prow = ctx.rows.start(parsed)
            prow.entity = "rd_institution"
            values = parsed.values
            firm, code = ctx.firms.resolve(prow, sheet, what="依托企业")
            if firm is None and code:
                fail(prow, sheet, firm_field(sheet), f"依托企业（统一社会信用代码{code}）不在库中，请先导入企业名录")
            if not values.get("inst_name"):
                fail(prow, sheet, "inst_name", "研发机构名称不能为空", value="")
            if not values.get("level"):
                fail(prow, sheet, "level", "级别不能为空", value="")
            check_lengths(prow, sheet, values, LIMITS, TEXT_FIELDS)
            prow.uscc = code
            prow.firm_id = firm.id if firm is not None else None
            prow.extra["title"] = values.get("inst_name") or ""
            out.append((prow, sheet, firm, code))
    return out


def _resolve_changes(ctx: Context, sheets) -> list[tuple]:
    out = []
    for sheet in sheets:
        for parsed in sheet.rows:
            prow = ctx.rows.start(parsed)
            prow.entity = "rd_level_change"
            values = parsed.values
            for field_name, label in (("inst_name", "研发机构名称"), ("to_level", "晋级后级别"),
                                      ("year", "晋级年份")):
                if not values.get(field_name):
                    fail(prow, sheet, field_name, f"{label}不能为空", value="")
            check_lengths(prow, sheet, values, {"document_no": 100}, {"document_no": "document_no"})
            prow.extra["title"] = values.get("inst_name") or ""
            if values.get("inst_name"):
                out.append((prow, sheet))
    return out


def _load_institutions(firm_ids: set[int], names: set[str]) -> dict:
    columns = (INST.c.id, INST.c.firm_id, INST.c.name, INST.c.type, INST.c.level,
               INST.c.recognised_year, INST.c.first_recognised_year, INST.c.document_no)
    found = {}
    for chunk in chunks(firm_ids):
        for row in db.session.execute(select(*columns).where(INST.c.firm_id.in_(chunk))):
            found[row.id] = row
    for chunk in chunks(names):
        for row in db.session.execute(select(*columns).where(INST.c.name.in_(chunk))):
            found[row.id] = row
    return found


def _load_history(stored: dict) -> dict[int, list]:
    history = defaultdict(list)
    for chunk in chunks(stored):
        stmt = select(CHG.c.id, CHG.c.institution_id, CHG.c.kind, CHG.c.from_level, CHG.c.to_level,
                      CHG.c.year).where(CHG.c.institution_id.in_(chunk)).order_by(CHG.c.year, CHG.c.id)
        for row in db.session.execute(stmt):
            history[row.institution_id].append(row)
    return history


def _type_of(prow, sheet) -> str | None:
    text = prow.parsed.values.get("type")
    return TYPES.get(name_key(text), text) if text else None


def _classify(prow: PlannedRow, sheet, firm, has_steps: bool) -> None:
    """New institution or changed fields; a level changed without a 晋级 row gets its step."""
    values = prow.parsed.values
    existing = prow.extra["existing"]
    level, year, kind = values["level"], values.get("recognised_year"), _type_of(prow, sheet)
    prow.extra["level"] = level
    if existing is None:
        if not kind:
            fail(prow, sheet, "type", "新增研发机构须填写类型", value="")
            return
        prow.status = NEW
        prow.writes = {"firm_id": firm.id, "name": values["inst_name"], "type": kind, "level": level,
                       "recognised_year": year, "first_recognised_year": None if has_steps else year,
                       "document_no": values.get("document_no"), "status": "active",
                       "closed_year": None, "note": None}
        if not has_steps and year:
            prow.extra["steps"] = [_step("initial", None, level, year, values.get("document_no"))]
        return
    prow.entity_id = existing.id
    prow.extra["existing_level"] = existing.level
    writes, before = {}, {}
    for field_name, column, value in (("type", "type", kind), ("level", "level", level),
                                      ("recognised_year", "recognised_year", year),
                                      ("document_no", "document_no", values.get("document_no"))):
        old = getattr(existing, column)
        if value is None or same(old, value):
            continue
        writes[column], before[column] = value, old
        old_shown, new_shown = (LEVELS.get(old), LEVELS[value]) if column == "level" else (old, value)
        prow.changes.append(Change(sheet.name, prow.parsed.row, prow.uscc, field_name,
                                   INST_LABELS[field_name], shown(old_shown), shown(new_shown)))
    if "level" in writes and not has_steps:
        if not year:
            fail(prow, sheet, "level", f"级别由{LEVELS.get(existing.level)}变为{LEVELS[level]}："
                                       "请填写认定年份，或在晋级记录表中补充晋级记录")
            return
        prow.extra["steps"] = [_step(_kind(existing.level, level), existing.level, level, year,
                                     values.get("document_no"))]
    if writes:
        prow.status, prow.writes, prow.extra["before"] = UPDATED, writes, before
    else:
        prow.status = UNCHANGED


def _history(target, rows: list, history: dict) -> None:
    """Classify one institution's 晋级 rows against its stored history."""
    if isinstance(target, PlannedRow):
        if target.status == ERROR and target.extra["existing"] is None:
            for prow, sheet in rows:
                fail(prow, sheet, "inst_name",
                     f"所属研发机构（“{target.parsed.sheet}”表第{target.parsed.row}行）有错误")
            return
        stored_id = target.extra["existing"].id if target.extra["existing"] is not None else None
        current = target.parsed.values.get("level")
    else:
        stored_id, current = target.id, target.level
    past = history.get(stored_id, []) if stored_id is not None else []
    known = {(h.year, h.to_level) for h in past}
    previous = past[-1].to_level if past else None
    rows = sorted(rows, key=lambda r: (r[0].parsed.values["year"], r[0].parsed.row))
    timeline = [(h.year, h.to_level, None) for h in past]
    for index, (prow, sheet) in enumerate(rows):
        values = prow.parsed.values
        prow.extra["target"] = target
        to_level, year, given_from = values["to_level"], values["year"], values.get("from_level")
        if (year, to_level) in known:
            previous = to_level
            continue  # UNCHANGED: this step is on record
        if given_from and previous and given_from != previous:
            fail(prow, sheet, "from_level", f"原级别{LEVELS[given_from]}与此前的级别{LEVELS[previous]}不一致")
        from_level = given_from or previous
        if from_level == to_level:
            fail(prow, sheet, "to_level", "晋级前后级别相同")
        if in_error(prow):
            continue
        steps = []
        if index == 0 and not past and from_level is not None:
            steps.append(_step("initial", None, from_level, year, note=UNKNOWN_START))
        steps.append(_step(_kind(from_level, to_level), from_level, to_level, year,
                           values.get("document_no"),
                           f"由{LEVELS[from_level]}晋级为{LEVELS[to_level]}" if from_level else None))
        prow.status, prow.extra["steps"] = NEW, steps
        timeline.append((year, to_level, (prow, sheet)))
        previous = to_level
    if not timeline:
        return
    timeline.sort(key=lambda t: t[0])
    last_year, last_level, last = timeline[-1]
    if isinstance(target, PlannedRow):
        last_prow, last_sheet = rows[-1]
        if current and last_level != current and not in_error(last_prow):
            fail(last_prow, last_sheet, "to_level", f"研发机构当前级别为{LEVELS[current]}，"
                                                    f"与最后一次晋级后的级别{LEVELS[last_level]}不一致")
    elif last is not None and last_level != target.level:
        # a 晋级 sheet on its own promotes a stored institution to its last step's level
        prow, sheet = last
        prow.extra["inst_update"] = {"level": last_level, "recognised_year": last_year}
        prow.extra["inst_before"] = {"level": target.level, "recognised_year": target.recognised_year}
        prow.changes.append(Change(sheet.name, prow.parsed.row, "", "level", INST_LABELS["level"],
                                   LEVELS.get(target.level), LEVELS[last_level]))


def apply_institutions(writer: Writer, rows: list[PlannedRow]) -> None:
    insts = [r for r in rows if r.entity == "rd_institution"]
    new = [r for r in insts if r.status == NEW]
    writer.insert_new(INST, new, ("firm_id", "name"), names=("name",))
    for r in new:
        writer.log("rd_institution", r.entity_id, r.firm_id,
                   f"新增研发机构 {r.writes['name']}（{LEVELS[r.writes['level']]}）", None, r.writes)
    changed = [r for r in insts if r.status == UPDATED]
    writer.update(INST, [(r.entity_id, r.writes) for r in changed])
    for r in changed:
        writer.log("rd_institution", r.entity_id, r.firm_id,
                   f"更新研发机构 {r.extra['title']}（{changed_labels(r)}）", r.extra["before"], r.writes)
    _apply_steps(writer, rows)


def _apply_steps(writer: Writer, rows: list[PlannedRow]) -> None:
    owners, steps, moved = [], [], []
    for r in rows:
        if r.status not in (NEW, UPDATED) or not r.extra.get("steps"):
            continue
        if r.entity == "rd_institution":
            inst_id, firm_id = r.entity_id, r.firm_id
        else:
            target = r.extra["target"]
            if isinstance(target, PlannedRow):
                inst_id, firm_id = target.entity_id, target.firm_id
            else:
                inst_id, firm_id = target.id, target.firm_id
            r.firm_id = firm_id
            if "inst_update" in r.extra:
                moved.append((inst_id, r))
        for step in r.extra["steps"]:
            steps.append(dict(step, institution_id=inst_id))
            owners.append((firm_id, r.extra["title"]))
    writer.update(INST, [(inst_id, r.extra["inst_update"]) for inst_id, r in moved])
    for inst_id, r in moved:
        writer.log("rd_institution", inst_id, r.firm_id, f"更新研发机构 {r.extra['title']}（级别、认定年份）",
                   r.extra["inst_before"], r.extra["inst_update"])
    if not steps:
        return
    writer.insert(CHG, steps)
    ids = {}
    for chunk in chunks({s["institution_id"] for s in steps}):
        stmt = select(CHG.c.id, CHG.c.institution_id, CHG.c.kind, CHG.c.to_level, CHG.c.year).where(
            CHG.c.institution_id.in_(chunk))
        for i, inst, kind, to_level, year in writer.session.execute(stmt):
            ids[(inst, kind, to_level, year)] = i
    for step, (firm_id, title) in zip(steps, owners):
        key = (step["institution_id"], step["kind"], step["to_level"], step["year"])
        label = {"initial": "认定", "promotion": "晋级", "demotion": "降级"}[step["kind"]]
        writer.log("rd_level_change", ids.get(key), firm_id,
                   f"新增{label}记录 {title} {step['year']}年 {LEVELS[step['to_level']]}", None, step)
