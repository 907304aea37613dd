"""Feed entries in the store: each is recorded before it is processed and marked after, so a
crash re-processes pending entries and a restart never processes a done one again. A failed
attempt that may succeed later leaves the entry `retrying` with the time it is due again;
one that never will (or the last allowed) leaves it `failed` with the reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from streams.core.clock import aware_or_none, utcnow
from streams.core.records import FeedItem
from streams.store.db import Store
from streams.store.schema import items

PENDING, RETRYING, DONE, FAILED = "pending", "retrying", "done", "failed"
_CHUNK = 500  # bound on IN (...) lists: SQLite limits the variables of one statement


async def record_item(store: Store, item: FeedItem) -> bool:
    """Record a new entry as pending; False when this entry (feed + GUID) was seen before."""
    values = {
        "key": item.key,
        "feed": item.feed,
        "guid": item.guid,
        "link": item.link,
        "state": PENDING,
        "payload": item.to_dict(),
        "recorded": utcnow(),
    }
    async with store.begin() as conn:
        result = await conn.execute(store.insert_ignore(items, values))
    return bool(result.rowcount)


async def seen_keys(store: Store, keys: list[str]) -> set[str]:
    """The subset of these entry keys already recorded (one query, for a whole feed)."""
    if not keys:
        return set()
    async with store.begin() as conn:
        rows = await conn.execute(sa.select(items.c.key).where(items.c.key.in_(keys)))
    return {r[0] for r in rows}


_MARK = (sa.update(items).where(items.c.key == sa.bindparam("entry"))
         .values(state=sa.bindparam("new_state"), error=sa.bindparam("reason"),
                 done=sa.bindparam("done_at"), next_attempt=None))  # built once: a hot path


async def mark_item(store: Store, key: str, state: str, error: str | None = None) -> None:
    """Mark an entry done or failed (with the reason)."""
    async with store.begin() as conn:
        await conn.execute(_MARK, {"entry": key, "new_state": state, "reason": error,
                                   "done_at": utcnow() if state == DONE else None})


async def retry_or_fail(
    store: Store,
    key: str,
    reason: str,
    *,
    transient: bool,
    now: dt.datetime,
    max_attempts: int,
    delay: Callable[[int], float],
) -> str:
    """Record a failed attempt at an entry: `retrying` (due again after `delay(attempts)`
    seconds) while the failure may be transient and attempts remain, else `failed` for good
    with the reason. Returns the new state."""
    async with store.begin() as conn:
        attempts = int(
            await conn.scalar(sa.select(items.c.attempts).where(items.c.key == key)) or 0
        ) + 1
        if transient and attempts < max_attempts:
            state, error = RETRYING, f"attempt {attempts} of {max_attempts}: {reason}"
            due: dt.datetime | None = now + dt.timedelta(seconds=delay(attempts))
        else:
            state, due = FAILED, None
            error = (
                f"gave up after {attempts} attempts: {reason}" if transient
                else f"permanent: {reason}"
            )
        await conn.execute(
            sa.update(items).where(items.c.key == key)
            .values(state=state, error=error, attempts=attempts, next_attempt=due, done=None)
        )
    return state


async def due_again(
    store: Store, now: dt.datetime, pending_before: dt.datetime, exclude: set[str]
) -> list[FeedItem]:
    """Entries to send to processing again: pending since before `pending_before` (their
    processing was lost: a crash, a store that failed while marking them) and retrying ones
    whose time has come; `exclude` (entries this worker holds already) left out. Oldest
    first."""
    stale = sa.and_(items.c.state == PENDING, items.c.recorded < pending_before)
    retry = sa.and_(items.c.state == RETRYING, items.c.next_attempt <= now)
    async with store.begin() as conn:
        rows = await conn.execute(
            sa.select(items.c.key).where(sa.or_(stale, retry)).order_by(items.c.recorded)
        )
        keys = [r[0] for r in rows if r[0] not in exclude]
        out: list[FeedItem] = []
        for n in range(0, len(keys), _CHUNK):
            chunk = keys[n:n + _CHUNK]
            payloads = await conn.execute(
                sa.select(items.c.key, items.c.payload).where(items.c.key.in_(chunk))
            )
            found = {r.key: r.payload for r in payloads}
            out.extend(FeedItem.from_dict(dict(found[k])) for k in chunk if k in found)
    return out


async def get_item(store: Store, key: str) -> dict[str, Any] | None:
    """One entry's row (key, feed, link, state, attempts, error), or None."""
    async with store.begin() as conn:
        row = (await conn.execute(
            sa.select(items.c.key, items.c.feed, items.c.link, items.c.state, items.c.attempts,
                      items.c.error).where(items.c.key == key)
        )).first()
    return dict(row._mapping) if row is not None else None


async def failed_items(store: Store) -> list[dict[str, Any]]:
    """Entries failed for good and those waiting to be retried, newest first: key, feed,
    link, state, attempts, next attempt, reason."""
    columns = (items.c.key, items.c.feed, items.c.link, items.c.state, items.c.attempts,
               items.c.next_attempt, items.c.error, items.c.recorded)
    async with store.begin() as conn:
        rows = await conn.execute(
            sa.select(*columns).where(items.c.state.in_((FAILED, RETRYING)))
            .order_by(items.c.recorded.desc())
        )
    out = []
    for row in rows:
        values = dict(row._mapping)
        for name in ("next_attempt", "recorded"):
            values[name] = aware_or_none(values[name])
        out.append(values)
    return out


async def pending_items(
    store: Store, recorded_before: dt.datetime | None = None
) -> list[FeedItem]:
    """Entries recorded but not finished (only those recorded before a moment, if given):
    re-processed at start after a crash."""
    query = sa.select(items.c.payload).where(items.c.state == PENDING)
    if recorded_before is not None:
        query = query.where(items.c.recorded < recorded_before)
    async with store.begin() as conn:
        rows = await conn.execute(query.order_by(items.c.recorded))
    return [FeedItem.from_dict(dict(r[0])) for r in rows]


async def count_items(store: Store) -> dict[str, int]:
    """How many entries are in each state."""
    async with store.begin() as conn:
        rows = await conn.execute(sa.select(items.c.state, sa.func.count()).group_by(items.c.state))
    return {state: n for state, n in rows}
