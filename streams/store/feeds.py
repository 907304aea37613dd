"""The feeds table: the feeds polled and their health (last attempt and success, status,
consecutive failures, next attempt, items seen, HTTP validators)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from streams.core.clock import aware, aware_or_none, utcnow
from streams.store.db import Store
from streams.store.schema import feeds, subscriptions

_TIMES = (
    "last_attempt", "last_success", "last_new_item", "next_attempt", "added", "failing_since",
    "health_since", "newest_entry",
)


def _row(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    for name in _TIMES:
        value = out.get(name)
        out[name] = aware(value) if isinstance(value, dt.datetime) else value
    return out


async def ensure_feeds(
    store: Store,
    urls: list[str],
    interval: float | None = None,
    added_by: str = "config",
    titles: dict[str, str] | None = None,
) -> int:
    """Add the feeds not yet in the store (due at once); return how many were added.
    added_by="user" (feeds add / import) keeps a feed polled although no setting lists it."""
    if not urls:
        return 0
    now = utcnow()
    titles = titles or {}
    values = [
        {"url": u, "added": now, "interval": interval, "title": titles.get(u, ""),
         "added_by": added_by}
        for u in dict.fromkeys(urls)
    ]
    async with store.begin() as conn:
        before = await conn.scalar(sa.select(sa.func.count()).select_from(feeds))
        await conn.execute(store.insert_ignore(feeds, values))
        after = await conn.scalar(sa.select(sa.func.count()).select_from(feeds))
    return int(after or 0) - int(before or 0)


async def get_feed(store: Store, url: str) -> dict[str, Any] | None:
    """One feed's row as a dict (times timezone-aware), or None."""
    async with store.begin() as conn:
        row = (await conn.execute(sa.select(feeds).where(feeds.c.url == url))).first()
    return _row(row) if row is not None else None


async def update_feed(store: Store, url: str, **values: Any) -> None:
    """Set columns of one feed, creating its row first if needed."""
    async with store.begin() as conn:
        await conn.execute(
            store.insert_ignore(feeds, {"url": url, "added": utcnow(), "title": ""})
        )
        await conn.execute(sa.update(feeds).where(feeds.c.url == url).values(**values))


async def list_feeds(store: Store) -> list[dict[str, Any]]:
    """Every feed, in the order they were added."""
    async with store.begin() as conn:
        rows = await conn.execute(sa.select(feeds).order_by(feeds.c.added, feeds.c.url))
    return [_row(r) for r in rows]


async def remove_feed(store: Store, url: str) -> bool:
    """Forget a feed and its WebSub subscription (its hub's pushes are then refused with
    410 Gone, which ends them); False when it was not there. Its items and articles stay."""
    async with store.begin() as conn:
        await conn.execute(sa.delete(subscriptions).where(subscriptions.c.feed == url))
        result = await conn.execute(sa.delete(feeds).where(feeds.c.url == url))
    return bool(result.rowcount)


async def due_feeds(store: Store, urls: list[str], now: dt.datetime) -> list[str]:
    """The feeds among `urls` whose next attempt has come (or that were never polled),
    so per-feed intervals, backoff and Retry-After are all respected by one comparison."""
    if not urls:
        return []
    async with store.begin() as conn:
        rows = await conn.execute(
            sa.select(feeds.c.url, feeds.c.next_attempt).where(feeds.c.url.in_(urls))
        )
    scheduled = {r.url: aware_or_none(r.next_attempt) for r in rows}
    return [u for u in dict.fromkeys(urls) if (when := scheduled.get(u)) is None or when <= now]


async def all_feeds(store: Store, configured: list[str]) -> list[str]:
    """The configured feeds followed by those added with `newswatch feeds add`/`import`."""
    async with store.begin() as conn:
        rows = await conn.execute(
            sa.select(feeds.c.url)
            .where(feeds.c.added_by == "user")
            .order_by(feeds.c.added, feeds.c.url)
        )
    return list(dict.fromkeys([*configured, *(r.url for r in rows)]))


_CHUNK = 500  # bound on IN (...) lists: SQLite limits the variables of one statement


async def get_feeds(store: Store, urls: list[str]) -> dict[str, dict[str, Any]]:
    """The rows of these feeds, by URL (absent feeds are simply missing)."""
    out: dict[str, dict[str, Any]] = {}
    async with store.begin() as conn:
        for n in range(0, len(urls), _CHUNK):
            rows = await conn.execute(sa.select(feeds).where(feeds.c.url.in_(urls[n:n + _CHUNK])))
            out.update((r.url, _row(r)) for r in rows)
    return out
