"""The firm roster (企业名录): new firms, changed fields, renames.

A roster row is matched by its USCC; without one, by its exact (normalised) name or a
former name, and then it may only update that firm. A blank cell means "not given" and
never clears what is stored. A changed name is a rename: the old name goes to the firm's
name history, where searches and later name-only imports still find it.
"""
from __future__ import annotations

from sqlalchemy import select

from registry.excel.importer_base import (
    CHUNK, FIRMS, FIRM_NAMES, Context, NewFirm, changed_labels, check_lengths, chunks, fail,
    in_error, max_lengths, money, same, seen_at, shown,
)
from registry.excel.importer_match import FirmIndex
from registry.excel.importer_write import Writer
from registry.excel.specs import FIRMS as FIRM_SPEC
from registry.excel.types import NEW, UNCHANGED, UPDATED, Change, PlannedRow

# spec field → firm column, in the order changes are listed
COLUMN_OF = {"name": "name", "town": "town_id", "industry": "industry_id",
             "founded_on": "founded_on", "registered_capital": "registered_capital",
             "legal_representative": "legal_representative", "contact_person": "contact_person",
             "phone": "phone", "email": "email", "address": "address", "above_scale": "above_scale"}
TEXT_FIELDS = {f: c for f, c in COLUMN_OF.items() if f not in ("town", "industry")}
LIMITS = max_lengths(FIRMS)
LABELS = {f.name: f.label for f in FIRM_SPEC.fields}


def town_of(ctx: Context, prow: PlannedRow, sheet) -> int | None:
    """The row's town (or its group row's) as an id; an unknown name is a row error."""
    name = prow.parsed.values.get("town") or prow.parsed.context.get("town")
    return _reference_id(prow, sheet, "town", name, ctx.ref.town, "未知的镇（街道）")


def industry_of(ctx: Context, prow: PlannedRow, sheet) -> int | None:
    name = prow.parsed.values.get("industry")
    return _reference_id(prow, sheet, "industry", name, ctx.ref.industry, "未知的所属产业")


def _reference_id(prow: PlannedRow, sheet, field: str, name, lookup, unknown: str) -> int | None:
    if not name:
        return None
    found = lookup(name)
    if found is None:
        fail(prow, sheet, field, f"{unknown}：{name}", value=name)
    return found


def plan_roster(ctx: Context, sheets) -> None:
    """Classify roster rows, CHUNK rows at a time: one query finds the chunk's stored
    firms, which are let go once the chunk is classified."""
    index: FirmIndex = ctx.firms
    index.load((parsed for sheet in sheets for parsed in sheet.rows), codes=False)
    seen: dict[str, tuple[str, int]] = {}
    for sheet in sheets:
        rows = sheet.rows
        for start in range(0, len(rows), CHUNK):
            part = rows[start:start + CHUNK]
            codes = {c for c in (parsed.values.get("uscc") for parsed in part) if type(c) is str}
            index.load_codes(codes)
            _plan_rows(ctx, sheet, part, seen)
            index.forget_codes(codes)


