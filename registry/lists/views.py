"""Annual tier lists: the lists, their entries, 公示, objections, publishing and amendments.

Staff and admins build and publish; town officers and leaders read; firm users never see
this area. Screening and criteria pages are in ``views_screening``, the ladder and 高企
follow-up in ``views_follow`` — one blueprint, three modules.
"""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from registry import reference
from registry.auth.access import bureau_required, staff_required
from registry.errors import RegistryError
from registry.extensions import db
from registry.firms.services import FirmFilter, firm_query, get_firm_for
from registry.lists import services
from registry.lists.exports import notice_workbook, official_list_workbook
from registry.lists.forms import (
    AddFirmForm, AmendForm, EntryForm, ListEditForm, ListForm, NoticeForm, ObjectionForm,
    ResolveForm, VersionForm,
)
from registry.lists.screening import criteria_set_for

bp = Blueprint("lists", __name__, url_prefix="/lists")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(data: bytes, name: str):
    resp = send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def year_arg() -> int | None:
    value = request.args.get("year", "")
    return int(value) if value.isdigit() and 1950 <= int(value) <= 2200 else None


def _fail(exc: RegistryError, list_id):
    db.session.rollback()
    flash(exc.message, "danger")
    return redirect(url_for("lists.detail", list_id=list_id))


def _done(message: str, list_id):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("lists.detail", list_id=list_id))


@bp.route("/")
@bureau_required
def index():
    year = year_arg()
    return render_template("lists/index.html", rows=services.lists_for_year(current_user, year), year=year,
                           years=services.list_years())


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def create():
    form = ListForm()
    programmes = reference.programmes()
    form.fill(programmes)
    programme = next((p for p in programmes if p.id == form.programme.data), None)
    if form.is_submitted() and form.programme.data and programme is None:
        form.programme.errors = ["请选择认定类别"]
    elif form.validate_on_submit():
        try:
            tier_list = services.create_list(current_user, programme=programme, year=form.year.data,
                                             batch=form.batch.data, title=form.title.data,
                                             document_no=form.document_no.data, note=form.note.data)
        except RegistryError as exc:
            db.session.rollback()
            getattr(form, exc.field or "year").errors.append(exc.message)
        else:
            return _done("名单已创建，请从资格筛选或企业查询中添加企业。", tier_list.id)
    return render_template("lists/form.html", form=form)


@bp.route("/<list_id>")
@bureau_required
def detail(list_id):
    tier_list = services.get_list_for(current_user, list_id, for_page=True)
    rows = services.page_rows(current_user, tier_list)
    q = request.args.get("q", "").strip()
    found = []
    if q and current_user.is_staff and tier_list.status != "published":
        found = db.session.scalars(firm_query(current_user, FirmFilter(q=q, status="active")).limit(20)).all()
    objection_form = ObjectionForm()  # staff only: they see every row
    objection_form.firm_id.choices = [(r.firm_id, r.listed_name) for r in rows]
    return render_template(
        "lists/detail.html", tier_list=tier_list, rows=rows, q=q, found=found,
        on_list={r.firm_id for r in rows},
        objections=services.visible_records(current_user, tier_list.objections),
        amendments=services.visible_records(current_user, tier_list.amendments),
        has_criteria=criteria_set_for(tier_list.programme_id, tier_list.year) is not None,
        edit_form=ListEditForm(obj=tier_list), notice_form=NoticeForm(obj=tier_list),
        version_form=VersionForm(version=tier_list.version), add_form=AddFirmForm(),
        entry_form=EntryForm(), objection_form=objection_form, resolve_form=ResolveForm(),
        amend_form=AmendForm(), today=services.today_local(), sources=services.SOURCES,
        imported=services.imported_count(tier_list)
        if tier_list.status == "draft" and current_user.is_staff else 0)


@bp.route("/<list_id>/edit", methods=["POST"])
@staff_required
def edit(list_id):
    tier_list = services.get_list_for(current_user, list_id)
    form = ListEditForm()
    if not form.validate_on_submit():
        return _fail(RegistryError(_first_error(form)), list_id)
    try:
        services.update_list(current_user, tier_list, version=form.version.data, title=form.title.data,
                             batch=form.batch.data, document_no=form.document_no.data, note=form.note.data)
    except RegistryError as exc:
        return _fail(exc, list_id)
    return _done("名单信息已保存。", list_id)


@bp.route("/<list_id>/delete", methods=["POST"])
@staff_required
def delete(list_id):
    tier_list = services.get_list_for(current_user, list_id)
    try:
        services.delete_list(current_user, tier_list)
    except RegistryError as exc:
        return _fail(exc, list_id)
    db.session.commit()
    flash("名单已删除。", "success")
    return redirect(url_for("lists.index"))


@bp.route("/<list_id>/entries/add", methods=["POST"])
@staff_required
def add_entry(list_id):
    tier_list = services.get_list_for(current_user, list_id)
    form = AddFirmForm()
    if not form.validate_on_submit():
        return _fail(RegistryError(_first_error(form)), list_id)
    try:
        firm = get_firm_for(current_user, form.firm_id.data)
        services.add_entry(current_user, tier_list, firm, source="search", note=form.note.data)
    except RegistryError as exc:
        return _fail(exc, list_id)
    return _done(f"已添加 {firm.name}。", list_id)


