"""Team member and yearly evaluation pages (on the ``teams`` blueprint).

Every form carries the team's version: a member or a result saved by someone else after
the page was loaded makes the save stale, and the clerk sees what changed.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from registry.auth.access import editor_required
from registry.extensions import db
from registry.web import refused
from registry.teams import evaluations as evals
from registry.teams import members, services
from registry.teams.forms import ActionForm, EvaluationForm, MemberForm
from registry.teams.views import FAILED, bp


def _member_values(form) -> dict:
    return {"name": form.name.data, "title": form.title.data, "role": form.role.data,
            "education": form.education.data, "joined_year": form.joined_year.data,
            "left_year": form.left_year.data}


def _back(team):
    return redirect(url_for(".detail", team_id=team.id))


@bp.route("/<team_id>/members/new", methods=["GET", "POST"])
@editor_required
def add_member(team_id):
    team = services.get_team_for(current_user, team_id)
    form = MemberForm(version=team.version)
    changes = []
    if form.validate_on_submit():
        try:
            member = members.add_member(current_user, team, version=form.version.data, **_member_values(form))
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            team = services.get_team_for(current_user, team_id)
        else:
            grade = f"（职称等级：{member.title_grade_label}）" if member.title_grade else (
                "（职称未能识别等级，请核对职称写法）" if member.title else "")
            flash(f"已添加成员 {member.name}{grade}。", "success" if member.title_grade or not member.title
                  else "warning")
            return _back(team)
    return render_template("teams/member.html", form=form, team=team, member=None, changes=changes), \
        400 if form.is_submitted() else 200


@bp.route("/members/<member_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_member(member_id):
    member = members.get_member_for(current_user, member_id)
    team = member.team
    form = MemberForm(obj=member if request.method == "GET" else None, version=team.version)
    changes = []
    if form.validate_on_submit():
        try:
            members.update_member(current_user, member, version=form.version.data, **_member_values(form))
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            member = members.get_member_for(current_user, member_id)
            team = member.team
        else:
            flash(f"已保存成员 {member.name}。", "success")
            return _back(team)
    return render_template("teams/member.html", form=form, team=team, member=member, changes=changes), \
        400 if form.is_submitted() else 200


@bp.route("/members/<member_id>/delete", methods=["POST"])
@editor_required
def delete_member(member_id):
    member = members.get_member_for(current_user, member_id)
    team, name = member.team, member.name
    form = ActionForm()
    if form.validate_on_submit():
        try:
            members.remove_member(current_user, member, version=form.version.data)
            db.session.commit()
        except FAILED as exc:
            refused(form, exc)
        else:
            flash(f"已删除成员 {name}。", "success")
    return _back(team)


@bp.route("/<team_id>/evaluations/new", methods=["GET", "POST"])
@editor_required
def add_evaluation(team_id):
    team = services.get_team_for(current_user, team_id)
    form = EvaluationForm(version=team.version)
    changes = []
    if form.validate_on_submit():
        try:
            evaluation = evals.add_evaluation(current_user, team, version=form.version.data, year=form.year.data,
                                              result=form.result.data, comment=form.comment.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            team = services.get_team_for(current_user, team_id)
        else:
            _flash_result(team, evaluation.year, evaluation.result_label)
            return _back(team)
    return render_template("teams/evaluation.html", form=form, team=team, evaluation=None, changes=changes), \
        400 if form.is_submitted() else 200


@bp.route("/evaluations/<evaluation_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_evaluation(evaluation_id):
    evaluation = evals.get_evaluation_for(current_user, evaluation_id)
    team = evaluation.team
    form = EvaluationForm(obj=evaluation if request.method == "GET" else None,
                          version=team.version)
    changes = []
    if form.validate_on_submit():
        try:
            evals.update_evaluation(current_user, evaluation, version=form.version.data, year=form.year.data,
                                    result=form.result.data, comment=form.comment.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            evaluation = evals.get_evaluation_for(current_user, evaluation_id)
            team = evaluation.team
        else:
            _flash_result(team, evaluation.year, evaluation.result_label)
            return _back(team)
    return render_template("teams/evaluation.html", form=form, team=team, evaluation=evaluation,
                           changes=changes), 400 if form.is_submitted() else 200


@bp.route("/evaluations/<evaluation_id>/delete", methods=["POST"])
@editor_required
def delete_evaluation(evaluation_id):
    evaluation = evals.get_evaluation_for(current_user, evaluation_id)
    team = evaluation.team
    form = ActionForm()
    if form.validate_on_submit():
        try:
            evals.remove_evaluation(current_user, evaluation, version=form.version.data)
            db.session.commit()
        except FAILED as exc:
            refused(form, exc)
        else:
            flash("已删除该考核记录。" + ("团队已恢复在培。" if team.status == "active" else ""), "success")
    return _back(team)


def _flash_result(team, year, label) -> None:
    if team.status == "exit" and team.exit_year == year and label == "不合格":
        flash(f"已记录{year}年度考核：{label}。按动态管理规定，该团队已退出培育（{year}年）。", "warning")
    elif team.status == "active":
        flash(f"已记录{year}年度考核：{label}。", "success")
    else:
        flash(f"已记录{year}年度考核：{label}（团队已于{team.exit_year}年退出）。", "success")
