"""Closing periods: time on or before the closing date changes only with TIME_REOPEN."""
from __future__ import annotations

import logging
from datetime import date

from app import company
from app.errors import UserError
from app.models import User
from app.timesheets import rules, weeks

log = logging.getLogger(__name__)


def close_period(actor: User, until: date | None) -> int:
    """Set the closing date (inclusive), or clear it with None; return the unapproved entries it closes.

    Moving the date into the future is rejected because it would block today's time.
    Moving it back or clearing it reopens closed time, so that needs TIME_REOPEN too.
    """
    current = company.locked_until()
    today = weeks.today_in(actor.timezone)
    if until is not None and until > today:
        raise UserError(f"locked_until: {until.isoformat()} is in the future; close periods up to today "
                        f"({today.isoformat()}) at the latest", field="locked_until")
    reopens = current is not None and (until is None or until < current)
    if reopens and not rules.may_edit_closed_periods(actor):
        raise UserError(f"locked_until: moving the closing date back from {current.isoformat()} reopens closed time, "
                        "which needs the permission to reopen time", field="locked_until")
    company.set_value("locked_until", until.isoformat() if until else None)
    log.info("closing date changed from %s to %s by user %s", current, until, actor.id)
    return rules.unapproved_count_until(until) if until else 0
