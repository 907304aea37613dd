"""The facts the health model (streams.runtime.health) judges, read from the store: a write probe,
the lag and overdue deliveries (streams.runtime.liveness), the watched feeds, and each destination's
latest delivery attempts. Every failure to read them becomes the store's failure."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from streams.runtime.health import FAILING_ATTEMPTS, DestinationFacts, Facts, watched
from streams.runtime.liveness import check_liveness
from streams.store import Store
from streams.store.deliveries import flags
from streams.store.feeds import list_feeds
from streams.store.schema import attempts, deliveries, story_locks

if TYPE_CHECKING:
    from streams.config.settings import Settings

PROBE = "__health_probe__"  # a story_locks row written and removed by each probe
PROBE_BYTES = 16_384  # on SQLite the probe row is this long: it needs new pages, as work does


MIN_FREE_BYTES = 20_000_000  # a SQLite store's disk with less room than this is full


def _disk_full(store: Store) -> str:
    """For a SQLite file: "" or why its disk is (nearly) full."""
    path = store.url.split(":///", 1)[-1].split("?", 1)[0]
    if not store.is_sqlite or not path or path == ":memory:":
        return ""
    try:
        free = shutil.disk_usage(Path(path).parent).free
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    if free < MIN_FREE_BYTES:
        return f"disk of {path} nearly full: {free // 1_000_000} MB free"
    return ""


async def probe_store(store: Store) -> str:
    """Write and remove one row in one committed transaction: a full disk, a read-only or
    corrupted database fails here. The error as text, "" when the write worked."""
    # SQLite ignores the column's length: a long key makes the write allocate pages, so a
    # full disk (or database) fails the probe; PostgreSQL's own checks need no help
    key = PROBE + ("." * PROBE_BYTES if store.is_sqlite else "")
    try:
        async with store.begin() as conn:
            await conn.execute(sa.insert(story_locks).values(type=key, version=0))
            await conn.execute(sa.delete(story_locks).where(story_locks.c.type == key))
    except Exception as exc:  # noqa: BLE001 - any failure is the store's failure
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return _disk_full(store)


async def destination_facts(store: Store, names: Collection[str]) -> tuple[DestinationFacts, ...]:
    """Each destination's latest finished attempts (newest first) and its flag."""
    flagged = await flags(store)
    out = []
    async with store.begin() as conn:
        for name in sorted(names):
            rows = (await conn.execute(
                sa.select(attempts.c.outcome, attempts.c.error)
                .join(deliveries, deliveries.c.id == attempts.c.delivery_id)
                .where(deliveries.c.destination == name)
                .where(attempts.c.outcome.is_not(None))
                .order_by(attempts.c.id.desc())
                .limit(FAILING_ATTEMPTS)
            )).all()
            error = next((r.error for r in rows if r.error), "") if rows else ""
            out.append(DestinationFacts(name, tuple(str(r.outcome) for r in rows),
                                        str(error or ""), flagged.get(name, "")))
    return tuple(out)


async def gather_facts(
    store: Store, settings: Settings, now: dt.datetime, rules: int,
    destinations: Collection[str] = (), rule_problems: Collection[str] = (),
) -> Facts:
    """Every fact the model needs; when the store cannot be read, that is the fact."""
    problems = tuple(rule_problems)
    error = await probe_store(store)
    if error:
        return Facts(store_error=error, rules=rules, rule_problems=problems)
    try:
        live = await check_liveness(store, now, settings.stall_after)
        feeds = tuple(f for f in await list_feeds(store) if watched(f, now, settings))
        dests = await destination_facts(store, destinations)
    except Exception as exc:  # noqa: BLE001 - a store that fails on reads is failing
        return Facts(store_error=f"{type(exc).__name__}: {exc}", rules=rules,
                     rule_problems=problems)
    return Facts(store_error="", rules=rules, rule_problems=problems, lag=live.lag,
                 stuck_deliveries=live.stuck_deliveries, feeds=feeds, destinations=dests)
