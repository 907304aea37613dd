"""The feed health table: last success, status, failures, next attempt and items per day for
every feed, failing feeds first, then silent ones, then the healthy."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from streams.runtime.health import feed_state
from streams.store import Store, views
from streams.web.queries import iso

ORDER = {"failing": 0, "silent": 1}
RATE_DAYS = 7  # items per day are averaged over this many days


class FeedHealth(TypedDict):
    """One row of the feed table (and of /api/feeds)."""

    url: str
    title: str
    health: str
    status: int | None  # the last HTTP status
    error: str | None
    failures: int
    last_attempt: str | None
    last_success: str | None
    last_new_item: str | None
    next_attempt: str | None
    items_seen: int
    items_per_day: float
    entry_gap: float | None  # median seconds between its entries' dates (its rhythm)
    hub: str | None  # the WebSub hub it advertises


async def feed_health(store: Store, now: dt.datetime) -> list[FeedHealth]:
    """One dict per feed, failing and silent first, then by failures and URL."""
    counts = await views.items_per_feed(store, now - dt.timedelta(days=RATE_DAYS))
    out: list[FeedHealth] = []
    for row in await views.list_feeds(store):
        health = feed_state(row)  # as /health and `feeds list` say
        out.append({
            "url": row["url"],
            "title": row.get("title") or "",
            "health": health,
            "status": row.get("status"),
            "error": row.get("error"),
            "failures": int(row.get("failures") or 0),
            "last_attempt": iso(row.get("last_attempt")),
            "last_success": iso(row.get("last_success")),
            "last_new_item": iso(row.get("last_new_item")),
            "next_attempt": iso(row.get("next_attempt")),
            "items_seen": int(row.get("items_seen") or 0),
            "items_per_day": round(counts.get(row["url"], 0) / RATE_DAYS, 1),
            "entry_gap": row.get("entry_gap"),
            "hub": row.get("hub"),
        })
    out.sort(key=lambda f: (ORDER.get(f["health"], 2), -f["failures"], f["url"]))
    return out
