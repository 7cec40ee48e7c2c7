"""Innovation team pages: list + Excel, detail, create/edit, 宁波市级, exit.

Member and evaluation pages are in ``views_members`` on the same blueprint. Each view
reads its form, calls one service (scope and rules live there), commits once, redirects;
town officers reach only teams of firms in their towns, leaders read only.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from registry import reference
from registry.auth.access import bureau_required, editor_required
from registry.extensions import db
from registry.web import FAILED, host_firm, readable, refused, xlsx
from registry.teams import services
from registry.teams.evaluations import exited_by
from registry.teams.export import teams_workbook
from registry.teams.forms import ActionForm, ExitForm, TeamFilterForm, TeamForm, YearForm

bp = Blueprint("teams", __name__, url_prefix="/teams")
EDITORS = ("admin", "staff", "town")


def _filter():
    form = TeamFilterForm(request.args)
    form.fill_choices(current_user.towns if current_user.role == "town" else reference.towns())
    form.validate()
    f = services.TeamFilter(q=form.q.data or "", status=form.status.data or None,
                            level=form.level.data or None, town_id=form.town.data,
                            year=form.year.data if not form.year.errors else None)
    return form, f


@bp.route("/")
@bureau_required
def index():
    form, f = _filter()
    page = db.paginate(services.team_query(current_user, f), per_page=current_app.config["PER_PAGE"],
                       max_per_page=100, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    counts = services.member_counts(t.id for t in page.items)
    return render_template("teams/index.html", form=form, page=page, args=args, counts=counts,
                           totals=services.team_totals(current_user, f))


@bp.route("/export.xlsx")
@bureau_required
def export():
    _form, f = _filter()
    data = teams_workbook(current_user, f, bureau=current_app.config["BUREAU_NAME"])
    return xlsx(data, f"科技创新团队名单_{date.today():%Y%m%d}.xlsx")


@bp.route("/new", methods=["GET", "POST"])
@editor_required
def create():
    form = TeamForm()
    firm = host_firm(form)
    if form.validate_on_submit():
        try:
            team = services.create_team(
                current_user, firm_text=form.firm.data, firm_id=form.firm_id.data or None, name=form.name.data,
                leader_name=form.leader_name.data, field=form.field.data,
                recognised_year=form.recognised_year.data, projects_in_progress=form.projects_in_progress.data,
                note=form.note.data)
            db.session.commit()
        except FAILED as exc:
            refused(form, exc)
        else:
            flash(f"已新增科技创新团队“{team.name}”。请继续添加团队成员。", "success")
            return redirect(url_for(".detail", team_id=team.id))
    return render_template("teams/form.html", form=form, team=None, firm=firm), \
        400 if form.is_submitted() else 200


@bp.route("/<team_id>")
@bureau_required
def detail(team_id):
    team = services.get_team_for(current_user, team_id)
    return render_template("teams/detail.html", team=team, stats=services.team_stats(team),
                           members=services.ordered_members(team), history=readable(services.team_history(team)),
                           can_edit=current_user.role in EDITORS, action=ActionForm(version=team.version),
                           exited_by=exited_by)


@bp.route("/<team_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(team_id):
    team = services.get_team_for(current_user, team_id)
    form = TeamForm(obj=team if request.method == "GET" else None)
    if request.method == "GET":
        form.firm.data = team.firm.name
    changes = []
    if form.validate_on_submit():
        try:
            services.update_team(current_user, team, version=form.version.data, firm_text=form.firm.data,
                                 name=form.name.data, leader_name=form.leader_name.data, field=form.field.data,
                                 recognised_year=form.recognised_year.data,
                                 projects_in_progress=form.projects_in_progress.data, note=form.note.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            team = services.get_team_for(current_user, team_id)
        else:
            flash("已保存。", "success")
            return redirect(url_for(".detail", team_id=team.id))
    return render_template("teams/form.html", form=form, team=team, firm=None, changes=changes), \
        400 if form.is_submitted() else 200


@bp.route("/<team_id>/ningbo", methods=["GET", "POST"])
@editor_required
def ningbo(team_id):
    team = services.get_team_for(current_user, team_id)
    form = YearForm(version=team.version)
    changes = []
    if form.validate_on_submit():
        try:
            services.promote_to_ningbo(current_user, team, version=form.version.data, year=form.year.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            team = services.get_team_for(current_user, team_id)
        else:
            flash(f"已记录：该团队于{team.ningbo_year}年入选宁波市级科技创新团队。", "success")
            return redirect(url_for(".detail", team_id=team.id))
    return render_template("teams/ningbo.html", form=form, team=team, changes=changes), \
        400 if form.is_submitted() else 200


@bp.route("/<team_id>/exit", methods=["GET", "POST"], endpoint="exit")
@editor_required
def exit_(team_id):
    team = services.get_team_for(current_user, team_id)
    form = ExitForm(version=team.version)
    changes = []
    if form.validate_on_submit():
        try:
            services.exit_team(current_user, team, version=form.version.data, year=form.year.data,
                               reason=form.reason.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            team = services.get_team_for(current_user, team_id)
        else:
            flash("该团队已退出培育。", "success")
            return redirect(url_for(".detail", team_id=team.id))
    return render_template("teams/exit.html", form=form, team=team, changes=changes), \
        400 if form.is_submitted() else 200


from registry.teams import views_members  # noqa: E402,F401  (member and evaluation routes)
