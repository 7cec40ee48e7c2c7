"""Annual data (年度数据) filed by the firm: checked, saved as a draft, submitted, and
accepted or returned by the bureau. Only accepted figures count in screening
(``registry.lists.screening`` reads ``status == 'accepted'``).

The checks are the server's (field-level messages); ``static/portal.js`` repeats the
cross-field ones in the browser for feedback while typing, from the same limits, which the
form hands to the page as data attributes. An upload of the annual-data template goes
through the Excel pipeline's reader (``registry.excel.reader.read_workbook``) and lands
in the same draft, through the same checks.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry.audit.services import record, snapshot
from registry.errors import ConflictError, NotFound, RegistryError, ValidationError
from registry.extensions import db
from registry.firms.models import AnnualData, Firm, Industry, Town
from registry.portal.notices import notify
from registry.portal.services import ensure_reviewer, own_firm, parse_id
from registry.timeutil import utcnow

MONEY_FIELDS = ("revenue", "rd_expense", "total_cost", "high_tech_revenue", "export_value")
COUNT_FIELDS = ("employees", "rd_staff", "tech_staff", "invention_patents", "utility_patents",
                "design_patents", "software_copyrights")
FIELDS = MONEY_FIELDS + COUNT_FIELDS
LABELS = {"revenue": "营业收入", "rd_expense": "研发费用", "total_cost": "成本费用总额",
          "high_tech_revenue": "高新技术产品收入", "export_value": "出口交货值",
          "employees": "职工人数", "rd_staff": "研发人员", "tech_staff": "科技人员",
          "invention_patents": "发明专利", "utility_patents": "实用新型专利",
          "design_patents": "外观设计专利", "software_copyrights": "软件著作权"}
#: Plausible upper bounds: a county firm past these has mistyped a unit (元 for 万元).
MAX_MONEY = Decimal("10000000")  # 万元 = 1000 亿元
MAX_PEOPLE = 200000
MAX_PATENTS = 100000
#: Needed before a submission (a draft may be incomplete).
REQUIRED = ("revenue", "rd_expense", "total_cost", "employees", "rd_staff", "tech_staff")
#: (smaller, larger, message): cross-field rules, shared with the browser through data-*.
RULES = (
    ("rd_expense", "revenue", "研发费用不能大于营业收入"),
    ("high_tech_revenue", "revenue", "高新技术产品收入不能大于营业收入"),
    ("export_value", "revenue", "出口交货值不能大于营业收入"),
    ("rd_staff", "employees", "研发人员不能多于职工人数"),
    ("tech_staff", "employees", "科技人员不能多于职工人数"),
    ("rd_staff", "tech_staff", "研发人员是科技人员的一部分，不能多于科技人员"),
)
NOT_FOUND = "年度数据不存在或您无权查看。"
EDITABLE_STATUSES = ("draft", "returned")


class AnnualErrors(ValidationError):
    """Several fields at once: ``errors`` maps field → message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("年度数据有误，请按提示修改：" + "；".join(
            f"{LABELS.get(f, f)}：{m}" for f, m in errors.items()), field=next(iter(errors)))
        self.errors = errors


def year_choices(today: date | None = None) -> list[int]:
    """The years a firm files: last year first, then the four before."""
    this = (today or date.today()).year
    return list(range(this - 1, this - 6, -1))


def _number(field: str, raw):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip().replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("请输入数字")
    if not value.is_finite():
        raise ValueError("请输入数字")
    if value < 0:
        raise ValueError("不能为负数")
    if field in MONEY_FIELDS:
        if value > MAX_MONEY:
            raise ValueError(f"超出合理范围（不超过{MAX_MONEY:,}万元），请确认单位为万元")
        return value.quantize(Decimal("0.01"))
    if value != value.to_integral_value():
        raise ValueError("请输入整数")
    limit = MAX_PEOPLE if field in ("employees", "rd_staff", "tech_staff") else MAX_PATENTS
    if value > limit:
        raise ValueError(f"超出合理范围（不超过{limit:,}）")
    return int(value)


