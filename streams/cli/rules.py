"""`newswatch rules check|test|status`: lint rules, run their expectations, show what runs.

check   one line per mistake (file:line: field: message), exit 1 if any, else 0; names
        the gazetteer does not know are warned about.
backfill  a new or changed rule over the stored articles of a period (--since 2d).
test    runs rules/tests/*.yaml through the real extractor (hand-made events need none);
        exit 1 on a failed expectation.
status  the rules in force and the errors of the running worker, from the status file the
        rule watcher writes (data_dir/rules_status.json); without one, recomputed from the
        folder, and said so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import yaml

from streams.cli.words import count

if TYPE_CHECKING:
    from streams.config.settings import Settings
    from streams.core.records import Article, Event
    from streams.evaluate.rulebook import LoadResult


def _settings() -> Settings:
    from streams.config.settings import SettingsError
    from streams.runtime.bootstrap import settings_for_command

    try:
        return settings_for_command()
    except SettingsError as exc:
        click.echo(f"newswatch: {exc}", err=True)
        sys.exit(2)


def event_types(taxonomy_dir: Path) -> Collection[str] | None:
    """The event types of the taxonomy (rules/taxonomy/event_types.yaml), None if absent."""
    path = Path(taxonomy_dir) / "event_types.yaml"
    try:
        from streams.knowledge.taxonomy import Taxonomy, TaxonomyError
    except ImportError:  # no taxonomy reader: read the type names ourselves
        pass
    else:
        try:
            return tuple(Taxonomy.load(path).types)
        except TaxonomyError as exc:
            click.echo(f"newswatch: {exc}; event types are not checked", err=True)
            return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    types = data.get("types") if isinstance(data, dict) else None
    return tuple(types) if isinstance(types, dict) else None


def _load(folder: Path | None) -> tuple[LoadResult, Settings, Path]:
    from streams.evaluate.rulebook import load_rulebook
    from streams.knowledge.gazetteer import Gazetteer

    settings = _settings()
    folder = Path(folder or settings.rules_dir)
    gazetteer = Gazetteer.load(Path(settings.taxonomy_dir) / "gazetteer.yaml")
    types = event_types(settings.taxonomy_dir)
    result = load_rulebook(folder, gazetteer, types, settings.rules_max_file_bytes)
    return result, settings, folder


@click.group()
def rules() -> None:
    """Check, test and inspect the alert rules (rules/*.yaml)."""


@rules.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path))
def check(folder: Path | None) -> None:
    """Lint the rules of FOLDER (default: the configured rules folder)."""
    from streams.evaluate.rulebook import rule_files
    from streams.evaluate.unknown_names import name_warnings

    result, _settings_, folder = _load(folder)
    for error in result.errors:
        click.echo(str(error))
    if folder.is_dir():  # warnings: a name the gazetteer and the places data do not know
        for warning in name_warnings(rule_files(folder), result.rulebook.gazetteer):
            click.echo(f"warning: {warning}")
    if result.errors:
        click.echo(f"{len(result.errors)} mistakes in {folder}", err=True)
        sys.exit(1)
    click.echo(f"{len(result.rulebook.rules)} rules OK in {folder}")


@rules.command("test")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--no-extractor", is_flag=True, help="Skip cases that need the extractor.")
@click.option("-v", "--verbose", is_flag=True, help="Also list the cases that pass.")
def test_(folder: Path | None, no_extractor: bool, verbose: bool) -> None:
    """Run the expectations in FOLDER/tests (default: the configured rules folder)."""
    from streams.evaluate.expectations import run_expectations

    result, settings, folder = _load(folder)
    for error in result.errors:
        click.echo(str(error))
    extract = None if no_extractor else _extractor(settings)
    outcomes, errors = asyncio.run(run_expectations(folder / "tests", result.rulebook, extract))
    for error in errors:
        click.echo(str(error))
    for outcome in outcomes:
        if verbose or outcome.verdict != "pass":
            click.echo(str(outcome))
    counts = {v: sum(o.verdict == v for o in outcomes) for v in ("pass", "fail", "skip")}
    click.echo(f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped",
               err=True)  # fmt: skip
    if counts["fail"] or errors or result.errors:
        sys.exit(1)


def _extractor(
    settings: Settings,
) -> Callable[[Sequence[Article]], list[list[Event]]] | None:
    try:
        from streams.extract.extractor import build_extractor
    except ImportError:
        click.echo("no extractor available: cases with text are skipped", err=True)
        return None
    return build_extractor(settings).extract


@rules.command()
@click.argument("rule_id")
@click.option("--since", required=True, help="The period of stored articles: 90m, 24h, 2d, 1w.")
@click.option("--deliver", is_flag=True,
              help="Send the alerts to their destinations (default: record them only).")
def backfill(rule_id: str, since: str, deliver: bool) -> None:
    """Evaluate a new or changed rule over the articles stored in the period and record its
    alerts; without --deliver they are recorded as backfilled and sent nowhere. (A rule
    otherwise only sees the articles that arrive after it is saved.)"""
    from streams.cli.backtest import _duration
    from streams.runtime.backfill import BackfillError
    from streams.runtime.backfill import backfill as run_backfill

    period = _duration(since)
    assert period is not None
    try:
        result = asyncio.run(run_backfill(_settings(), rule_id, period, deliver))
    except BackfillError as exc:
        raise click.ClickException(str(exc)) from exc
    for alert in result.alerts:
        click.echo(f"{alert.id}  {alert.severity:<8}  {alert.rule_id}  {alert.title}")
    what = "queued for delivery (the running service sends them)" if deliver else (
        "recorded as backfilled, not sent")
    already = (f"; {count(result.already, 'story', 'stories')} had alerted already"
               if result.already else "")
    click.echo(f"{count(len(result.alerts), 'alert')} {what}, from "
               f"{count(result.articles, 'article')} stored "
               f"in the last {since}{already}", err=True)


@rules.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """The rules in force and the errors of the running worker."""
    from streams.evaluate.hot_reload import STATUS_FILE

    settings = _settings()
    path = Path(settings.data_dir) / STATUS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        pid = data.get("pid")
        origin = (f"worker pid {pid} ({_alive(pid)}; "
                  f"status written {_when(data.get('written_at'))})")
    except (OSError, ValueError):
        data = _recomputed()
        origin = f"no worker status at {path}; recomputed from {data['folder']}"
    if as_json:
        click.echo(json.dumps(data, indent=1))
    else:
        click.echo(origin)
        for rule in data["rules"]:
            off = "" if rule.get("enabled", True) else " (disabled)"
            click.echo(f"  {rule['id']:<28} {rule['kind']:<13} {rule['severity']:<9} "
                       f"{rule['file']}:{rule['line']}{off}")  # fmt: skip
        for problem in data.get("problems", ()):
            click.echo(f"problem: {problem} (the rules listed stay in force)")
        click.echo(f"{len(data['rules'])} rules in force, {len(data['errors'])} errors")
        for error in data["errors"]:
            click.echo(f"  {error}")
    if data["errors"] or data.get("problems"):
        sys.exit(1)


def _recomputed() -> dict[str, Any]:
    from streams.evaluate.hot_reload import RulebookHolder

    result, settings, folder = _load(None)
    return RulebookHolder.from_result(result, folder, settings.rules_max_file_bytes).status()


def _alive(pid: Any) -> str:
    """Whether the worker that wrote the status still runs: 'running', 'not running' or
    'running or not: unknown' (signal 0 checks that the pid exists and sends nothing)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return "running or not: unknown"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "not running"
    except PermissionError:
        return "running"  # it exists, under another user
    except OSError:
        return "running or not: unknown"
    return "running"


def _when(stamp: Any) -> str:
    if not isinstance(stamp, int | float):
        return "at an unknown time"
    return dt.datetime.fromtimestamp(stamp, dt.UTC).isoformat(timespec="seconds")
