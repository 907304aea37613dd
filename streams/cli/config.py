"""`newswatch config show`: the effective settings, secrets masked."""

from __future__ import annotations

import json

import click


@click.group("config")
def config() -> None:
    """The settings newswatch runs with (from NEWSWATCH_* variables)."""


@config.command("show")
def config_show() -> None:
    """Print the settings as JSON; webhook URLs, tokens and passwords show as ***."""
    from connectors.sinks import build_sinks
    from streams.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    shown = settings.masked()
    shown["destinations"] = sorted(build_sinks(settings))
    click.echo(json.dumps(shown, indent=2, default=str))