@bp.route("/<list_id>/entries/import", methods=["POST"])
@staff_required
def add_imported(list_id):
    tier_list = services.get_list_for(current_user, list_id)
    form = VersionForm()
    try:
        if not form.validate_on_submit():
            raise RegistryError(_first_error(form))
        added, refused = services.add_imported(current_user, tier_list)
    except RegistryError as exc:
        return _fail(exc, list_id)
    return _done(f"已从导入的认定记录加入 {added} 家。" + (f"未加入：{'；'.join(refused[:10])}" if refused else ""),
                 list_id)


@bp.route("/<list_id>/entries/remove", methods=["POST"])
@staff_required
def remove_entry(list_id):
    tier_list = services.get_list_for(current_user, list_id)
    form = EntryForm()
    try:
        if not form.validate_on_submit():
            raise RegistryError(_first_error(form))
        services.remove_entry(current_user, tier_list, form.entry_id.data)
    except RegistryError as exc:
        return _fail(exc, list_id)
    return _done("已移出名单。", list_id)


@bp.route("/<list_id>/entries/note", methods=["POST"])
@staff_required
def entry_note(list_id):
    tier_list = services.get_list_for(current_user, list_id)
    form = EntryForm()
    try:
        if not form.validate_on_submit():
            raise RegistryError(_first_error(form))
        services.update_entry_note(current_user, tier_list, form.entry_id.data, form.note.data)
    except RegistryError as exc:
        return _fail(exc, list_id)
    return _done("备注已保存。", list_id)


@bp.route("/<list_id>/notice", methods=["POST"])
@staff_required
def notice(list_id):
    tier_list = services.get_list_for(current_user, list_id)
    form = NoticeForm()
    try:
        if not form.validate_on_submit():
            raise RegistryError(_first_error(form))
        services.start_notice(current_user, tier_list, notice_from=form.notice_from.data,
                              notice_until=form.notice_until.data, version=form.version.data)
    except RegistryError as exc:
        return _fail(exc, list_id)
    return _done("名单已进入公示，可下载公示名单。", list_id)


@bp.route("/<list_id>/objections", methods=["POST"])
@staff_required
def objection(list_id):
    tier_list = services.get_list_for(current_user, list_id)
    form = ObjectionForm()
    form.firm_id.choices = [(e.firm_id, e.firm_name) for e in tier_list.entries]
    try:
        if not form.validate_on_submit():
            raise RegistryError(_first_error(form))
        services.record_objection(current_user, tier_list, firm_id=form.firm_id.data, kind=form.kind.data,
                                  received_on=form.received_on.data, content=form.content.data)
    except RegistryError as exc:
        return _fail(exc, list_id)
    return _done("已登记。", list_id)


@bp.route("/<list_id>/objections/resolve", methods=["POST"])
@staff_required
def resolve(list_id):
    tier_list = services.get_list_for(current_user, list_id)
    form = ResolveForm()
    try:
        if not form.validate_on_submit():
            raise RegistryError(_first_error(form))
        services.resolve_objection(current_user, tier_list, form.objection_id.data,
                                   outcome=form.outcome.data, resolution=form.resolution.data)
    except RegistryError as exc:
        return _fail(exc, list_id)
    return _done("异议已处理。", list_id)


@bp.route("/<list_id>/publish", methods=["POST"])
@staff_required
def publish(list_id):
    tier_list = services.get_list_for(current_user, list_id)
    form = VersionForm()
    try:
        if not form.validate_on_submit():
            raise RegistryError(_first_error(form))
        services.publish(current_user, tier_list, version=form.version.data)
    except RegistryError as exc:
        return _fail(exc, list_id)
    return _done(f"名单已发布，已为{len(tier_list.entries)}家企业生成认定记录。", list_id)


@bp.route("/<list_id>/amend", methods=["POST"])
@staff_required
def amend(list_id):
    tier_list = services.get_list_for(current_user, list_id)
    form = AmendForm()
    try:
        if not form.validate_on_submit():
            raise RegistryError(_first_error(form))
        firm = services.find_firm(current_user, form.firm.data)
        changes = {k: getattr(form, k).data for k in ("firm_name", "uscc", "town_name", "note")
                   if getattr(form, k).data}
        services.amend(current_user, tier_list, kind=form.kind.data, firm=firm, reason=form.reason.data,
                       document_no=form.document_no.data, changes=changes)
    except RegistryError as exc:
        return _fail(exc, list_id)
    return _done("更正已记录。", list_id)


@bp.route("/<list_id>/official.xlsx")
@bureau_required
def official(list_id):
    tier_list = services.get_list_for(current_user, list_id)
    return xlsx(official_list_workbook(tier_list, current_user), f"{tier_list.title}.xlsx")


@bp.route("/<list_id>/notice.xlsx")
@bureau_required
def notice_export(list_id):
    tier_list = services.get_list_for(current_user, list_id)
    return xlsx(notice_workbook(tier_list, current_user), f"{tier_list.title}（公示）.xlsx")


def _first_error(form) -> str:
    if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
        return "页面已过期，请刷新后重试。"
    for field in form:
        if field.errors:
            label = field.label.text if field.label and field.label.text else ""
            return (f"{label}：" if label and field.type != "CSRFTokenField" else "") + str(field.errors[0])
    return "提交的内容无效，请刷新页面后重试。"


from registry.lists import views_follow, views_screening  # noqa: E402,F401  (routes on bp)
