"""The ``trackerbox`` command: one entry point for every operator task on the server."""
from __future__ import annotations

import importlib
import os

import click

from app.commands.entry import run_command

COMMAND_MODULES = (
    "app.commands.setup",
    "app.commands.serve",
    "app.commands.database",
    "app.commands.users",
    "app.commands.demo",
    "app.commands.imports",
    "app.commands.uploads",
    "app.commands.audit",
    "app.commands.sessions",
    "app.commands.allow_lists",
    "app.commands.backup",
    "app.commands.backup_targets",
    "app.commands.scheduler",
    "app.commands.proxy",
    "app.commands.certificates",
    "app.commands.firewall",
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
    run_command(cli)
