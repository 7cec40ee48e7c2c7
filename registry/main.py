"""The landing route: each role starts where its work is.

Bureau roles land on the firm list (already narrowed to a town officer's towns), a firm
user on the portal (/portal/: their own firm's 档案, requests and annual data). An account that cannot work yet (a town officer with no
towns) is told why instead of seeing an empty list without explanation.
"""
from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user

from registry.auth.access import signed_in

bp = Blueprint("main", __name__)


@bp.route("/")
@signed_in
def index():
    if current_user.role == "firm":
        return redirect(url_for("portal.index"))
    if current_user.role == "town" and not current_user.towns:
        flash("您的账号尚未分配负责的镇（街道），暂时看不到任何企业，请联系管理员。", "warning")
    return redirect(url_for("firms.index"))
