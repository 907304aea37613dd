"""`newswatch backtest`: which alerts a folder, a feed or the stored history would raise,
without delivery; with --rules DIR, which alerts a changed rule set would add and remove."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click

from streams.cli.words import clip
from streams.core.durations import DurationError, parse_duration


def _duration(value: str | None) -> dt.timedelta | None:
    """--since: a duration (streams/core/durations.py), or None when not given."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except DurationError:
        raise click.BadParameter(
            f"{value!r} is not a duration; write e.g. 90m, 24h, 7d or 2w") from None


def _line(alert: dict[str, Any], fmt: str, change: str | None = None) -> str:
    if fmt == "jsonl":
        return json.dumps({"change": change, **alert} if change else alert, ensure_ascii=False)
    ev = alert["event"]
    mark = {"added": "+ ", "removed": "- "}.get(change or "", "")
    return (
        f"{mark}{alert['rule']:<24} {alert['article']:<28} {ev['type']:<18} "
        f"{clip(', '.join(ev['actors']), 60)}"
    )


@click.command()
@click.argument("source", required=False)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text"]), default="text")
@click.option("--since", default=None,
              help="Replay the articles the service stored in this period (7d, 24h...).")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="A changed rule folder: print the alerts it would add and "
              "remove compared with the configured rules.")
def backtest(source: str | None, fmt: str, since: str | None, rules_dir: Path | None) -> None:
    """Replay SOURCE (a seeds-format folder or a feed URL), or the stored history with
    --since, and print the alerts it raises (one JSON object per alert with --format jsonl)."""
    from streams.config.settings import SettingsError
    from streams.runtime import backtest as bt
    from streams.runtime.bootstrap import settings_for_command

    period = _duration(since)
    if source is None and period is None:
        raise click.UsageError("give a folder or feed URL, or --since 7d for the stored history")
    if rules_dir is not None and not rules_dir.is_dir():
        raise click.BadParameter(f"{rules_dir}: no such folder", param_hint="--rules")
    try:
        settings = settings_for_command()
    except SettingsError as exc:
        click.echo(f"newswatch: {exc}", err=True)
        sys.exit(2)
    if rules_dir is None:
        alerts = asyncio.run(bt.backtest(source, settings, since=period))
        for alert in alerts:
            click.echo(_line(alert, fmt))
        if fmt == "text":
            click.echo(f"{len(alerts)} alerts", err=True)
        return
    added, removed = asyncio.run(bt.compare(source, settings, rules_dir, since=period))
    for alert in added:
        click.echo(_line(alert, fmt, "added"))
    for alert in removed:
        click.echo(_line(alert, fmt, "removed"))
    click.echo(f"{len(added)} added, {len(removed)} removed by {rules_dir}", err=True)
