"""Statistics dashboard and figures (placeholder until built)."""
from __future__ import annotations

from flask import Blueprint, render_template

from registry.auth.access import bureau_required

bp = Blueprint("stats", __name__, url_prefix="/stats")


@bp.route("/")
@bureau_required
def index():
    return render_template("_placeholder.html", heading="统计分析")
