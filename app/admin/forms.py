"""Forms of the administration pages. The services check every value."""
from __future__ import annotations

from decimal import Decimal

from babel import Locale
from babel.numbers import format_decimal
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from app.money import SUPPORTED_LOCALES
from app.inputs import known_timezones



def locale_label(code: str) -> str:
    """Return a locale's English name with a sample number, e.g. "German (1.234,50)"."""
    locale = Locale.parse(code)
    sample = format_decimal(Decimal("1234.50"), format="#,##0.00", locale=locale)
    return f"{locale.english_name} ({sample})"


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False, html_tag="ul")
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    name = StringField("Name")
    email = StringField("E-mail")
    timezone = SelectField("Time zone", validate_choice=False, default="Europe/Berlin",
                           description="Decides which day and week each time entry counts on.")
    locale = SelectField("Number format", validate_choice=False, default="en",
                         description="How this person types and reads amounts and decimals.")
    currency = StringField("Currency", description="ISO 4217 code of the rates below.")
    default_rate = StringField("Default hourly rate", description="Billing rate when no project, task or member "
                                                                  "rate applies. Empty: none.")
    cost_rate = StringField("Internal cost rate", description="Hourly cost to the company. Empty: none.")
    profiles = CheckboxListField("Security profiles", validate_choice=False)

    def set_choices(self, profiles) -> None:
        self.timezone.choices = sorted(known_timezones())
        self.locale.choices = [(code, locale_label(code)) for code in SUPPORTED_LOCALES]
        self.profiles.choices = [(str(profile.id), profile.name) for profile in profiles]


class UserCreateForm(UserForm):
    login = StringField("Login", description="2 to 80 lower-case letters, digits, dots, dashes, @ or underscores.")


class SettingsForm(FlaskForm):
    company_name = StringField("Company name")
    company_address = TextAreaField("Address")
    company_tax_id = StringField("Tax id")
    company_email = StringField("E-mail")
    company_bank_details = TextAreaField("Bank details", description="Printed on invoices, e.g. IBAN and BIC.")
    default_currency = StringField("Default currency", description="ISO 4217 code for new clients and people.")
    allow_overlapping_entries = BooleanField("Allow overlapping time entries of one person")
    invoice_number_pattern = StringField(
        "Invoice number pattern", description="{seq} is the sequence number ({seq:05d}: five digits), "
                                              "{year} the issue year.")
    credit_note_number_pattern = StringField("Credit note number pattern")
    session_idle_minutes = StringField("Idle timeout (minutes)",
                                       description="A session ends after this long without a request. 1 to 1440.")
    session_absolute_minutes = StringField("Maximum session length (minutes)",
                                           description="A session ends this long after sign-in. 5 to 10080.")
    public_session_idle_minutes = StringField("Public-terminal idle timeout (minutes)", description="1 to 60.")
    public_session_absolute_minutes = StringField("Public-terminal maximum session length (minutes)",
                                                  description="5 to 720.")
    public_networks = TextAreaField(
        "Public networks", description="Address ranges (CIDR, one per line) of kiosks and shared computers; "
                                       "every sign-in from them starts a public-terminal session.")


class ProfileForm(FlaskForm):
    name = StringField("Name", description="Up to 80 characters, unique.")
    description = TextAreaField("Description", description="What people with this profile do. Up to 400 characters.")
    permissions = CheckboxListField("Permissions", validate_choice=False)

    def set_choices(self, catalogue) -> None:
        self.permissions.choices = [(permission.value, f"{permission.value}: {description}")
                                    for permission, description in catalogue]


class PasswordPolicyForm(FlaskForm):
    password_min_length = StringField("Minimum length", description="Characters; 8 to 128. Default 15.")
    password_max_length = StringField("Maximum length", description="Characters; 128 to 1024. Default 256.")
    password_require_lowercase = BooleanField("Require a lower-case letter")
    password_require_uppercase = BooleanField("Require an upper-case letter")
    password_require_digit = BooleanField("Require a digit")
    password_require_symbol = BooleanField("Require a symbol or space")
    password_reject_common = BooleanField("Refuse common and easily guessed passwords")
    password_min_strength = StringField(
        "Minimum strength", description="zxcvbn score from 0 (accept any) to 4; applies when common passwords "
                                        "are refused. Default 3.")
    password_reject_personal = BooleanField("Refuse passwords that contain the person's login or name")
    password_history_count = StringField("Earlier passwords that may not be reused",
                                         description="0 to 24; 0 turns the check off. Default 5.")
    password_max_age_days = StringField("Maximum password age in days", description="0 to 3650; 0 turns aging off "
                                                                                    "(the default).")
    password_expiry_warning_days = StringField("Warn this many days before expiry", description="0 to 90. Default 14.")
    signin_suspend_after = StringField("Suspend after this many failed sign-ins in a row",
                                       description="4 to 100. Default 10.")
    signin_address_limit = StringField("Failed sign-ins per address in 15 minutes",
                                       description="5 to 10000. Default 30.")
    signin_office_limit = StringField("Failed sign-ins per office address in 15 minutes",
                                      description="5 to 100000, at least the limit above. Default 300.")
    office_networks = TextAreaField("Office networks", description="CIDR ranges of the office LAN, one per line, "
                                                                   "e.g. 192.168.10.0/24. Empty by default.")
