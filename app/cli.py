"""The ``trackerbox`` command: one entry point for every operator task on the server."""
from __future__ import annotations

import importlib
import os
import sys

import click

from app.config import ConfigError
from app.errors import UserError

COMMAND_MODULES = (
    "app.commands.setup",
    "app.commands.serve",
    "app.commands.database",
    "app.commands.users",
    "app.commands.demo",
    "app.commands.imports",
    "app.commands.uploads",
    "app.commands.proxy",
    "app.commands.certificates",
    "app.commands.firewall",
    "app.commands.backup_targets",
    "app.commands.scheduler",
    "app.commands.backup",
)


LONG_RUNNING = {"serve", "scheduler"}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trackerbox", prog_name="trackerbox")
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level in one-shot commands too.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Run and look after a TrackerBox server.

    Settings come from /etc/trackerbox/trackerbox.conf (or $TRACKERBOX_CONFIG) and
    TRACKERBOX_* environment variables; with none, data lives in ./instance.
    """
    # One-shot commands print their own result; the service log would only repeat it.
    if not verbose and ctx.invoked_subcommand not in LONG_RUNNING:
        os.environ.setdefault("TRACKERBOX_LOG_LEVEL", "WARNING")


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(cli)


def main() -> None:
    """Console entry point: run the command and turn known errors into a one-line reason."""
    try:
        # Outside standalone mode click returns the code of a click.exceptions.Exit
        # instead of exiting, so it has to be passed on here.
        code = cli.main(standalone_mode=False)
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


if __name__ == "__main__":
    # `python -m app.cli` is how `trackerbox firewall apply` starts its rollback watcher.
    main()
