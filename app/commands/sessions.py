"""``trackerbox session ...``: removing expired sessions and ending a person's sessions from the server."""
from __future__ import annotations

import click
from sqlalchemy import func, select

from app import db
from app.commands.context import in_transaction
from app.models import User
from app.security import sessions


def register(cli: click.Group) -> None:
    cli.add_command(session_group)


@click.group("session")
def session_group() -> None:
    """Look after sign-in sessions."""


@session_group.command("prune")
@in_transaction()
def prune() -> None:
    """Delete sessions past their idle or absolute timeout (signed-in ones are audited)."""
    removed = sessions.prune_expired_sessions()
    click.echo(f"Removed {removed} expired session(s).")


@session_group.command("end")
@click.argument("login")
@in_transaction()
def end(login: str) -> None:
    """End every session of the user LOGIN at once."""
    user = db.session.scalar(select(User).where(func.lower(User.login) == login.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user with login {login!r}; `trackerbox user list` shows them")
    ended = sessions.end_user_sessions(user, reason="ended on the server command line")
    click.echo(f"Ended {ended} session(s) of {user.login!r}.")
