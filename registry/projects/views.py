"""Project pages (科技计划项目): list + Excel, detail with process tracking, create, edit,
delete, and the tracked steps (进度节点 / 中期检查 / 验收).

Each view reads its form, calls one service, commits once and redirects. Town officers
reach only projects of firms in their towns and firm users only their own firm's (the
services' fetch-or-404); leaders and firm users read only.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from registry import reference
from registry.audit.services import entries_for
from registry.auth.access import bureau_required, editor_required, signed_in
from registry.extensions import db
from registry.web import FAILED, host_firm, readable, refused, xlsx
from registry.projects import services
from registry.projects.export import projects_workbook
from registry.projects.forms import (
    PLANS, DeleteForm, EditProjectForm, MilestoneForm, ProjectFilterForm, ProjectForm,
)
from registry.projects.models import Project

bp = Blueprint("projects", __name__, url_prefix="/projects")
EDITORS = ("admin", "staff", "town")


def _years() -> list[int]:
    first, last = db.session.execute(select(func.min(Project.start_year), func.max(Project.end_year))).one()
    this = date.today().year
    return list(range(max(last or this, this), (first or this) - 1, -1))


def _filter():
    form = ProjectFilterForm(request.args)
    form.fill_choices(current_user.towns if current_user.role == "town" else reference.towns(), _years())
    form.validate()
    ok = lambda fld: fld.data if not fld.errors else None  # noqa: E731
    return form, services.ProjectFilter(q=form.q.data or "", year=ok(form.year), level=ok(form.level) or None,
                                        status=ok(form.status) or None, role=ok(form.role) or None,
                                        town_id=ok(form.town))


@bp.route("/")
@bureau_required
def index():
    form, f = _filter()
    page = db.paginate(services.project_query(current_user, f), per_page=current_app.config["PER_PAGE"],
                       max_per_page=100, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("projects/index.html", form=form, page=page, args=args,
                           counts=services.status_counts(current_user, f), summary=services.tracking_summary)


@bp.route("/export.xlsx")
@bureau_required
def export():
    _form, f = _filter()
    return xlsx(projects_workbook(current_user, f, bureau=current_app.config["BUREAU_NAME"]),
                f"科技计划项目_{date.today():%Y%m%d}.xlsx")


@bp.route("/new", methods=["GET", "POST"])
@editor_required
def create():
    form = ProjectForm()
    firm = host_firm(form)
    if form.validate_on_submit():
        try:
            project = services.create_project(current_user, firm_text=form.firm.data,
                                              firm_id=form.firm_id.data or None, **form.values())
            db.session.commit()
        except FAILED as exc:
            refused(form, exc)
        else:
            flash(f"已新增科技计划项目“{project.name}”。", "success")
            return redirect(url_for(".detail", project_id=project.id))
    return render_template("projects/form.html", form=form, project=None, firm=firm, plans=PLANS), \
        400 if form.is_submitted() else 200


@bp.route("/<project_id>")
@signed_in
def detail(project_id):
    project = services.get_project_for(current_user, project_id)
    history = readable(entries_for(entity_type=(services.ENTITY, services.MILESTONE), firm_id=project.firm_id,
                                   limit=200))
    mine = {m.id for m in project.milestones}
    history = [e for e in history if (e.entity_type == services.ENTITY and e.entity_id == project.id)
               or (e.entity_type == services.MILESTONE and (e.entity_id in mine or
                                                             (e.before or e.after or {}).get("project_id") == project.id))]
    return render_template("projects/detail.html", project=project, history=history[:100],
                           can_edit=current_user.role in EDITORS, milestone_form=MilestoneForm(),
                           delete_form=DeleteForm(version=project.version))


@bp.route("/<project_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(project_id):
    project = services.get_project_for(current_user, project_id)
    form = EditProjectForm(obj=project if request.method == "GET" else None)
    changes = []
    if form.validate_on_submit():
        try:
            services.update_project(current_user, project, version=form.version.data, **form.values())
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            project = services.get_project_for(current_user, project_id)
        else:
            flash("已保存。", "success")
            return redirect(url_for(".detail", project_id=project.id))
    return render_template("projects/form.html", form=form, project=project, firm=project.firm, plans=PLANS,
                           changes=changes), 400 if form.is_submitted() else 200


@bp.route("/<project_id>/delete", methods=["POST"])
@editor_required
def delete(project_id):
    project = services.get_project_for(current_user, project_id)
    form, firm_id, name = DeleteForm(), project.firm_id, project.name
    try:
        if not form.validate_on_submit():
            raise services.ValidationError("表单已过期，请刷新页面后重试")
        services.delete_project(current_user, project, version=form.version.data)
        db.session.commit()
    except FAILED as exc:
        refused(form, exc)
        return redirect(url_for(".detail", project_id=project_id))
    flash(f"已删除科技计划项目“{name}”。", "success")
    return redirect(url_for("firms.detail", firm_id=firm_id))


@bp.route("/<project_id>/milestones/new", methods=["GET", "POST"])
@editor_required
def add_milestone(project_id):
    project = services.get_project_for(current_user, project_id)
    form = MilestoneForm()
    if form.validate_on_submit():
        try:
            step = services.add_milestone(current_user, project, **form.values())
            db.session.commit()
        except FAILED as exc:
            refused(form, exc)
            project = services.get_project_for(current_user, project_id)
        else:
            flash(f"已记录{step.kind_label}：{step.title}。", "success")
            return redirect(url_for(".detail", project_id=project.id))
    return render_template("projects/milestone.html", form=form, project=project, milestone=None), \
        400 if form.is_submitted() else 200


@bp.route("/milestones/<milestone_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_milestone(milestone_id):
    step = services.get_milestone_for(current_user, milestone_id)
    form = MilestoneForm(obj=step if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.update_milestone(current_user, step, **form.values())
            db.session.commit()
        except FAILED as exc:
            refused(form, exc)
            step = services.get_milestone_for(current_user, milestone_id)
        else:
            flash("已保存。", "success")
            return redirect(url_for(".detail", project_id=step.project_id))
    return render_template("projects/milestone.html", form=form, project=step.project, milestone=step), \
        400 if form.is_submitted() else 200


@bp.route("/milestones/<milestone_id>/delete", methods=["POST"])
@editor_required
def delete_milestone(milestone_id):
    step = services.get_milestone_for(current_user, milestone_id)
    project_id, form = step.project_id, DeleteForm()
    if form.validate_on_submit():
        services.delete_milestone(current_user, step)
        db.session.commit()
        flash("已删除跟踪记录。", "success")
    return redirect(url_for(".detail", project_id=project_id))
