"""The landing route: each role starts where its work is."""
from flask import Blueprint, redirect, url_for
from flask_login import current_user

from registry.auth.access import signed_in

bp = Blueprint("main", __name__)


@bp.route("/")
@signed_in
def index():
    if current_user.role == "firm":
        return redirect(url_for("firms.detail", firm_id=current_user.firm_id))
    return redirect(url_for("firms.index"))
