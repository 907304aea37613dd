"""`newswatch run`: the service."""

from __future__ import annotations

import sys

import click


@click.command()
def run() -> None:
    """Start the monitor (embedded by default; NEWSWATCH_BROKER=kafka://... for cluster)."""
    from streams.settings import SettingsError, load_settings
    from streams.worker import run_worker

    try:
        settings = load_settings()
    except SettingsError as exc:
        click.echo(f"newswatch: {exc}", err=True)
        sys.exit(2)
    sys.exit(run_worker(settings))
