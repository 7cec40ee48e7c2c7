"""Account administration (admin only): list, create, edit, deactivate, reset a password.

Registered on the ``auth`` blueprint (URL prefix /auth/users). Views stay thin: the form,
one service from ``auth.services`` (which enforces the role rules and writes the audit
entry), one commit. A one-time password is rendered straight into the POST's response with
``Cache-Control: no-store`` — never put in a flash message, the session cookie or a URL.
"""
from __future__ import annotations

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from registry import reference
from registry.audit.services import entries_for
from registry.auth.access import admin_required
from registry.auth.forms import ConfirmForm, UserCreateForm, UserEditForm, UserFilterForm
from registry.auth.services import (
    UserFilter, active_admin_count, add_user, firm_by_uscc, get_user, reset_password, set_active,
    update_user, user_query,
)
from registry.auth.views import bp
from registry.errors import RegistryError
from registry.extensions import db
from registry.firms.models import Town


def _apply(form, exc: RegistryError) -> None:
    """Show a service's refusal beside the field it names, or above the form."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = list(target.errors) + [exc.message]
    else:
        flash(exc.message, "danger")


def _bindings(form, user=None):
    """The towns and firm the form names (a firm looked up by its USCC only when needed).

    When an edit changes the role, bindings the new role cannot have are dropped (a town
    officer made a viewer loses their towns) instead of refused; a new account, or an
    unchanged role, gets the services' explicit refusal."""
    if user is not None and form.role.data != user.role:
        if form.role.data != "town":
            form.towns.data = []
        if form.role.data != "firm":
            form.firm_uscc.data = ""
    towns = []
    if form.towns.data:
        towns = list(db.session.scalars(select(Town).where(Town.id.in_(form.towns.data))
                                        .order_by(Town.sort_order, Town.id)))
    firm = None
    if form.role.data == "firm" or (form.firm_uscc.data or "").strip():
        firm = firm_by_uscc(form.firm_uscc.data)
    return towns, firm


def _one_time(user, password, *, created: bool):
    resp = make_response(render_template("auth/user_password.html", user=user, password=password,
                                         created=created))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/users")
@admin_required
def users():
    form = UserFilterForm(request.args)
    form.fill_towns(reference.towns())
    form.validate()
    f = UserFilter(role=form.role.data or None, town_id=form.town.data,
                   active={"1": True, "0": False}.get(form.active.data), q=form.q.data or "")
    page = db.paginate(user_query(f), per_page=current_app.config["PER_PAGE"], max_per_page=100,
                       error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("auth/users.html", form=form, page=page, args=args,
                           admins=active_admin_count())


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new():
    form = UserCreateForm()
    form.fill_towns(reference.towns())
    if request.method == "GET":
        form.role.data = request.args.get("role") or "staff"
    if form.validate_on_submit():
        try:
            towns, firm = _bindings(form)
            user, password = add_user(
                current_user, username=form.username.data, role=form.role.data,
                display_name=form.display_name.data, towns=towns, firm=firm,
                phone=form.phone.data, password=form.password.data or None)
        except RegistryError as exc:
            db.session.rollback()
            _apply(form, exc)
        else:
            db.session.commit()
            return _one_time(user, password, created=True)
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/users/<user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id):
    user = get_user(user_id)
    form = UserEditForm(obj=user if request.method == "GET" else None)
    form.fill_towns(reference.towns())
    if request.method == "GET":
        form.towns.data = [t.id for t in user.towns]
        form.firm_uscc.data = user.firm.uscc if user.firm else ""
        form.is_active.data = bool(user.is_active_flag)
    if form.validate_on_submit():
        try:
            towns, firm = _bindings(form, user)
            update_user(current_user, user, role=form.role.data,
                        display_name=form.display_name.data, towns=towns, firm=firm,
                        phone=form.phone.data, active=form.is_active.data)
        except RegistryError as exc:
            db.session.rollback()
            user = get_user(user_id)
            _apply(form, exc)
        else:
            db.session.commit()
            flash(f"用户 {user.username} 已保存。", "success")
            return redirect(url_for("auth.user_edit", user_id=user.id))
    return render_template("auth/user_form.html", form=form, user=user, action_form=ConfirmForm(),
                           entries=entries_for(entity_type="user", entity_id=user.id, limit=30))


@bp.route("/users/<user_id>/active", methods=["POST"])
@admin_required
def user_set_active(user_id):
    user = get_user(user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        active = request.form.get("active") == "1"
        try:
            set_active(current_user, user, active)
        except RegistryError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(f"用户 {user.username} 已{'启用' if active else '停用'}。", "success")
    else:
        flash("页面已过期，请重试。", "warning")
    return redirect(url_for("auth.user_edit", user_id=user.id))


@bp.route("/users/<user_id>/password", methods=["POST"])
@admin_required
def user_reset_password(user_id):
    user = get_user(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("页面已过期，请重试。", "warning")
        return redirect(url_for("auth.user_edit", user_id=user.id))
    password = reset_password(current_user, user)
    db.session.commit()
    return _one_time(user, password, created=False)
