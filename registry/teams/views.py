"""Innovation teams: list, members, evaluations (placeholder until built)."""
from __future__ import annotations

from flask import Blueprint, render_template

from registry.auth.access import bureau_required

bp = Blueprint("teams", __name__, url_prefix="/teams")


@bp.route("/")
@bureau_required
def index():
    return render_template("_placeholder.html", heading="科技创新团队")
