"""The bureau's review queue for what firms send through the portal: profile change
requests (old → new per field, conflicts flagged), team-member proposals and submitted
annual data. Staff only; approving applies the change through the owning area's services
in the same transaction, or not at all.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from registry.audit.services import entries_for
from registry.auth.access import staff_required
from registry.errors import RegistryError
from registry.extensions import db
from registry.portal import annual as annual_svc
from registry.portal import members as member_svc
from registry.portal import services as svc
from registry.portal.forms import ReviewForm
from registry.portal.views import bp, put_error


@bp.route("/review/")
@staff_required
def queue():
    return render_template("portal/review_queue.html", changes=svc.pending_changes(),
                           proposals=member_svc.pending(), annual=annual_svc.submitted(),
                           conflicts=svc.conflicts, member_conflict=member_svc.is_conflicting)


def _decide(form, approve, send_back) -> bool:
    """Run the reviewer's decision; True when it was saved."""
    if not form.validate_on_submit():
        return False
    try:
        if form.decision.data == "approve":
            approve()
        elif form.decision.data == "return":
            send_back()
        else:
            form.form_errors.append("请选择通过或退回")
            return False
        db.session.commit()
    except RegistryError as exc:
        db.session.rollback()
        put_error(form, exc)
        return False
    except StaleDataError:  # another reviewer saved the same record a moment before
        db.session.rollback()
        form.form_errors.append("该记录刚被他人处理或修改，请刷新页面后查看。")
        return False
    return True


@bp.route("/review/changes/<change_id>", methods=["GET", "POST"])
@staff_required
def review_change(change_id):
    req = svc.get_change_for(current_user, change_id)
    form = ReviewForm()
    if _decide(form,
               lambda: svc.approve_change(current_user, req, version=form.version.data,
                                          firm_version=form.firm_version.data),
               lambda: svc.return_change(current_user, req, version=form.version.data,
                                         comment=form.comment.data)):
        flash("已通过，变更已写入企业档案。" if req.status == "approved" else "已退回。", "success")
        return redirect(url_for("portal.queue"))
    req = svc.get_change_for(current_user, change_id)
    form.version.data, form.firm_version.data = req.version, req.firm.version
    return render_template("portal/review_change.html", req=req, form=form, rows=svc.rows(req),
                           stale=svc.conflicts(req),
                           history=entries_for(entity_type="change_request", entity_id=req.id))


@bp.route("/review/proposals/<proposal_id>", methods=["GET", "POST"])
@staff_required
def review_proposal(proposal_id):
    prop = member_svc.get_proposal_for(current_user, proposal_id)
    form = ReviewForm()
    if _decide(form,
               lambda: member_svc.approve(current_user, prop, version=form.version.data),
               lambda: member_svc.reject(current_user, prop, version=form.version.data,
                                         comment=form.comment.data)):
        flash("已通过，团队成员已更新。" if prop.status == "approved" else "已退回。", "success")
        return redirect(url_for("portal.queue"))
    prop = member_svc.get_proposal_for(current_user, proposal_id)
    form.version.data = prop.version
    return render_template("portal/review_proposal.html", prop=prop, form=form,
                           rows=member_svc.rows(prop), conflict=member_svc.is_conflicting(prop))


@bp.route("/review/annual/<annual_id>", methods=["GET", "POST"])
@staff_required
def review_annual(annual_id):
    ad = annual_svc.get_annual_for(current_user, annual_id)
    form = ReviewForm()
    if _decide(form,
               lambda: annual_svc.review(current_user, ad, version=form.version.data, accept=True,
                                         comment=form.comment.data),
               lambda: annual_svc.review(current_user, ad, version=form.version.data, accept=False,
                                         comment=form.comment.data)):
        flash(f"{ad.year}年度数据已{'确认' if ad.status == 'accepted' else '退回'}。", "success")
        return redirect(url_for("portal.queue"))
    ad = annual_svc.get_annual_for(current_user, annual_id)
    form.version.data = ad.version
    previous = annual_svc.record_of(ad.firm_id, ad.year - 1)
    return render_template("portal/review_annual.html", ad=ad, form=form, previous=previous,
                           fields=annual_svc.FIELDS, labels=annual_svc.LABELS,
                           money_fields=annual_svc.MONEY_FIELDS,
                           history=entries_for(entity_type="annual_data", entity_id=ad.id))
