"""Firm accounts, for bureau staff: issue one, issue for a filtered set of firms (the
codes leave as an Excel sheet through the exporter), reset one. Activation codes are
rendered only into the POST's response (``no-store``) or the downloaded sheet — never a
flash message, URL or log.
"""
from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import (
    current_app, flash, make_response, redirect, render_template, request, send_file, url_for,
)
from flask_login import current_user
from sqlalchemy import select

from registry.auth.access import staff_required
from registry.errors import RegistryError
from registry.extensions import db
from registry.firms.models import Firm
from registry.firms.services import firm_query
from registry.firms.uscc import normalise_uscc
from registry.firms.views import _filter_form
from registry.portal import accounts as acc
from registry.portal.forms import AccountForm, VersionForm
from registry.portal.views import bp, put_error

BULK_LIMIT = 5000


def _no_store(html):
    resp = make_response(html)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/accounts/", methods=["GET", "POST"])
@staff_required
def accounts():
    form = AccountForm()
    if form.validate_on_submit():
        firm = db.session.scalar(select(Firm).where(Firm.uscc == normalise_uscc(form.uscc.data)))
        if firm is None:
            form.uscc.errors = list(form.uscc.errors) + ["库中没有该统一社会信用代码的企业"]
        else:
            try:
                user, code = acc.issue_account(current_user, firm, display_name=form.display_name.data)
                db.session.commit()
            except RegistryError as exc:
                db.session.rollback()
                put_error(form, exc)
            else:
                return _no_store(render_template("portal/account_code.html", issued=[(firm, user, code)],
                                                 reset=False))
    q = request.args.get("q", "")
    return render_template("portal/accounts.html", form=form, users=acc.recent_accounts(q), q=q,
                           counts=acc.account_counts(), reset_form=VersionForm())


@bp.route("/accounts/bulk", methods=["GET", "POST"])
@staff_required
def accounts_bulk():
    form, f = _filter_form()
    ids = list(db.session.scalars(firm_query(current_user, f).with_only_columns(Firm.id).order_by(None)
                                  .limit(BULK_LIMIT + 1)))
    too_many = len(ids) > BULK_LIMIT
    todo = acc.firms_without_account(ids[:BULK_LIMIT])
    if request.method == "POST":
        if not todo:
            flash("筛选结果中的企业都已开通账号。", "info")
            return redirect(url_for("portal.accounts_bulk", **request.args))
        issued = acc.issue_bulk(current_user, todo)
        data = acc.codes_workbook(issued, title=f"{current_app.config['BUREAU_NAME']} 企业账号激活码")
        db.session.commit()
        resp = send_file(BytesIO(data), as_attachment=True,
                         download_name=f"企业账号激活码-{date.today():%Y-%m-%d}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp.headers["Cache-Control"] = "no-store"
        return resp
    args = {k: v for k, v in request.args.items() if v}
    return render_template("portal/accounts_bulk.html", form=form, matched=len(ids), todo=todo[:50],
                           todo_count=len(todo), too_many=too_many, args=args, confirm=VersionForm())


@bp.route("/accounts/<user_id>/reset", methods=["POST"])
@staff_required
def account_reset(user_id):
    user = acc.get_firm_account(user_id)
    code = acc.reset_account(current_user, user)
    db.session.commit()
    return _no_store(render_template("portal/account_code.html", issued=[(user.firm, user, code)],
                                     reset=True))
