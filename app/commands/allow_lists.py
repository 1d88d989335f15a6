"""``trackerbox allow-list ...``: showing and clearing IP allow-lists from the server.

The web pages reject a change that shuts out the person making it unless it is confirmed.
These commands are the way back in when a confirmed change shut out everyone who could
undo it.
"""
from __future__ import annotations

import click
from sqlalchemy import func, select

from app import db
from app.commands.context import in_transaction
from app.models import SecurityProfile, User
from app.security.allow_lists import COMPANY, Scope, clear_networks, networks_of


def register(cli: click.Group) -> None:
    cli.add_command(allow_list_group)


@click.group("allow-list")
def allow_list_group() -> None:
    """Show and clear the IP allow-lists of the company, a security profile or a user."""


def _scope(company: bool, profile: str | None, user: str | None) -> tuple[Scope, str]:
    if sum((company, profile is not None, user is not None)) != 1:
        raise click.UsageError("name exactly one list: --company, --profile NAME or --user LOGIN")
    if company:
        return COMPANY, "the company list"
    if profile is not None:
        found = db.session.scalar(select(SecurityProfile).where(func.lower(SecurityProfile.name) ==
                                                                profile.strip().lower()))
        if found is None:
            names = ", ".join(db.session.scalars(select(SecurityProfile.name).order_by(SecurityProfile.name)))
            raise click.ClickException(f"no security profile named {profile!r}; known profiles: {names}")
        return Scope(profile_id=found.id), f"the list of profile {found.name!r}"
    found = db.session.scalar(select(User).where(func.lower(User.login) == user.strip().lower()))
    if found is None:
        raise click.ClickException(f"no user with login {user!r}; `trackerbox user list` shows them")
    return Scope(user_id=found.id), f"the own list of {found.login!r}"


_OPTIONS = [
    click.option("--company", is_flag=True, help="The list that applies to everyone."),
    click.option("--profile", metavar="NAME", help="The list of this security profile."),
    click.option("--user", metavar="LOGIN", help="The person's own list."),
]


def _with_scope_options(command):
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


@allow_list_group.command("show")
@_with_scope_options
@in_transaction(writes=False)
def show(company: bool, profile: str | None, user: str | None) -> None:
    """Print the ranges of one list, one per line (nothing printed: the list does not restrict)."""
    scope, label = _scope(company, profile, user)
    networks = networks_of(scope)
    if not networks:
        click.echo(f"{label.capitalize()} is empty; it does not restrict anyone.", err=True)
    for network in networks:
        click.echo(network)


@allow_list_group.command("clear")
@_with_scope_options
@in_transaction()
def clear(company: bool, profile: str | None, user: str | None) -> None:
    """Empty one list, so that it no longer restricts sign-ins; audited."""
    scope, label = _scope(company, profile, user)
    removed = clear_networks(scope, reason="cleared on the server command line")
    if not removed:
        click.echo(f"{label.capitalize()} is already empty; nothing to clear.")
        return
    click.echo(f"Cleared {label}: removed {', '.join(removed)}. It takes effect with the next request.")
