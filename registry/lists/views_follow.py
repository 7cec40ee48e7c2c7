"""Ladder movement, 高企 expiry and missing 年报, the year's combined workbook (routes on
the lists blueprint). Read by every bureau role; recording a 年报 is staff work."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from registry.auth.access import bureau_required, staff_required
from registry.errors import RegistryError
from registry.extensions import db
from registry.lists import exports, ladder, services
from registry.lists.defaults import DEFAULT_YEAR
from registry.lists.forms import ReportForm
from registry.lists.views import _first_error, bp, xlsx, year_arg


@bp.route("/ladder")
@bureau_required
def ladder_page():
    year = year_arg() or DEFAULT_YEAR
    return render_template("lists/ladder.html", year=year, ladder=ladder.ladder_movement(current_user, year),
                           moves=ladder.MOVES)


@bp.route("/ladder.xlsx")
@bureau_required
def ladder_export():
    year = year_arg() or DEFAULT_YEAR
    return xlsx(exports.ladder_workbook(ladder.ladder_movement(current_user, year)), f"{year}年度梯队变动.xlsx")


@bp.route("/high-tech")
@bureau_required
def high_tech():
    year = year_arg() or DEFAULT_YEAR
    form = ReportForm(year=year)
    return render_template("lists/high_tech.html", year=year, form=form,
                           expiring=ladder.expiring_high_tech(current_user, year),
                           missing=ladder.missing_reports(current_user, year))


@bp.route("/high-tech/expiring.xlsx")
@bureau_required
def expiring_export():
    year = year_arg() or DEFAULT_YEAR
    return xlsx(exports.expiring_workbook(year, ladder.expiring_high_tech(current_user, year)),
                f"高企证书{year + 1}年到期名单.xlsx")


@bp.route("/high-tech/reports.xlsx")
@bureau_required
def reports_export():
    year = year_arg() or DEFAULT_YEAR
    return xlsx(exports.missing_reports_workbook(year, ladder.missing_reports(current_user, year)),
                f"高企{year}年度年报未报名单.xlsx")


@bp.route("/high-tech/reports", methods=["POST"])
@staff_required
def record_report():
    form = ReportForm()
    year = form.year.data if isinstance(form.year.data, int) else DEFAULT_YEAR
    try:
        if not form.validate_on_submit():
            raise RegistryError(_first_error(form))
        firm = services.find_firm(current_user, form.firm.data)
        ladder.record_report(current_user, firm, form.year.data, form.submitted_on.data, form.note.data)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("lists.high_tech", year=year))
    db.session.commit()
    flash(f"已登记{firm.name}{form.year.data}年度年报。", "success")
    return redirect(url_for("lists.high_tech", year=year))


@bp.route("/combined.xlsx")
@bureau_required
def combined():
    year = year_arg() or DEFAULT_YEAR
    return xlsx(exports.combined_workbook(year, current_user), f"{year}年度培育名单汇总.xlsx")
