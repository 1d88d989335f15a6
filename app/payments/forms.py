"""Forms of the payments blueprint; amounts stay text and are parsed in the person's locale by the services."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.payments.services import METHOD_LABELS, RECORDABLE_METHODS


class PaymentForm(FlaskForm):
    payment_date = DateField("Date received", validators=[InputRequired()])
    amount = StringField("Amount", validators=[DataRequired(), Length(max=30)])
    method = SelectField("Method", choices=[SelectChoice(m.value, label) for m, label in RECORDABLE_METHODS.items()])
    reference = StringField(
        "Reference", validators=[Length(max=200)],
        description="Bank reference, cheque number or the card terminal's receipt number. Never a card number.",
    )
    notes = TextAreaField("Notes", validators=[Length(max=2000)])


class ApplyCreditForm(FlaskForm):
    amount = StringField("Credit to apply", validators=[DataRequired(), Length(max=30)])


class PaymentFilterForm(FlaskForm):
    """The filters above the payment list, read from the query string."""

    class Meta:
        csrf = False

    client = SelectField("Client", validators=[Optional()])
    method = SelectField("Method", validators=[Optional()],
                         choices=[SelectChoice("", "Any method")]
                         + [SelectChoice(m.value, label) for m, label in METHOD_LABELS.items()])
    received_from = DateField("Received from", validators=[Optional()])
    received_until = DateField("Received until", validators=[Optional()])
