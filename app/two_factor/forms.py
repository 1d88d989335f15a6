"""Forms of the two-factor pages. The services check every value."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

CODE_DESCRIPTION = "The 6 digits your authenticator app shows, or one of your recovery codes."


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=40)], description=CODE_DESCRIPTION)


class ConfirmForm(FlaskForm):
    code = StringField("Code from the app", validators=[DataRequired(), Length(max=40)],
                       description="The 6 digits the app shows for TrackerBox now.")


class DisableForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    code = StringField("Code", validators=[DataRequired(), Length(max=40)], description=CODE_DESCRIPTION)


class RegenerateForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])


class ResetForm(FlaskForm):
    """The reset form on a user's edit page; the service requires the reason and checks its length."""

    reason = TextAreaField("Reason")


class RequirementForm(FlaskForm):
    require_totp = BooleanField("Members must sign in with a second factor")
