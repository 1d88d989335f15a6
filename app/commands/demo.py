"""``trackerbox demo-data``: a realistic demo company on an empty box."""
from __future__ import annotations

from datetime import date

import click

from app.commands.context import in_transaction


def register(cli: click.Group) -> None:
    cli.add_command(demo_data)


@click.command("demo-data")
@click.option("--password", default=None, help="Give every demo person this password instead of one-time passwords "
              "(for trying out only; at least 12 characters).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Pretend today is this date (YYYY-MM-DD); the eight weeks of work end before it.")
@in_transaction()
def demo_data(password: str | None, today) -> None:
    """Add a demo company: 3 clients, 6 projects, 8 people, 8 weeks of time, expenses, invoices and payments."""
    from app.demo import create_demo_company

    if password is not None and len(password) < 12:
        raise click.BadParameter(f"{len(password)} characters is too short; use at least 12", param_hint="--password")
    result = create_demo_company(today.date() if today else date.today(), password=password)
    click.echo("Demo company created: " + ", ".join(f"{count} {name}" for name, count in result.counts.items()))
    click.echo("Sign in as one of these people (one-time passwords must be changed at first sign-in):")
    for login, secret in result.passwords.items():
        click.echo(f"  {login:12} {secret}")
