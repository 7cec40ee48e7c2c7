"""Recognitions (add, edit, revoke — on the firm's 档案 page) and programme settings (admin).

Thin views: form → one service → one commit → redirect. Recognition pages fetch through
``get_firm_for_edit`` / ``get_recognition_for_edit``: 404 outside the user's scope, 403
for a user who may read but not change the firm's records.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from registry import reference
from registry.auth.access import admin_required, editor_required
from registry.errors import RegistryError
from registry.extensions import db
from registry.firms.locking import EditConflict, seal, unseal
from registry.firms.services import get_firm_for_edit
from registry.firms.support import adopt_changes, apply_error
from registry.recognitions.forms import ConfirmForm, ProgrammeForm, RecognitionForm, RevokeForm
from registry.recognitions.programmes import (
    create_programme, delete_programme, get_programme, programme_list, update_programme, usage,
)
from registry.recognitions.services import (
    add_recognition, get_recognition_for_edit, recognition_snapshot, revoke_recognition,
    update_recognition,
)

bp = Blueprint("recognitions", __name__, url_prefix="/recognitions")
#: Service field → form field, where they differ.
FORM_FIELDS = {"programme": "programme_id"}


def _back(firm_id: int):
    return redirect(url_for("firms.detail", firm_id=firm_id) + "#sec-rec")


@bp.route("/new/<firm_id>", methods=["GET", "POST"])
@editor_required
def new(firm_id):
    firm = get_firm_for_edit(current_user, firm_id)
    programmes = reference.programmes()
    form = RecognitionForm()
    form.fill_choices(programmes)
    if request.method == "GET":
        form.year.data = date.today().year
    elif form.validate_on_submit():
        try:
            rec = add_recognition(current_user, firm, **form.values(programmes))
            db.session.commit()
        except RegistryError as exc:
            db.session.rollback()
            apply_error(form, exc, fields=FORM_FIELDS)
            firm = get_firm_for_edit(current_user, firm_id)
        else:
            flash(f"已新增认定：{rec.year}年{rec.programme.short_name}"
                  f"（有效期 {rec.valid_from:%Y-%m-%d} 至 {rec.valid_until:%Y-%m-%d}）。", "success")
            return _back(firm.id)
    return render_template("recognitions/form.html", form=form, firm=firm, rec=None,
                           programmes=programmes)


@bp.route("/<recognition_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(recognition_id):
    rec = get_recognition_for_edit(current_user, recognition_id)
    programmes = reference.programmes()
    form = RecognitionForm(obj=rec) if request.method == "GET" else RecognitionForm()
    form.fill_choices(programmes)
    conflict = None
    if request.method == "GET":
        form.original.data = seal(recognition_snapshot(rec))
    elif form.validate_on_submit():
        try:
            changes = update_recognition(current_user, rec, version=form.version.data,
                                         original=unseal(form.original.data),
                                         **form.values(programmes))
            db.session.commit()
        except EditConflict as exc:
            db.session.rollback()
            conflict, rec = exc, get_recognition_for_edit(current_user, recognition_id)
            current = {n: getattr(rec, n) for n in ("year", "batch", "certificate_no", "issued_on",
                                                    "valid_from", "valid_until", "document_no", "note")}
            current["programme_id"] = rec.programme_id
            names = {p.id: p.name for p in programmes}
            conflict.conflicted = adopt_changes(form, exc.changes, current, FORM_FIELDS,
                                                shown={"programme_id": names.get})
            form.version.data, form.original.data = rec.version, seal(recognition_snapshot(rec))
        except RegistryError as exc:
            db.session.rollback()
            apply_error(form, exc, fields=FORM_FIELDS)
            rec = get_recognition_for_edit(current_user, recognition_id)
        else:
            flash("认定记录已保存。" if changes else "没有需要保存的修改。", "success" if changes else "info")
            return _back(rec.firm_id)
    return render_template("recognitions/form.html", form=form, firm=rec.firm, rec=rec,
                           programmes=programmes, conflict=conflict)


@bp.route("/<recognition_id>/revoke", methods=["GET", "POST"])
@editor_required
def revoke(recognition_id):
    rec = get_recognition_for_edit(current_user, recognition_id)
    form = RevokeForm()
    if request.method == "GET":
        form.version.data, form.on.data = rec.version, date.today()
    elif form.validate_on_submit():
        try:
            revoke_recognition(current_user, rec, reason=form.reason.data, on=form.on.data,
                               version=form.version.data)
            db.session.commit()
        except RegistryError as exc:
            db.session.rollback()
            apply_error(form, exc)
            rec = get_recognition_for_edit(current_user, recognition_id)
        else:
            flash(f"已撤销 {rec.year}年{rec.programme.short_name} 认定。", "success")
            return _back(rec.firm_id)
    return render_template("recognitions/revoke.html", form=form, rec=rec, firm=rec.firm)


# --- programme settings (admin) ----------------------------------------------------------------

@bp.route("/programmes")
@admin_required
def programmes():
    return render_template("recognitions/programmes.html", rows=programme_list(), delete_form=ConfirmForm())


@bp.route("/programmes/new", methods=["GET", "POST"])
@admin_required
def programme_new():
    form = ProgrammeForm()
    if form.validate_on_submit():
        try:
            programme = create_programme(current_user, code=form.code.data, **form.values())
            db.session.commit()
        except RegistryError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            flash(f"已新增认定类别“{programme.name}”。", "success")
            return redirect(url_for("recognitions.programmes"))
    return render_template("recognitions/programme_form.html", form=form, programme=None)


@bp.route("/programmes/<programme_id>/edit", methods=["GET", "POST"])
@admin_required
def programme_edit(programme_id):
    programme = get_programme(programme_id)
    form = ProgrammeForm(obj=programme) if request.method == "GET" else ProgrammeForm()
    form.code.data = programme.code  # shown, never changed
    if form.validate_on_submit():
        try:
            changed = update_programme(current_user, programme, **form.values())
            db.session.commit()
        except RegistryError as exc:
            db.session.rollback()
            apply_error(form, exc)
            programme = get_programme(programme_id)
        else:
            flash(f"已保存“{programme.name}”。" if changed else "没有需要保存的修改。",
                  "success" if changed else "info")
            return redirect(url_for("recognitions.programmes"))
    return render_template("recognitions/programme_form.html", form=form, programme=programme,
                           used=usage(programme))


@bp.route("/programmes/<programme_id>/delete", methods=["POST"])
@admin_required
def programme_delete(programme_id):
    programme = get_programme(programme_id)
    if ConfirmForm().validate_on_submit():
        name = programme.name
        try:
            delete_programme(current_user, programme)
            db.session.commit()
        except RegistryError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash(f"已删除认定类别“{name}”。", "success")
    return redirect(url_for("recognitions.programmes"))
