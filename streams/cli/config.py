"""`newswatch config show`: the effective settings, secrets masked."""

from __future__ import annotations

import json

import click


@click.group("config")
def config() -> None:
    """The settings newswatch runs with (from NEWSWATCH_* variables)."""


@config.command("show")
def config_show() -> None:
    """Print the settings as JSON: every destination (webhook URLs, tokens and passwords as
    *** with the variable they come from) and where each severity is routed. Durations
    (poll_interval, http_timeout, ...) are in seconds; sizes (..._bytes) in bytes."""
    from streams.config.settings import SettingsError
    from streams.deliver.routing import describe
    from streams.runtime.bootstrap import settings_for_command

    try:
        settings = settings_for_command()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    shown = settings.masked()
    shown.update(describe(settings))  # replaces the raw destinations and routes
    click.echo(json.dumps(shown, indent=2, default=str))
