"""`newswatch run`: the service."""

from __future__ import annotations

import os
import sys

import click


@click.command()
def run() -> None:
    """Start the monitor (embedded by default; NEWSWATCH_BROKER=kafka://... for cluster)."""
    from streams.config.settings import SettingsError
    from streams.runtime.bootstrap import settings_for_command
    from streams.runtime.store_lock import StoreLocked, lock_store

    try:
        settings = settings_for_command()
        lock = lock_store(settings.database)  # held until this process ends
    except (SettingsError, StoreLocked) as exc:
        click.echo(f"newswatch: {exc}", err=True)
        sys.exit(2)
    from streams.runtime.worker import run_worker

    try:
        code = run_worker(settings)
    finally:
        if lock is not None:
            os.close(lock)
    sys.exit(code)
