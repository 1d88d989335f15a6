from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    login = StringField("Login", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    public = BooleanField("Public or shared computer",
                          description="Short timeouts, nothing kept in the browser after you sign out.")


class PreferencesForm(FlaskForm):
    timezone = SelectField("Time zone", validate_choice=False,
                           description="Decides which day and week your time entries count on.")
    locale = SelectField("Number format", validate_choice=False,
                         description="How you type and read amounts and decimals, e.g. 1.234,50 or 1,234.50.")

    def set_choices(self) -> None:
        from app.admin.forms import locale_label
        from app.inputs import known_timezones
        from app.money import SUPPORTED_LOCALES

        self.timezone.choices = sorted(known_timezones())
        self.locale.choices = [(code, locale_label(code)) for code in SUPPORTED_LOCALES]


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm_password = PasswordField("Repeat the new password", validators=[DataRequired(), Length(max=1024)])
