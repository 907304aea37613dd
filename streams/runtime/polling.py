"""Polling feeds, end to end: load each feed's state from the store, fetch it (the edge,
connectors/poll.py: conditional GET, SSRF guard, feedparser), decide what the poll means
(streams/poll/decide.py, no I/O) and record that decision in one transaction per feed: the
new entries as pending together with the feed's row (health, validators, next attempt).
Expected failures (network, HTTP status, not a feed, the store refusing) come back as a
PollResult with an error and one log line; they never raise."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field

import httpx
import sqlalchemy as sa

from connectors.poll import FetchedFeed, fetch_feed
from streams.core.clock import utcnow
from streams.core.records import FeedItem
from streams.poll.decide import FeedState, PollDecision, Schedule, StoreFailures, decide
from streams.poll.websub import ACCEPTING
from streams.store.db import Store, StoreError
from streams.store.feeds import get_feeds, update_feed
from streams.store.polls import add_pending, seen_keys, write_feed
from streams.store.subscriptions import pushed_feeds

__all__ = ["PollResult", "Schedule", "StoreFailures", "poll_feed", "poll_feeds"]

log = logging.getLogger("newswatch.poll")


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

    @property
    def ok(self) -> bool:
        return self.error is None


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
    pushed = await pushed_feeds(store, urls, now, ACCEPTING)  # WebSub: polled at the ceiling
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str) -> PollResult:
        state = FeedState.from_row(url, rows.get(url), url in pushed)
        conditional = not failures.unconditional(url)
        async with gate:
            fetched = await fetch_feed(
                client,
                url,
                state.etag if conditional else None,
                state.last_modified if conditional else None,
                now,
            )
        return await _record(store, state, fetched, now, schedule, failures)

    return list(await asyncio.gather(*(one(u) for u in urls)))


async def _record(
    store: Store, state: FeedState, fetched: FetchedFeed, now: dt.datetime,
    schedule: Schedule, failures: StoreFailures,
) -> PollResult:
    """Decide and write in one transaction (the seen entries are read inside it)."""
    recorded = utcnow()  # real time, as liveness and the re-send sweep measure it
    decision: PollDecision[FeedItem] | None = None
    if fetched.error is not None:  # no entries to look up: decided (and said) before the store
        decision = decide(state, fetched, set(), now, schedule)
        _log(decision)
    try:
        async with store.begin() as conn:
            if decision is None:
                seen = await seen_keys(conn, [i.key for i in fetched.items])
                decision = decide(state, fetched, seen, now, schedule)
                _log(decision)
            await add_pending(store, conn, decision.new, recorded)
            await write_feed(
                store, conn, state.url, decision.feed.columns(), now, decision.feed.new_entries
            )
    except (sa.exc.SQLAlchemyError, OSError, StoreError) as exc:
        return await _refused(store, state.url, fetched, decision, exc, now, schedule, failures)
    failures.stored(state.url)
    return PollResult(
        state.url, fetched.status, decision.new, decision.error, fetched.not_modified,
        decision.title, len(fetched.items) if decision.error is None else 0,
        decision.feed.next_attempt,
    )


async def _refused(
    store: Store, url: str, fetched: FetchedFeed, decision: PollDecision[FeedItem] | None,
    exc: BaseException, now: dt.datetime, schedule: Schedule, failures: StoreFailures,
) -> PollResult:
    """The store refused the poll: nothing of it was written; try again later, without
    validators, and say so in the row if the store still takes that."""
    when = failures.failed(url, now, schedule)
    cause = getattr(exc, "orig", None) or exc
    reason = _one_line(f"store write failed: {type(cause).__name__}: {cause}")
    log.warning(
        "feed %s: %s; %d entries not recorded, polled again without ETag/Last-Modified "
        "in %.0f s", url, reason, len(fetched.items), (when - now).total_seconds(),
    )
    try:  # the row may still take this (a disk full of entries); nothing lost if not
        await update_feed(
            store, url, etag=None, last_modified=None, error=reason,
            last_attempt=now, next_attempt=when,
        )
    except (sa.exc.SQLAlchemyError, OSError, StoreError):
        pass
    title = decision.title if decision is not None else fetched.title
    return PollResult(
        url, fetched.status, [], reason, fetched.not_modified, title,
        len(fetched.items) if fetched.ok else 0, when,
    )


def _log(decision: PollDecision[FeedItem]) -> None:
    if decision.error is not None:
        log.warning(
            "feed %s: %s (failure %d, next attempt in %.0f s)",
            decision.url, decision.error, decision.feed.failures, decision.delay,
        )
    elif decision.recovered_after:
        log.info("feed %s: recovered after %d failures", decision.url, decision.recovered_after)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