def check_values(values: dict, *, complete: bool) -> dict:
    """Clean numbers, or AnnualErrors with one Chinese message per bad field."""
    errors, clean = {}, {}
    for field in FIELDS:
        try:
            clean[field] = _number(field, values.get(field))
        except ValueError as exc:
            errors[field] = str(exc)
    if complete:
        for field in REQUIRED:
            if field not in errors and clean.get(field) is None:
                errors[field] = "提交前请填写"
    for small, large, message in RULES:
        a, b = clean.get(small), clean.get(large)
        if a is not None and b is not None and small not in errors and a > b:
            errors[small] = message
    if complete and clean.get("revenue") == 0 and clean.get("rd_expense"):
        errors.setdefault("revenue", "营业收入为0时不能填写研发费用")
    if errors:
        raise AnnualErrors(errors)
    return clean


def intensity(values) -> Decimal | None:
    revenue, rd = values.get("revenue"), values.get("rd_expense")
    if not revenue or rd is None:
        return None
    return (Decimal(rd) * 100 / Decimal(revenue)).quantize(Decimal("0.01"))


def record_of(firm_id: int, year: int) -> AnnualData | None:
    return db.session.scalar(select(AnnualData).where(AnnualData.firm_id == firm_id,
                                                      AnnualData.year == year))


def check_year(year, today: date | None = None) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError("请选择年度", field="year")
    if year not in year_choices(today):
        raise ValidationError("只能填报最近五个年度的数据", field="year")
    return year


def save(actor, *, year, values: dict, version=None, submit: bool = False,
         today: date | None = None, source: str = "表单") -> AnnualData:
    """Save the firm's figures for ``year`` as a draft, or submit them for review.

    A record already submitted or accepted cannot be changed by the firm (the bureau
    returns it first); ``version`` guards against two tabs saving over each other."""
    firm = own_firm(actor)
    year = check_year(year, today)
    clean = check_values(values, complete=submit)
    existing = record_of(firm.id, year)
    if existing is not None:
        if existing.status not in EDITABLE_STATUSES:
            label = {"submitted": "已提交待审核", "accepted": "已被科技局确认"}[existing.status]
            raise ConflictError(f"{year}年度数据{label}，不能再修改；如需更正请联系科技局。")
        try:
            expected = int(version)
        except (TypeError, ValueError):
            expected = None
        if expected != existing.version:
            raise ConflictError(f"{year}年度数据已在别处被修改，请刷新页面后重新填写。")
    ad = existing or AnnualData(firm_id=firm.id, year=year)
    before = snapshot(ad, FIELDS + ("status",)) if existing is not None else {}
    for field in FIELDS:
        setattr(ad, field, clean[field])
    ad.status = "submitted" if submit else "draft"
    ad.submitted_at = utcnow() if submit else None
    if existing is None:
        db.session.add(ad)
    db.session.flush()
    after = snapshot(ad, FIELDS + ("status",))
    changed = [k for k in after if before.get(k) != after[k]]
    action = "submit" if submit else ("create" if existing is None else "update")
    record(actor, action, "annual_data", ad.id, firm_id=firm.id,
           summary=f"企业{'提交' if submit else '保存草稿'}{year}年度数据（{source}）",
           before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed})
    return ad


# --- the bureau's review ---------------------------------------------------------------

def get_annual_for(user, annual_id) -> AnnualData:
    """Staff see every record; a firm user only its own firm's."""
    aid = parse_id(annual_id, NOT_FOUND)
    ad = db.session.get(AnnualData, aid)
    if ad is None or user is None:
        raise NotFound(NOT_FOUND)
    if not (user.is_staff or (user.role == "firm" and ad.firm_id == user.firm_id)):
        raise NotFound(NOT_FOUND)
    return ad


def _submitter_id(ad: AnnualData):
    from registry.audit.models import AuditLog

    return db.session.scalar(select(AuditLog.user_id).where(
        AuditLog.entity_type == "annual_data", AuditLog.entity_id == ad.id,
        AuditLog.action == "submit").order_by(AuditLog.id.desc()).limit(1))