def _plan_rows(ctx: Context, sheet, rows, seen: dict) -> None:
    index: FirmIndex = ctx.firms
    today = ctx.today
    for parsed in rows:
        prow = ctx.rows.start(parsed)
        prow.entity = "firm"
        values = parsed.values
        name = values.get("name")
        if not name:
            fail(prow, sheet, "name", "企业名称不能为空", value="")
        firm, code = index.resolve(prow, sheet)
        if firm is None and code and values.get("uscc") is None:
            fail(prow, sheet, "uscc", "新增企业须填写统一社会信用代码", value="")
        elif code:
            first = seen.get(code)
            if first is not None:
                fail(prow, sheet, "uscc", f"统一社会信用代码与{seen_at(first, sheet)}重复", value=code)
            else:
                seen[code] = (sheet.name, parsed.row)
        town_id = town_of(ctx, prow, sheet)
        industry_id = industry_of(ctx, prow, sheet)
        founded = values.get("founded_on")
        if founded is not None and founded > today:
            fail(prow, sheet, "founded_on", f"成立日期 {founded.isoformat()} 晚于今天")
        capital = values.get("registered_capital")
        if capital is not None and capital < 0:
            fail(prow, sheet, "registered_capital", f"注册资本不能为负数：{capital}")
        check_lengths(prow, sheet, values, LIMITS, TEXT_FIELDS)
        if in_error(prow):
            continue
        prow.uscc = code
        row = (name, town_id, industry_id, founded, money(capital), values.get("legal_representative"),
               values.get("contact_person"), values.get("phone"), values.get("email"),
               values.get("address"), values.get("above_scale"))
        if firm is None:
            prow.status = NEW
            prow.new_firm = index.add_pending(NewFirm(code, *row))
            continue
        prow.firm_id = prow.entity_id = firm.id
        if values.get("uscc") is None:
            row = (None,) + row[1:]  # matched by (perhaps a former) name: nothing to rename
        _compare(ctx, prow, firm, row, sheet)


#: (spec field, firm column, position in FIRM_COLUMNS) in the order of the roster's values
COMPARED = tuple((f, c, 2 + n) for n, (f, c) in enumerate(COLUMN_OF.items()))


def _compare(ctx: Context, prow: PlannedRow, firm, row: tuple, sheet) -> None:
    """The stored firm (a FIRM_COLUMNS row) against the file's values, field by field."""
    writes = None
    for (field_name, column, position), value in zip(COMPARED, row):
        if value is None:
            continue
        old = firm[position]
        if old == value or same(old, value):
            continue
        if writes is None:
            writes, before = {}, {}
        writes[column], before[column] = value, old
        if column == "town_id":
            old, value = ctx.ref.town_name.get(old), ctx.ref.town_name[value]
        elif column == "industry_id":
            old, value = ctx.ref.industry_name.get(old), ctx.ref.industry_name[value]
        prow.changes.append(Change(sheet.name, prow.parsed.row, prow.uscc, field_name,
                                   LABELS[field_name], shown(old), shown(value)))
    if writes:
        prow.status = UPDATED
        prow.writes = writes
        prow.before = tuple(before.values())  # in the order of ``writes``: a tuple is small
        if firm.name != prow.parsed.values.get("name"):
            prow.title = firm.name  # matched by a former name; else the row's name says it
        if "name" in writes:
            prow.extra["rename_from"] = firm.name
            prow.extra["renamed_on"] = ctx.today
    else:
        prow.status = UNCHANGED


def apply_firm_updates(writer: Writer, rows: list[PlannedRow]) -> None:
    """Changed roster rows: one executemany per set of changed columns, renames kept."""
    updates = [r for r in rows if r.entity == "firm" and r.status == UPDATED]
    if not updates:
        return
    writer.update(FIRMS, ((r.entity_id, r.writes) for r in updates), touch=True)
    renamed = [r for r in updates if r._extra and "rename_from" in r._extra]
    if renamed:
        have = set()
        ids = [r.entity_id for r in renamed]
        for chunk in chunks(ids):
            have.update(writer.session.execute(
                select(FIRM_NAMES.c.firm_id, FIRM_NAMES.c.name).where(FIRM_NAMES.c.firm_id.in_(chunk))))
        names = []
        for r in renamed:
            key = (r.entity_id, r.extra["rename_from"])
            if key not in have:
                have.add(key)
                names.append({"firm_id": r.entity_id, "name": r.extra["rename_from"], "changed_on": r.extra["renamed_on"]})
        writer.insert(FIRM_NAMES, names)
    for r in updates:
        title = r.writes.get("name") or r.title or r.parsed.values.get("name")
        if r._extra and "rename_from" in r._extra:
            summary = f"更新企业 {title}（更名，原名 {r.extra['rename_from']}；{changed_labels(r)}）"
        else:
            summary = f"更新企业 {title}（{changed_labels(r)}）"
        writer.log("firm", r.entity_id, r.entity_id, summary, dict(zip(r.writes, r.before)), r.writes)
