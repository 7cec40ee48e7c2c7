"""Voucher pages: the year's list under its budget line, Excel, budget, filing, review, redemption.

Each view reads its form, calls one service, commits once and redirects. Filing and editing
are open to staff and town officers (their towns' firms, by the services' fetch-or-404);
the budget, the review (核发/不予通过) and the redemption spend the bureau's money and are
staff-only; leaders read only.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from registry import reference
from registry.audit.services import entries_for
from registry.auth.access import bureau_required, editor_required, staff_required
from registry.extensions import db
from registry.institutions.forms import int_or_none
from registry.web import FAILED, host_firm, readable, refused, xlsx
from registry.vouchers import services
from registry.vouchers.export import vouchers_workbook
from registry.vouchers.forms import (
    ApplicationForm, BudgetForm, NewApplicationForm, RedeemForm, ReviewForm, VersionForm, VoucherFilterForm,
)

bp = Blueprint("vouchers", __name__, url_prefix="/vouchers")


def _year(value=None) -> int:
    years = services.budget_years()
    year = int_or_none(value if value is not None else request.args.get("year"))
    return year if year and 1980 <= year <= 2200 else (years[0] if years else date.today().year)


def _filter():
    form = VoucherFilterForm(request.args)
    year = _year()
    form.fill_choices(sorted(set(services.budget_years()) | {year}, reverse=True),
                      current_user.towns if current_user.role == "town" else reference.towns())
    form.validate()
    form.year.data = year
    return form, services.VoucherFilter(year=year, q=form.q.data or "", status=form.status.data or None,
                                        purpose=form.purpose.data or None, town_id=form.town.data)


@bp.route("/")
@bureau_required
def index():
    form, f = _filter()
    page = db.paginate(services.voucher_query(current_user, f), per_page=current_app.config["PER_PAGE"],
                       max_per_page=100, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("vouchers/index.html", form=form, page=page, args=args, year=f.year,
                           line=services.budget_line(f.year))


@bp.route("/export.xlsx")
@bureau_required
def export():
    _form, f = _filter()
    data = vouchers_workbook(current_user, f, bureau=current_app.config["BUREAU_NAME"])
    return xlsx(data, f"科技创新券_{f.year}年_{date.today():%Y%m%d}.xlsx")


@bp.route("/budget", methods=["GET", "POST"])
@staff_required
def budget():
    year = _year(request.form.get("year") or request.args.get("year"))
    line = services.budget_line(year)
    form = BudgetForm(year=year, amount=line.budget, note=line.note, version=line.version)
    changes = []
    if form.validate_on_submit():
        try:
            services.set_budget(current_user, form.year.data, form.amount.data, note=form.note.data,
                                version=form.version.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
        else:
            flash(f"已保存{form.year.data}年创新券预算。", "success")
            return redirect(url_for(".index", year=form.year.data))
    return render_template("vouchers/budget.html", form=form, line=services.budget_line(year), changes=changes), \
        400 if form.is_submitted() else 200


@bp.route("/new", methods=["GET", "POST"])
@editor_required
def create():
    form = NewApplicationForm()
    firm = host_firm(form)
    if request.method == "GET" and not form.year.data:
        form.year.data = _year()
    if form.validate_on_submit():
        try:
            app = services.create_application(
                current_user, firm_text=form.firm.data, firm_id=form.firm_id.data or None, year=form.year.data,
                provider=form.provider.data, purpose=form.purpose.data, requested=form.requested.data,
                note=form.note.data)
            db.session.commit()
        except FAILED as exc:
            refused(form, exc)
        else:
            flash("已受理创新券申请。", "success")
            return redirect(url_for(".detail", voucher_id=app.id))
    return render_template("vouchers/form.html", form=form, app=None, firm=firm), 400 if form.is_submitted() else 200


@bp.route("/<voucher_id>")
@bureau_required
def detail(voucher_id):
    app = services.get_application_for(current_user, voucher_id)
    history = readable(entries_for(entity_type=services.ENTITY, entity_id=app.id, limit=100))
    return render_template("vouchers/detail.html", app=app, history=history, line=services.budget_line(app.year),
                           delete_form=VersionForm(version=app.version))


@bp.route("/<voucher_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(voucher_id):
    app = services.get_application_for(current_user, voucher_id)
    form = ApplicationForm(obj=app if request.method == "GET" else None)
    changes = []
    if form.validate_on_submit():
        try:
            services.update_application(current_user, app, version=form.version.data, provider=form.provider.data,
                                        purpose=form.purpose.data, requested=form.requested.data,
                                        note=form.note.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            app = services.get_application_for(current_user, voucher_id)
        else:
            flash("已保存。", "success")
            return redirect(url_for(".detail", voucher_id=app.id))
    return render_template("vouchers/form.html", form=form, app=app, firm=app.firm, changes=changes), \
        400 if form.is_submitted() else 200


@bp.route("/<voucher_id>/review", methods=["GET", "POST"])
@staff_required
def review(voucher_id):
    app = services.get_application_for(current_user, voucher_id)
    form = ReviewForm(version=app.version, amount=app.requested)
    changes = []
    if form.validate_on_submit():
        try:
            if form.decision.data == "reject":
                services.reject(current_user, app, version=form.version.data, comment=form.comment.data)
            else:
                services.issue(current_user, app, version=form.version.data, amount=form.amount.data,
                               issued_on=form.issued_on.data, comment=form.comment.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            app = services.get_application_for(current_user, voucher_id)
        else:
            flash(f"审核完成：{app.status_label}。", "success")
            return redirect(url_for(".detail", voucher_id=app.id))
    return render_template("vouchers/review.html", form=form, app=app, line=services.budget_line(app.year),
                           changes=changes), 400 if form.is_submitted() else 200


@bp.route("/<voucher_id>/redeem", methods=["GET", "POST"])
@staff_required
def redeem(voucher_id):
    app = services.get_application_for(current_user, voucher_id)
    form = RedeemForm(version=app.version, amount=app.issued)
    changes = []
    if form.validate_on_submit():
        try:
            services.redeem(current_user, app, version=form.version.data, amount=form.amount.data,
                            redeemed_on=form.redeemed_on.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            app = services.get_application_for(current_user, voucher_id)
        else:
            flash("已登记兑付。", "success")
            return redirect(url_for(".detail", voucher_id=app.id))
    return render_template("vouchers/redeem.html", form=form, app=app, changes=changes), \
        400 if form.is_submitted() else 200


@bp.route("/<voucher_id>/delete", methods=["POST"])
@editor_required
def delete(voucher_id):
    app = services.get_application_for(current_user, voucher_id)
    form = VersionForm()
    if form.validate_on_submit():
        year = app.year
        try:
            services.delete_application(current_user, app, version=form.version.data)
            db.session.commit()
        except FAILED as exc:
            refused(form, exc)
            return redirect(url_for(".detail", voucher_id=voucher_id))
        flash("已删除该申请。", "success")
        return redirect(url_for(".index", year=year))
    flash("请求已失效，请刷新页面后重试。", "danger")
    return redirect(url_for(".detail", voucher_id=app.id))
