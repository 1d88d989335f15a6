from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField

NETWORKS_HINT = ("IPv4 or IPv6 addresses or CIDR ranges, one per line, for example 192.0.2.0/24 or 2001:db8::/48. "
                 "Leave empty to allow every address.")


class AllowListForm(FlaskForm):
    networks = TextAreaField("Allowed address ranges", description=NETWORKS_HINT)
    confirm_lockout = BooleanField("Save even if my current session ends and I cannot sign in from here")
