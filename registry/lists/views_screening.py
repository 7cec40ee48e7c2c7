"""Screening pages and the criteria settings (routes on the lists blueprint).

Screening is read by every bureau role (a town officer sees the firms of their towns);
adding the screened firms to a list is staff work; the criteria are edited by admins.
"""
from __future__ import annotations

import click
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from registry import reference
from registry.auth.access import admin_required, bureau_required, staff_required
from registry.errors import RegistryError
from registry.excel.exporter import Column, Sheet, write_workbook
from registry.extensions import db
from registry.firms.models import Firm
from registry.firms.services import firm_scope
from registry.lists import services, settings
from registry.lists.criteria import describe
from registry.lists.defaults import DEFAULT_YEAR, seed_default_criteria
from registry.lists.exports import screening_workbook
from registry.lists.forms import CopyForm, CriterionForm, PickFirmsForm, PickForm, SetForm
from registry.lists.models import TierList
from registry.lists.screening import criteria_set_for, screen
from registry.lists.views import _first_error, bp, xlsx

RESULT_FILTER = {"qualified": ("direct", "pass"), "missing": ("missing",), "fail": ("fail",)}
SHOWN = 300  # rows on the page; the workbook has every firm


def _pick():
    form = PickForm(request.args)
    programmes = reference.programmes()
    form.fill(programmes, reference.towns())
    form.validate()
    programme = next((p for p in programmes if p.id == form.programme.data), None) or programmes[0]
    year = form.year.data if form.year.data and not form.year.errors else DEFAULT_YEAR
    return form, programmes, programme, year


def _names(programmes) -> dict:
    return {p.code: p.short_name for p in programmes}


@bp.route("/screening")
@bureau_required
def screening():
    form, programmes, programme, year = _pick()
    cset = criteria_set_for(programme.id, year)
    result = screen(current_user, cset, town_id=form.town.data) if cset and cset.criteria else None
    rows = result.rows if result else []
    wanted = RESULT_FILTER.get(form.result.data or "")
    if wanted:
        rows = [r for r in rows if r.result in wanted]
    drafts = list(db.session.scalars(select(TierList).where(
        TierList.programme_id == programme.id, TierList.year == year, TierList.status != "published")))
    return render_template("lists/screening.html", form=form, programme=programme, year=year, cset=cset,
                           result=result, rows=rows[:SHOWN], total=len(rows), drafts=drafts,
                           names=_names(programmes), describe=describe, pick_form=PickFirmsForm())


@bp.route("/screening.xlsx")
@bureau_required
def screening_export():
    form, programmes, programme, year = _pick()
    cset = criteria_set_for(programme.id, year)
    if cset is None or not cset.criteria:
        return xlsx(write_workbook([Sheet("说明", [Column("说明", width=60)], rows=[
            [f"{year}年度{programme.short_name}尚未设定评定条件，请先在“评定条件”中设定。"]])]),
            f"{year}年度{programme.short_name}资格筛选.xlsx")
    result = screen(current_user, cset, town_id=form.town.data)
    return xlsx(screening_workbook(result, _names(programmes)), f"{year}年度{programme.short_name}资格筛选.xlsx")


@bp.route("/screening/add", methods=["POST"])
@staff_required
def screening_add():
    form = PickFirmsForm()
    list_id = form.list_id.data
    try:
        if not form.validate_on_submit():
            raise RegistryError(_first_error(form))
        tier_list = services.get_list_for(current_user, list_id)
        ids = [int(x) for x in request.form.getlist("firm_id") if x.isdigit()]
        if not ids:
            raise RegistryError("请勾选要加入名单的企业。")
        cset = criteria_set_for(tier_list.programme_id, tier_list.year)
        firms = list(db.session.scalars(select(Firm).where(Firm.id.in_(ids), firm_scope(current_user))))
        why = {}
        if cset is not None:
            result = screen(current_user, cset, firm_ids=ids)
            why = {r.facts.firm_id: r.payload(result.criteria, cset.data_year) for r in result.rows}
        added, refused = services.add_entries(current_user, tier_list, firms, source="screening",
                                              screening=why)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(request.referrer or url_for("lists.screening"))
    db.session.commit()
    flash(f"已加入名单 {added} 家。" + (f"未加入：{'；'.join(refused[:10])}" if refused else ""),
          "warning" if refused else "success")
    return redirect(url_for("lists.detail", list_id=tier_list.id))


