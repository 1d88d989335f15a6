"""Pages for recording expenses and downloading their receipts."""
from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from app import db
from app.errors import UserError
from app.expenses import services
from app.expenses.forms import ExpenseFilterForm, ExpenseForm
from app.models import Expense, ExpenseStatus, Project
from app.money import to_major
from app.pagination import paginate
from app.projects.scoping import loggable_projects_query, visible_projects_query
from app.security.permissions import Permission, requires, signed_in

bp = Blueprint("expenses", __name__)


def acting_user():
    """Return the signed-in person as a plain User object, as the services expect."""
    return current_user._get_current_object()


def show_error(form, exc: UserError) -> None:
    """Put a service error next to its form field, or flash it when no field matches."""
    target = getattr(form, exc.field, None) if exc.field else None
    if isinstance(target, Field):
        prefix = f"{exc.field}: "
        message = exc.message[len(prefix):] if exc.message.startswith(prefix) else exc.message
        target.errors = [*target.errors, message[:1].upper() + message[1:]]
    else:
        flash(exc.message[:1].upper() + exc.message[1:], "error")


@bp.route("/expenses/")
@requires(Permission.EXPENSES_OWN)
def index():
    user = acting_user()
    filter_form = ExpenseFilterForm(request.args)
    filter_form.project.choices = [SelectChoice("", "All projects")] + [
        SelectChoice(str(p.id), p.label) for p in db.session.scalars(visible_projects_query(user).order_by(Project.code))
    ]
    status = 200
    filters = services.ExpenseFilters()
    if request.args and not filter_form.validate():
        status = 400
    elif request.args:
        filters = services.ExpenseFilters(
            date_from=filter_form.date_from.data, date_to=filter_form.date_to.data,
            project_id=filter_form.project.data,
            status=ExpenseStatus(filter_form.status.data) if filter_form.status.data else None,
            mine_only=filter_form.mine.data,
        )
    page = paginate(services.filtered_expenses_query(user, filters))
    totals = services.expense_totals(user, filters)
    return render_template("expenses/index.html", page=page, totals=totals, filter_form=filter_form,
                           show_person=_sees_others(user)), status


def _sees_others(user) -> bool:
    return any(user.can(p.value) for p in (Permission.TIME_VIEW_ALL, Permission.SCOPE_ALL_PROJECTS,
                                           Permission.EXPENSES_APPROVE, Permission.EXPENSES_REIMBURSE))


def _expense_form(expense: Expense | None = None) -> ExpenseForm:
    user = acting_user()
    form = ExpenseForm(obj=expense)
    projects = list(db.session.scalars(loggable_projects_query(user)))
    if expense is not None and expense.project_id not in {p.id for p in projects}:
        projects.append(expense.project)
    form.project_id.choices = [SelectChoice("", "Choose a project")] + [SelectChoice(str(p.id), p.label) for p in projects]
    categories = services.active_categories()
    if expense is not None and expense.category_id not in {c.id for c in categories}:
        categories.append(expense.category)
    form.unit_categories = [c for c in categories if c.unit and c.unit_rate_minor is not None]
    form.category_id.choices = [SelectChoice("", "Choose a category")] + [
        SelectChoice(str(c.id), c.name, render_kw={"data-unit": c.unit} if c in form.unit_categories else {})
        for c in categories
    ]
    return form


def _fill_amount_fields(form: ExpenseForm, expense: Expense) -> None:
    """Show the stored amounts in the edit form the way the person types numbers."""
    locale = acting_user().locale or "en"
    form.amount.data = services.format_decimal_input(to_major(expense.amount_minor, expense.currency), locale)
    form.tax.data = (services.format_decimal_input(to_major(expense.tax_minor, expense.currency), locale)
                     if expense.tax_minor else "")
    form.distance.data = services.format_decimal_input(expense.quantity, locale) if expense.quantity is not None else ""


@bp.route("/expenses/new", methods=["GET", "POST"])
@requires(Permission.EXPENSES_OWN)
def new_expense():
    form = _expense_form()
    if request.method == "GET":
        form.expense_date.data = services.today_for(acting_user())
    if form.validate_on_submit():
        try:
            expense = services.create_expense(acting_user(), form.to_input(request.files.get(form.receipt.name)))
        except UserError as exc:
            show_error(form, exc)
        else:
            flash(f"Expense of {expense.expense_date.isoformat()} saved.", "success")
            return redirect(url_for("expenses.expense_detail", expense_id=expense.id))
    status = 400 if request.method == "POST" else 200
    return render_template("expenses/form.html", form=form, expense=None), status


@bp.route("/expenses/<int:expense_id>")
@signed_in
def expense_detail(expense_id: int):
    user = acting_user()
    expense = services.get_expense_for(user, expense_id)
    return render_template("expenses/detail.html", expense=expense, editable=services.is_editable(user, expense))


@bp.route("/expenses/<int:expense_id>/edit", methods=["GET", "POST"])
@requires(Permission.EXPENSES_OWN)
def edit_expense(expense_id: int):
    user = acting_user()
    expense = services.get_own_expense(user, expense_id)
    form = _expense_form(expense)
    if request.method == "GET":
        _fill_amount_fields(form, expense)
        try:
            services.check_editable(user, expense)
        except UserError as exc:
            flash(exc.message[:1].upper() + exc.message[1:], "error")
            return redirect(url_for("expenses.expense_detail", expense_id=expense.id))
    if form.validate_on_submit():
        try:
            services.update_expense(user, expense.id, form.to_input(request.files.get(form.receipt.name)))
        except UserError as exc:
            show_error(form, exc)
        else:
            flash("Expense saved.", "success")
            return redirect(url_for("expenses.expense_detail", expense_id=expense.id))
    status = 400 if request.method == "POST" else 200
    return render_template("expenses/form.html", form=form, expense=expense), status


@bp.route("/expenses/<int:expense_id>/delete", methods=["POST"])
@requires(Permission.EXPENSES_OWN)
def delete_expense(expense_id: int):
    try:
        services.delete_expense(acting_user(), expense_id)
    except UserError as exc:
        flash(exc.message[:1].upper() + exc.message[1:], "error")
        return redirect(url_for("expenses.expense_detail", expense_id=expense_id))
    flash("Expense deleted.", "success")
    return redirect(url_for("expenses.index"))


@bp.route("/expenses/<int:expense_id>/receipt")
@signed_in
def receipt(expense_id: int):
    """Send a receipt as a download (a PDF may open in the browser with ``?inline=1``)."""
    expense = services.get_expense_for(acting_user(), expense_id)
    path, content_type, download_name = services.receipt_file(expense)
    inline = request.args.get("inline") == "1" and content_type == "application/pdf"
    response = send_file(io.BytesIO(path.read_bytes()), mimetype=content_type, as_attachment=not inline,
                         download_name=download_name, max_age=0, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# Routes of reports, approvals and categories live in their own modules on the same blueprint.
from app.expenses import category_views, report_views  # noqa: E402,F401
