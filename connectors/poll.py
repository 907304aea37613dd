"""Poll one feed: conditional GET, feedparser (sanitiser on), new FeedItems recorded as
pending together with the feed's health and next attempt (one transaction per feed).
Expected failures (network, HTTP status, not a feed, the store refusing) come back as a
PollResult with an error and one log line; they never raise."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any

import feedparser
import httpx
import sqlalchemy as sa

from connectors.http import FetchError, fetch, parse_retry_after
from streams.core.records import FeedItem, content_key
from streams.store.db import Store, StoreError, utcnow
from streams.store.feeds import due_feeds, ensure_feeds, get_feeds, update_feed
from streams.store.polls import record_poll

__all__ = [
    "PollResult", "Schedule", "StoreFailures", "poll_feed", "poll_feeds", "due_feeds",
    "ensure_feeds", "parse_feed",
]

log = logging.getLogger("newswatch.poll")


@dataclass(frozen=True)
class Schedule:
    """When to poll again: interval, its bounds, and the backoff after failures."""

    interval: float = 300.0
    interval_min: float = 60.0
    interval_max: float = 21_600.0
    backoff_base: float = 60.0
    backoff_max: float = 21_600.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    @classmethod
    def from_settings(cls, settings: Any) -> Schedule:
        return cls(
            interval=settings.poll_interval,
            interval_min=settings.poll_interval_min,
            interval_max=settings.poll_interval_max,
            backoff_base=settings.backoff_base,
            backoff_max=settings.backoff_max,
        )

    def backoff(self, failures: int) -> float:
        """Exponential delay after `failures` consecutive failures, jittered so feeds that
        failed together do not retry together, never above the ceiling."""
        delay = self.backoff_base * 2 ** min(max(failures - 1, 0), 30)
        return min(self.backoff_max, delay * self.rng.uniform(0.8, 1.2))

    def next_interval(self, override: float | None, feed_asks: float | None) -> float:
        """The per-feed override (else the default), lengthened to what the feed asks
        (TTL, Cache-Control max-age) within the ceiling."""
        interval = max(self.interval_min, override) if override else self.interval
        if feed_asks:
            interval = max(interval, min(feed_asks, self.interval_max))
        return interval


@dataclass
class PollResult:
    """What one poll did: new items, or the reason it failed."""

    url: str
    status: int | None = None
    items: list[FeedItem] = field(default_factory=list)
    error: str | None = None
    not_modified: bool = False
    title: str = ""
    entries: int = 0  # entries in the document, new or not
    next_attempt: dt.datetime | None = None
    updates: dict[str, Any] = field(default_factory=dict, repr=False)  # the feed row to write

    @property
    def ok(self) -> bool:
        return self.error is None


class StoreFailures:
    """The feeds whose last poll could not be stored (in memory: the store may refuse the
    feed's row as well). Such a feed is polled again without ETag/Last-Modified, so the
    entries that were not stored come back, after a backoff that grows per failure."""

    def __init__(self) -> None:
        self._failures: dict[str, int] = {}
        self._not_before: dict[str, dt.datetime] = {}

    def unconditional(self, url: str) -> bool:
        return url in self._failures

    def due(self, urls: list[str], now: dt.datetime) -> list[str]:
        """Those of `urls` not waiting out a store failure."""
        return [u for u in urls if u not in self._not_before or self._not_before[u] <= now]

    def failed(self, url: str, now: dt.datetime, schedule: Schedule) -> dt.datetime:
        self._failures[url] = self._failures.get(url, 0) + 1
        when = now + dt.timedelta(seconds=schedule.backoff(self._failures[url]))
        self._not_before[url] = when
        return when

    def stored(self, url: str) -> None:
        self._failures.pop(url, None)
        self._not_before.pop(url, None)


async def poll_feed(
    client: httpx.AsyncClient,
    store: Store,
    url: str,
    now: dt.datetime | None = None,
    schedule: Schedule | None = None,
    store_failures: StoreFailures | None = None,
) -> PollResult:
    """Poll `url` once and record the outcome; return the entries not seen before."""
    return (await poll_feeds(client, store, [url], now, schedule, store_failures=store_failures))[0]


async def poll_feeds(
    client: httpx.AsyncClient,
    store: Store,
    urls: list[str],
    now: dt.datetime | None = None,
    schedule: Schedule | None = None,
    concurrency: int = 32,
    store_failures: StoreFailures | None = None,
) -> list[PollResult]:
    """Poll many feeds at once (one result per distinct URL, in order). Each feed's new
    entries and its row are recorded in one transaction as soon as that feed answers; when
    the store refuses them, neither is written, the result carries the store's error and
    the feed is polled again unconditionally (`store_failures`)."""
    now = now or utcnow()
    schedule = schedule or Schedule()
    failures = store_failures if store_failures is not None else StoreFailures()
    urls = list(dict.fromkeys(urls))
    rows = await get_feeds(store, urls)
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str) -> PollResult:
        row = rows.get(url) or {}
        async with gate:
            result = await _poll(
                client, url, row, now, schedule, conditional=not failures.unconditional(url)
            )
        await _record(store, result, row, now, schedule, failures)
        return result

    return list(await asyncio.gather(*(one(u) for u in urls)))


async def _record(
    store: Store, result: PollResult, row: dict[str, Any], now: dt.datetime,
    schedule: Schedule, failures: StoreFailures,
) -> None:
    if_new = {"last_new_item": now, "usual_gap": _usual_gap(row, now)}
    try:
        result.items = await record_poll(
            store, result.url, result.updates, result.items, now, if_new
        )
    except (sa.exc.SQLAlchemyError, OSError, StoreError) as exc:
        when = failures.failed(result.url, now, schedule)
        cause = getattr(exc, "orig", None) or exc
        reason = _one_line(f"store write failed: {type(cause).__name__}: {cause}")
        log.warning(
            "feed %s: %s; %d entries not recorded, polled again without ETag/Last-Modified "
            "in %.0f s", result.url, reason, len(result.items), (when - now).total_seconds(),
        )
        result.items, result.error, result.next_attempt = [], reason, when
        try:  # the row may still take this (a disk full of entries); nothing lost if not
            await update_feed(
                store, result.url, etag=None, last_modified=None, error=reason,
                last_attempt=now, next_attempt=when,
            )
        except (sa.exc.SQLAlchemyError, OSError, StoreError):
            pass
    else:
        failures.stored(result.url)


async def _poll(
    client: httpx.AsyncClient, url: str, row: dict[str, Any], now: dt.datetime,
    schedule: Schedule, conditional: bool = True,
) -> PollResult:
    headers = {}
    if conditional and row.get("etag"):
        headers["If-None-Match"] = row["etag"]
    if conditional and row.get("last_modified"):
        headers["If-Modified-Since"] = row["last_modified"]
    try:
        got = await fetch(client, url, headers)
    except FetchError as exc:
        return _failed(url, row, now, schedule, exc.reason, exc.status)
    if got.status == 304:
        return _succeeded(url, row, now, schedule, got.status, got.headers, [], None)
    if got.status in (429, 503):
        wait = parse_retry_after(got.headers.get("retry-after"), now)
        return _failed(url, row, now, schedule, f"HTTP {got.status}", got.status, wait)
    if got.status >= 400:
        return _failed(url, row, now, schedule, f"HTTP {got.status}", got.status)
    try:
        parsed = await asyncio.to_thread(parse_feed, got.content, got.final_url, got.headers)
    except ValueError as exc:
        return _failed(url, row, now, schedule, str(exc), got.status)
    items = feed_items(url, parsed)
    result = _succeeded(url, row, now, schedule, got.status, got.headers, items, parsed)
    result.entries = len(items)
    return result


def parse_feed(content: bytes, base_url: str, headers: httpx.Headers | None = None) -> Any:
    """feedparser over the bytes, sanitiser on; ValueError when it is not a feed at all."""
    response_headers = {"content-location": base_url}
    if headers is not None and headers.get("content-type"):
        response_headers["content-type"] = headers["content-type"]
    try:
        parsed = feedparser.parse(
            content,
            response_headers=response_headers,
            sanitize_html=True,
            resolve_relative_uris=True,
        )
    except Exception as exc:  # feedparser on hostile bytes: the feed is at fault, not us
        raise ValueError(f"feed parser failed: {type(exc).__name__}: {exc}") from exc
    if parsed.bozo and not parsed.entries and not parsed.feed.get("title"):
        reason = parsed.get("bozo_exception") or "unrecognised document"
        raise ValueError(f"not a feed: {_one_line(str(reason))}")
    return parsed


def feed_items(feed_url: str, parsed: Any) -> list[FeedItem]:
    """One FeedItem per entry; GUID = the entry's id, else its link, else a hash of what it
    says (so an entry with neither is still processed once, not dropped). Entries repeated in
    a document count once."""
    feed_title = parsed.feed.get("title", "")
    out: dict[str, FeedItem] = {}
    for entry in parsed.entries:
        link = entry.get("link") or ""
        title, summary = entry.get("title", ""), _body(entry)
        published = _iso(entry.get("published_parsed") or entry.get("updated_parsed"))
        guid = entry.get("id") or link or "hash:" + content_key(title, summary, published or "")
        source = entry.get("source") or {}
        item = FeedItem(
            feed=feed_url,
            guid=guid,
            link=link,
            title=title,
            summary=summary,
            published=published,
            source=(source.get("title") if hasattr(source, "get") else "") or feed_title,
        )
        out.setdefault(item.key, item)
    return list(out.values())


def _body(entry: Any) -> str:
    # full content when the feed carries it, else the summary: the richer fallback for clean()
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents), key=len, default="")
    summary = entry.get("summary", "")
    return best if len(best) > len(summary) else summary


def _iso(parsed: time.struct_time | None) -> str | None:
    if not parsed:
        return None
    try:
        return dt.datetime(*parsed[:6], tzinfo=dt.UTC).isoformat()
    except (TypeError, ValueError):
        return None


def _feed_asks(parsed: Any, headers: httpx.Headers) -> float | None:
    asks: list[float] = []
    ttl = str(parsed.feed.get("ttl", "") if parsed is not None else "").strip()
    if ttl.isdigit():
        asks.append(int(ttl) * 60.0)
    match = re.search(r"max-age=(\d+)", headers.get("cache-control", ""))
    if match:
        asks.append(float(match.group(1)))
    return max(asks) if asks else None


def _succeeded(
    url: str,
    row: dict[str, Any],
    now: dt.datetime,
    schedule: Schedule,
    status: int,
    headers: httpx.Headers,
    new: list[FeedItem],
    parsed: Any,
) -> PollResult:
    interval = schedule.next_interval(row.get("interval"), _feed_asks(parsed, headers))
    next_attempt = now + dt.timedelta(seconds=interval)
    values: dict[str, Any] = {
        "last_attempt": now,
        "last_success": now,
        "status": status,
        "error": None,
        "failures": 0,
        "failing_since": None,
        "next_attempt": next_attempt,
    }
    if status != 304:
        values["etag"] = headers.get("etag")
        values["last_modified"] = headers.get("last-modified")
    title = parsed.feed.get("title", "") if parsed is not None else ""
    if title:
        values["title"] = title
    if row.get("failures"):
        log.info("feed %s: recovered after %d failures", url, row["failures"])
    return PollResult(
        url, status, new, None, status == 304, title or row.get("title", ""),
        next_attempt=next_attempt, updates=values,
    )


def _failed(
    url: str,
    row: dict[str, Any],
    now: dt.datetime,
    schedule: Schedule,
    reason: str,
    status: int | None,
    retry_after: float | None = None,
) -> PollResult:
    failures = int(row.get("failures") or 0) + 1
    delay = schedule.backoff(failures)
    if retry_after is not None:  # the server said when; believe it, up to the ceiling
        delay = min(max(retry_after, 1.0), schedule.backoff_max)
    next_attempt = now + dt.timedelta(seconds=delay)
    reason = _one_line(reason)
    log.warning(
        "feed %s: %s (failure %d, next attempt in %.0f s)", url, reason, failures, delay
    )
    values = {
        "last_attempt": now, "status": status, "error": reason, "failures": failures,
        "next_attempt": next_attempt, "failing_since": row.get("failing_since") or now,
    }
    return PollResult(url, status, [], reason, next_attempt=next_attempt, updates=values)


def _usual_gap(row: dict[str, Any], now: dt.datetime) -> float | None:
    # an exponential moving average of the gaps between polls that brought new items
    last = row.get("last_new_item")
    if last is None:
        return row.get("usual_gap")
    gap = (now - last).total_seconds()
    old = row.get("usual_gap")
    return gap if old is None else 0.7 * old + 0.3 * gap


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
