"""Forms of the timesheets pages; values are checked by the services, which name the field at fault."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

BILLABLE_CHOICES = [SelectChoice("", "Project or task default"), SelectChoice("yes", "Billable"),
                    SelectChoice("no", "Not billable")]


class EntryForm(FlaskForm):
    project = SelectField("Project / task", validate_choice=False)
    work_date = StringField("Date", render_kw={"type": "date", "required": True})
    start = StringField("Start", description="Local time, e.g. 09:00; leave empty for a duration only",
                        render_kw={"type": "time"})
    end = StringField("End", description="An end before the start means the next day", render_kw={"type": "time"})
    duration = StringField("Duration", description="1:30, 1.5 or 90m; not needed with a start and an end",
                           validators=[Length(max=20)])
    notes = TextAreaField("Notes", validators=[Length(max=5000)])
    billable = SelectField("Billable", choices=BILLABLE_CHOICES, validate_choice=False)


class TimerForm(FlaskForm):
    project = SelectField("Project / task", validate_choice=False)
    notes = StringField("Notes", validators=[Length(max=5000)])


class WeekActionForm(FlaskForm):
    """The CSRF-protected form behind the grid save and the submit and withdraw buttons."""

    week = HiddenField()


class DecisionForm(FlaskForm):
    comment = TextAreaField("Comment", description="Required when rejecting; the worker sees it",
                            validators=[Length(max=2000)])


class ReopenForm(FlaskForm):
    reason = TextAreaField("Reason", description="Required; kept in the audit trail", validators=[Length(max=2000)])


class PeriodForm(FlaskForm):
    locked_until = StringField("Closed up to and including", description="Leave empty to close no period",
                               render_kw={"type": "date"})
