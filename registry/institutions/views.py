"""R&D institution pages: list + Excel, detail with level history, create, edit, 晋级/降级, close.

Each view reads its form, calls one service (which checks scope and rules), commits once and
redirects; town officers reach only institutions of firms in their towns (the services'
fetch-or-404), leaders read only (``editor_required`` on every change).
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from registry import reference
from registry.audit.services import entries_for
from registry.auth.access import bureau_required, editor_required
from registry.extensions import db
from registry.institutions import services
from registry.institutions.export import institutions_workbook
from registry.institutions.forms import (
    EndForm, InstitutionFilterForm, InstitutionForm, LevelChangeForm, NewInstitutionForm,
)
from registry.web import FAILED, host_firm, readable, refused, xlsx
from registry.vocab import LEVEL_CHANGE_KINDS, LEVELS

bp = Blueprint("institutions", __name__, url_prefix="/institutions")


def _filter():
    form = InstitutionFilterForm(request.args)
    form.fill_choices(current_user.towns if current_user.role == "town" else reference.towns())
    form.validate()
    f = services.InstitutionFilter(q=form.q.data or "", level=form.level.data or None,
                                   type=form.type.data or None, town_id=form.town.data,
                                   status=form.status.data or None)
    return form, f


@bp.route("/")
@bureau_required
def index():
    form, f = _filter()
    page = services.institution_page(current_user, f, per_page=current_app.config["PER_PAGE"])
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("institutions/index.html", form=form, page=page, args=args,
                           counts=services.level_counts(current_user, f))


@bp.route("/export.xlsx")
@bureau_required
def export():
    _form, f = _filter()
    data = institutions_workbook(current_user, f, bureau=current_app.config["BUREAU_NAME"])
    return xlsx(data, f"企业研发机构名单_{date.today():%Y%m%d}.xlsx")


@bp.route("/new", methods=["GET", "POST"])
@editor_required
def create():
    form = NewInstitutionForm()
    firm = host_firm(form)
    if form.validate_on_submit():
        try:
            inst = services.create_institution(
                current_user, firm_text=form.firm.data, firm_id=form.firm_id.data or None,
                name=form.name.data, type=form.type.data, level=form.level.data, year=form.year.data,
                document_no=form.document_no.data, note=form.note.data)
            db.session.commit()
        except FAILED as exc:
            refused(form, exc)
        else:
            flash(f"已新增研发机构“{inst.name}”。", "success")
            return redirect(url_for(".detail", institution_id=inst.id))
    return render_template("institutions/form.html", form=form, inst=None, firm=firm), \
        400 if form.is_submitted() else 200


@bp.route("/<institution_id>")
@bureau_required
def detail(institution_id):
    inst = services.get_institution_for(current_user, institution_id)
    history = readable(entries_for(entity_type=services.ENTITY, entity_id=inst.id, limit=100))
    return render_template("institutions/detail.html", inst=inst, kinds=LEVEL_CHANGE_KINDS, history=history,
                           can_edit=current_user.role in ("admin", "staff", "town"),
                           higher=services.allowed_levels(inst, "promotion"),
                           lower=services.allowed_levels(inst, "demotion"))


@bp.route("/<institution_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(institution_id):
    inst = services.get_institution_for(current_user, institution_id)
    form = InstitutionForm(obj=inst if request.method == "GET" else None)
    changes = []
    if form.validate_on_submit():
        try:
            services.update_institution(current_user, inst, version=form.version.data, name=form.name.data,
                                        type=form.type.data, note=form.note.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            inst = services.get_institution_for(current_user, institution_id)
        else:
            flash("已保存。", "success")
            return redirect(url_for(".detail", institution_id=inst.id))
    return render_template("institutions/form.html", form=form, inst=inst, firm=inst.firm,
                           changes=changes), 400 if form.is_submitted() else 200


@bp.route("/<institution_id>/promote", methods=["GET", "POST"], endpoint="promote",
          defaults={"kind": "promotion"})
@bp.route("/<institution_id>/demote", methods=["GET", "POST"], endpoint="demote",
          defaults={"kind": "demotion"})
@editor_required
def change_level(institution_id, kind):
    inst = services.get_institution_for(current_user, institution_id)
    form = LevelChangeForm(version=inst.version)
    form.to_level.choices = [("", "请选择")] + [(c, LEVELS[c]) for c in services.allowed_levels(inst, kind)]
    changes = []
    if form.validate_on_submit():
        try:
            services.change_level(current_user, inst, kind, version=form.version.data,
                                  to_level=form.to_level.data, year=form.year.data,
                                  document_no=form.document_no.data, note=form.note.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            inst = services.get_institution_for(current_user, institution_id)
        else:
            flash(f"已{LEVEL_CHANGE_KINDS[kind]}为{inst.level_label}。", "success")
            return redirect(url_for(".detail", institution_id=inst.id))
    return render_template("institutions/level.html", form=form, inst=inst, kind=kind,
                           word=LEVEL_CHANGE_KINDS[kind], changes=changes,
                           last=services.last_change(inst)), 400 if form.is_submitted() else 200


@bp.route("/<institution_id>/close", methods=["GET", "POST"])
@editor_required
def close(institution_id):
    inst = services.get_institution_for(current_user, institution_id)
    form = EndForm(version=inst.version)
    changes = []
    if form.validate_on_submit():
        try:
            services.end_institution(current_user, inst, form.status.data, version=form.version.data,
                                     year=form.year.data, reason=form.reason.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            inst = services.get_institution_for(current_user, institution_id)
        else:
            flash(f"研发机构已{inst.status_label}。", "success")
            return redirect(url_for(".detail", institution_id=inst.id))
    return render_template("institutions/close.html", form=form, inst=inst, changes=changes), \
        400 if form.is_submitted() else 200
