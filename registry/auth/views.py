"""Login, logout and the forced password change; account administration is in ``users``.

A session ends when its account is deactivated (the loader refuses inactive users) or its
password is replaced (the session carries a fingerprint of the password hash it was opened
with), so an admin's deactivation or reset takes effect at once.
"""
from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from registry.auth.access import allow_writes, signed_in
from registry.auth.forms import ChangePasswordForm, LoginForm
from registry.auth.services import authenticate, change_own_password
from registry.errors import RegistryError
from registry.extensions import db, login_manager

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"


@login_manager.user_loader
def load_user(user_id: str):
    from registry.auth.models import User

    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


def _fingerprint(user) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def safe_next(target: str | None) -> str | None:
    """Only a local path may follow a login: no scheme, no host, no '//' or '\\'."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target


@bp.before_app_request
def force_password_change():
    if not current_user.is_authenticated:
        return None
    known = session.get("pwfp")
    if known is None:  # a session restored from a remember-me cookie
        session["pwfp"] = _fingerprint(current_user)
    elif known != _fingerprint(current_user):
        logout_user()
        session.pop("pwfp", None)
        flash("您的密码已被重置，请使用新密码重新登录。", "warning")
        return redirect(url_for("auth.login"))
    if current_user.must_change_password and request.endpoint not in (
            "auth.change_password", "auth.logout", "static"):
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        db.session.commit()
        if user is None:
            flash("用户名或密码错误。", "danger")
        else:
            login_user(user, remember=form.remember.data)
            session["pwfp"] = _fingerprint(user)
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow_writes("viewer", "firm")
@signed_in
def logout():
    logout_user()
    session.pop("pwfp", None)
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@allow_writes("viewer", "firm")
@signed_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_own_password(current_user, form.current.data, form.new.data)
        except RegistryError as exc:
            db.session.rollback()
            getattr(form, exc.field or "new", form.new).errors.append(exc.message)
        else:
            db.session.commit()
            session["pwfp"] = _fingerprint(current_user)
            flash("密码已修改。", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)


from registry.auth import users  # noqa: E402,F401  (account administration, on this blueprint)
