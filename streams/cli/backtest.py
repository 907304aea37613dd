"""`newswatch backtest PATH`: which alerts a folder or feed would raise, without delivery."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click


@click.command()
@click.argument("source")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text"]), default="text")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Rule folder to use instead of the configured one.")
def backtest(source: str, fmt: str, rules_dir: Path | None) -> None:
    """Replay SOURCE (a seeds-format folder or a feed URL) and print the alerts it raises."""
    from streams.backtest import backtest as run_backtest
    from streams.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        click.echo(f"newswatch: {exc}", err=True)
        sys.exit(2)
    alerts = asyncio.run(run_backtest(source, settings, rules_dir=rules_dir))
    for alert in alerts:
        if fmt == "jsonl":
            click.echo(json.dumps(alert, ensure_ascii=False))
        else:
            ev = alert["event"]
            click.echo(
                f"{alert['rule']:<24} {alert['article']:<28} {ev['type']:<18} "
                f"{', '.join(ev['actors'])[:60]}"
            )
    if fmt == "text":
        click.echo(f"{len(alerts)} alerts", err=True)
