"""Pages for expense reports: building, submitting, approving per project and reimbursing."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from app import db
from app.errors import UserError
from app.expenses import expense_reports as reports
from app.expenses import report_queries as queries
from app.expenses.forms import (
    AddExpensesForm,
    DecisionForm,
    RenameReportForm,
    ReimburseForm,
    ReportFilterForm,
    ReportForm,
)
from app.expenses.services import today_for
from app.expenses.views import acting_user, bp, show_error
from app.models import ReportStatus
from app.money import format_money
from app.pagination import paginate
from app.security.permissions import Permission, requires, signed_in


def _expense_choices(expenses) -> list[SelectChoice]:
    return [SelectChoice(str(e.id), f"{e.expense_date.isoformat()} · {e.project.code} · {e.category.name} · "
                                    f"{format_money(e.amount_minor, e.currency, acting_user().locale)}")
            for e in expenses]


@bp.route("/expenses/reports/")
@signed_in
def report_list():
    user = acting_user()
    filter_form = ReportFilterForm(request.args)
    filters = queries.ReportFilters()
    status = 200
    if request.args and not filter_form.validate():
        status = 400
    elif filter_form.status.data or filter_form.mine.data:
        filters = queries.ReportFilters(
            status=ReportStatus(filter_form.status.data) if filter_form.status.data else None,
            mine_only=filter_form.mine.data,
        )
    page = paginate(queries.filtered_reports_query(user, filters))
    summaries = queries.report_summaries([r.id for r in page.items])
    return render_template("expenses/reports.html", page=page, summaries=summaries, filter_form=filter_form), status


@bp.route("/expenses/reports/new", methods=["GET", "POST"])
@requires(Permission.EXPENSES_OWN)
def new_report():
    user = acting_user()
    form = ReportForm()
    open_expenses = queries.open_unreported_expenses(user)
    form.expense_ids.choices = _expense_choices(open_expenses)
    if request.method == "GET" and not form.expense_ids.data:
        form.expense_ids.data = [e.id for e in open_expenses]
    if form.validate_on_submit():
        try:
            report = reports.create_report(user, form.title.data, form.expense_ids.data or [])
        except UserError as exc:
            show_error(form, exc)
        else:
            flash(f"Report “{report.title}” created. Submit it when it is complete.", "success")
            return redirect(url_for("expenses.report_detail", report_id=report.id))
    status = 400 if request.method == "POST" else 200
    return render_template("expenses/report_form.html", form=form, open_expenses=open_expenses), status


@bp.route("/expenses/reports/<int:report_id>")
@signed_in
def report_detail(report_id: int):
    return _render_report(report_id)


def _render_report(report_id: int, *, status: int = 200, rename_form=None, add_form=None, decision_forms=None,
                   reimburse_form=None):
    """Render a report page. The form arguments carry a failed submission with its errors."""
    user = acting_user()
    report = queries.get_report_for(user, report_id)
    expenses = queries.report_expenses_for(user, report)
    parts = queries.split_into_parts(expenses)
    is_owner = report.user_id == user.id
    addable = queries.open_unreported_expenses(user) if is_owner else []
    add_form = add_form or AddExpensesForm(formdata=None)
    add_form.expense_ids.choices = _expense_choices(addable)
    managed = queries.managed_ids_among(user, {part.project.id for part in parts})
    decision_forms = decision_forms or {}
    for part in parts:
        decision_forms.setdefault(part.project.id, DecisionForm(formdata=None, prefix=f"part{part.project.id}"))
    reimburse_form = reimburse_form or ReimburseForm(formdata=None, reimbursed_on=today_for(user))
    return render_template(
        "expenses/report_detail.html", report=report, parts=parts, is_owner=is_owner,
        hidden_count=queries.count_report_expenses(report) - len(expenses),
        summary=queries.report_summaries([report.id])[report.id], decisions=queries.report_decisions(report),
        managed=managed, addable=addable, add_form=add_form, decision_forms=decision_forms,
        rename_form=rename_form or RenameReportForm(formdata=None, title=report.title),
        reimburse_form=reimburse_form, ReportStatus=ReportStatus,
        project_labels={part.project.id: part.project.label for part in parts},
    ), status


def _failed(report_id: int, exc: UserError, **forms):
    """Show the report again with the error of a rejected action (400, or 409 for a status conflict)."""
    db.session.rollback()
    if not any(forms.values()):
        flash(exc.message[:1].upper() + exc.message[1:], "error")
    return _render_report(report_id, status=exc.status_code, **forms)


@bp.route("/expenses/reports/<int:report_id>/rename", methods=["POST"])
@requires(Permission.EXPENSES_OWN)
def rename_report(report_id: int):
    form = RenameReportForm()
    if not form.validate_on_submit():
        return _render_report(report_id, status=400, rename_form=form)
    try:
        reports.rename_report(acting_user(), report_id, form.title.data)
    except UserError as exc:
        show_error(form, exc)
        return _failed(report_id, exc, rename_form=form)
    flash("Report title saved.", "success")
    return redirect(url_for("expenses.report_detail", report_id=report_id))


@bp.route("/expenses/reports/<int:report_id>/add", methods=["POST"])
@requires(Permission.EXPENSES_OWN)
def add_to_report(report_id: int):
    form = AddExpensesForm()
    form.expense_ids.choices = _expense_choices(queries.open_unreported_expenses(acting_user()))
    if not form.validate_on_submit():
        return _render_report(report_id, status=400, add_form=form)
    try:
        reports.add_expenses_to_report(acting_user(), report_id, form.expense_ids.data or [])
    except UserError as exc:
        show_error(form, exc)
        return _failed(report_id, exc, add_form=form)
    flash("Expenses added to the report.", "success")
    return redirect(url_for("expenses.report_detail", report_id=report_id))


@bp.route("/expenses/reports/<int:report_id>/remove/<int:expense_id>", methods=["POST"])
@requires(Permission.EXPENSES_OWN)
def remove_from_report(report_id: int, expense_id: int):
    try:
        reports.remove_expense_from_report(acting_user(), report_id, expense_id)
    except UserError as exc:
        return _failed(report_id, exc)
    flash("Expense taken out of the report; it is open again.", "success")
    return redirect(url_for("expenses.report_detail", report_id=report_id))


@bp.route("/expenses/reports/<int:report_id>/submit", methods=["POST"])
@requires(Permission.EXPENSES_OWN)
def submit_report(report_id: int):
    try:
        report = reports.submit_report(acting_user(), report_id)
    except UserError as exc:
        return _failed(report_id, exc)
    if report.status == ReportStatus.APPROVED:
        flash("Report resubmitted; every part was approved already, so the report is approved.", "success")
    else:
        flash("Report submitted for approval.", "success")
    return redirect(url_for("expenses.report_detail", report_id=report_id))


@bp.route("/expenses/reports/<int:report_id>/delete", methods=["POST"])
@requires(Permission.EXPENSES_OWN)
def delete_report(report_id: int):
    try:
        reports.delete_report(acting_user(), report_id)
    except UserError as exc:
        return _failed(report_id, exc)
    flash("Draft report deleted; its expenses are open again.", "success")
    return redirect(url_for("expenses.report_list"))


@bp.route("/expenses/reports/<int:report_id>/parts/<int:project_id>/decide", methods=["POST"])
@requires(Permission.EXPENSES_APPROVE)
def decide_part(report_id: int, project_id: int):
    form = DecisionForm(prefix=f"part{project_id}")
    if not form.validate_on_submit():
        return _render_report(report_id, status=400, decision_forms={project_id: form})
    decision = request.form.get("decision", "")
    try:
        reports.decide_part(acting_user(), report_id, project_id, decision, form.comment.data or "")
    except UserError as exc:
        show_error(form, exc)
        return _failed(report_id, exc, decision_forms={project_id: form})
    if decision == reports.APPROVE:
        flash("Part approved.", "success")
    else:
        flash("Part rejected; the report went back to its owner.", "success")
    if request.form.get("back") == "approvals":
        return redirect(url_for("expenses.approvals"))
    return redirect(url_for("expenses.report_detail", report_id=report_id))


@bp.route("/expenses/reports/<int:report_id>/reimburse", methods=["POST"])
@requires(Permission.EXPENSES_REIMBURSE)
def reimburse_report(report_id: int):
    form = ReimburseForm()
    if not form.validate_on_submit():
        return _render_report(report_id, status=400, reimburse_form=form)
    try:
        reports.reimburse_report(acting_user(), report_id, form.reimbursed_on.data, form.reference.data)
    except UserError as exc:
        show_error(form, exc)
        return _failed(report_id, exc, reimburse_form=form)
    flash("Report marked as reimbursed.", "success")
    return redirect(url_for("expenses.report_detail", report_id=report_id))


@bp.route("/expenses/reports/<int:report_id>/reopen", methods=["POST"])
@requires(Permission.EXPENSES_APPROVE, Permission.TIME_REOPEN)
def reopen_report(report_id: int):
    try:
        reports.reopen_report(acting_user(), report_id, request.form.get("reason", ""))
    except UserError as exc:
        return _failed(report_id, exc)
    flash("Report reopened; it went back to its owner for changes.", "success")
    return redirect(url_for("expenses.report_detail", report_id=report_id))


@bp.route("/expenses/approvals")
@requires(Permission.EXPENSES_APPROVE)
def approvals():
    """Report parts of the signed-in manager's projects that wait for a decision."""
    page = paginate(queries.pending_parts_query(acting_user()), scalars=False)
    parts = queries.load_pending_parts(page.items)
    return render_template("expenses/approvals.html", page=page, parts=parts)
