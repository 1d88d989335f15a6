"""Forms of the projects blueprint.

The fields are plain text and choices without validators: the services parse and check
every value, so that a form, an import and a test all meet the same rules and messages.
"""
from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from app import db
from app.durations import format_duration
from app.errors import UserError
from app.money import to_major
from app.inputs import InvalidFields


class ClientForm(FlaskForm):
    name = StringField("Name")
    address = TextAreaField("Address", description="One line per address line, as printed on invoices.")
    contact_name = StringField("Contact name")
    contact_email = StringField("Contact e-mail")
    currency = StringField("Currency", description="ISO 4217 code such as EUR, USD, CHF or JPY.")
    payment_terms_days = StringField("Payment terms (days)", default="30",
                                     description="Days from the invoice date to the due date, 0 to 365.")
    tax_id = StringField("Tax id", description="VAT or other tax number printed on invoices.")


class ProjectForm(FlaskForm):
    client_id = SelectField("Client", validate_choice=False)
    code = StringField("Code", description="Unique short code, e.g. ACME-WEB.")
    name = StringField("Name")
    billing_method = SelectField("Billing method", validate_choice=False)
    hourly_rate = StringField("Hourly rate", description="In the client's currency. Empty: use task, member "
                                                         "or personal rates.")
    fixed_fee = StringField("Fixed fee", description="Agreed price, for fixed-fee projects only.")
    budget_hours = StringField("Budget (hours)", description="For example 120, 120:30 or 7.5. Empty: no budget.")
    budget_money = StringField("Budget (amount)", description="In the client's currency. Empty: no budget.")
    manager_id = SelectField("Project manager", validate_choice=False,
                             description="Approves time and expenses and may change tasks and members.")


# The task and member forms share the project page, so their fields get distinct HTML ids.
class TaskForm(FlaskForm):
    name = StringField("Task name", id="task-name")
    billable = BooleanField("Billable by default", default=True, id="task-billable")
    hourly_rate = StringField("Hourly rate", description="Empty: the project rate applies.", id="task-hourly-rate")


class MemberForm(FlaskForm):
    user_id = SelectField("Person", validate_choice=False, id="member-user")
    hourly_rate = StringField("Person-on-project rate", description="Empty: task, project or personal rate applies.",
                              id="member-hourly-rate")


class MemberRateForm(FlaskForm):
    hourly_rate = StringField("Person-on-project rate")


class ClientManagerForm(FlaskForm):
    user_id = SelectField("Client manager", validate_choice=False)


def amount_input(minor: int | None, currency: str, locale: str) -> str:
    """Show minor units as typed input in ``locale`` (``1234,50`` in German), without grouping.

    Grouping is left out because ``1.234`` would read as ambiguous when sent back.
    """
    if minor is None:
        return ""
    try:
        separator = Locale.parse(locale).number_symbols["latn"]["decimal"]
    except (ValueError, UnknownLocaleError):
        separator = "."
    return f"{to_major(minor, currency):f}".replace(".", separator)


def hours_input(seconds: int | None) -> str:
    return format_duration(seconds) if seconds else ""


def show_errors(form: FlaskForm, exc: UserError) -> None:
    """Roll back the failed change and put each message next to its field (or on the form)."""
    db.session.rollback()
    errors = exc.errors if isinstance(exc, InvalidFields) else {exc.field or "": exc.message}
    for field_name, message in errors.items():
        field = form._fields.get(field_name)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
