"""`newswatch feeds list|add|remove|import|export`: the feeds polled and their health."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from streams.cli.words import count, utc

if TYPE_CHECKING:
    from streams.config.settings import Settings
    from streams.store import Store

T = TypeVar("T")


# Bound on resolving a feed's host at `feeds add`: a slow or absent DNS must not hang the CLI.
VET_SECONDS = 10.0


def _load_settings() -> Settings:
    from streams.config.settings import SettingsError
    from streams.runtime.bootstrap import settings_for_command

    try:
        return settings_for_command()
    except SettingsError as exc:
        click.echo(f"newswatch: {exc}", err=True)
        sys.exit(2)


def _with_store(
    work: Callable[[Store, Settings], Awaitable[T]], settings: Settings | None = None
) -> T:
    """Open the configured store, run `work(store, settings)`, close it."""
    from streams.store import Store, StoreError

    settings = settings or _load_settings()
    database = settings.database

    async def run() -> T:
        store = await Store(database).open()
        try:
            return await work(store, settings)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except StoreError as exc:
        click.echo(f"newswatch: {exc}", err=True)
        sys.exit(2)


def _check_url(url: str) -> str:
    import httpx

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise click.BadParameter(f"{url}: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise click.BadParameter(f"{url}: a feed URL must be http:// or https:// with a host")
    return url


def _refusals(urls: list[str], allow: list[str]) -> dict[str, str]:
    """{url: reason} for each URL the poller's SSRF guard would refuse (a private, loopback,
    link-local or metadata address after DNS, unless NEWSWATCH_ALLOW_HOSTS names it). A host
    that cannot be resolved now is not refused (DNS may come back): a note says so."""
    from connectors.http import FetchError, UnsafeURLError, vet_url

    async def vet(url: str) -> str | None:
        try:
            async with asyncio.timeout(VET_SECONDS):
                await vet_url(url, allow)
        except UnsafeURLError as exc:
            return f"{exc.reason}; set NEWSWATCH_ALLOW_HOSTS to poll it anyway"
        except (FetchError, TimeoutError) as exc:
            reason = exc.reason if isinstance(exc, FetchError) else "DNS did not answer"
            click.echo(f"note: {url}: {reason}; added all the same, the poller will retry",
                       err=True)
        return None

    async def vet_all() -> list[str | None]:
        return await asyncio.gather(*(vet(url) for url in urls))

    return {url: r for url, r in zip(urls, asyncio.run(vet_all()), strict=True) if r}


def _when(value: dt.datetime | None) -> str:
    return utc(value)


@click.group()
def feeds() -> None:
    """List, add, remove, import and export the feeds newswatch polls."""


@feeds.command("list")
def list_cmd() -> None:
    """Show every feed with its health: attempts, status, failures, next attempt, items."""
    from streams.runtime.health import feed_state
    from streams.store.feeds import list_feeds

    rows = _with_store(lambda store, _s: list_feeds(store))
    header = ("URL", "LAST ATTEMPT", "LAST SUCCESS", "STATUS", "FAILS", "NEXT ATTEMPT",
              "ITEMS", "HEALTH")
    table = [header] + [
        (
            r["url"], _when(r["last_attempt"]), _when(r["last_success"]),
            str(r["status"] or "-"), str(r["failures"]), _when(r["next_attempt"]),
            str(r["items_seen"]), feed_state(r) + (f" ({r['error']})" if r["error"] else ""),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))
    if not rows:
        click.echo("no feeds yet: they are added when `newswatch run` starts, or with `feeds add`")


@feeds.command("add")
@click.argument("url", callback=lambda _c, _p, v: _check_url(v))
@click.option("--interval", type=float, default=None, help="Seconds between polls of this feed.")
def add_cmd(url: str, interval: float | None) -> None:
    """Poll URL from now on (at the next cycle of a running service)."""
    from streams.store.feeds import ensure_feeds, update_feed

    settings = _load_settings()
    for bad, reason in _refusals([url], settings.allow_hosts).items():
        click.echo(f"newswatch: refused {bad}: {reason}", err=True)
        sys.exit(1)

    async def work(store: Store, _settings: Settings) -> int:
        added = await ensure_feeds(store, [url], interval=interval, added_by="user")
        if not added:  # already known: make sure it stays polled, apply the new interval
            values: dict[str, Any] = {"added_by": "user"}
            if interval is not None:
                values["interval"] = interval
            await update_feed(store, url, **values)
        return added

    click.echo(f"{'added' if _with_store(work, settings) else 'already present'}: {url}")


@feeds.command("remove")
@click.argument("url")
def remove_cmd(url: str) -> None:
    """Stop polling URL and forget its health (its items and articles stay)."""

    removed, listed = _with_store(
        lambda store, s: _remove(store, url, s.feeds)
    )
    if not removed:
        click.echo(f"newswatch: no such feed: {url}", err=True)
        sys.exit(1)
    click.echo(f"removed: {url}")
    if listed:
        click.echo(f"note: {url} is still in NEWSWATCH_FEEDS and returns at the next start",
                   err=True)


async def _remove(store: Store, url: str, configured: list[str]) -> tuple[bool, bool]:
    from streams.store.feeds import remove_feed

    return await remove_feed(store, url), url in configured


@feeds.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_cmd(file: Path) -> None:
    """Add every feed listed in an OPML FILE."""
    from connectors.opml import OpmlError, read_opml
    from streams.store.feeds import ensure_feeds

    try:
        listed = read_opml(file)
    except OpmlError as exc:
        click.echo(f"newswatch: {exc}", err=True)
        sys.exit(1)
    good, bad = [], []
    for feed in listed:
        try:
            good.append(_check_url(feed.url))
        except click.BadParameter as exc:
            bad.append(str(exc.message))
    settings = _load_settings()
    refused = _refusals(good, settings.allow_hosts)
    good = [url for url in good if url not in refused]
    bad += [f"{url}: {reason}" for url, reason in refused.items()]
    titles = {f.url: f.title for f in listed}
    added = _with_store(
        lambda store, _s: ensure_feeds(store, good, added_by="user", titles=titles), settings
    )
    for reason in bad:
        click.echo(f"skipped: {reason}", err=True)
    click.echo(f"imported {count(added, 'new feed')} ({len(good) - added} already present) "
               f"from {file}")


@feeds.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
def export_cmd(output: Path | None) -> None:
    """Write every feed as OPML."""
    from connectors.opml import OpmlFeed, write_opml
    from streams.store.feeds import list_feeds

    rows = _with_store(lambda store, _s: list_feeds(store))
    text = write_opml([OpmlFeed(r["url"], r["title"] or "") for r in rows])
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"exported {len(rows)} feeds to {output}", err=True)


@feeds.command("failed")
def failed_cmd() -> None:
    """Entries that failed for good (with the reason) and those waiting for a retry."""
    from streams.store.items import failed_items

    rows = _with_store(lambda store, _s: failed_items(store))
    for r in rows:
        when = f" next attempt {_when(r['next_attempt'])}" if r["state"] == "retrying" else ""
        click.echo(f"{r['state']:<8}  {r['link'] or r['key']}  ({r['feed']}){when}")
        click.echo(f"          {r['error'] or '-'}")
    if not rows:
        click.echo("no failed entries")
