"""Forms of the import pages: the upload with its options, and the preview's options and mappings."""
from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from app.imports.summary import ImportOptions
from app.imports.values import DateOrder

DATE_ORDER_CHOICES = [
    SelectChoice("", "Decide from the file"),
    SelectChoice(DateOrder.DMY.value, "Day/month/year (31/12/2021)"),
    SelectChoice(DateOrder.MDY.value, "Month/day/year (12/31/2021)"),
    SelectChoice(DateOrder.YMD.value, "Year-month-day (2021-12-31)"),
]
# Upper bound of mapping rows read from one form, far above the names of any real export.
MAX_MAPPING_ROWS = 500


class ImportOptionsForm(FlaskForm):
    timezone = StringField("Time zone of the file's times", validators=[Length(max=64)],
                           description="IANA name such as Europe/Berlin; the times in the file are read in it.")
    date_order = SelectField("Date order", choices=DATE_ORDER_CHOICES,
                             description="Needed only when no date in the file shows whether the day or the "
                                         "month comes first.")
    create_missing = BooleanField("Create missing people, clients, projects and tasks")
    default_project = StringField("Project for rows without one", validators=[Length(max=200)],
                                  description="Code or name of a project; created when missing objects are created.")

    def to_options(self, user_map: dict[str, str], project_map: dict[str, str], *, dry_run: bool) -> ImportOptions:
        return ImportOptions(
            timezone=(self.timezone.data or "UTC").strip(),
            date_order=DateOrder(self.date_order.data) if self.date_order.data else None,
            create_missing=bool(self.create_missing.data), dry_run=dry_run, user_map=user_map,
            project_map=project_map, default_project=(self.default_project.data or "").strip(),
        )


class UploadForm(ImportOptionsForm):
    file = FileField("CSV file", validators=[FileRequired("Choose the CSV file to import.")],
                     description="A CSV export of Toggl Track, Clockify, Harvest, Kimai or GrandTotal.")


class ConfirmForm(ImportOptionsForm):
    token = HiddenField()


def mappings_from(values: Mapping[str, str], prefix: str) -> dict[str, str]:
    """Read the rows ``<prefix>_name-N`` (a name in the file) and ``<prefix>-N`` (the chosen target)."""
    chosen: dict[str, str] = {}
    for index in range(MAX_MAPPING_ROWS):
        name = values.get(f"{prefix}_name-{index}")
        if name is None:
            break
        target = (values.get(f"{prefix}-{index}") or "").strip()
        if name.strip() and target:
            chosen[name.strip()] = target
    return chosen
