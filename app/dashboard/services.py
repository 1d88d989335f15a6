"""Assembles the dashboard panels a person's permissions entitle them to."""
from __future__ import annotations

from flask_login import current_user


def panels_for_current_user() -> dict:
    return {"user": current_user}
