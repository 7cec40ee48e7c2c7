"""Login, logout, activation and the forced password change; account administration is
in ``users``.

A session ends when its account is deactivated or its password is replaced: the id a
session or remember-me cookie carries is "<user id>:<session version>" (``User.get_id``),
and every password change, reset and deactivation moves the version on, so the loader no
longer finds the user. Sessions are permanent with a configurable lifetime
(``PERMANENT_SESSION_LIFETIME``). Sign-in is rate-limited per account and per address
(``registry.auth.ratelimit``).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from registry.auth.access import allow_writes, signed_in
from registry.auth.forms import ChangePasswordForm, LoginForm
from registry.auth import ratelimit
from registry.auth.passwords import POLICY_TEXT
from registry.auth.services import authenticate, change_own_password, normalise_username
from registry.errors import RegistryError
from registry.extensions import db, login_manager

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"


@login_manager.user_loader
def load_user(user_id: str):
    from registry.auth.models import User

    uid, _, version = (user_id or "").partition(":")
    if not (uid.isdigit() and version.isdigit()) or not 0 < int(uid) <= 2**31 - 1:
        return None
    user = db.session.get(User, int(uid))
    if user is None or not user.is_active or (user.session_version or 1) != int(version):
        return None
    return user


def client_address() -> str:
    """The address rate limits count against (behind a proxy, configure ProxyFix)."""
    return (request.remote_addr or "unknown")[:64]


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
        username, address = normalise_username(form.username.data), client_address()
        if ratelimit.is_blocked(username, address):
            flash("登录失败次数过多，请15分钟后再试；如忘记密码请联系科技局重置。", "danger")
            return render_template("auth/login.html", form=form), 429
        user = authenticate(form.username.data, form.password.data)
        ratelimit.note_attempt(username, address, user is not None)
        db.session.commit()
        if user is None:
            flash("用户名或密码错误。", "danger")
        else:
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/activate", methods=["GET", "POST"])
def activate():
    """A firm account's first sign-in: USCC + the bureau's one-time code → own password.

    Public (the firm has no password yet), rate-limited like the login."""
    from registry.auth.forms import ActivateForm
    from registry.portal.accounts import activate as activate_account

    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = ActivateForm()
    if form.validate_on_submit():
        key, address = "activate:" + normalise_username(form.uscc.data), client_address()
        if ratelimit.is_blocked(key, address):
            flash("尝试次数过多，请15分钟后再试。", "danger")
            return render_template("auth/activate.html", form=form, policy=POLICY_TEXT), 429
        try:
            user = activate_account(form.uscc.data, form.code.data, form.password.data)
        except RegistryError as exc:
            db.session.rollback()
            if exc.field == "code":
                ratelimit.note_attempt(key, address, False)
                db.session.commit()
            getattr(form, exc.field or "code", form.code).errors.append(exc.message)
        else:
            db.session.commit()
            flash(f"账号已激活，请使用用户名 {user.username} 和新密码登录。", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/activate.html", form=form, policy=POLICY_TEXT)


@bp.route("/logout", methods=["POST"])
@allow_writes("viewer", "firm")
@signed_in
def logout():
    logout_user()
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
            login_user(current_user._get_current_object())  # the session follows the new version
            flash("密码已修改。", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)


from registry.auth import users  # noqa: E402,F401  (account administration, on this blueprint)
