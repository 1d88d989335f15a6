"""Running a click command as a program: exit codes and one-line reasons for known errors."""
from __future__ import annotations

import sys

import click

from app.config import ConfigError
from app.errors import UserError


def run_command(command: click.Command, prog_name: str | None = None) -> None:
    """Run ``command`` with the process arguments and exit with its status.

    Exit status 1 is a failed step (a ClickException), 2 invalid input or settings.
    """
    try:
        # Outside standalone mode click returns the code of a click.exceptions.Exit
        # instead of exiting, so it has to be passed on here.
        code = command.main(prog_name=prog_name, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (ConfigError, UserError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)
