"""Forms of the invoices blueprint; amounts and percentages stay text and are parsed by the services."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.invoices.drafts import GROUPINGS
from app.invoices.totals import percent_from_basis_points
from app.models import InvoiceStatus


class CheckboxListField(SelectMultipleField):
    """Several choices shown as checkboxes, for the tax rates of a line."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        # The service checks the ids, so that an unknown rate gets a message naming it.
        pass


def tax_choice(tax_rate_id: int, name: str, basis_points: int) -> SelectChoice:
    return SelectChoice(tax_rate_id, f"{name} ({percent_from_basis_points(basis_points)} %)")


def _tax_choices(tax_rates) -> list[SelectChoice]:
    return [tax_choice(rate.id, rate.name, rate.rate_basis_points) for rate in tax_rates]


class TaxRateForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)], description="For example Standard VAT; the rate is printed next to the name")
    rate = StringField("Rate in percent", validators=[DataRequired(), Length(max=20)],
                       description="A number from 0 to 100 with at most two decimals, such as 19 or 7,7")
    active = BooleanField("Active (offered on new invoice lines)", default=True)


class NewInvoiceForm(FlaskForm):
    client_id = SelectField("Client", coerce=int, validators=[DataRequired()])
    period_start = DateField("Work from", validators=[InputRequired()])
    period_end = DateField("Work until", validators=[InputRequired()])
    grouping = RadioField("Lines", choices=[SelectChoice(key, label) for key, label in GROUPINGS.items()],
                          default="task")
    tax_rate_ids = CheckboxListField("Tax rates on the lines", coerce=int)
    discount = StringField("Discount in percent", validators=[Length(max=20)],
                           description="Taken off every line before tax; leave empty for none")
    notes = TextAreaField("Notes printed on the invoice", validators=[Length(max=5000)])

    def set_choices(self, clients, tax_rates) -> None:
        self.client_id.choices = [SelectChoice(client.id, f"{client.name} ({client.currency})") for client in clients]
        self.tax_rate_ids.choices = _tax_choices(tax_rates)


class DraftForm(FlaskForm):
    discount = StringField("Discount in percent", validators=[Length(max=20)],
                           description="Taken off every line before tax; leave empty for none")
    notes = TextAreaField("Notes printed on the invoice", validators=[Length(max=5000)])


class LineForm(FlaskForm):
    description = TextAreaField("Description", validators=[DataRequired(), Length(max=500)])
    quantity = StringField("Quantity", validators=[Length(max=30)], default="1")
    unit_price = StringField("Unit price", validators=[Length(max=30)])
    tax_rate_ids = CheckboxListField("Tax rates", coerce=int)

    def set_choices(self, tax_rates) -> None:
        self.tax_rate_ids.choices = _tax_choices(tax_rates)


class InvoiceFilterForm(FlaskForm):
    """The filters above the invoice list, read from the query string."""

    class Meta:
        csrf = False

    client = SelectField("Client", coerce=str, validators=[Optional()])
    status = SelectField("Status", validators=[Optional()],
                         choices=[SelectChoice("", "Any status")]
                         + [SelectChoice(s.value, s.value.replace("_", " ")) for s in InvoiceStatus])
    overdue = BooleanField("Only overdue")
    issued_from = DateField("Issued from", validators=[Optional()])
    issued_until = DateField("Issued until", validators=[Optional()])
