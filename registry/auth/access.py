"""Role checks, applied on the server: decorators for views, predicates for services."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def roles_required(*roles: str):
    """Allow only logged-in users whose role is one of ``roles`` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


#: Everyone who works on the bureau side: staff, town officers and leaders.
bureau_required = roles_required("admin", "staff", "town", "viewer")
