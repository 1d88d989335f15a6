"""Commands of the demo area (being built)."""
import click


def register(cli: click.Group) -> None:
    pass
