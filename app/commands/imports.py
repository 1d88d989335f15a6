"""Commands of the imports area (being built)."""
import click


def register(cli: click.Group) -> None:
    pass
