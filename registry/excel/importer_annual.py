"""Annual data (年度数据): a firm's figures for one year, keyed by (firm, year).

Like the lists, an annual workbook may carry firms the roster lacks; a row with a valid
USCC and a name creates its firm. Figures that cannot both be true are row errors
(研发费用 above 营业收入, more 科技人员 than 职工), checked on the values the record
will hold after the import (a blank cell keeps the stored figure).
"""
from __future__ import annotations

from sqlalchemy import select

from registry.excel.importer_base import (
    Context, changed_labels, chunks, fail, in_error, money, new_firm_columns, same, seen_at,
    shown,
)
from registry.excel.importer_write import Writer
from registry.excel.importer_lists import firm_field
from registry.excel.specs import ANNUAL
from registry.excel.types import NEW, UNCHANGED, UPDATED, Change, PlannedRow
from registry.extensions import db
from registry.firms.models import AnnualData

AD = AnnualData.__table__
FIELDS = ("revenue", "rd_expense", "total_cost", "high_tech_revenue", "export_value", "employees",
          "rd_staff", "tech_staff", "invention_patents", "utility_patents", "design_patents",
          "software_copyrights")
MONEY = frozenset(("revenue", "rd_expense", "total_cost", "high_tech_revenue", "export_value"))
LABELS = {f.name: f.label for f in ANNUAL.fields}
SHORT = {"revenue": "营业收入", "rd_expense": "研发费用", "high_tech_revenue": "高新技术产品收入",
         "employees": "职工人数", "tech_staff": "科技人员数"}
CHECKS = (("rd_expense", "revenue"), ("high_tech_revenue", "revenue"), ("tech_staff", "employees"))
MAX_MONEY = 10 ** 14


def plan_annual(ctx: Context, sheets) -> None:
    rows = []
    for sheet in sheets:
        for parsed in sheet.rows:
            prow = ctx.rows.start(parsed)
            prow.entity = "annual_data"
            firm, code = ctx.firms.resolve(prow, sheet)
            year = ctx.year_of(prow, sheet)
            prow.uscc = code
            prow.extra["title"] = firm.name if firm is not None else (parsed.values.get("name") or code)
            rows.append((prow, sheet, firm, code, year))
    stored = _load({r[2].id for r in rows if r[2] is not None}, {r[4] for r in rows if r[4]})
    seen = {}
    for prow, sheet, firm, code, year in rows:
        values = prow.parsed.values
        if code and year:
            first = seen.get((code, year))
            if first is not None:
                fail(prow, sheet, firm_field(sheet), f"该企业{year}年度的数据与{seen_at(first, sheet)}重复")
            else:
                seen[(code, year)] = (sheet.name, prow.parsed.row)
        if firm is None and code and not values.get("name") and code not in ctx.firms.pending:
            fail(prow, sheet, "name", f"库中没有统一社会信用代码为{code}的企业；新增企业须填写企业名称",
                 value="")
        existing = stored.get((firm.id, year)) if firm is not None else None
        new = {}
        for field_name in FIELDS:
            value = values.get(field_name)
            if value is not None and field_name in MONEY:
                value = money(value)
                if value >= MAX_MONEY:
                    fail(prow, sheet, field_name, f"{LABELS[field_name]}超出范围：{value}")
            new[field_name] = value
        _plausible(prow, sheet, new, existing)
        if in_error(prow) or not (code and year):
            continue
        if firm is None:
            prow.new_firm = ctx.firms.pending.get(code) or ctx.firms.add_pending(
                new_firm_columns(code, values["name"]))
        else:
            prow.firm_id = firm.id
        prow.extra["year"] = year
        if existing is None:
            prow.status = NEW
            prow.writes = dict(new, year=year, status="accepted", submitted_at=None, reviewed_at=None,
                               reviewed_by_id=None, review_comment=None)
            continue
        prow.entity_id = existing.id
        writes, before = {}, {}
        for field_name, value in new.items():
            old = getattr(existing, field_name)
            if value is None or same(old, value):
                continue
            writes[field_name], before[field_name] = value, old
            prow.changes.append(Change(sheet.name, prow.parsed.row, code, field_name, LABELS[field_name],
                                       shown(old), shown(value)))
        if writes:
            prow.status, prow.writes, prow.extra["before"] = UPDATED, writes, before
        else:
            prow.status = UNCHANGED


def _plausible(prow: PlannedRow, sheet, new: dict, existing) -> None:
    """Figures as they will be stored (given, else kept) must not contradict each other."""
    def value(name):
        given = new.get(name)
        return given if given is not None or existing is None else getattr(existing, name)

    for part, whole in CHECKS:
        a, b = value(part), value(whole)
        if a is not None and b is not None and a > b:
            fail(prow, sheet, part, f"{SHORT[part]}（{shown(a)}）大于{SHORT[whole]}（{shown(b)}），请核实")


def _load(firm_ids: set[int], years: set[int]) -> dict:
    found = {}
    if not years:
        return found
    columns = [AD.c.id, AD.c.firm_id, AD.c.year] + [AD.c[f] for f in FIELDS]
    for chunk in chunks(firm_ids):
        for row in db.session.execute(select(*columns).where(AD.c.firm_id.in_(chunk), AD.c.year.in_(years))):
            found[(row.firm_id, row.year)] = row
    return found


def apply_annual(writer: Writer, rows: list[PlannedRow]) -> None:
    rows = [r for r in rows if r.entity == "annual_data"]
    new = [r for r in rows if r.status == NEW]
    if new:
        inserts = [dict(r.writes, firm_id=writer.firm_id(r), import_batch_id=writer.batch_id,
                        updated_at=writer.now, version=1) for r in new]
        writer.insert(AD, inserts)
        stmt = select(AD.c.id, AD.c.firm_id, AD.c.year).where(AD.c.import_batch_id == writer.batch_id)
        ids = {(f, y): i for i, f, y in writer.session.execute(stmt)}
        for r, columns in zip(new, inserts):
            after = {k: columns[k] for k in ("year", *FIELDS) if columns[k] is not None}
            writer.log("annual_data", ids[(columns["firm_id"], columns["year"])], columns["firm_id"],
                       f"新增年度数据 {r.extra['title']} {r.extra['year']}年", None, after)
    changed = [r for r in rows if r.status == UPDATED]
    writer.update(AD, [(r.entity_id, dict(r.writes, import_batch_id=writer.batch_id)) for r in changed],
                  touch=True)
    for r in changed:
        writer.log("annual_data", r.entity_id, r.firm_id,
                   f"更新年度数据 {r.extra['title']} {r.extra['year']}年（{changed_labels(r)}）",
                   r.extra["before"], r.writes)
