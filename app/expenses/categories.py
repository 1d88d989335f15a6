"""Expense categories: plain ones (meals, travel) and unit-priced ones such as mileage."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from app import db
from app.audit.service import record, snapshot
from app.errors import UserError
from app.expenses.services import MAX_AMOUNT_MINOR, clean_text
from app.models import ExpenseCategory, User
from app.money import check_currency, parse_amount

log = logging.getLogger(__name__)

CATEGORY_AUDIT_FIELDS = ("name", "unit", "unit_rate_minor", "currency", "active")
MAX_NAME_LENGTH = 80
MAX_UNIT_LENGTH = 20


@dataclass
class CategoryInput:
    """The category form as typed. The unit rate is parsed in the person's locale."""

    name: str
    unit: str = ""
    unit_rate: str = ""
    currency: str = "EUR"
    active: bool = True


def all_categories() -> list[ExpenseCategory]:
    return list(db.session.scalars(select(ExpenseCategory).order_by(ExpenseCategory.name)))


def get_category(category_id: int) -> ExpenseCategory:
    category = db.session.get(ExpenseCategory, category_id)
    if category is None:
        raise NotFound()
    return category


def create_category(user: User, data: CategoryInput) -> ExpenseCategory:
    category = ExpenseCategory()
    _apply(user, category, data)
    db.session.add(category)
    db.session.flush()
    record("expense_category.create", category, after=snapshot(category, CATEGORY_AUDIT_FIELDS))
    log.info("expense category %s created by user %s", category.id, user.id)
    return category


def update_category(user: User, category_id: int, data: CategoryInput) -> ExpenseCategory:
    """Change a category. Recorded expenses keep their amounts until someone edits them."""
    category = get_category(category_id)
    before = snapshot(category, CATEGORY_AUDIT_FIELDS)
    _apply(user, category, data)
    after = snapshot(category, CATEGORY_AUDIT_FIELDS)
    if after != before:
        db.session.flush()
        record("expense_category.update", category, before=before, after=after)
        log.info("expense category %s changed by user %s", category.id, user.id)
    return category


def _apply(user: User, category: ExpenseCategory, data: CategoryInput) -> None:
    name = clean_text(data.name, field="name", max_length=MAX_NAME_LENGTH)
    if not name:
        raise UserError("name: a name is required, for example Mileage or Meals", field="name")
    duplicate = db.session.scalar(
        select(ExpenseCategory.id).where(func.lower(ExpenseCategory.name) == name.lower(),
                                         ExpenseCategory.id != (category.id or 0))
    )
    if duplicate is not None:
        raise UserError(f"name: a category called {name!r} exists already; choose another name", field="name")
    currency = check_currency(data.currency)
    unit = clean_text(data.unit, field="unit", max_length=MAX_UNIT_LENGTH)
    rate_text = (data.unit_rate or "").strip()
    if bool(unit) != bool(rate_text):
        missing = "unit_rate" if unit else "unit"
        raise UserError(f"{missing}: give both a unit and a rate per unit (for example km and 0.30), or neither",
                        field=missing)
    rate = parse_amount(rate_text, currency, user.locale or "en", field="unit_rate") if rate_text else None
    if rate is not None and rate <= 0:
        raise UserError(f"unit_rate: {rate_text!r} is not more than zero; enter the price per {unit}",
                        field="unit_rate")
    if rate is not None and rate > MAX_AMOUNT_MINOR:
        raise UserError(f"unit_rate: {rate_text!r} is larger than any expense may be", field="unit_rate")
    category.name = name
    category.unit = unit
    category.unit_rate_minor = rate
    category.currency = currency
    category.active = bool(data.active)
