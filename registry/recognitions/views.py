"""Recognitions and programme settings (placeholder until built)."""
from __future__ import annotations

from flask import Blueprint, render_template

from registry.auth.access import admin_required

bp = Blueprint("recognitions", __name__, url_prefix="/recognitions")


@bp.route("/programmes")
@admin_required
def programmes():
    return render_template("_placeholder.html", heading="认定类别设置")
