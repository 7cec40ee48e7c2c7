"""Small helpers the firm and recognition views share: which towns a form offers, where a
service's error message goes, and how a refused (stale) edit form is refilled."""
from __future__ import annotations

from registry import reference
from registry.errors import RegistryError
from registry.firms.locking import _same


def town_choices(user, firm=None) -> tuple[list, bool]:
    """(towns the form offers, whether one must be chosen).

    A town officer picks among their own towns only (and must pick one); staff see all.
    """
    towns = reference.towns()
    if user.role == "town":
        own = {t.id for t in user.towns}
        return [t for t in towns if t.id in own], True
    return towns, False


def apply_error(form, exc: RegistryError, *, fields: dict | None = None) -> None:
    """Put the service's message under the field it names, or above the form."""
    name = (fields or {}).get(exc.field, exc.field)
    target = getattr(form, name, None) if name else None
    if target is not None and hasattr(target, "errors") and name not in ("version", "original"):
        target.errors = list(target.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


#: Audit snapshot key → edit form field (when they differ).
FIRM_FORM_FIELDS = {"town": "town_id", "industry": "industry_id"}


def _as_snapshot(form, field_name: str, shown: dict | None = None):
    """What the form holds for ``field_name``, in the audit snapshot's terms."""
    fld = getattr(form, field_name)
    value = fld.data
    if shown and field_name in shown:
        return shown[field_name](value)
    if field_name in ("town_id", "industry_id"):
        names = {c[0]: c[1] for c in ((getattr(ch, "value", None), getattr(ch, "label", None))
                                      for ch in fld.choices)}
        return names.get(value) if value is not None else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip() or None
    return value


def adopt_changes(form, changes, current: dict, field_map: dict | None = None,
                  shown: dict | None = None) -> set[str]:
    """Refill a refused form: where the clerk left a field as it was loaded, take the value
    saved meanwhile (``current``: form field → value); where both changed it, keep the
    clerk's value and report the field as conflicting. ``shown`` turns a form value into
    the snapshot's terms where the generic rule does not (form field → function)."""
    conflicted = set()
    for change in changes:
        name = (field_map or {}).get(change.field, change.field)
        if not hasattr(form, name) or name not in current:
            continue
        mine = _as_snapshot(form, name, shown)
        if _same(mine, change.before):
            getattr(form, name).data = current[name]
        elif not _same(mine, change.after):
            conflicted.add(change.field)
    return conflicted


def adopt_firm_changes(form, changes, firm) -> set[str]:
    current = {"uscc": firm.uscc, "town_id": firm.town_id, "industry_id": firm.industry_id,
               "founded_on": firm.founded_on, "above_scale": firm.above_scale,
               "registered_capital": (str(firm.registered_capital)
                                      if firm.registered_capital is not None else "")}
    for name in ("legal_representative", "contact_person", "phone", "email", "address", "note"):
        current[name] = getattr(firm, name) or ""
    return adopt_changes(form, changes, current, FIRM_FORM_FIELDS)
