"""The form that adds a backup target in the admin UI."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class TargetForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=40)],
                       description="Lower-case letters, digits, - and _, such as nas or offsite")
    type = SelectField("Type", choices=[SelectChoice("directory", "Directory (second disk, NAS share, USB drive)"),
                                        SelectChoice("sftp", "SFTP server (OpenSSH, key authentication)")])
    path = StringField("Path", validators=[DataRequired(), Length(max=400)],
                       description="Absolute directory on this server, or on the SFTP server for sftp")
    schedule = SelectField("Schedule", choices=[SelectChoice("daily", "Daily"),
                                                SelectChoice("weekly", "Weekly (off-site copy)")])
    require_mount = BooleanField("Path must be a mount point (directory targets)")
    host = StringField("SFTP host", validators=[Optional(), Length(max=255)])
    port = IntegerField("SFTP port", default=22, validators=[Optional(), NumberRange(min=1, max=65535)])
    user = StringField("SFTP user", validators=[Optional(), Length(max=80)])
    key_file = StringField("Private key file", validators=[Optional(), Length(max=400)],
                           description="Absolute path on this server, readable by the TrackerBox user only")
    known_hosts = StringField("known_hosts file", validators=[Optional(), Length(max=400)],
                              description="Absolute path of a file that lists the SFTP server's host key")
    keep_daily = IntegerField("Daily archives kept", default=7, validators=[NumberRange(min=0, max=3660)])
    keep_weekly = IntegerField("Weekly archives kept", default=4, validators=[NumberRange(min=0, max=520)])
    keep_monthly = IntegerField("Monthly archives kept", default=12, validators=[NumberRange(min=0, max=1200)])

    def values(self) -> dict[str, str]:
        """Return the fields as the strings a config-file section would hold."""
        keys = ("name", "type", "path", "schedule", "host", "port", "user", "key_file", "known_hosts",
                "keep_daily", "keep_weekly", "keep_monthly")
        values = {key: "" if getattr(self, key).data is None else str(getattr(self, key).data) for key in keys}
        values["require_mount"] = "yes" if self.require_mount.data else "no"
        if values["type"] != "sftp":
            for key in ("host", "port", "user", "key_file", "known_hosts"):
                values[key] = ""
        return values
