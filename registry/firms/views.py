"""Firm list (search, filters, sorting, Excel), the 档案 page, and the firm edit forms.

Views stay thin: parse the form, call one service, commit once, redirect. Every POST
fetches the firm through ``get_firm_for_edit`` (404 outside the user's scope, 403 when
the user may read but not change it) before anything else.
"""
from __future__ import annotations

from datetime import date

from flask import (
    Blueprint, Response, current_app, flash, redirect, render_template, request, url_for,
)
from flask_login import current_user
from sqlalchemy import select

from registry import reference
from registry.auth.access import bureau_required, editor_required, signed_in
from registry.errors import RegistryError
from registry.extensions import db
from registry.firms.changes import change_status, update_firm
from registry.firms.export import export_firms
from registry.firms.forms import FirmFilterForm, FirmForm, RenameForm, StatusForm
from registry.firms.listing import firm_page
from registry.firms.locking import EditConflict, seal, unseal
from registry.firms.profile import firm_profile
from registry.firms.services import (
    FirmFilter, can_edit_firm, create_firm, firm_query, firm_snapshot, get_firm_for,
    get_firm_for_edit, rename_firm,
)
from registry.firms.support import adopt_firm_changes, apply_error, town_choices

bp = Blueprint("firms", __name__, url_prefix="/firms")


def _filter_form() -> tuple[FirmFilterForm, FirmFilter]:
    form = FirmFilterForm(request.args)
    form.fill_choices(town_choices(current_user)[0], reference.industries(), reference.programmes())
    form.validate()
    ok = lambda fld: fld.data if not fld.errors else None  # noqa: E731
    flag = {"1": True, "0": False}
    f = FirmFilter(q=form.q.data or "", town_id=ok(form.town), industry_id=ok(form.industry),
                   programme_id=ok(form.programme), year=ok(form.year), status=ok(form.status) or None,
                   zone=ok(form.zone) or None, has_institution=flag.get(ok(form.has_institution)),
                   above_scale=flag.get(ok(form.above_scale)), sort=ok(form.sort) or "name",
                   descending=ok(form.dir) == "desc")
    return form, f


@bp.route("/")
@bureau_required
def index():
    form, f = _filter_form()
    page = firm_page(firm_query(current_user, f), f, per_page=current_app.config["PER_PAGE"])
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    can_create = current_user.role in ("admin", "staff") or bool(current_user.towns)
    return render_template("firms/index.html", form=form, page=page, args=args, f=f,
                           can_create=can_create)


@bp.route("/export")
@bureau_required
def export():
    form, f = _filter_form()
    data = export_firms(current_user, f, bureau=current_app.config["BUREAU_NAME"],
                        conditions=form.conditions())
    name = f"企业名单_{date.today():%Y%m%d}.xlsx"
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": _attachment(name)})


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=firms.xlsx; filename*=UTF-8''{quote(filename)}"


@bp.route("/new", methods=["GET", "POST"])
@editor_required
def new():
    form = FirmForm()
    towns, town_required = town_choices(current_user)
    form.fill_choices(towns, reference.industries(), town_required=town_required)
    if form.validate_on_submit():
        values = form.values()
        towns_by_id = {t.id: t for t in towns}
        town, industry_id = towns_by_id.get(values.pop("town_id")), values.pop("industry_id")
        industry = next((i for i in reference.industries() if i.id == industry_id), None)
        try:
            firm = create_firm(current_user, name=form.name.data, town=town, industry=industry,
                               **values)
            db.session.commit()
        except RegistryError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            flash(f"已新建企业“{firm.name}”。", "success")
            return redirect(url_for("firms.detail", firm_id=firm.id))
    return render_template("firms/form.html", form=form, firm=None)


@bp.route("/<firm_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(firm_id):
    firm = get_firm_for_edit(current_user, firm_id)
    towns, town_required = town_choices(current_user, firm)
    form = FirmForm(obj=firm) if request.method == "GET" else FirmForm()
    del form.name
    form.fill_choices(towns, reference.industries(), town_required=town_required)
    conflict = None
    if request.method == "GET":
        form.version.data, form.original.data = firm.version, seal(firm_snapshot(firm))
    elif form.validate_on_submit():
        try:
            changes = update_firm(current_user, firm, version=form.version.data,
                                  original=unseal(form.original.data), **form.values())
            db.session.commit()
        except EditConflict as exc:
            db.session.rollback()
            conflict = exc
            firm = get_firm_for_edit(current_user, firm_id)
            conflict.conflicted = adopt_firm_changes(form, exc.changes, firm)
            form.version.data, form.original.data = firm.version, seal(firm_snapshot(firm))
        except RegistryError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            flash("已保存。" if changes else "没有需要保存的修改。", "success" if changes else "info")
            return redirect(url_for("firms.detail", firm_id=firm.id))
    return render_template("firms/form.html", form=form, firm=firm, conflict=conflict)


@bp.route("/<firm_id>/rename", methods=["GET", "POST"])
@editor_required
def rename(firm_id):
    firm = get_firm_for_edit(current_user, firm_id)
    form = RenameForm()
    if request.method == "GET":
        form.version.data, form.on.data = firm.version, date.today()
    elif form.validate_on_submit():
        try:
            old = firm.name
            rename_firm(current_user, firm, form.name.data, on=form.on.data, version=form.version.data)
            db.session.commit()
        except RegistryError as exc:
            db.session.rollback()
            apply_error(form, exc, fields={"name": "name", "on": "on"})
            firm = get_firm_for_edit(current_user, firm_id)
        else:
            flash(f"已更名：{old} → {firm.name}（原名称保留为曾用名，仍可检索）。", "success")
            return redirect(url_for("firms.detail", firm_id=firm.id))
    return render_template("firms/rename.html", form=form, firm=firm)


@bp.route("/<firm_id>/status", methods=["GET", "POST"])
@editor_required
def status(firm_id):
    firm = get_firm_for_edit(current_user, firm_id)
    form = StatusForm()
    if request.method == "GET":
        form.version.data, form.status.data = firm.version, firm.status
        form.on.data = firm.status_changed_on or date.today()
    elif form.validate_on_submit():
        try:
            change_status(current_user, firm, status=form.status.data, on=form.on.data,
                          reason=form.reason.data, version=form.version.data)
            db.session.commit()
        except RegistryError as exc:
            db.session.rollback()
            apply_error(form, exc)
            firm = get_firm_for_edit(current_user, firm_id)
        else:
            flash(f"企业状态已更新为“{firm.status_label}”。", "success")
            return redirect(url_for("firms.detail", firm_id=firm.id))
    return render_template("firms/status.html", form=form, firm=firm)


@bp.route("/<firm_id>")
@signed_in
def detail(firm_id):
    firm = get_firm_for(current_user, firm_id)
    today = date.today()
    return render_template("firms/detail.html", firm=firm, today=today,
                           can_edit=can_edit_firm(current_user, firm),
                           portal_pending=_portal_pending(firm) if current_user.is_staff else None,
                           **firm_profile(firm, today=today))


def _portal_pending(firm) -> dict:
    """What the firm sent through the portal and waits for staff (links to the review)."""
    from registry.firms.models import AnnualData
    from registry.portal.models import FirmChangeRequest, MemberChangeProposal

    def ids(model, *where):
        return list(db.session.scalars(select(model.id).where(model.firm_id == firm.id, *where)))

    return {"changes": ids(FirmChangeRequest, FirmChangeRequest.status == "pending"),
            "proposals": ids(MemberChangeProposal, MemberChangeProposal.status == "pending"),
            "annual": ids(AnnualData, AnnualData.status == "submitted")}
