"""The global audit log (staff and admin): filter, page through, open one entry, export.

Also installs the template helpers the ``audit/_history.html`` macro calls, so any area's
page can show a record's history with ``{{ history(entries) }}``.
"""
from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import Blueprint, current_app, g, render_template, request, send_file, url_for
from sqlalchemy import and_, func, or_, select
from werkzeug.routing import BuildError

from registry.audit import labels
from registry.audit.forms import AuditFilterForm
from registry.audit.models import AuditLog
from registry.audit.services import AuditFilter, Names, diff, entries_for, get_entry, search
from registry.auth.access import staff_required
from registry.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")

EXPORT_LIMIT = 100_000

_ACTION_COLOURS = {"create": "success", "import": "info", "delete": "danger", "revoke": "danger",
                   "deactivate": "danger", "rename": "primary", "update": "secondary",
                   "promote": "primary", "reset_password": "warning", "exit": "warning"}


# --- template helpers (used by audit/_history.html wherever it is included) -----------

def _names() -> Names:
    if "audit_names" not in g:
        g.audit_names = Names()
    return g.audit_names


@bp.app_template_global("audit_prefetch")
def audit_prefetch(entries) -> str:
    """Names for all the entries a page lists, in one query per table (no N+1)."""
    _names().prefetch(entries)
    return ""


@bp.app_template_global("audit_diff")
def audit_diff(entry, only_changed: bool = True):
    return diff(entry, _names(), only_changed=only_changed)


@bp.app_template_global("audit_user")
def audit_user(entry) -> str:
    if entry.user is None:
        return "系统"
    return entry.user.display_name or entry.user.username


@bp.app_template_global("audit_action")
def audit_action(code) -> str:
    return labels.action_label(code)


@bp.app_template_global("audit_entity")
def audit_entity(code) -> str:
    return labels.entity_label(code)


@bp.app_template_global("audit_can_open")
def audit_can_open() -> bool:
    """Whether the current user may open entries in the global log (macros imported
    without context cannot see ``current_user``)."""
    from flask_login import current_user

    return bool(current_user and current_user.is_authenticated and current_user.is_staff)


@bp.app_template_global("audit_action_colour")
def audit_action_colour(code) -> str:
    return _ACTION_COLOURS.get(code, "secondary")


# --- the log ------------------------------------------------------------------------

def _filter_form():
    from registry.auth.models import User

    form = AuditFilterForm(request.args)
    # Only people who appear in the log (an index scan), not every firm account.
    users = db.session.scalars(select(User).where(User.id.in_(
        select(AuditLog.user_id).where(AuditLog.user_id.is_not(None)).distinct()))
        .order_by(User.role, User.username))
    actions = sorted(db.session.scalars(select(AuditLog.action).distinct()),
                     key=lambda c: (list(labels.ACTIONS).index(c) if c in labels.ACTIONS else 99, c))
    entities = sorted(db.session.scalars(select(AuditLog.entity_type).distinct()),
                      key=lambda c: (list(labels.ENTITIES).index(c) if c in labels.ENTITIES else 99, c))
    form.fill_choices(users, actions, entities)
    form.validate()
    f = AuditFilter(
        date_from=None if form.date_from.errors else form.date_from.data,
        date_to=None if form.date_to.errors else form.date_to.data,
        user_id=form.user.data, action=form.action.data or None,
        entity_type=form.entity.data or None, firm=form.firm.data or "", text=form.q.data or "",
    )
    return form, f


def _firm_names(firm_ids) -> dict:
    from registry.firms.models import Firm

    ids = sorted({i for i in firm_ids if i})
    if not ids:
        return {}
    return dict(db.session.execute(select(Firm.id, Firm.name).where(Firm.id.in_(ids))).all())


