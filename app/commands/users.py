"""``trackerbox user ...``: account tasks that must work even when no administrator can sign in."""
from __future__ import annotations

import click
from sqlalchemy import func, select

from app import db
from app.auth import services
from app.commands.context import in_transaction
from app.models import User
from app.two_factor import services as two_factor


def register(cli: click.Group) -> None:
    cli.add_command(user_group)


@click.group("user")
def user_group() -> None:
    """Create and look after user accounts."""


@user_group.command("create")
@click.argument("login")
@click.option("--name", required=True, help="Display name.")
@click.option("--profile", "profiles", multiple=True, default=["Worker"], show_default=True,
              help="Security profile; repeat for several.")
@click.option("--email", default="", help="E-mail address.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone, e.g. Europe/Berlin.")
@in_transaction()
def create(login: str, name: str, profiles: tuple[str, ...], email: str, timezone: str) -> None:
    """Create a user and print their one-time password."""
    user, one_time = services.create_user(login, name, profiles=list(profiles), email=email, timezone=timezone)
    click.echo(f"Created user {user.login!r} ({', '.join(profiles)}). One-time password: {one_time}")


@user_group.command("list")
@in_transaction(writes=False)
def list_users() -> None:
    """List users with their profiles and state."""
    for user in db.session.scalars(select(User).order_by(User.login)):
        if user.suspended:
            state = "suspended"
        elif user.active:
            state = "active"
        else:
            state = "disabled"
        click.echo(f"{user.login:20} {state:10} {', '.join(p.name for p in user.profiles)}")


@user_group.command("reset-password")
@click.argument("login")
@in_transaction()
def reset_password(login: str) -> None:
    """Give a user a new one-time password and print it. A suspension stays; see `user unlock`."""
    user = _find(login)
    one_time = services.reset_password(user)
    click.echo(f"New one-time password for {user.login!r}: {one_time}")
    if not user.active:
        click.echo(f"Note: the account {user.login!r} is disabled; an administrator must enable it before "
                   "this password works.")
    if user.suspended:
        click.echo(f"Note: the account {user.login!r} is suspended; run `trackerbox user unlock {user.login}` "
                   "to reactivate it.")


@user_group.command("unlock")
@click.argument("login")
@click.option("--reason", default="reactivated with trackerbox user unlock on the server", show_default=True,
              help="Why the account is reactivated; written to the audit trail.")
@in_transaction()
def unlock(login: str, reason: str) -> None:
    """Reactivate an account suspended after failed sign-ins, the last administrator's too."""
    user = _find(login)
    if not user.suspended:
        raise click.ClickException(f"user {user.login!r} is not suspended; nothing to unlock")
    services.unlock(user, reason.strip()[:500] or "no reason given")
    click.echo(f"User {user.login!r} is no longer suspended and may sign in again.")
    if not user.active:
        click.echo(f"Note: the account {user.login!r} is disabled; an administrator must also enable it.")


@user_group.command("reset-two-factor")
@click.argument("login")
@click.option("--reason", required=True, help="Why the second factor is removed; kept in the audit trail.")
@in_transaction()
def reset_two_factor(login: str, reason: str) -> None:
    """Remove a user's second factor, so they sign in with the password only (or set up a new one)."""
    user = _find(login)
    two_factor.reset_second_factor(None, user, reason)
    click.echo(f"Second factor of {user.login!r} removed; their recovery codes no longer work.")
    required_by = two_factor.requiring_profiles(user)
    if required_by:
        click.echo(f"Their profile {', '.join(required_by)} requires a second factor, so they must set up a new one "
                   "right after signing in with the password.")


def _find(login: str) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.login) == login.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user with login {login!r}; `trackerbox user list` shows them")
    return user
