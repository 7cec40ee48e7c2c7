"""The global audit log (placeholder until built)."""
from __future__ import annotations

from flask import Blueprint, render_template

from registry.auth.access import staff_required

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@staff_required
def index():
    return render_template("_placeholder.html", heading="操作日志")
