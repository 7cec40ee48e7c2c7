"""Credit pages: the pool year's loans under its rules, Excel, pool settings, loans and events.

Each view reads its form, calls one service, commits once and redirects. Staff and town
officers (their towns' firms) register and correct loans; the pool's rules, defaults and
the repayments, compensations and recoveries that move money are staff-only; leaders
read only.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from registry import reference
from registry.audit.services import entries_for
from registry.auth.access import bureau_required, editor_required, staff_required
from registry.credit import services
from registry.credit.export import loans_workbook
from registry.credit.forms import EventForm, LoanFilterForm, LoanForm, NewLoanForm, OverdueForm, PoolForm
from registry.extensions import db
from registry.institutions.forms import int_or_none
from registry.web import FAILED, host_firm, readable, refused, xlsx

bp = Blueprint("credit", __name__, url_prefix="/credit")


def _year(value=None) -> int:
    years = services.pool_years()
    year = int_or_none(value if value is not None else request.args.get("year"))
    return year if year and 1980 <= year <= 2200 else (years[0] if years else date.today().year)


def _filter():
    form = LoanFilterForm(request.args)
    year = _year()
    form.fill_choices(sorted(set(services.pool_years()) | {year}, reverse=True),
                      current_user.towns if current_user.role == "town" else reference.towns())
    form.validate()
    form.year.data = year
    return form, services.LoanFilter(year=year, q=form.q.data or "", status=form.status.data or None,
                                     town_id=form.town.data)


@bp.route("/")
@bureau_required
def index():
    form, f = _filter()
    page = db.paginate(services.loan_query(current_user, f), per_page=current_app.config["PER_PAGE"],
                       max_per_page=100, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    line = services.pool_line(f.year)
    return render_template("credit/index.html", form=form, page=page, args=args, year=f.year, line=line,
                           balance=services.balance,
                           eligible=services.programme_names(line.pool.eligible_programmes) if line.pool else "")


@bp.route("/export.xlsx")
@bureau_required
def export():
    _form, f = _filter()
    data = loans_workbook(current_user, f, bureau=current_app.config["BUREAU_NAME"])
    return xlsx(data, f"科技信贷_{f.year}年_{date.today():%Y%m%d}.xlsx")


@bp.route("/pool", methods=["GET", "POST"])
@staff_required
def pool():
    year = _year(request.form.get("year") or request.args.get("year"))
    current = db.session.get(services.CreditPool, year)
    form = PoolForm(obj=current if request.method == "GET" else None, year=year)
    form.eligible_programmes.choices = [SelectChoice(p.code, p.name) for p in reference.programmes()]
    if request.method == "GET" and current is None:
        form.eligible_programmes.data = ["high_tech", "tech_sme"]
    changes = []
    if form.validate_on_submit():
        try:
            services.set_pool(current_user, form.year.data, size=form.size.data, max_loan=form.max_loan.data,
                              compensation_rate=form.compensation_rate.data,
                              eligible_programmes=form.eligible_programmes.data, note=form.note.data,
                              version=form.version.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
        else:
            flash(f"已保存{form.year.data}年科技信贷风险池。", "success")
            return redirect(url_for(".index", year=form.year.data))
    return render_template("credit/pool.html", form=form, line=services.pool_line(year), changes=changes), \
        400 if form.is_submitted() else 200


@bp.route("/new", methods=["GET", "POST"])
@editor_required
def create():
    form = NewLoanForm()
    firm = host_firm(form)
    if request.method == "GET" and not form.pool_year.data:
        form.pool_year.data = _year()
    if form.validate_on_submit():
        try:
            loan = services.create_loan(
                current_user, firm_text=form.firm.data, firm_id=form.firm_id.data or None,
                pool_year=form.pool_year.data, bank=form.bank.data, credit_line=form.credit_line.data,
                amount=form.amount.data, loan_on=form.loan_on.data, due_on=form.due_on.data, note=form.note.data)
            db.session.commit()
        except FAILED as exc:
            refused(form, exc)
        else:
            flash("已登记贷款。", "success")
            return redirect(url_for(".detail", loan_id=loan.id))
    return render_template("credit/form.html", form=form, loan=None, firm=firm), 400 if form.is_submitted() else 200


@bp.route("/<loan_id>")
@bureau_required
def detail(loan_id):
    loan = services.get_loan_for(current_user, loan_id)
    history = readable(entries_for(firm_id=loan.firm_id, entity_type=(services.ENTITY, services.EVENT_ENTITY),
                                   limit=100))
    history = [e for e in history if e.entity_type == services.ENTITY and e.entity_id == loan.id
               or e.entity_type == services.EVENT_ENTITY and any(ev.id == e.entity_id for ev in loan.events)]
    return render_template("credit/detail.html", loan=loan, b=services.balance(loan), history=history,
                           cap=services.compensation_cap(loan, loan.pool) if loan.pool else None,
                           event_form=EventForm(version=loan.version), overdue_form=OverdueForm(version=loan.version))


@bp.route("/<loan_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(loan_id):
    loan = services.get_loan_for(current_user, loan_id)
    form = LoanForm(obj=loan if request.method == "GET" else None)
    changes = []
    if form.validate_on_submit():
        try:
            services.update_loan(current_user, loan, version=form.version.data, bank=form.bank.data,
                                 credit_line=form.credit_line.data, amount=form.amount.data,
                                 loan_on=form.loan_on.data, due_on=form.due_on.data, note=form.note.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            loan = services.get_loan_for(current_user, loan_id)
        else:
            flash("已保存。", "success")
            return redirect(url_for(".detail", loan_id=loan.id))
    return render_template("credit/form.html", form=form, loan=loan, firm=loan.firm, changes=changes), \
        400 if form.is_submitted() else 200


@bp.route("/<loan_id>/event", methods=["GET", "POST"])
@staff_required
def event(loan_id):
    loan = services.get_loan_for(current_user, loan_id)
    form = EventForm(version=loan.version)
    changes = []
    if form.validate_on_submit():
        try:
            ev = services.add_event(current_user, loan, version=form.version.data, kind=form.kind.data,
                                    amount=form.amount.data, occurred_on=form.occurred_on.data, note=form.note.data)
            db.session.commit()
        except FAILED as exc:
            changes = refused(form, exc)
            loan = services.get_loan_for(current_user, loan_id)
        else:
            flash(f"已登记{ev.kind_label}。", "success")
            return redirect(url_for(".detail", loan_id=loan.id))
    return render_template("credit/event.html", form=form, loan=loan, b=services.balance(loan),
                           cap=services.compensation_cap(loan, loan.pool) if loan.pool else None,
                           changes=changes), 400 if form.is_submitted() else 200


@bp.route("/<loan_id>/overdue", methods=["POST"])
@staff_required
def overdue(loan_id):
    loan = services.get_loan_for(current_user, loan_id)
    form = OverdueForm()
    if form.validate_on_submit():
        try:
            services.mark_overdue(current_user, loan, version=form.version.data, note=form.note.data)
            db.session.commit()
        except FAILED as exc:
            refused(form, exc)
        else:
            flash("已标记为逾期。", "success")
    else:
        flash("请求已失效，请刷新页面后重试。", "danger")
    return redirect(url_for(".detail", loan_id=loan.id))
