"""The firm's portal (/portal): its own 档案, contact details, change requests, annual data,
team members and notices. Every view here is for role ``firm`` only and acts on the
signed-in account's firm (``services.own_firm``) — no view takes a firm id, and every
record id in a URL goes through a fetch helper scoped to that firm (a foreign id is 404).

Bureau staff's review queues and firm-account pages are in ``review`` and ``staff_accounts``,
on this blueprint.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from registry import reference
from registry.auth.access import allow_writes, roles_required
from registry.errors import RegistryError
from registry.extensions import db
from registry.firms.profile import firm_profile, period
from registry.portal import annual as annual_svc
from registry.portal import members as member_svc
from registry.portal import notices as notice_svc
from registry.portal import services as svc
from registry.portal.forms import (
    AnnualForm, ChangeRequestForm, ContactForm, MemberForm, RemoveMemberForm, UploadForm,
    VersionForm,
)
from registry.teams.members import get_member_for
from registry.teams.services import get_team_for

bp = Blueprint("portal", __name__, url_prefix="/portal")
firm_required = roles_required("firm")


def put_error(form, exc) -> None:
    """A service's refusal beside its field, or above the form."""
    if isinstance(exc, StaleDataError):
        form.form_errors.append("该记录刚在别处被修改，您的修改没有保存，请刷新页面后重试。")
        return
    errors = getattr(exc, "errors", None) or {exc.field: exc.message}
    for name, message in errors.items():
        target = getattr(form, name, None) if name else None
        if target is not None and hasattr(target, "errors") and name not in ("version", "csrf_token"):
            target.errors = list(target.errors) + [message]
        else:
            form.form_errors.append(exc.message if name == exc.field else message)


@bp.route("/")
@firm_required
def index():
    firm = svc.own_firm(current_user)
    today = date.today()
    profile = firm_profile(firm, today=today)
    periods = {r.id: period(r) for r in profile["recognitions"]}
    return render_template(
        "portal/index.html", firm=firm, today=today, periods=periods, **profile,
        notices=notice_svc.notices_for(firm.id, today), changes=svc.changes_of(firm.id, 10),
        proposals=member_svc.proposals_of(firm.id, 10), change_rows=svc.rows,
        pending=svc.pending_change(firm.id), years=annual_svc.year_choices(today))