@bp.route("/criteria")
@bureau_required
def criteria():
    form, programmes, programme, year = _pick()
    cset = criteria_set_for(programme.id, year)
    forms = []
    if cset is not None:
        for c in cset.criteria:
            f = CriterionForm(formdata=None, data={"criterion_id": c.id, "version": cset.version, "kind": c.kind,
                                                   "role": c.role, "label": c.label,
                                                   **settings.fields_from_params(c.kind, c.params)},
                              prefix=f"c{c.id}")
            f.fill(programmes, reference.towns())
            forms.append((c, f))
    new_form = CriterionForm(formdata=None, data={"version": cset.version if cset else ""}, prefix="new")
    new_form.fill(programmes, reference.towns())
    return render_template("lists/criteria.html", form=form, programme=programme, year=year, cset=cset,
                           forms=forms, new_form=new_form, names=_names(programmes), describe=describe,
                           set_form=SetForm(obj=cset) if cset else SetForm(),
                           copy_form=CopyForm(source_year=year - 1), default_year=DEFAULT_YEAR)


def _back(programme_id, year):
    return redirect(url_for("lists.criteria", programme=programme_id, year=year))


def _programme_year():
    programmes = reference.programmes()
    try:
        pid, year = int(request.form.get("programme_id", "")), int(request.form.get("year", ""))
    except ValueError:
        abort(404)
    programme = next((p for p in programmes if p.id == pid), None)
    if programme is None or not 1950 < year <= 2200:
        abort(404)
    return programme, year


@bp.route("/criteria/save", methods=["POST"])
@admin_required
def criterion_save():
    programme, year = _programme_year()
    prefix = request.form.get("prefix", "new")
    form = CriterionForm(prefix=prefix)
    form.fill(reference.programmes(), reference.towns())
    try:
        if not form.validate_on_submit():
            raise RegistryError(_first_error(form))
        cset = settings.ensure_set(current_user, programme, year)
        params = settings.params_from_fields(form.kind.data, {k: getattr(form, k).data for k in (
            "min", "max", "years", "programme", "mode", "level", "zone", "towns", "value", "bands", "rubric")})
        settings.save_criterion(current_user, cset, criterion_id=form.criterion_id.data or None,
                                kind=form.kind.data, role=form.role.data, label=form.label.data,
                                params=params, version=form.version.data)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _back(programme.id, year)
    db.session.commit()
    flash("评定条件已保存。", "success")
    return _back(programme.id, year)


@bp.route("/criteria/delete", methods=["POST"])
@admin_required
def criterion_delete():
    programme, year = _programme_year()
    form = SetForm()
    try:
        cset = criteria_set_for(programme.id, year)
        if cset is None:
            raise RegistryError("评定条件不存在。")
        settings.delete_criterion(current_user, cset, request.form.get("criterion_id"),
                                  version=form.version.data)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _back(programme.id, year)
    db.session.commit()
    flash("已删除该条件。", "success")
    return _back(programme.id, year)


@bp.route("/criteria/set", methods=["POST"])
@admin_required
def criteria_set():
    programme, year = _programme_year()
    form = SetForm()
    try:
        if not form.validate_on_submit():
            raise RegistryError(_first_error(form))
        cset = settings.ensure_set(current_user, programme, year)
        settings.update_set(current_user, cset, data_year=form.data_year.data, note=form.note.data,
                            version=form.version.data or None)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _back(programme.id, year)
    db.session.commit()
    flash("已保存。", "success")
    return _back(programme.id, year)


@bp.route("/criteria/copy", methods=["POST"])
@admin_required
def criteria_copy():
    programme, year = _programme_year()
    form = CopyForm()
    try:
        if not form.validate_on_submit():
            raise RegistryError(_first_error(form))
        settings.copy_from(current_user, programme, year, form.source_year.data)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _back(programme.id, year)
    db.session.commit()
    flash(f"已复制{form.source_year.data}年度的评定条件，请按当年通知修改。", "success")
    return _back(programme.id, year)


@bp.route("/criteria/defaults", methods=["POST"])
@admin_required
def criteria_defaults():
    programme, year = _programme_year()
    form = CopyForm()  # CSRF only
    form.validate_on_submit()
    if form.errors.get("csrf_token"):
        abort(400)
    made = seed_default_criteria(current_user, year)
    db.session.commit()
    flash(f"已载入{len(made)}个类别的默认条件（仅供参考，请按当年通知核对）。" if made
          else "各类别当年已有评定条件，未作改动。", "success")
    return _back(programme.id, year)


@bp.cli.command("seed-criteria")
@click.argument("year", type=int, default=DEFAULT_YEAR)
def seed_criteria_command(year):
    """载入默认评定条件（2016年度口径；可指定年度：flask lists seed-criteria 2017）。"""
    made = seed_default_criteria(None, year)
    db.session.commit()
    click.echo(f"{year}年度：已载入{len(made)}个类别的默认评定条件。")
