"""Forms of the expense pages. Amounts stay text here, and the services parse them in the person's locale."""
from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, Form, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.expenses.categories import CategoryInput
from app.expenses.services import ExpenseInput
from app.models import ExpenseStatus, ReportStatus


def optional_int(value) -> int | None:
    """Coerce a select value to an int, with the empty choice meaning None."""
    if value in ("", None):
        return None
    return int(value)


def status_choices(statuses) -> list[SelectChoice]:
    return [SelectChoice("", "Any status")] + [SelectChoice(s.value, s.value.title()) for s in statuses]


class IsoDateField(DateField):
    """A date typed as YYYY-MM-DD, with an error message that shows the rejected text."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip()
        try:
            self.data = datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            self.data = None
            raise ValueError(f"{text!r} is not a date; use the form YYYY-MM-DD, for example 2026-03-14") from None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ExpenseForm(FlaskForm):
    expense_date = IsoDateField("Date", validators=[InputRequired("Enter the date on the receipt.")])
    project_id = SelectField("Project", coerce=optional_int, invalid_choice_message="Choose one of your projects.")
    category_id = SelectField("Category", coerce=optional_int,
                              invalid_choice_message="Choose one of the listed categories.")
    amount = StringField("Amount", validators=[Length(max=40)],
                         description="The total on the receipt, tax included, in your number format (12,50 with a decimal comma, 12.50 with a decimal point).")
    distance = StringField("Distance", validators=[Length(max=40)],
                           description="Only for unit-priced categories such as mileage: the amount is distance "
                                       "times the category's rate, in the category's currency.")
    tax = StringField("Tax included", validators=[Length(max=40)],
                      description="The tax contained in the amount. Leave it empty when there is none.")
    currency = StringField("Currency", validators=[Length(max=10)],
                           description="ISO code such as EUR or USD. Leave it empty for the project's currency.")
    notes = TextAreaField("Notes", validators=[Length(max=2000)])
    billable = BooleanField("Billable to the client", default=True)
    reimbursable = BooleanField("Paid by me, to be reimbursed", default=True)
    receipt = FileField("Receipt (PDF, PNG or JPEG)")
    remove_receipt = BooleanField("Remove the current receipt")

    def to_input(self, receipt) -> ExpenseInput:
        return ExpenseInput(
            expense_date=self.expense_date.data,
            project_id=self.project_id.data,
            category_id=self.category_id.data,
            amount=self.amount.data or "",
            distance=self.distance.data or "",
            tax=self.tax.data or "",
            currency=self.currency.data or "",
            notes=self.notes.data or "",
            billable=self.billable.data,
            reimbursable=self.reimbursable.data,
            receipt=receipt,
            remove_receipt=self.remove_receipt.data,
        )


class ExpenseFilterForm(Form):
    """The filters above the expense list, read from the query string (no CSRF token on GET)."""

    date_from = IsoDateField("From", validators=[Optional()])
    date_to = IsoDateField("To", validators=[Optional()])
    project = SelectField("Project", coerce=optional_int, invalid_choice_message="Choose one of the listed projects.")
    status = SelectField("Status", choices=status_choices(ExpenseStatus), default="",
                         invalid_choice_message="Choose one of the listed statuses.")
    mine = BooleanField("Only mine")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.date_from.data and self.date_to.data and self.date_from.data > self.date_to.data:
            self.date_to.errors.append("The end date is before the start date.")
            return False
        return valid


class ReportFilterForm(Form):
    status = SelectField("Status", choices=status_choices(ReportStatus), default="",
                         invalid_choice_message="Choose one of the listed statuses.")
    mine = BooleanField("Only mine")


class ReportForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Give the report a title."), Length(max=200)],
                        description="For example: Trip to Munich, March 2026")
    expense_ids = MultiCheckboxField("Open expenses to include", coerce=int)


class AddExpensesForm(FlaskForm):
    expense_ids = MultiCheckboxField("Open expenses to add", coerce=int)


class RenameReportForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Give the report a title."), Length(max=200)])


class DecisionForm(FlaskForm):
    comment = TextAreaField("Comment", validators=[Length(max=2000)],
                            description="Required when you reject: say what has to be corrected.")


class ReimburseForm(FlaskForm):
    reimbursed_on = IsoDateField("Paid out on", validators=[InputRequired("Enter the payment date.")])
    reference = StringField("Payment reference", validators=[InputRequired("Enter the payment reference."),
                                                             Length(max=200)])


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired("Enter a name."), Length(max=80)])
    unit = StringField("Unit", validators=[Length(max=20)],
                       description="Only for unit-priced categories, for example km. Leave it empty otherwise.")
    unit_rate = StringField("Rate per unit", validators=[Length(max=40)],
                            description="Price of one unit in the category's currency, for example 0.30.")
    currency = StringField("Currency", validators=[InputRequired("Enter an ISO currency code."), Length(max=10)],
                           default="EUR")
    active = BooleanField("Active (offered on new expenses)", default=True)

    def to_input(self) -> CategoryInput:
        return CategoryInput(name=self.name.data or "", unit=self.unit.data or "", unit_rate=self.unit_rate.data or "",
                             currency=self.currency.data or "", active=self.active.data)