def review(actor, ad: AnnualData, *, version, accept: bool, comment: str | None = None) -> AnnualData:
    """Accept (screening counts it from now on) or return with comments (the firm edits
    and submits again)."""
    ensure_reviewer(actor, _submitter_id(ad))
    try:
        expected = int(version)
    except (TypeError, ValueError):
        expected = None
    if expected != ad.version:
        raise ConflictError("该年度数据已被修改或已审核，请刷新页面。")
    if ad.status != "submitted":
        raise ConflictError("只有待审核的年度数据可以审核。")
    comment = (comment or "").strip() or None
    if not accept and not comment:
        raise ValidationError("退回时请填写意见", field="comment")
    if comment and len(comment) > 1000:
        raise ValidationError("意见不能超过1000个字符", field="comment")
    ad.status = "accepted" if accept else "returned"
    ad.reviewed_by_id, ad.reviewed_at, ad.review_comment = actor.id, utcnow(), comment
    db.session.flush()
    record(actor, "accept" if accept else "return", "annual_data", ad.id, firm_id=ad.firm_id,
           summary=f"{'确认' if accept else '退回'}{ad.year}年度数据" + (f"：{comment}" if comment else ""),
           before={"status": "submitted"}, after={"status": ad.status})
    if accept:
        notify(ad.firm_id, "annual_accepted", f"{ad.year}年度数据已确认", comment, link="/portal/annual",
               actor=actor)
    else:
        notify(ad.firm_id, "annual_returned", f"{ad.year}年度数据被退回，请修改后重新提交",
               f"退回意见：{comment}", link=f"/portal/annual/edit?year={ad.year}", actor=actor)
    return ad


def submitted() -> list[AnnualData]:
    return list(db.session.scalars(
        select(AnnualData).where(AnnualData.status == "submitted")
        .options(selectinload(AnnualData.firm)).order_by(AnnualData.submitted_at, AnnualData.id)))


# --- upload with the template -------------------------------------------------------------

def read_upload(actor, data: bytes, filename: str, *, year) -> dict:
    """The firm's own row of an annual-data workbook (the import template), as form values.

    The pipeline's reader parses it; a row of another firm, or no row of this one, is
    refused, and so are cell errors the reader found. Nothing is written here: the values
    then go through ``save`` like the form's."""
    from registry.excel.container import Limits
    from registry.excel.reader import read_workbook

    firm = own_firm(actor)
    year = check_year(year)
    towns = db.session.scalars(select(Town.name)).all()
    industries = db.session.scalars(select(Industry.name)).all()
    try:
        book = read_workbook(data, filename, kind="annual", year=year, towns=towns,
                             industries=industries, today=date.today(),
                             limits=Limits.from_config(current_app.config))
    except RegistryError:
        raise
    except Exception:  # a file the reader cannot open at all
        raise ValidationError("无法读取该文件，请使用年度数据导入模板（.xlsx）", field="file")
    mine, others = [], 0
    for row in book.all_rows():
        code = (row.values.get("uscc") or "")
        if code == firm.uscc:
            mine.append(row)
        elif code or row.values.get("name"):
            others += 1
    if others:
        raise ValidationError("文件中包含其他企业的数据：企业只能上传本企业的年度数据", field="file")
    if not mine:
        raise ValidationError(f"文件中没有本企业（统一社会信用代码 {firm.uscc}）的数据", field="file")
    if len(mine) > 1:
        raise ValidationError("文件中本企业有多行数据，请只保留一行", field="file")
    row = mine[0]
    if row.errors:
        raise ValidationError("文件中有错误：" + "；".join(
            f"第{e.row}行 {e.column}：{e.reason}" for e in row.errors[:5]), field="file")
    row_year = row.values.get("year")
    if row_year and int(row_year) != year:
        raise ValidationError(f"文件中的年度（{row_year}）与所选年度（{year}）不一致", field="file")
    return {f: row.values.get(f) for f in FIELDS}


def firm_years(firm: Firm) -> list[AnnualData]:
    return sorted(firm.annual_data, key=lambda a: a.year, reverse=True)
