"""The import use cases, shared by the web pages and the CLI. No request in here; the
caller commits once (or rolls back).

A batch keeps the uploaded bytes in the database while it is a preview, so the preview
and the confirmation can be served by any worker: ``load_plan`` re-reads the bytes and
re-plans against the registry as it is now. Within one transaction (the CLI, the
benchmark) the plan made at upload is reused instead of being read a second time.
"""
from __future__ import annotations

import hashlib
from datetime import date

from flask import current_app
from sqlalchemy import select

from registry.errors import ConflictError, NotFound, RegistryError
from registry.excel.importer import apply_plan, plan_import
from registry.excel.models import ImportBatch, ImportMapping
from registry.excel.reader import read_workbook
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED, ImportPlan, ParsedWorkbook
from registry.excel.cells import visible_name
from registry.excel.container import Limits
from registry.excel.values import normalise_header
from registry.extensions import db
from registry.firms.models import Industry, Town
from registry.recognitions.models import Programme
from registry.timeutil import to_local, utcnow
from registry.vocab import IMPORT_KINDS

MAX_ID = 2**31 - 1
_STAGED = "excel.staged_plan"  # session.info key: (batch, transaction, mapping, plan)


def today() -> date:
    """The bureau's today (Beijing), whatever the server's time zone."""
    return to_local(utcnow()).date()


def _read(data: bytes, filename: str, *, kind=None, programme=None, year=None,
          mapping=None, progress=None) -> ParsedWorkbook:
    towns = db.session.scalars(select(Town.name)).all()
    industries = db.session.scalars(select(Industry.name)).all()
    return read_workbook(data, filename, kind=kind, programme=programme, year=year,
                         mapping=flat_mapping(mapping), towns=towns, industries=industries,
                         today=today(), limits=Limits.from_config(current_app.config),
                         progress=progress)


def flat_mapping(mapping: dict | None) -> dict[str, str]:
    """The reader's form of a column map: header → field ("" = ignore).

    The preview keeps one map per sheet ({sheet: {header: field}}); headers rarely
    collide across the sheets of one workbook, so the maps are merged.
    """
    if not mapping:
        return {}
    flat = {}
    for key, value in mapping.items():
        if isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def _saved_mappings(workbook: ParsedWorkbook) -> dict[str, dict]:
    """Saved maps for sheets whose headers were not all recognised, by sheet name."""
    found = {}
    for sheet in workbook.sheets:
        if sheet.unmapped:
            saved = find_mapping(sheet.sheet_kind, sheet.headers)
            if saved:
                found[sheet.name] = saved
    return found


def stage_upload(actor, data: bytes, filename: str, *, kind=None, programme=None, year=None,
                 mapping=None) -> tuple[ImportBatch, ImportPlan]:
    """Read and plan an upload, and keep it as a 'preview' batch (bytes included).

    FileRefused (a RegistryError) propagates and nothing is stored. A saved column map
    for a sheet of the same shape is applied on the way.
    """
    batch = new_batch(actor, data, filename, kind=kind, programme=programme, year=year,
                      mapping=mapping)
    plan = plan_batch(batch, data)
    db.session.add(batch)
    db.session.flush()
    db.session.info[_STAGED] = (batch, db.session().get_transaction(), batch.options["mapping"], plan)
    return batch, plan


def new_batch(actor, data: bytes, filename: str, *, kind=None, programme=None, year=None,
              mapping=None) -> ImportBatch:
    """A 'preview' batch holding the upload, not yet read (not added to the session).

    Until it is read its kind is the one asked for, else 企业名录 as a placeholder; a
    background job's page says the kind is still being recognised.
    """
    filename = visible_name(filename or "")  # shown on every page: nothing may hide or reorder it
    return ImportBatch(
        kind=kind if kind in IMPORT_KINDS else "firms", filename=filename[:255],
        sha256=hashlib.sha256(data).hexdigest(), size=len(data), content=data, status="preview",
        year=year, valid_only=False, uploaded_by_id=getattr(actor, "id", None), uploaded_at=utcnow(),
        options={"kind": kind, "programme": programme, "year": year, "mapping": mapping or None})


