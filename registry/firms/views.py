"""Firm list and the firm's 档案 page."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from registry import reference
from registry.extensions import db
from registry.firms.forms import FirmFilterForm
from registry.firms.profile import firm_profile
from registry.firms.services import FirmFilter, firm_query, get_firm_for
from registry.auth.access import bureau_required, signed_in

bp = Blueprint("firms", __name__, url_prefix="/firms")


@bp.route("/")
@bureau_required
def index():
    form = FirmFilterForm(request.args)
    form.fill_choices(reference.towns(), reference.industries(), reference.programmes())
    form.validate()
    f = FirmFilter(q=form.q.data or "", town_id=form.town.data, industry_id=form.industry.data,
                   programme_id=form.programme.data, year=form.year.data if not form.year.errors else None,
                   status=form.status.data or None)
    page = db.paginate(firm_query(current_user, f), per_page=current_app.config["PER_PAGE"],
                       max_per_page=100, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("firms/index.html", form=form, page=page, args=args)


@bp.route("/<firm_id>")
@signed_in
def detail(firm_id):
    firm = get_firm_for(current_user, firm_id)
    return render_template("firms/detail.html", firm=firm, today=date.today(), **firm_profile(firm))
