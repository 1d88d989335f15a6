"""Helpers that give each CLI command an application and one transaction."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import click
from flask import Flask, g

from app import db
from app.config import ConfigError

_app: Flask | None = None


def get_app() -> Flask:
    global _app
    if _app is None:
        from app import create_app

        _app = create_app()
    return _app


def in_transaction(*, writes: bool = True) -> Callable:
    """Run the command inside an application context and one database transaction."""

    def decorate(command: Callable) -> Callable:
        @wraps(command)
        def wrapper(*args, **kwargs):
            app = get_app()
            with app.app_context():
                g.request_id = "cli"
                with db.transaction(writes=writes):
                    return command(*args, **kwargs)

        return wrapper

    return decorate


def fail(message: str, code: int = 1) -> None:
    """Stop the command with a one-line reason and a non-zero exit status."""
    raise click.ClickException(message) if code == 1 else ConfigError(message)
