"""Administration pages for expense categories (Permission.SETTINGS_MANAGE)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.errors import UserError
from app.expenses import categories
from app.expenses.forms import CategoryForm
from app.expenses.services import format_decimal_input
from app.expenses.views import acting_user, bp, show_error
from app.money import to_major
from app.security.permissions import Permission, requires


@bp.route("/expenses/categories/")
@requires(Permission.SETTINGS_MANAGE)
def category_list():
    return render_template("expenses/categories.html", categories=categories.all_categories())


@bp.route("/expenses/categories/new", methods=["GET", "POST"])
@requires(Permission.SETTINGS_MANAGE)
def new_category():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = categories.create_category(acting_user(), form.to_input())
        except UserError as exc:
            show_error(form, exc)
        else:
            flash(f"Category {category.name} created.", "success")
            return redirect(url_for("expenses.category_list"))
    status = 400 if request.method == "POST" else 200
    return render_template("expenses/category_form.html", form=form, category=None), status


@bp.route("/expenses/categories/<int:category_id>/edit", methods=["GET", "POST"])
@requires(Permission.SETTINGS_MANAGE)
def edit_category(category_id: int):
    category = categories.get_category(category_id)
    form = CategoryForm(obj=category)
    if request.method == "GET" and category.unit_rate_minor is not None:
        form.unit_rate.data = format_decimal_input(to_major(category.unit_rate_minor, category.currency),
                                                   acting_user().locale)
    if form.validate_on_submit():
        try:
            categories.update_category(acting_user(), category.id, form.to_input())
        except UserError as exc:
            show_error(form, exc)
        else:
            flash(f"Category {category.name} saved.", "success")
            return redirect(url_for("expenses.category_list"))
    status = 400 if request.method == "POST" else 200
    return render_template("expenses/category_form.html", form=form, category=category), status
