"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, request, url_for
from flask_login import current_user

from app.durations import format_duration
from app.money import format_money
from app.security.permissions import Permission, has


def _user_locale() -> str:
    return current_user.locale if current_user and current_user.is_authenticated else "en"


def money_filter(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    return format_money(minor, currency, _user_locale())


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a UTC instant in the signed-in person's time zone."""
    if value is None:
        return ""
    zone = ZoneInfo(current_user.timezone) if current_user and current_user.is_authenticated else ZoneInfo("UTC")
    return value.astimezone(zone).strftime(fmt)


def iso_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def page_url(page: int) -> str:
    """Build the current URL with another ``page`` argument, keeping the filters."""
    args = request.args.to_dict()
    args["page"] = str(page)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register(app: Flask) -> None:
    app.jinja_env.filters.update(money=money_filter, duration=format_duration, localtime=local_time, isodate=iso_date)
    app.jinja_env.globals.update(has=has, Permission=Permission, page_url=page_url)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
