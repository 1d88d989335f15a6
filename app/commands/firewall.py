"""``trackerbox firewall``: the nftables table that limits who reaches the box."""
from __future__ import annotations

import logging
import time
from pathlib import Path

import click

from app.config import load_settings

log = logging.getLogger(__name__)


def register(cli: click.Group) -> None:
    cli.add_command(firewall)


state_dir_option = click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path),
                                help="Where the pending rollback and the previous ruleset are kept "
                                     "(default: <data_dir>/firewall).")


def _state(state_dir: Path | None):
    from appliance.firewall import StateDir

    return StateDir(state_dir.absolute() if state_dir else load_settings().data_dir / "firewall")


@click.group()
def firewall() -> None:
    """Load, confirm and roll back the LAN firewall (nftables table inet trackerbox)."""


@firewall.command("apply")
@click.option("--lan", help="LAN ranges that may reach HTTPS and HTTP, comma-separated (default: the lan_ranges setting).")
@click.option("--admin", help="Ranges that may reach SSH, comma-separated (default: the admin_ranges setting).")
@click.option("--https-port", default=443, show_default=True, type=click.IntRange(1, 65535))
@click.option("--http-port", default=80, show_default=True, type=click.IntRange(1, 65535))
@click.option("--ssh-port", default=22, show_default=True, type=click.IntRange(1, 65535))
@click.option("--rollback-after", default=60, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds until the previous ruleset comes back unless `trackerbox firewall confirm` runs.")
@click.option("--dry-run", is_flag=True, help="Print the nft script and change nothing.")
@state_dir_option
def apply(lan, admin, https_port, http_port, ssh_port, rollback_after, dry_run, state_dir) -> None:
    """Replace the trackerbox table in one transaction; roll back unless confirmed."""
    from appliance import firewall as rules

    settings = load_settings()
    options = rules.RulesetOptions(
        lan=rules.parse_ranges(lan or settings.lan_ranges, "lan_ranges"),
        admin=rules.parse_ranges(admin or settings.admin_ranges, "admin_ranges"),
        https_port=https_port, http_port=http_port, ssh_port=ssh_port,
    )
    if dry_run:
        click.echo(rules.replace_table_script(rules.render_ruleset(options)), nl=False)
        return
    rules.apply(options, _state(state_dir), rollback_after)
    click.echo(f"Firewall table {rules.TABLE} loaded. Check that you can still open a new SSH session, then run "
               f"`trackerbox firewall confirm` within {rollback_after} s; otherwise the previous rules come back.")


@firewall.command("confirm")
@state_dir_option
def confirm(state_dir) -> None:
    """Keep the rules loaded by the last apply and cancel the automatic rollback."""
    from appliance import firewall as rules

    rules.confirm(_state(state_dir))
    click.echo(f"Firewall table {rules.TABLE} confirmed; the automatic rollback is cancelled.")


@firewall.command("rollback")
@click.option("--after", type=click.IntRange(0, 3600), default=0, help="Wait this many seconds first (the watcher that apply starts).")
@click.option("--token", help="Roll back only the apply that issued this token (the watcher that apply starts).")
@state_dir_option
def rollback(after, token, state_dir) -> None:
    """Restore the ruleset from before an unconfirmed apply."""
    from appliance import firewall as rules

    state = _state(state_dir)
    if after:
        time.sleep(after)
    if rules.rollback(state, token):
        click.echo(f"Firewall table {rules.TABLE} restored to the rules before the unconfirmed apply.")
    elif token is None:
        raise click.ClickException("no unconfirmed firewall change to roll back")


@firewall.command("status")
@state_dir_option
def status(state_dir) -> None:
    """Show whether the trackerbox table is loaded and whether a rollback is pending."""
    from appliance import firewall as rules

    state = _state(state_dir)
    loaded = rules.current_table() is not None
    summary = rules.summary(state.path)
    click.echo(f"Table {rules.TABLE}: {'loaded' if loaded else 'not loaded'}")
    line = f"Last change: {summary['status']}"
    if summary.get("applied_at"):
        line += f" (applied {summary['applied_at']})"
    click.echo(line)
    if "seconds_left" in summary:
        click.echo(f"Rollback pending in {summary['seconds_left']} s unless `trackerbox firewall confirm` runs")


if __name__ == "__main__":
    # `python -m app.commands.firewall` runs these commands without loading the rest of
    # the application; the rollback watcher that `apply` starts uses it, so that a
    # rollback depends on as little code as possible.
    from app.commands.entry import run_command

    run_command(firewall, "trackerbox firewall")