def plan_batch(batch: ImportBatch, data: bytes | None = None, *, progress=None) -> ImportPlan:
    """Read and plan the batch's bytes and record what was found on it (kind, programme,
    year, counts, summary). Applies a saved column map for a sheet of the same shape when
    the user has not chosen one. Nothing but ``batch`` is changed; FileRefused propagates.

    ``progress(rows read, rows known)`` is told how the reading goes (a background job).
    """
    data = batch.content if data is None else data
    options = batch.options or {}
    kind, programme, year = options.get("kind"), options.get("programme"), options.get("year")
    mapping = options.get("mapping")
    workbook = _read(data, batch.filename, kind=kind, programme=programme, year=year,
                     mapping=mapping, progress=progress)
    saved = {} if mapping else _saved_mappings(workbook)
    if saved:
        mapping = saved
        workbook = _read(data, batch.filename, kind=kind, programme=programme, year=year,
                         mapping=mapping)
    plan = plan_import(workbook, today=today())
    counts = plan.counts()
    programme_id = None
    if workbook.programme:
        programme_id = db.session.scalar(select(Programme.id).where(Programme.code == workbook.programme))
    batch.kind = workbook.kind
    batch.sha256 = workbook.sha256
    batch.programme_id = programme_id
    batch.year = workbook.year
    batch.options = {**options, "mapping": mapping or None}
    batch.total_rows = len(plan.rows)
    batch.created_count = counts[NEW]
    batch.updated_count = counts[UPDATED]
    batch.unchanged_count = counts[UNCHANGED]
    batch.error_count = counts[ERROR]
    batch.summary = summarise(plan, saved_mapping=bool(saved))
    return plan


def summarise(plan: ImportPlan, *, saved_mapping: bool = False) -> dict:
    """What the batch list and the review page show without re-reading the file."""
    workbook = plan.workbook
    per_sheet = {s.name: {NEW: 0, UPDATED: 0, UNCHANGED: 0, ERROR: 0} for s in workbook.sheets}
    for r in plan.rows:
        per_sheet.setdefault(r.parsed.sheet, {NEW: 0, UPDATED: 0, UNCHANGED: 0, ERROR: 0})[r.status] += 1
    return {
        "inferred": dict(workbook.inferred),
        "programme": workbook.programme,
        "year": workbook.year,
        "sheets": [{"name": s.name, "kind": s.sheet_kind, "header_row": s.header_row,
                    "rows": len(s.rows), "unmapped": list(s.unmapped), "counts": per_sheet[s.name]}
                   for s in workbook.sheets],
        "skipped_sheets": list(workbook.skipped_sheets),
        "sheet_errors": [e.as_dict() for e in workbook.errors],
        "counts": plan.counts(),
        "saved_mapping_applied": saved_mapping,
    }


def load_plan(batch: ImportBatch, mapping=None, *, progress=None) -> ImportPlan:
    """Re-read the batch's stored bytes and plan them against the registry as it is now."""
    if batch.content is None:
        raise RegistryError("该批次的文件已不再保留（已导入或已放弃），无法重新预览。")
    options = batch.options or {}
    if mapping is None:
        mapping = options.get("mapping")
    workbook = _read(batch.content, batch.filename, kind=options.get("kind"),
                     programme=options.get("programme"), year=options.get("year"), mapping=mapping,
                     progress=progress)
    return plan_import(workbook, today=today())


def _staged_plan(batch: ImportBatch) -> ImportPlan | None:
    """The plan made at upload, if still in the same transaction with the same column map."""
    staged = db.session.info.get(_STAGED)
    if not staged:
        return None
    staged_batch, transaction, mapping, plan = staged
    if (staged_batch is batch and transaction is db.session().get_transaction()
            and mapping == (batch.options or {}).get("mapping")):
        return plan
    return None


def confirm_batch(actor, batch: ImportBatch, *, valid_only: bool = False,
                  plan: ImportPlan | None = None) -> dict:
    """Import the batch all-or-nothing; RegistryError (nothing written) when rows are wrong
    and ``valid_only`` is false. Returns the counts (new/updated/unchanged/error) and more.
    ``plan``: one just made from the batch's bytes in this transaction (a background job
    reads them with a progress bar first)."""
    # lock the batch row: two workers confirming the same preview must not both import it
    still = db.session.scalar(select(ImportBatch.status).where(ImportBatch.id == batch.id)
                              .with_for_update())
    if still != "preview" or batch.status != "preview":
        db.session.refresh(batch)
        raise RegistryError(f"该导入批次{batch.status_label}，不能再次导入。")
    plan = plan or _staged_plan(batch) or load_plan(batch)
    db.session.info.pop(_STAGED, None)
    try:
        result = apply_plan(plan, actor, batch, valid_only=valid_only)
    except Exception as exc:
        if not _concurrent_write(exc):
            raise
        # another import or clerk wrote the same records since this plan was made (a firm
        # created twice, crossing updates): the database refused, the caller rolls back
        raise ConflictError("导入期间，文件中的部分企业或记录正被他人同时导入或修改，未导入任何数据。"
                            "请稍后重新上传，或重新预览后再导入。") from exc
    return {**result["counts"], **result}


