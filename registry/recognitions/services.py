"""Recognition rules: add, edit and revoke a firm's recognition under a programme.

The one rule that matters most: a firm cannot hold two recognitions of the same programme
whose validity periods overlap (revoked ones do not count). Validity defaults from the
programme's ``validity_years``; access goes through the firm's rule (``can_edit_firm``).
No request in here; programme settings live in ``registry.recognitions.programmes``.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from registry.audit.services import record, snapshot
from registry.errors import ConflictError, NotFound, ValidationError
from registry.extensions import db
from registry.firms.locking import EditConflict, check_version, diff, last_edit_note
from registry.firms.models import Firm
from registry.firms.services import MAX_ID, ensure_can_edit, firm_scope
from registry.recognitions.models import Programme, Recognition

FIELDS = ("programme", "year", "batch", "certificate_no", "issued_on", "valid_from", "valid_until",
          "document_no", "note", "status", "revoked_on", "revoke_reason")
TEXT_LIMITS = {"batch": 50, "certificate_no": 50, "document_no": 100, "note": 2000}
YEARS = (1950, 2200)


def recognition_snapshot(rec: Recognition) -> dict:
    values = snapshot(rec, FIELDS[1:])
    return {"programme": rec.programme.name if rec.programme else None, **values}


# --- access ---------------------------------------------------------------------------------

def get_recognition_for(user, recognition_id) -> Recognition:
    """The recognition if its firm is within ``user``'s scope; NotFound otherwise."""
    try:
        rid = int(recognition_id)
    except (TypeError, ValueError):
        raise NotFound("认定记录不存在或您无权查看。")
    if not 0 < rid <= MAX_ID:
        raise NotFound("认定记录不存在或您无权查看。")
    rec = db.session.scalar(select(Recognition).join(Firm, Recognition.firm_id == Firm.id)
                            .where(Recognition.id == rid, firm_scope(user)))
    if rec is None:
        raise NotFound("认定记录不存在或您无权查看。")
    return rec


def get_recognition_for_edit(user, recognition_id) -> Recognition:
    """404 outside the user's scope, 403 when the user may not change the firm's records."""
    rec = get_recognition_for(user, recognition_id)
    ensure_can_edit(user, rec.firm)
    return rec


# --- validity and the overlap rule -----------------------------------------------------------

def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def default_validity(programme: Programme, year: int, issued_on: date | None = None,
                     valid_from: date | None = None) -> tuple[date, date]:
    """(from, until): from the certificate's date (or 1 January of the year) for
    ``validity_years`` years, ending the day before the anniversary."""
    start = valid_from or issued_on or date(year, 1, 1)
    return start, add_years(start, max(programme.validity_years, 1)) - timedelta(days=1)


def covered(rec: Recognition) -> tuple[date, date]:
    """The days a stored recognition covers (its dates, or the programme's default)."""
    start, until = default_validity(rec.programme, rec.year, rec.issued_on, rec.valid_from)
    return start, rec.valid_until or until


def _describe(rec: Recognition) -> str:
    start, end = covered(rec)
    cert = f"，证书编号 {rec.certificate_no}" if rec.certificate_no else ""
    return f"{rec.year}年“{rec.programme.short_name}”（有效期 {start:%Y-%m-%d} 至 {end:%Y-%m-%d}{cert}）"


def check_overlap(firm: Firm, programme: Programme, start: date, end: date, *,
                  exclude_id: int | None = None) -> None:
    """Refuse a period overlapping another unrevoked recognition of the same programme."""
    others = db.session.scalars(select(Recognition).where(
        Recognition.firm_id == firm.id, Recognition.programme_id == programme.id,
        Recognition.status != "revoked"))
    for other in others:
        if other.id == exclude_id:
            continue
        o_start, o_end = covered(other)
        if start <= o_end and o_start <= end:
            raise ConflictError(
                f"该企业已持有{_describe(other)}，与本次有效期 {start:%Y-%m-%d} 至 {end:%Y-%m-%d} "
                f"重叠；同一类别的认定有效期不能重叠。如需重新认定，请先撤销或调整原认定。",
                field="valid_from")


def _check_same_year(firm: Firm, programme: Programme, year: int, exclude_id: int | None) -> None:
    stmt = select(Recognition).where(Recognition.firm_id == firm.id,
                                     Recognition.programme_id == programme.id, Recognition.year == year)
    if exclude_id is not None:
        stmt = stmt.where(Recognition.id != exclude_id)
    existing = db.session.scalar(stmt)
    if existing is not None:
        state = "（已撤销）" if existing.status == "revoked" else ""
        raise ConflictError(f"该企业已有{year}年度“{programme.short_name}”认定记录{state}，"
                            f"同一年度同一类别只能登记一条。", field="year")


def _check_certificate(programme: Programme, certificate_no: str | None, exclude_id) -> None:
    if not certificate_no:
        return
    stmt = select(Recognition).where(Recognition.programme_id == programme.id,
                                     Recognition.certificate_no == certificate_no)
    if exclude_id is not None:
        stmt = stmt.where(Recognition.id != exclude_id)
    existing = db.session.scalar(stmt)
    if existing is not None:
        raise ConflictError(f"证书编号 {certificate_no} 已登记在企业“{existing.firm.name}”"
                            f"的{existing.year}年“{programme.short_name}”认定上", field="certificate_no")


