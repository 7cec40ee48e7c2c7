"""Role checks, applied on the server: decorators for views, predicates for services.

Every view of the app carries one of these decorators; each records the roles it lets in
as ``view.allowed_roles`` so the access-matrix test can enumerate the routes and prove
that none was left unchecked. Object-level scope (a town officer's towns, a firm user's
own firm) is checked by each area's fetch-or-404 helper, not here.
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from registry.vocab import ROLES


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
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)
        return wrapped

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