#: Refusals a database gives a write that raced another one: unique violation, deadlock,
#: serialization failure, lock timeout (PostgreSQL SQLSTATE, MySQL/MariaDB error numbers).
_RACE_SQLSTATES = {"23505", "40P01", "40001", "55P03"}
_RACE_MYSQL_CODES = {1062, 1213, 1205}


def _concurrent_write(exc: Exception) -> bool:
    """True when ``exc`` is the database refusing a write that raced another transaction."""
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) in _RACE_SQLSTATES:  # psycopg (also raw COPY errors)
        return True
    args = getattr(orig, "args", ())
    if type(orig).__module__.startswith("pymysql") and args and args[0] in _RACE_MYSQL_CODES:
        return True
    if type(orig).__module__ == "sqlite3":
        text = str(orig)
        return "UNIQUE constraint failed" in text or "database is locked" in text
    return False


def reject_batch(actor, batch: ImportBatch, plan: ImportPlan) -> None:
    """Close a batch whose rows are in error without importing anything (the CLI's
    "rejected"): the record of the attempt stays, the bytes go."""
    if batch.status != "preview":
        raise RegistryError(f"该导入批次{batch.status_label}。")
    counts = plan.counts()
    batch.status = "rejected"
    batch.error_count = counts[ERROR]
    batch.content = None
    db.session.info.pop(_STAGED, None)
    db.session.flush()


def discard_batch(actor, batch: ImportBatch) -> None:
    """Drop a preview: nothing is imported and the uploaded bytes are deleted."""
    if batch.status != "preview":
        raise RegistryError(f"该导入批次{batch.status_label}，无法放弃。")
    batch.status = "discarded"
    batch.content = None
    db.session.info.pop(_STAGED, None)
    db.session.flush()


# --- saved column maps -----------------------------------------------------------------

def header_signature(headers) -> str:
    """sha256 of the normalised headers in order: same shape, same signature."""
    text = "\x1f".join(normalise_header(h) for h in headers)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save_mapping(actor, kind: str, headers, mapping: dict) -> ImportMapping:
    """Remember which field each header of this shape means (replacing an older answer)."""
    signature = header_signature(headers)
    row = db.session.scalar(select(ImportMapping).where(ImportMapping.kind == kind,
                                                        ImportMapping.signature == signature))
    if row is None:
        row = ImportMapping(kind=kind, signature=signature)
        db.session.add(row)
    row.mapping = {str(k): (v or "") for k, v in mapping.items()}
    row.created_by_id = getattr(actor, "id", None)
    row.created_at = utcnow()
    db.session.flush()
    return row


def find_mapping(kind: str, headers) -> dict | None:
    row = db.session.scalar(select(ImportMapping).where(
        ImportMapping.kind == kind, ImportMapping.signature == header_signature(headers)))
    return dict(row.mapping) if row is not None else None


# --- access ------------------------------------------------------------------------------

def get_batch_for(user, batch_id) -> ImportBatch:
    """The batch if it exists and ``user`` is bureau staff; NotFound otherwise."""
    missing = NotFound("导入批次不存在或您无权查看。")
    if user is None or not getattr(user, "is_staff", False):
        raise missing
    try:
        bid = int(str(batch_id))
    except (TypeError, ValueError):
        raise missing from None
    if not 0 < bid <= MAX_ID:
        raise missing
    batch = db.session.get(ImportBatch, bid)
    if batch is None:
        raise missing
    return batch


def recent_batches(user, limit: int = 50) -> list[ImportBatch]:
    if user is None or not getattr(user, "is_staff", False):
        return []
    stmt = select(ImportBatch).order_by(ImportBatch.uploaded_at.desc(), ImportBatch.id.desc()).limit(limit)
    return list(db.session.scalars(stmt))