@bp.route("/")
@staff_required
def index():
    form, f = _filter_form()
    page = db.paginate(search(f), per_page=current_app.config["PER_PAGE"], max_per_page=100,
                       error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("audit/index.html", form=form, page=page, args=args,
                           firms=_firm_names(e.firm_id for e in page.items))


@bp.route("/<entry_id>")
@staff_required
def detail(entry_id):
    entry = get_entry(entry_id)
    firm = _firm_names([entry.firm_id]).get(entry.firm_id)
    related = []
    if entry.entity_id is not None:
        related = [e for e in entries_for(entity_type=entry.entity_type, entity_id=entry.entity_id,
                                          limit=21) if e.id != entry.id][:20]
    return render_template("audit/detail.html", entry=entry, firm_name=firm, related=related,
                           record_url=_record_url(entry))


def _record_url(entry) -> str | None:
    """A link to the record the entry is about, where its area has a page for it."""
    targets = {"firm": ("firms.detail", "firm_id"),
               "rd_institution": ("institutions.detail", "institution_id"),
               "team": ("teams.detail", "team_id"),
               "tier_list": ("lists.detail", "list_id"),
               "import_batch": ("excel.preview", "batch_id")}
    if entry.entity_type in targets and entry.entity_id:
        endpoint, arg = targets[entry.entity_type]
        try:
            return url_for(endpoint, **{arg: entry.entity_id})
        except BuildError:
            pass
    if entry.entity_type == "user" and entry.entity_id:
        try:
            return url_for("auth.user_edit", user_id=entry.entity_id)
        except BuildError:
            return None
    if entry.firm_id:
        return url_for("firms.detail", firm_id=entry.firm_id)
    return None


@bp.route("/export")
@staff_required
def export():
    from registry.excel.exporter import DATETIME, Column, Sheet, write_workbook
    from registry.timeutil import to_local

    form, f = _filter_form()
    stmt = search(f)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    names = Names()
    firm_cache: dict = {}

    def rows():
        for chunk in _chunks(stmt):
            firm_cache.clear()
            firm_cache.update(_firm_names(e.firm_id for e in chunk))
            names.prefetch(chunk)
            for e in chunk:
                changes = diff(e, names)
                yield [
                    to_local(e.at).replace(tzinfo=None, microsecond=0), audit_user(e),
                    e.user.username if e.user else "", labels.action_label(e.action),
                    labels.entity_label(e.entity_type), e.entity_id,
                    firm_cache.get(e.firm_id, ""), e.summary or "",
                    "\n".join(_change_line(e, c) for c in changes), e.id,
                ]

    note = f"操作日志（共 {total} 条"
    note += f"，仅导出最新的 {EXPORT_LIMIT} 条）" if total > EXPORT_LIMIT else "）"
    note += f"　导出日期 {date.today():%Y-%m-%d}"
    sheet = Sheet("操作日志", [
        Column("时间", number_format=DATETIME, width=17), Column("操作人", width=14),
        Column("用户名", width=14), Column("操作", width=8), Column("对象类型", width=12),
        Column("对象编号", width=9), Column("企业", width=30), Column("摘要", width=40, wrap=True),
        Column("变更内容", width=60, wrap=True), Column("日志编号", width=9),
    ], rows(), title_row=note)
    body = write_workbook([sheet], title="操作日志")
    filename = f"操作日志_{date.today():%Y%m%d}.xlsx"
    return send_file(BytesIO(body), as_attachment=True, download_name=filename,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _change_line(entry, change) -> str:
    if entry.before and entry.after:
        return f"{change.label}：{change.before} → {change.after}"
    return f"{change.label}：{change.after or change.before}"


def _chunks(stmt, size: int = 1000, limit: int = EXPORT_LIMIT):
    """The statement's entries ``size`` at a time, newest first, by keyset on (at, id):
    each chunk is its own short query (no server-side cursor held open while the firm
    names of the chunk are looked up — MariaDB cannot interleave those)."""
    sent, last = 0, None
    while sent < limit:
        page = stmt
        if last is not None:
            page = page.where(or_(AuditLog.at < last.at,
                                  and_(AuditLog.at == last.at, AuditLog.id < last.id)))
        chunk = list(db.session.scalars(page.limit(min(size, limit - sent))))
        if not chunk:
            return
        yield chunk
        sent += len(chunk)
        last = chunk[-1]
