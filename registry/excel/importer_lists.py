"""Recognition lists (认定名单) and the revocations (取消资格名单) that may come with them.

A recognition is keyed by (firm, programme, year). Lists are published without regard to
the roster, so a row whose firm the registry lacks creates the firm, provided it carries
a valid USCC and a name. The validity follows the programme's rule as data: from the
issue date (or 1 January of the year) for ``validity_years`` years, less one day.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from registry.excel.importer_base import (
    Context, check_lengths, chunks, fail, in_error, max_lengths, new_firm_columns, same,
    seen_at, shown,
)
from registry.excel.importer_write import Writer
from registry.excel.importer_firms import town_of
from registry.excel.specs import RECOGNITIONS, REVOCATIONS
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED, Change, PlannedRow
from registry.extensions import db
from registry.recognitions.models import Recognition
from registry.vocab import RECOGNITION_STATUSES

REC = Recognition.__table__
LIMITS = max_lengths(REC)
TEXT_FIELDS = {"certificate_no": "certificate_no", "batch": "batch"}
REC_LABELS = {f.name: f.label for f in RECOGNITIONS.fields}
REV_LABELS = {f.name: f.label for f in REVOCATIONS.fields}
COMPARED = ("certificate_no", "issued_on", "batch", "note")
STORED = (REC.c.id, REC.c.firm_id, REC.c.programme_id, REC.c.year, REC.c.certificate_no,
          REC.c.issued_on, REC.c.batch, REC.c.note, REC.c.status, REC.c.revoke_reason,
          REC.c.revoked_on, REC.c.valid_from, REC.c.valid_until)


def validity(issued: date | None, year: int, years: int) -> tuple[date, date]:
    """valid_from = the issue date (or 1 January); valid_until = that + N years − 1 day."""
    start = issued or date(year, 1, 1)
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        end = date(start.year + years, 3, 1)
    return start, end - timedelta(days=1)


def firm_field(sheet) -> str:
    """The column a firm-level problem is reported on: the code if the sheet has one."""
    return "uscc" if "uscc" in sheet.columns else "name"


def programme_of(ctx: Context, prow: PlannedRow, sheet):
    code = prow.parsed.values.get("programme") or ctx.workbook.programme
    if code is None:
        fail(prow, sheet, "programme", "无法确定认定类别：请在文件名或标题中写明（如“高新技术企业”），"
                                       "或增加“类别”列，或导入时指定类别", value="")
        return None
    programme = ctx.ref.programmes.get(code)
    if programme is None:
        fail(prow, sheet, "programme", f"未知的认定类别：{code}", value=code)
    return programme


def _resolve(ctx: Context, sheets, entity: str) -> list[tuple]:
    out = []
    for sheet in sheets:
        for parsed in sheet.rows:
            prow = ctx.rows.start(parsed)
            prow.entity = entity
            firm, code = ctx.firms.resolve(prow, sheet)
            programme = programme_of(ctx, prow, sheet)
            year = ctx.year_of(prow, sheet)
            check_lengths(prow, sheet, parsed.values, LIMITS, TEXT_FIELDS)
            prow.uscc = code
            prow.extra["title"] = firm.name if firm is not None else (parsed.values.get("name") or code)
            out.append((prow, sheet, firm, code, programme, year))
    return out


def _load(firm_ids: set[int], programme_ids: set[int]) -> dict:
    stored = {}
    if not programme_ids:
        return stored
    for chunk in chunks(firm_ids):
        stmt = select(*STORED).where(REC.c.firm_id.in_(chunk), REC.c.programme_id.in_(programme_ids))
        for row in db.session.execute(stmt):
            stored[(row.firm_id, row.programme_id, row.year)] = row
    return stored


def _certificate_holders(certs: set[str]) -> dict:
    holders = {}
    for chunk in chunks(certs):
        stmt = select(REC.c.id, REC.c.programme_id, REC.c.certificate_no, REC.c.firm_id).where(
            REC.c.certificate_no.in_(chunk))
        for row in db.session.execute(stmt):
            holders[(row.programme_id, row.certificate_no)] = row
    return holders


def plan_lists(ctx: Context, list_sheets, revocation_sheets) -> None:
    recs = _resolve(ctx, list_sheets, "recognition")
    revs = _resolve(ctx, revocation_sheets, "revocation")
    firm_ids = {r[2].id for r in recs + revs if r[2] is not None}
    programme_ids = {r[4].id for r in recs + revs if r[4] is not None}
    stored = _load(firm_ids, programme_ids)
    holders = _certificate_holders({r[0].parsed.values["certificate_no"] for r in recs
                                    if r[0].parsed.values.get("certificate_no")})
    in_file = _plan_recognitions(ctx, recs, stored, holders)
    _plan_revocations(ctx, revs, stored, in_file)


def _plan_recognitions(ctx: Context, recs, stored, holders) -> dict:
    seen, seen_cert, in_file = {}, {}, {}
    for prow, sheet, firm, code, programme, year in recs:
        values = prow.parsed.values
        cert = values.get("certificate_no")
        existing = None
        if code and programme is not None and year:
            key = (code, programme.id, year)
            first = seen.get(key)
            if first is not None:
                fail(prow, sheet, firm_field(sheet),
                     f"该企业{year}年度的{programme.short_name}认定与{seen_at(first, sheet)}重复")
            else:
                seen[key] = (sheet.name, prow.parsed.row)
                in_file[key] = prow
            if firm is not None:
                existing = stored.get((firm.id, programme.id, year))
        if cert and programme is not None:
            first = seen_cert.get((programme.id, cert))
            if first is not None:
                fail(prow, sheet, "certificate_no", f"证书编号与{seen_at(first, sheet)}重复")
            else:
                seen_cert[(programme.id, cert)] = (sheet.name, prow.parsed.row)
            holder = holders.get((programme.id, cert))
            if holder is not None and (existing is None or holder.id != existing.id):
                fail(prow, sheet, "certificate_no", f"证书编号{cert}已属于库中另一条认定记录")
        if firm is None and code and not values.get("name") and code not in ctx.firms.pending:
            fail(prow, sheet, "name", f"库中没有统一社会信用代码为{code}的企业；新增企业须填写企业名称",
                 value="")
        town_id = town_of(ctx, prow, sheet) if firm is None else None
        if in_error(prow):
            continue
        if firm is None:
            prow.new_firm = ctx.firms.pending.get(code) or ctx.firms.add_pending(
                new_firm_columns(code, values["name"], town_id=town_id))
        else:
            prow.firm_id = firm.id
        if existing is None:
            _new(prow, programme, year, values)
        else:
            _compare(prow, sheet, programme, existing, values)
    return in_file


def _new(prow: PlannedRow, programme, year: int, values: dict) -> None:
    issued = values.get("issued_on")
    start, end = validity(issued, year, programme.validity_years)
    prow.status = NEW
    prow.writes = {"programme_id": programme.id, "year": year, "batch": values.get("batch"),
                   "certificate_no": values.get("certificate_no"), "issued_on": issued,
                   "valid_from": start, "valid_until": end, "document_no": None, "status": "valid",
                   "revoked_on": None, "revoke_reason": None, "note": values.get("note"),
                   "tier_list_id": None}
    prow.extra["programme"] = f"{programme.short_name}{year}年"


def _compare(prow: PlannedRow, sheet, programme, existing, values: dict) -> None:
    prow.entity_id = existing.id
    prow.extra["programme"] = f"{programme.short_name}{existing.year}年"
    writes, before = {}, {}
    for field_name in COMPARED:
        value = values.get(field_name)
        if value is None or same(getattr(existing, field_name), value):
            continue
        writes[field_name], before[field_name] = value, getattr(existing, field_name)
        prow.changes.append(Change(sheet.name, prow.parsed.row, prow.uscc, field_name,
                                   REC_LABELS[field_name], shown(before[field_name]), shown(value)))
    if "issued_on" in writes:
        start, end = validity(writes["issued_on"], existing.year, programme.validity_years)
        for column, label, value in (("valid_from", "有效期起", start), ("valid_until", "有效期至", end)):
            if not same(getattr(existing, column), value):
                writes[column], before[column] = value, getattr(existing, column)
                prow.changes.append(Change(sheet.name, prow.parsed.row, prow.uscc, column, label,
                                           shown(before[column]), shown(value)))
    _settle(prow, writes, before)


def _settle(prow: PlannedRow, writes: dict, before: dict) -> None:
    if writes:
        prow.status, prow.writes = UPDATED, writes
        prow.extra["before"] = before
    else:
        prow.status = UNCHANGED


def _plan_revocations(ctx: Context, revs, stored, in_file: dict) -> None:
    seen = {}
    valid, revoked = RECOGNITION_STATUSES["valid"], RECOGNITION_STATUSES["revoked"]
    for prow, sheet, firm, code, programme, year in revs:
        values = prow.parsed.values
        reason = values.get("reason")
        if not reason:
            fail(prow, sheet, "reason", "取消原因不能为空", value="")
        if not (code and programme is not None and year):
            continue
        key = (code, programme.id, year)
        first = seen.get(key)
        if first is not None:
            fail(prow, sheet, firm_field(sheet), f"该企业的撤销记录与{seen_at(first, sheet)}重复")
            continue
        seen[key] = (sheet.name, prow.parsed.row)
        listed = in_file.get(key)
        existing = stored.get((firm.id, programme.id, year)) if firm is not None else None
        if listed is not None and listed.status == ERROR and existing is None:
            fail(prow, sheet, firm_field(sheet),
                 f"对应的认定记录（“{listed.parsed.sheet}”表第{listed.parsed.row}行）有错误")
        elif listed is None and existing is None:
            fail(prow, sheet, firm_field(sheet),
                 f"库中没有该企业{year}年度的{programme.short_name}认定记录，无法撤销")
        if in_error(prow):
            continue
        prow.firm_id = firm.id if firm is not None else None
        revoked_on = values.get("revoked_on")
        prow.extra["programme"] = f"{programme.short_name}{year}年"
        if existing is None:  # recognised and revoked in the same file
            listed.writes.update(status="revoked", revoke_reason=reason, revoked_on=revoked_on)
            prow.status = UPDATED
            prow.changes = [Change(sheet.name, prow.parsed.row, code, "status", "状态", valid, revoked),
                            Change(sheet.name, prow.parsed.row, code, "reason", REV_LABELS["reason"],
                                   None, reason)]
            if revoked_on:
                prow.changes.append(Change(sheet.name, prow.parsed.row, code, "revoked_on",
                                           REV_LABELS["revoked_on"], None, revoked_on))
            continue
        prow.entity_id = existing.id
        writes, before = {}, {}
        if existing.status != "revoked":
            writes["status"], before["status"] = "revoked", existing.status
            prow.changes.append(Change(sheet.name, prow.parsed.row, code, "status", "状态",
                                       RECOGNITION_STATUSES.get(existing.status), revoked))
        if existing.revoke_reason != reason:
            writes["revoke_reason"], before["revoke_reason"] = reason, existing.revoke_reason
            prow.changes.append(Change(sheet.name, prow.parsed.row, code, "reason", REV_LABELS["reason"],
                                       existing.revoke_reason, reason))
        if revoked_on is not None and not same(existing.revoked_on, revoked_on):
            writes["revoked_on"], before["revoked_on"] = revoked_on, existing.revoked_on
            prow.changes.append(Change(sheet.name, prow.parsed.row, code, "revoked_on",
                                       REV_LABELS["revoked_on"], shown(existing.revoked_on), revoked_on))
        _settle(prow, writes, before)


def apply_lists(writer: Writer, rows: list[PlannedRow]) -> None:
    new = [r for r in rows if r.entity == "recognition" and r.status == NEW]
    if new:
        inserts = []
        for r in new:
            columns = dict(r.writes, firm_id=writer.firm_id(r), import_batch_id=writer.batch_id,
                           created_at=writer.now, version=1)
            inserts.append(columns)
        writer.insert(REC, inserts)
        ids = {}
        stmt = select(REC.c.id, REC.c.firm_id, REC.c.programme_id, REC.c.year).where(
            REC.c.import_batch_id == writer.batch_id)
        for rec_id, firm_id, programme_id, year in writer.session.execute(stmt):
            ids[(firm_id, programme_id, year)] = rec_id
        for r, columns in zip(new, inserts):
            rec_id = ids[(columns["firm_id"], columns["programme_id"], columns["year"])]
            after = {k: v for k, v in columns.items() if v is not None and k not in ("created_at", "version")}
            writer.log("recognition", rec_id, columns["firm_id"],
                       f"新增认定 {r.extra['title']} {r.extra['programme']}", None, after)
    changed = [r for r in rows if r.entity in ("recognition", "revocation") and r.status == UPDATED
               and r.entity_id is not None]
    writer.update(REC, [(r.entity_id, r.writes) for r in changed])
    for r in changed:
        verb = "撤销认定" if r.entity == "revocation" else "更新认定"
        writer.log("recognition", r.entity_id, r.firm_id, f"{verb} {r.extra['title']} {r.extra['programme']}",
                   r.extra["before"], r.writes)
