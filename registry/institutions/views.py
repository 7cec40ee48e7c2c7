"""R&D institutions: list, CRUD, promotion history (placeholder until built)."""
from __future__ import annotations

from flask import Blueprint, render_template

from registry.auth.access import bureau_required

bp = Blueprint("institutions", __name__, url_prefix="/institutions")


@bp.route("/")
@bureau_required
def index():
    return render_template("_placeholder.html", heading="研发机构")