def _clean(values: dict) -> dict:
    """Trim text, check lengths and the year, fill the validity from the programme."""
    programme = values.get("programme")
    if programme is None:
        raise ValidationError("请选择认定类别", field="programme_id")
    year = values.get("year")
    if year is None:
        raise ValidationError("请填写认定年度", field="year")
    if not YEARS[0] <= int(year) <= YEARS[1]:
        raise ValidationError(f"认定年度应在{YEARS[0]}–{YEARS[1]}之间", field="year")
    clean = {"programme": programme, "year": int(year)}
    for field, limit in TEXT_LIMITS.items():
        text = (values.get(field) or "").strip()
        if len(text) > limit:
            raise ValidationError(f"不能超过{limit}个字符", field=field)
        clean[field] = text or None
    issued, start, end = values.get("issued_on"), values.get("valid_from"), values.get("valid_until")
    d_start, d_end = default_validity(programme, clean["year"], issued, start)
    start = start or d_start
    end = end or d_end
    if end < start:
        raise ValidationError(f"有效期止 {end:%Y-%m-%d} 早于有效期起 {start:%Y-%m-%d}", field="valid_until")
    clean.update(issued_on=issued, valid_from=start, valid_until=end)
    return clean


def _check_rules(firm: Firm, clean: dict, exclude_id: int | None = None) -> None:
    programme = clean["programme"]
    _check_same_year(firm, programme, clean["year"], exclude_id)
    _check_certificate(programme, clean["certificate_no"], exclude_id)
    check_overlap(firm, programme, clean["valid_from"], clean["valid_until"], exclude_id=exclude_id)


# --- changes ------------------------------------------------------------------------------------

def add_recognition(actor, firm: Firm, **values) -> Recognition:
    """Record a recognition (programme, year, batch, certificate, dates); the caller commits.

    ``values``: programme (a Programme), year, batch, certificate_no, issued_on, valid_from,
    valid_until, document_no, note. Missing validity dates follow the programme."""
    ensure_can_edit(actor, firm)
    clean = _clean(values)
    _check_rules(firm, clean)
    rec = Recognition(firm=firm, status="valid", **clean)
    db.session.add(rec)
    db.session.flush()
    record(actor, "create", "recognition", rec.id, firm_id=firm.id,
           summary=f"新增认定：{rec.year}年{clean['programme'].short_name}", after=recognition_snapshot(rec))
    return rec


def update_recognition(actor, rec: Recognition, *, version, original: dict | None = None,
                       **values) -> list:
    """Change a recognition if it is still at ``version``; return the changes (audited)."""
    ensure_can_edit(actor, rec.firm)
    check_version(rec, version, original, recognition_snapshot(rec), what="该认定记录",
                  entity_type="recognition")
    clean = _clean(values)
    if rec.status == "revoked":  # a revoked record holds no period: only the unique keys
        _check_same_year(rec.firm, clean["programme"], clean["year"], rec.id)
        _check_certificate(clean["programme"], clean["certificate_no"], rec.id)
    else:
        _check_rules(rec.firm, clean, exclude_id=rec.id)
    before = recognition_snapshot(rec)
    for attr, value in clean.items():
        setattr(rec, attr, value)
    after = recognition_snapshot(rec)
    changes = diff(before, after)
    if not changes:
        return []
    _flush(rec, original)
    record(actor, "update", "recognition", rec.id, firm_id=rec.firm_id,
           summary=f"修改认定：{rec.year}年{rec.programme.short_name}（" + "、".join(c.label for c in changes) + "）",
           before={c.field: c.before for c in changes}, after={c.field: c.after for c in changes})
    return changes


def revoke_recognition(actor, rec: Recognition, *, reason: str, on: date | None, version,
                       today: date | None = None) -> Recognition:
    """Revoke (取消资格) with a reason and a date; the record stays, marked 已撤销."""
    ensure_can_edit(actor, rec.firm)
    check_version(rec, version, None, {}, what="该认定记录", entity_type="recognition")
    if rec.status == "revoked":
        raise ConflictError(f"该认定已于 {rec.revoked_on or '此前'} 撤销")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写撤销原因", field="reason")
    if len(reason) > 500:
        raise ValidationError("撤销原因不能超过500个字符", field="reason")
    if on is None:
        raise ValidationError("请填写撤销日期", field="on")
    if on > (today or date.today()):
        raise ValidationError(f"撤销日期 {on:%Y-%m-%d} 晚于今天", field="on")
    start, _ = covered(rec)
    if on < start:
        raise ValidationError(f"撤销日期早于有效期起 {start:%Y-%m-%d}", field="on")
    before = {"status": rec.status, "revoked_on": None, "revoke_reason": None}
    rec.status, rec.revoked_on, rec.revoke_reason = "revoked", on, reason
    _flush(rec, None)
    record(actor, "revoke", "recognition", rec.id, firm_id=rec.firm_id,
           summary=f"撤销认定：{rec.year}年{rec.programme.short_name}，原因：{reason}"[:255],
           before=before, after={"status": "revoked", "revoked_on": on, "revoke_reason": reason})
    return rec


def _flush(rec: Recognition, original: dict | None) -> None:
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        current = db.session.get(Recognition, rec.id)
        changes = diff(original, recognition_snapshot(current)) if original and current else []
        raise EditConflict("该认定记录", changes, last_edit_note("recognition", rec.id))
