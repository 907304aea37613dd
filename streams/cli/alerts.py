"""`newswatch alerts list/show/ack`, `silence add/list/remove`, `deliveries list/retry`."""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from streams.store import Store

from streams.cli.words import span, utc
from streams.core.alert_status import STATUSES
from streams.core.clock import utcnow
from streams.core.severities import MOST_SEVERE_FIRST as SEVERITIES

T = TypeVar("T")


def _with_store(work: Callable[[Store], Awaitable[T]], create: bool = False) -> T:
    """Open the configured store, run `work(store)`, close it. A SQLite store that does not
    exist is created only with `create` (a silence may come before the first run); the
    commands that read say there is none instead of showing an empty one."""
    from streams.config.settings import SettingsError
    from streams.runtime.bootstrap import settings_for_command
    from streams.runtime.store_lock import sqlite_path
    from streams.store import Store, StoreError

    async def main() -> T:
        database = settings_for_command().database
        path = sqlite_path(database)
        if not create and path is not None and not path.exists():
            raise StoreError(f"no store at {path}: start the service with `newswatch run`, "
                             "or point NEWSWATCH_HOME / NEWSWATCH_DATA_DIR at its folder")
        store = await Store(database).open()
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except (SettingsError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc


def _read_sqlite(read: Callable[[Any, Any], T]) -> T | None:
    """`read(streams.store.sqlite_read, connection)` on the configured SQLite store when it is
    at the newest revision (without SQLAlchemy: a quick read); None otherwise, and on any
    SQLite error, for the caller to go through Store."""
    import sqlite3

    from streams.config.settings import SettingsError
    from streams.runtime.bootstrap import settings_for_command
    from streams.runtime.store_lock import sqlite_path
    from streams.store import sqlite_read

    try:
        path = sqlite_path(settings_for_command().database)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    conn = sqlite_read.connect(path) if path is not None else None
    if conn is None:
        return None
    try:
        return read(sqlite_read, conn)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _when(value: Any) -> str:
    return utc(value)


@click.group("alerts")
def alerts_group() -> None:
    """Alerts recorded in the store."""


@alerts_group.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only alerts in this state.")
@click.option("--severity", type=click.Choice(SEVERITIES), help="Only alerts of this severity.")
@click.option("--rule", "rule_id", help="Only alerts of this rule.")
@click.option("--limit", default=50, show_default=True)
def alerts_list(status: str | None, severity: str | None, rule_id: str | None,
                limit: int) -> None:
    """Newest alerts first: id, time, status (new, acknowledged, silenced), severity, rule,
    headline; the statuses and severities the dashboard and the API use."""
    from streams.deliver.alert_status import Judge

    def shown(rows: list[Any], facts: tuple[set[str], list[Any]]) -> list[tuple[Any, str]]:
        judge = Judge(*facts)
        judged = [(row, judge.status(row)) for row in rows]
        return [(row, st) for row, st in judged
                if status in (None, st) and severity in (None, row.severity)][:limit]

    wanted = 1_000_000 if status is not None or severity is not None else limit
    light = _read_sqlite(lambda db, conn: (db.list_alerts(conn, rule_id, wanted),
                                           db.silencing_facts(conn)))  # fmt: skip
    if light is not None:
        listed = shown(*light)
    else:
        from streams.store.alerts import list_alerts
        from streams.store.views import silencing_facts

        async def work(store: Store) -> list[tuple[Any, str]]:
            rows = await list_alerts(store, None, rule_id, wanted)
            return shown(rows, await silencing_facts(store))

        listed = _with_store(work)
    for row, shown_status in listed:
        title = row.payload.get("title", "")
        click.echo(f"{row.id}  {_when(row.created)}  {shown_status:<12}  {row.severity:<8}  "
                   f"{row.rule_id}  {title}")


@alerts_group.command("show")
@click.argument("alert_id")
def alerts_show(alert_id: str) -> None:
    """One alert (id or unique prefix) with its deliveries and their attempts."""
    from streams.core.alert_json import alert_to_json
    from streams.store import deliveries as outbox
    from streams.store.alerts import get_alert

    async def work(store: Store) -> tuple[Any, list[Any]]:
        alert = await get_alert(store, alert_id)
        if alert is None:
            return None, []
        rows = await outbox.list_deliveries(store, alert_id=alert.id)
        return alert, [(d, await outbox.attempts_of(store, d.id)) for d in rows]

    alert, rows = _with_store(work)
    if alert is None:
        raise click.ClickException(f"no single alert matches {alert_id!r}")
    click.echo(json.dumps(alert_to_json(alert), indent=2, ensure_ascii=False))
    for d, tries in reversed(rows):
        what = "update " + d.update_id if d.update_id else "alert"
        click.echo(f"delivery {d.id} {what} -> {d.destination}: {d.state} {d.error or ''}")
        for t in tries:
            click.echo(f"  {_when(t.started)} {t.outcome or 'in flight'} "
                       f"{t.status or ''} {t.error or ''}".rstrip())


@alerts_group.command("ack")
@click.argument("alert_id")
@click.option("--by", default=getpass.getuser, help="Who acknowledges (default: you).")
def alerts_ack(alert_id: str, by: str) -> None:
    """Acknowledge an alert: someone is on it."""
    from streams.store.alerts import ack_alert

    full = _with_store(lambda s: ack_alert(s, alert_id, by))
    if full is None:
        raise click.ClickException(f"no single alert matches {alert_id!r}")
    click.echo(f"acknowledged {full} by {by}")


@click.group("silence")
def silence_group() -> None:
    """Hold alerts by rule, story or actor for a while (recorded, not sent)."""


@silence_group.command("add")
@click.option("--rule", "rule_id", help="Rule id to silence.")
@click.option("--story", "story_id", help="Story id to silence.")
@click.option("--actor", help="Alerts whose event names this actor.")
@click.option("--destination", help="Only this destination (default: all).")
@click.option("--for", "duration", required=True, help="How long: 30m, 2h, 1d.")
@click.option("--reason", default="", help="Why, for the record.")
def silence_add(rule_id: str | None, story_id: str | None, actor: str | None,
                destination: str | None, duration: str, reason: str) -> None:
    """Add a silence."""
    from streams.core.durations import DurationError, positive_duration
    from streams.store.silences import SilenceError, add_silence

    if rule_id is not None:
        known = _known_rule_ids()
        if rule_id not in known:
            raise click.BadParameter(
                f"no rule {rule_id!r}; known rules: {', '.join(sorted(known))}",
                param_hint="--rule")
    try:
        duration_span = positive_duration(duration)
        sid = _with_store(lambda s: add_silence(
            s, duration_span, rule_id=rule_id, story_id=story_id, actor=actor,
            destination=destination, reason=reason), create=True)
    except (SilenceError, DurationError) as exc:
        raise click.ClickException(str(exc)) from exc
    until = utcnow() + duration_span
    click.echo(f"silence #{sid} until {utc(until)} ({span(duration_span)})")



def _known_rule_ids() -> set[str]:
    """The ids of the rules in the configured folder and of the operator (feed health)."""
    from streams.config.settings import SettingsError
    from streams.core.rule_yaml import read_rule_file
    from streams.deliver.feed_health import FAILING, RECOVERED, SILENT
    from streams.evaluate.rulebook import rule_files
    from streams.runtime.bootstrap import settings_for_command

    try:
        folder = settings_for_command().rules_dir
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    ids = {FAILING, SILENT, RECOVERED}
    for path in rule_files(folder) if folder.is_dir() else []:
        doc, _error = read_rule_file(path)
        data = doc.data if doc is not None else None
        items = data.get("rules", [data]) if isinstance(data, dict) else []
        ids.update(str(r["id"]) for r in items if isinstance(r, dict) and r.get("id"))
    return ids


@silence_group.command("list")
@click.option("--all", "include_expired", is_flag=True, help="Include expired silences.")
def silence_list(include_expired: bool) -> None:
    """Active silences."""
    from streams.store.silences import list_silences

    for r in _with_store(lambda s: list_silences(s, include_expired)):
        crit = " ".join(f"{k}={v}" for k, v in (("rule", r.rule_id), ("story", r.story_id),
                        ("actor", r.actor), ("destination", r.destination)) if v)
        click.echo(f"#{r.id}  until {_when(r.until)}  {crit}  {r.reason}".rstrip())


@silence_group.command("remove")
@click.argument("silence_id", type=int)
def silence_remove(silence_id: int) -> None:
    """End a silence now."""
    from streams.store.silences import remove_silence

    if not _with_store(lambda s: remove_silence(s, silence_id)):
        raise click.ClickException(f"no silence #{silence_id}")
    click.echo(f"silence #{silence_id} ended")


@click.group("deliveries")
def deliveries_group() -> None:
    """The outbox: one delivery per alert and destination."""


@deliveries_group.command("list")
@click.option("--dead", is_flag=True, help="Only dead deliveries.")
@click.option("--held", is_flag=True, help="Only held (silenced) deliveries.")
@click.option("--limit", default=100, show_default=True)
def deliveries_list(dead: bool, held: bool, limit: int) -> None:
    """Deliveries, newest first, with state and reason."""
    from streams.store import deliveries as outbox

    states = [s for s, on in (("dead", dead), ("held", held)) if on]
    for d in _with_store(lambda s: outbox.list_deliveries(s, states, limit=limit)):
        what = "update" if d.update_id else "alert"
        click.echo(f"{d.id:>6}  {d.alert_id} {what:<6} {d.destination:<10} {d.state:<8} "
                   f"tries={d.attempts}  {d.alert.rule_id}  {d.error or ''}".rstrip())


@deliveries_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--dead", "which", flag_value="dead", default=True, help="Requeue dead ones.")
@click.option("--held", "which", flag_value="held", help="Release held (silenced) ones.")
@click.option("--destination", help="Only this destination (also clears its flag).")
def deliveries_retry(ids: tuple[int, ...], which: str, destination: str | None) -> None:
    """Queue dead (or held) deliveries again; the running service sends them."""
    from streams.store import deliveries as outbox

    n = _with_store(lambda s: outbox.requeue(s, ids, (which,), destination))
    click.echo(f"requeued {n} deliveries")


alerts = [alerts_group, silence_group, deliveries_group]
