"""Award pages (科技奖励): list + Excel, detail with history, create, edit, delete.

Thin views over ``awards.services``: town officers reach only awards of firms in their
towns, firm users only their own firm's (read only), leaders read only.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from registry import reference
from registry.audit.services import entries_for
from registry.auth.access import bureau_required, editor_required, signed_in
from registry.awards import services
from registry.awards.export import awards_workbook
from registry.awards.forms import AWARD_NAMES, AwardFilterForm, AwardForm, DeleteForm, EditAwardForm
from registry.awards.models import Award
from registry.extensions import db
from registry.web import FAILED, host_firm, readable, refused, xlsx

bp = Blueprint("awards", __name__, url_prefix="/awards")


def _filter():
    form = AwardFilterForm(request.args)
    first, last = db.session.execute(select(func.min(Award.year), func.max(Award.year))).one()
    this = date.today().year
    form.fill_choices(current_user.towns if current_user.role == "town" else reference.towns(),
                      range(max(last or this, this), (first or this) - 1, -1))
    form.validate()
    ok = lambda fld: fld.data if not fld.errors else None  # noqa: E731
    return form, services.AwardFilter(q=form.q.data or "", year=ok(form.year), level=ok(form.level) or None,
                                      grade=ok(form.grade) or None, town_id=ok(form.town))


@bp.route("/")
@bureau_required
def index():
    form, f = _filter()
    page = db.paginate(services.award_query(current_user, f), per_page=current_app.config["PER_PAGE"],
                       max_per_page=100, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("awards/index.html", form=form, page=page, args=args,
                           counts=services.level_counts(current_user, f))


@bp.route("/export.xlsx")
@bureau_required
def export():
    _form, f = _filter()
    return xlsx(awards_workbook(current_user, f, bureau=current_app.config["BUREAU_NAME"]),
                f"科技奖励_{date.today():%Y%m%d}.xlsx")


@bp.route("/new", methods=["GET", "POST"])
@editor_required
def create():
    form = AwardForm()
    firm = host_firm(form)
    if form.validate_on_submit():
        try:
            award = services.create_award(current_user, firm_text=form.firm.data,
                                          firm_id=form.firm_id.data or None, **form.values())
            db.session.commit()
        except FAILED as exc:
            refused(form, exc)
        else:
            flash(f"已新增科技奖励“{award.project_name}”。", "success")
            return redirect(url_for(".detail", award_id=award.id))
    return render_template("awards/form.html", form=form, award=None, firm=firm, names=AWARD_NAMES), \
        400 if form.is_submitted() else 200


@bp.route("/<award_id>")
@signed_in
def detail(award_id):
    award = services.get_award_for(current_user, award_id)
    history = readable(entries_for(entity_type=services.ENTITY, entity_id=award.id, limit=100))
    return render_template("awards/detail.html", award=award, history=history,
                           can_edit=current_user.role in ("admin", "staff", "town"),
                           delete_form=DeleteForm(version=award.version))


@bp.route("/<award_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(award_id):
    award = services.get_award_for(current_user, award_id)
    form = EditAwardForm(obj=award if request.method == "GET" else None)
    changes = []
    if form.validate_on_submit():
        try:
            services.update_award(current_user, award, version=form.version.data, **form.values())
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            award = services.get_award_for(current_user, award_id)
        else:
            flash("已保存。", "success")
            return redirect(url_for(".detail", award_id=award.id))
    return render_template("awards/form.html", form=form, award=award, firm=award.firm, names=AWARD_NAMES,
                           changes=changes), 400 if form.is_submitted() else 200


@bp.route("/<award_id>/delete", methods=["POST"])
@editor_required
def delete(award_id):
    award = services.get_award_for(current_user, award_id)
    form, firm_id, name = DeleteForm(), award.firm_id, award.project_name
    try:
        if not form.validate_on_submit():
            raise services.ValidationError("表单已过期，请刷新页面后重试")
        services.delete_award(current_user, award, version=form.version.data)
        db.session.commit()
    except FAILED as exc:
        refused(form, exc)
        return redirect(url_for(".detail", award_id=award_id))
    flash(f"已删除科技奖励“{name}”。", "success")
    return redirect(url_for("firms.detail", firm_id=firm_id))
