"""The import pages: upload → preview (with column mapping) → confirm or discard, plus the
error workbook and the blank templates. Each view calls one service and commits once; the
preview is rebuilt from the batch stored in the database, so any worker can serve it."""
from __future__ import annotations

from io import BytesIO
from pathlib import PurePath

from flask import (
    Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for,
)
from flask_login import current_user

from registry import reference
from registry.auth.access import staff_required
from registry.errors import RegistryError
from registry.excel import background, exporter, preview, services, snapshot
from registry.excel.forms import IGNORE, ActionForm, ConfirmForm, UploadForm, mapping_from
from registry.extensions import db
from registry.vocab import IMPORT_KINDS

bp = Blueprint("excel", __name__, url_prefix="/excel")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/")
@staff_required
def index():
    form = UploadForm()
    form.fill_choices(reference.programmes())
    return _index(form)


def _index(form, status=200):
    batches = services.recent_batches(current_user)
    max_mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
    return render_template("excel/index.html", form=form, batches=batches, kinds=IMPORT_KINDS,
                           max_mb=max_mb), status


@bp.route("/upload", methods=["POST"])
@staff_required
def upload():
    form = UploadForm()
    form.fill_choices(reference.programmes())
    if not form.validate_on_submit():
        return _index(form, 400)
    upload = form.file.data
    try:
        batch = background.upload(
            current_user, upload.read(), PurePath(upload.filename or "").name,
            kind=form.kind.data or None, programme=form.programme.data or None, year=form.year.data)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".index"))
    db.session.commit()
    background.start_queued()
    return redirect(url_for(".show", batch_id=batch.id))


@bp.route("/<batch_id>")
@staff_required
def show(batch_id):
    batch = services.get_batch_for(current_user, batch_id)
    ctx = {"batch": batch, "confirm_form": ConfirmForm(), "action_form": ActionForm(),
           "IGNORE": IGNORE, "SHOW": preview.SHOW}
    if batch.job_status:
        ctx["job"] = background.status(batch)
    if background.no_preview(batch):  # a job at work on it, or one that could not read it
        return render_template("excel/preview.html", plan=None, **ctx)
    if batch.status == "preview" and snapshot.usable(batch.result):  # checked by a job
        ctx.update(snapshot.context(batch.result, request.args.get("show"),
                                    request.args.get("page", 1, int), reference.programmes()))
    elif batch.status == "preview":
        mapping = (batch.options or {}).get("mapping")
        try:
            plan = services.load_plan(batch)
        except RegistryError as exc:
            flash(exc.message, "danger")
            return render_template("excel/preview.html", plan=None, **ctx)
        counts = plan.counts()
        show = request.args.get("show") or preview.default_show(counts)
        ctx.update(plan=plan, counts=counts, page=preview.rows_page(plan, show, request.args.get("page", 1, int)),
                   sheets=preview.sheet_summaries(plan), mapping=preview.mapping_sheets(plan, mapping),
                   programme_name=preview.programme_name(plan.workbook.programme, reference.programmes()))
    return render_template("excel/preview.html", **ctx)


@bp.route("/<batch_id>/mapping", methods=["POST"])
@staff_required
def mapping(batch_id):
    batch = services.get_batch_for(current_user, batch_id)
    if batch.status != "preview" or not ActionForm().validate_on_submit():
        abort(400)
    if background.is_active(batch):
        flash("该批次正在后台处理，请等待完成后再操作。", "warning")
        return redirect(url_for(".show", batch_id=batch.id))
    choices = background.mapping_choices(batch)
    save = bool(request.form.get("save"))
    queued = background.remap(current_user, batch, choices, mapping_from(request.form, choices.sheets),
                              save=save)
    db.session.commit()
    background.start_queued()
    flash(("正在按所选对应关系重新检查" if queued else "已按所选对应关系重新识别")
          + ("，并保存了此映射" if save else "") + "。", "success")
    return redirect(url_for(".show", batch_id=batch.id))


@bp.route("/<batch_id>/confirm", methods=["POST"])
@staff_required
def confirm(batch_id):
    batch = services.get_batch_for(current_user, batch_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = background.confirm(current_user, batch, valid_only=form.valid_only.data)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".show", batch_id=batch_id))
    db.session.commit()
    background.start_queued()
    if result is not None:  # imported in this request; else a job is importing it
        flash(preview.flash_counts(result), "success")
    return redirect(url_for(".show", batch_id=batch_id))


@bp.route("/<batch_id>/discard", methods=["POST"])
@staff_required
def discard(batch_id):
    batch = services.get_batch_for(current_user, batch_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        background.discard(current_user, batch)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".show", batch_id=batch_id))
    db.session.commit()
    flash(f"已放弃导入《{batch.filename}》，没有写入任何数据。", "info")
    return redirect(url_for(".index"))


@bp.route("/<batch_id>/status.json")
@staff_required
def status(batch_id):
    """The progress bar's poll: a background job's state, read from the batch row."""
    batch = services.get_batch_for(current_user, batch_id)
    resp = jsonify(background.status(batch))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/<batch_id>/errors.xlsx")
@staff_required
def errors(batch_id):
    batch = services.get_batch_for(current_user, batch_id)
    if batch.status != "preview":
        abort(404)
    plan = services.load_plan(batch)
    data = exporter.error_workbook(plan, all_rows=request.args.get("all") == "1")
    stem = PurePath(batch.filename).stem or "导入"
    return _xlsx(data, f"{stem}_错误清单.xlsx")


@bp.route("/templates/<kind>.xlsx")
@staff_required
def template(kind):
    if kind not in IMPORT_KINDS:
        abort(404)
    data = exporter.template_workbook(kind, towns=reference.towns(), industries=reference.industries())
    return _xlsx(data, f"{IMPORT_KINDS[kind]}导入模板.xlsx")


def _xlsx(data: bytes, name: str):
    """An attachment; werkzeug writes the Chinese name as RFC 5987 filename*."""
    resp = send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
    resp.headers["Cache-Control"] = "no-store"
    return resp
