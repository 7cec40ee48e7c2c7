"""The importer: classify every parsed row, then write the plan all-or-nothing.

``plan_import`` turns a ParsedWorkbook into an ImportPlan: each row 新增 / 更新 / 未变 /
错误, the exact fields an update changes (old → new), and for each error the cell and a
reason in plain Chinese. It only reads the database, with a few set-based queries per
chunk of rows, so a dry run and the preview cost the same as the real thing minus the
writes.

``apply_plan`` writes the plan in the caller's transaction (flush, never commit) with
Core bulk statements and one audit entry per record created or changed. A plan with
errors writes nothing unless the user asked for the valid rows only; the caller commits
once, or rolls back, so an import is never half done.

Each kind has its module: importer_firms (roster), importer_lists (recognition lists and
revocations), importer_institutions (R&D institutions and 晋级), importer_teams (teams
and members), importer_annual (年度数据); importer_base holds what they share,
importer_match finds firms, importer_write writes.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from registry.errors import RegistryError
from registry.excel.importer_annual import apply_annual, plan_annual
from registry.excel.importer_base import Context, fail
from registry.excel.importer_firms import apply_firm_updates, plan_roster
from registry.excel.importer_finance import apply_vouchers, plan_vouchers
from registry.excel.importer_institutions import apply_institutions, plan_institutions
from registry.excel.importer_lists import apply_lists, plan_lists
from registry.excel.importer_loans import apply_loans, plan_loans
from registry.excel.importer_match import FirmIndex
from registry.excel.importer_projects import apply_awards, apply_projects, plan_awards, plan_projects
from registry.excel.importer_teams import apply_teams, plan_teams
from registry.excel.importer_write import Writer
from registry.excel.specs import FIRM_ROWS, SHEET_KINDS
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED, ImportPlan, ParsedWorkbook
from registry.extensions import db
from registry.timeutil import utcnow


def plan_import(workbook: ParsedWorkbook, *, today: date | None = None) -> ImportPlan:
    """Classify every row of ``workbook`` against the registry; nothing is written."""
    ctx = Context(workbook, today)
    sheets = defaultdict(list)
    for sheet in workbook.sheets:
        sheets[sheet.sheet_kind].append(sheet)
    ctx.firms = FirmIndex(full=bool(sheets["firms"]))
    if sheets["firms"]:
        plan_roster(ctx, sheets["firms"])  # loads its firms chunk by chunk
    ctx.firms.load(row for sheet in workbook.sheets if sheet.sheet_kind in FIRM_ROWS
                   and sheet.sheet_kind != "firms" for row in sheet.rows)
    if sheets["recognitions"] or sheets["revocations"]:
        plan_lists(ctx, sheets["recognitions"], sheets["revocations"])
    if sheets["institutions"] or sheets["level_changes"]:
        plan_institutions(ctx, sheets["institutions"], sheets["level_changes"])
    if sheets["teams"] or sheets["members"]:
        plan_teams(ctx, sheets["teams"], sheets["members"])
    if sheets["annual"]:
        plan_annual(ctx, sheets["annual"])
    if sheets["projects"] or sheets["milestones"]:
        plan_projects(ctx, sheets["projects"], sheets["milestones"])
    if sheets["awards"]:
        plan_awards(ctx, sheets["awards"])
    if sheets["vouchers"]:
        plan_vouchers(ctx, sheets["vouchers"])
    if sheets["loans"]:
        plan_loans(ctx, sheets["loans"])
    for sheet in workbook.sheets:
        if sheet.sheet_kind not in SHEET_KINDS:
            for parsed in sheet.rows:
                fail(ctx.rows.start(parsed), sheet, None, f"无法识别的工作表类型：{sheet.sheet_kind}")
    return ImportPlan(workbook=workbook, rows=_in_workbook_order(workbook, ctx.rows.planned))


def _in_workbook_order(workbook: ParsedWorkbook, planned: list) -> list:
    """The planned rows in the order of the workbook's sheets and rows. The planners
    mostly keep that order already (a roster always): then the list is returned as it is,
    without a 100,000-entry sort key."""
    position = {sheet.name: n for n, sheet in enumerate(workbook.sheets)}
    previous = (-1, -1)
    for p in planned:
        key = (position.get(p.parsed.sheet, -1), p.parsed.row)
        if key < previous:
            break
        previous = key
    else:
        return planned
    order = {id(row): n for n, row in enumerate(workbook.all_rows())}
    return sorted(planned, key=lambda p: order[id(p.parsed)])


def error_count(plan: ImportPlan) -> int:
    """Rows in error plus sheet-level problems: what blocks an all-or-nothing import."""
    return sum(1 for r in plan.rows if r.status == ERROR) + len(plan.workbook.errors)


def apply_plan(plan: ImportPlan, actor, batch, *, valid_only: bool = False) -> dict:
    """Write the plan's new and changed rows, audit them and close the batch.

    Raises RegistryError, writing nothing, when rows are in error and ``valid_only`` is
    false. Flushes but never commits: the caller's single commit makes it all visible.
    """
    if batch.status != "preview":
        raise RegistryError("该导入批次已处理，不能再次导入。")
    errors = error_count(plan)
    if errors and not valid_only:
        rows = plan.counts()[ERROR]
        problems = [f"{rows}行错误"] if rows else []
        if plan.workbook.errors:
            problems.append(f"{len(plan.workbook.errors)}处工作表问题")
        raise RegistryError(f"文件中有{'、'.join(problems)}，未导入任何数据。请修正后重新上传，"
                            "或选择“仅导入无误的行”。")
    session = db.session
    session.flush()
    writer = Writer(actor, batch)
    rows = [r for r in plan.rows if r.status in (NEW, UPDATED)]
    if rows:
        writer.create_firms(rows)
        apply_firm_updates(writer, rows)
        apply_lists(writer, rows)
        apply_institutions(writer, rows)
        apply_teams(writer, rows)
        apply_annual(writer, rows)
        apply_projects(writer, rows)
        apply_awards(writer, rows)
        apply_vouchers(writer, rows)
        apply_loans(writer, rows)
        writer.refresh_holdings()
    writer.flush_audit()
    audited = writer.written
    if rows:
        session.expire_all()  # the ORM's copies of the rows just written are stale
    counts = plan.counts()
    batch.status = "applied"
    batch.applied_at = utcnow()
    batch.valid_only = bool(valid_only)
    batch.total_rows = len(plan.rows)
    batch.created_count = counts[NEW]
    batch.updated_count = counts[UPDATED]
    batch.unchanged_count = counts[UNCHANGED]
    batch.error_count = counts[ERROR]
    batch.content = None
    session.flush()
    return {"batch_id": batch.id, "counts": counts, "firms_created": len(writer.firm_ids),
            "audit_entries": audited, "skipped_errors": errors if valid_only else 0}
