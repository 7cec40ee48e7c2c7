"""Role checks, applied on the server: one decorator per view.

Every view of the app carries one of these decorators; each records the roles it lets in
as ``view.allowed_roles`` so the access-matrix test can enumerate the routes and prove
that none was left unchecked. Object-level scope (a town officer's towns, a firm user's
own firm) is checked by each area's fetch-or-404 helper, not here.

Read-only roles (``viewer``, ``firm``) never change anything by default: the matrix test
sends every state-changing method (POST/PUT/PATCH/DELETE) as each of them and expects 403.
``roles_required`` enforces that too: a viewer or firm user sending a state-changing
request gets 403 even where the route lets them look. A view that does let one of them
write — logout, the own-password change, a firm user correcting their own firm — says so
with ``allow_writes`` directly under its route, so the exception is declared where it is
made, enforced by the same wrapper, and visible to the test.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_login import current_user, login_required

from registry.vocab import ROLES

#: Roles that only look; a write route letting them in must say so with ``allow_writes``.
READ_ONLY_ROLES = frozenset({"viewer", "firm"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def roles_required(*roles: str):
    """Allow only logged-in users whose role is one of ``roles`` (403 otherwise)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            if (request.method not in SAFE_METHODS and current_user.role in READ_ONLY_ROLES
                    and current_user.role not in getattr(wrapped, "writes_allowed_to", ())):
                abort(403)  # a read-only role writes only where ``allow_writes`` says so
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)
        return wrapped

    return decorator


def allow_writes(*roles: str):
    """Declare that read-only ``roles`` may use this view's state-changing methods.

    Goes between ``@bp.route`` and the role decorator, and records the decision as
    ``view.writes_allowed_to``, which the role decorator's wrapper reads on every request
    (and the access-matrix test reads too). The record's own fetch helper still decides
    which records such a user may change::

        @bp.route("/logout", methods=["POST"])
        @allow_writes("viewer", "firm")
        @signed_in
        def logout(): ...
    """
    unknown = set(roles) - READ_ONLY_ROLES
    if unknown:
        raise ValueError(f"only read-only roles need declaring: {sorted(unknown)}")

    def decorator(view):
        missing = set(roles) - set(getattr(view, "allowed_roles", ()))
        if missing:
            raise ValueError(f"{view.__name__}: the role decorator does not let in {sorted(missing)}")
        view.writes_allowed_to = frozenset(roles)
        return view

    return decorator


#: Everyone who works on the bureau side: staff, town officers and leaders.
bureau_required = roles_required("admin", "staff", "town", "viewer")
#: Those who edit records on the bureau side (town officers within their towns).
editor_required = roles_required("admin", "staff", "town")
#: Bureau staff: imports, publishing, bureau-wide changes.
staff_required = roles_required("admin", "staff")
#: Users and programme settings.
admin_required = roles_required("admin")
#: Any signed-in user; the record's fetch helper decides what each one may see.
signed_in = roles_required(*ROLES)
