"""Annual tier lists: screening, 公示, publish (placeholder until built)."""
from __future__ import annotations

from flask import Blueprint, render_template

from registry.auth.access import bureau_required

bp = Blueprint("lists", __name__, url_prefix="/lists")


@bp.route("/")
@bureau_required
def index():
    return render_template("_placeholder.html", heading="培育名单")