@bp.route("/profile", methods=["GET", "POST"])
@allow_writes("firm")
@firm_required
def profile():
    firm = svc.own_firm(current_user)
    form = ContactForm(obj=firm if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = firm.version
    elif form.validate_on_submit():
        try:
            changes = svc.update_contact(current_user, version=form.version.data,
                                         **{f: getattr(form, f).data for f in svc.DIRECT_FIELDS})
            db.session.commit()
        except (RegistryError, StaleDataError) as exc:
            db.session.rollback()
            put_error(form, exc)
        else:
            flash("联系信息已更新。" if changes else "没有修改任何内容。", "success" if changes else "info")
            return redirect(url_for("portal.index"))
    return render_template("portal/profile.html", form=form, firm=firm)


@bp.route("/profile/request", methods=["GET", "POST"])
@allow_writes("firm")
@firm_required
def change_request():
    firm = svc.own_firm(current_user)
    pending = svc.pending_change(firm.id)
    form = ChangeRequestForm(obj=firm if request.method == "GET" else None)
    form.fill_choices(reference.towns(), reference.industries())
    if request.method == "GET":
        form.version.data = firm.version
        form.registered_capital.data = str(firm.registered_capital) if firm.registered_capital is not None else ""
    elif form.validate_on_submit():
        try:
            svc.request_change(current_user, version=form.version.data, reason=form.reason.data,
                               values={f: getattr(form, f).data for f in svc.REVIEWED_FIELDS})
            db.session.commit()
        except (RegistryError, StaleDataError) as exc:
            db.session.rollback()
            put_error(form, exc)
        else:
            flash("变更申请已提交，待科技局审核（待审核）。", "success")
            return redirect(url_for("portal.index"))
    return render_template("portal/change_request.html", form=form, firm=firm, pending=pending,
                           pending_rows=svc.rows(pending) if pending else [])


@bp.route("/changes/<change_id>/withdraw", methods=["POST"])
@allow_writes("firm")
@firm_required
def withdraw_change(change_id):
    req = svc.get_change_for(current_user, change_id)
    svc.ensure_own(current_user, req.firm_id)
    form = VersionForm()
    try:
        svc.withdraw_change(current_user, req, version=form.version.data)
        db.session.commit()
        flash("变更申请已撤回。", "info")
    except (RegistryError, StaleDataError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", "该记录刚在别处被修改，请刷新页面后重试。"), "danger")
    return redirect(url_for("portal.index"))


@bp.route("/annual")
@firm_required
def annual():
    firm = svc.own_firm(current_user)
    upload = UploadForm()
    upload.year.choices = [SelectChoice(y, f"{y}年度") for y in annual_svc.year_choices()]
    return render_template("portal/annual.html", firm=firm, records=annual_svc.firm_years(firm),
                           years=annual_svc.year_choices(), upload=upload)


@bp.route("/annual/edit", methods=["GET", "POST"])
@allow_writes("firm")
@firm_required
def annual_edit():
    firm = svc.own_firm(current_user)
    try:
        year = annual_svc.check_year(request.values.get("year") or annual_svc.year_choices()[0])
    except (RegistryError, StaleDataError) as exc:
        flash(exc.message, "warning")
        return redirect(url_for("portal.annual"))
    record = annual_svc.record_of(firm.id, year)
    form = AnnualForm()
    if request.method == "GET":
        form.year.data = year
        form.version.data = record.version if record else ""
        for field in annual_svc.FIELDS:
            value = getattr(record, field) if record else None
            getattr(form, field).data = "" if value is None else str(value)
    elif form.validate_on_submit():
        submit = request.form.get("action") == "submit"
        try:
            saved = annual_svc.save(current_user, year=year, version=form.version.data, submit=submit,
                                    values={f: getattr(form, f).data for f in annual_svc.FIELDS})
            db.session.commit()
        except (RegistryError, StaleDataError) as exc:
            db.session.rollback()
            put_error(form, exc)
        else:
            flash(f"{year}年度数据已提交，待科技局审核。" if submit else f"{year}年度数据草稿已保存。", "success")
            return redirect(url_for("portal.annual_edit", year=saved.year) if not submit
                            else url_for("portal.annual"))
    values = {f: getattr(form, f).data for f in annual_svc.FIELDS}
    try:
        shown_intensity = annual_svc.intensity(annual_svc.check_values(values, complete=False))
    except RegistryError:
        shown_intensity = None
    editable = record is None or record.status in annual_svc.EDITABLE_STATUSES
    return render_template("portal/annual_edit.html", form=form, firm=firm, year=year, record=record,
                           editable=editable, intensity=shown_intensity, rules=annual_svc.RULES,
                           money_fields=annual_svc.MONEY_FIELDS, fields=annual_svc.FIELDS,
                           max_money=annual_svc.MAX_MONEY)


@bp.route("/annual/template.xlsx")
@firm_required
def annual_template():
    """The annual-data import template, the same the bureau's import page hands out."""
    from io import BytesIO

    from flask import send_file

    from registry.excel import exporter

    data = exporter.template_workbook("annual", towns=reference.towns(), industries=reference.industries())
    return send_file(BytesIO(data), as_attachment=True, download_name="年度数据导入模板.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/annual/upload", methods=["POST"])
@allow_writes("firm")
@firm_required
def annual_upload():
    form = UploadForm()
    form.year.choices = [SelectChoice(y, f"{y}年度") for y in annual_svc.year_choices()]
    upload = request.files.get("file")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        flash("请选择年度并选择要上传的文件。", "warning")
        return redirect(url_for("portal.annual"))
    firm = svc.own_firm(current_user)
    record = annual_svc.record_of(firm.id, form.year.data)
    try:
        values = annual_svc.read_upload(current_user, upload.read(), upload.filename, year=form.year.data)
        annual_svc.save(current_user, year=form.year.data, values=values,
                        version=record.version if record else None, source="上传文件")
        db.session.commit()
    except (RegistryError, StaleDataError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", "该记录刚在别处被修改，请刷新页面后重试。"), "danger")
        return redirect(url_for("portal.annual"))
    flash(f"已从文件读取{form.year.data}年度数据并保存为草稿，请核对后提交。", "success")
    return redirect(url_for("portal.annual_edit", year=form.year.data))


@bp.route("/teams")
@firm_required
def teams():
    firm = svc.own_firm(current_user)
    profile = firm_profile(firm)
    return render_template("portal/teams.html", firm=firm, teams=profile["teams"],
                           proposals=member_svc.proposals_of(firm.id), proposal_rows=member_svc.rows)


def _propose(team, member, kind, form):
    values = {k: getattr(form, k).data for k in member_svc.INPUT} if kind != "remove" else None
    member_svc.propose(current_user, team, kind=kind, member=member, values=values,
                       reason=form.reason.data)


@bp.route("/teams/<team_id>/members/new", methods=["GET", "POST"])
@allow_writes("firm")
@firm_required
def member_new(team_id):
    team = get_team_for(current_user, team_id)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            _propose(team, None, "add", form)
            db.session.commit()
        except (RegistryError, StaleDataError) as exc:
            db.session.rollback()
            put_error(form, exc)
        else:
            flash("新增成员申请已提交，待科技局审核。", "success")
            return redirect(url_for("portal.teams"))
    return render_template("portal/member_form.html", form=form, team=team, member=None, kind="add")


@bp.route("/members/<member_id>/edit", methods=["GET", "POST"])
@allow_writes("firm")
@firm_required
def member_edit(member_id):
    member = get_member_for(current_user, member_id)
    form = MemberForm(obj=member if request.method == "GET" else None)
    if member.role == "leader":
        form.role.choices = [SelectChoice("leader", "带头人")]
    if form.validate_on_submit():
        try:
            _propose(member.team, member, "update", form)
            db.session.commit()
        except (RegistryError, StaleDataError) as exc:
            db.session.rollback()
            put_error(form, exc)
        else:
            flash("成员修改申请已提交，待科技局审核。", "success")
            return redirect(url_for("portal.teams"))
    return render_template("portal/member_form.html", form=form, team=member.team, member=member,
                           kind="update")


@bp.route("/members/<member_id>/remove", methods=["GET", "POST"])
@allow_writes("firm")
@firm_required
def member_remove(member_id):
    member = get_member_for(current_user, member_id)
    form = RemoveMemberForm()
    if form.validate_on_submit():
        try:
            _propose(member.team, member, "remove", form)
            db.session.commit()
        except (RegistryError, StaleDataError) as exc:
            db.session.rollback()
            put_error(form, exc)
        else:
            flash("移除成员申请已提交，待科技局审核。", "success")
            return redirect(url_for("portal.teams"))
    return render_template("portal/member_form.html", form=form, team=member.team, member=member,
                           kind="remove")


@bp.route("/proposals/<proposal_id>/withdraw", methods=["POST"])
@allow_writes("firm")
@firm_required
def withdraw_proposal(proposal_id):
    prop = member_svc.get_proposal_for(current_user, proposal_id)
    try:
        member_svc.withdraw(current_user, prop, version=VersionForm().version.data)
        db.session.commit()
        flash("申请已撤回。", "info")
    except (RegistryError, StaleDataError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", "该记录刚在别处被修改，请刷新页面后重试。"), "danger")
    return redirect(url_for("portal.teams"))


@bp.route("/notices/<notice_id>/read", methods=["POST"])
@allow_writes("firm")
@firm_required
def notice_read(notice_id):
    notice = notice_svc.get_notice_for(current_user, notice_id)
    notice_svc.mark_read(current_user, notice)
    db.session.commit()
    return redirect(url_for("portal.index"))


from registry.portal import review, staff_accounts  # noqa: E402,F401  (staff pages, on this blueprint)
