"""The export form; the services check the values, so the lists accept any choice here."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from app.exports.services import ExportChoices


class ExportForm(FlaskForm):
    kind = SelectField("What to export", validate_choice=False)
    date_from = StringField("From", description="First day included; empty for no limit.")
    date_to = StringField("To", description="Last day included; empty for no limit.")
    client_id = SelectField("Client", validate_choice=False)
    project_id = SelectField("Project", validate_choice=False, description="Time entries and expenses only.")
    user_id = SelectField("Person", validate_choice=False, description="Time entries and expenses only.")
    status = SelectField("Status", validate_choice=False)

    def fill_choices(self, choices: ExportChoices) -> None:
        self.kind.choices = [SelectChoice(kind, label) for kind, label in choices.kinds]
        self.client_id.choices = [SelectChoice("", "All clients")] + [
            SelectChoice(str(c.id), c.name) for c in choices.clients]
        self.project_id.choices = [SelectChoice("", "All projects")] + [
            SelectChoice(str(p.id), p.label) for p in choices.projects]
        self.user_id.choices = [SelectChoice("", "Everyone I may see")] + [
            SelectChoice(str(u.id), u.name) for u in choices.people]
        self.status.choices = [SelectChoice("", "Any status")] + [
            SelectChoice(s, s.replace("_", " ")) for s in choices.statuses]
