"""Silences: time-boxed holds on alerts by rule, story or actor (and optionally destination).

An alert matching an active silence is recorded with its deliveries held, never dropped:
`newswatch deliveries retry --held` sends them later if someone wants them after all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from streams.core.clock import aware, utcnow
from streams.core.errors import RequestError
from streams.store.db import Store
from streams.store.schema import silences


class SilenceError(RequestError, ValueError):
    """A silence that would match everything, or one not lasting a positive time."""


@dataclass(frozen=True)
class Silence:
    """An active silence: what it holds (rule, story, actor; None: any), where (a
    destination; None: every one), until when, and why."""

    id: int
    rule_id: str | None
    story_id: str | None
    actor: str | None
    destination: str | None
    until: dt.datetime
    reason: str


# read for every alert recorded: built once, `now` bound when executed
_ACTIVE = (sa.select(silences)
           .where(silences.c.until > sa.bindparam("now", type_=silences.c.until.type))
           .order_by(silences.c.id))
# what a held transaction keeps of them (Store.held_memo)
_MEMO = "active silences"


async def active_silences(store: Store, now: dt.datetime) -> list[Silence]:
    """Every silence still in force at `now`, oldest first (which alerts they hold is the
    deliver stage's decision: streams/deliver/silencing.py). Read once a transaction held
    (`Store.transaction()`: a batch's alerts, one read; those in force at the first ask,
    less the ones over since)."""
    memo = store.held_memo()
    kept = None if memo is None else memo.get(_MEMO)
    if kept is not None and kept[0] <= now:
        found: list[Silence] = kept[1]
    else:
        async with store.begin() as conn:
            rows = (await conn.execute(_ACTIVE, {"now": now})).all()
        found = [Silence(row.id, row.rule_id, row.story_id, row.actor, row.destination,
                         aware(row.until), row.reason or "") for row in rows]
        if memo is not None:
            memo[_MEMO] = (now, found)
    return [silence for silence in found if silence.until > now]


def _changed(store: Store) -> None:
    """The silences change in the transaction held: read them again when next asked."""
    memo = store.held_memo()
    if memo is not None:
        memo.pop(_MEMO, None)


async def add_silence(
    store: Store, duration: dt.timedelta, *, rule_id: str | None = None,
    story_id: str | None = None, actor: str | None = None, destination: str | None = None,
    reason: str = "",
) -> int:
    """Create a silence lasting `duration`; its id. Refuses one without any criterion."""
    if not (rule_id or story_id or actor):
        raise SilenceError("a silence needs --rule, --story or --actor (it would hold every alert)")
    if duration <= dt.timedelta(0):
        raise SilenceError(f"a silence must last a positive time, not {duration}")
    now = utcnow()
    _changed(store)
    async with store.begin() as conn:
        result = await conn.execute(sa.insert(silences).values(
            rule_id=rule_id, story_id=story_id, actor=actor, destination=destination,
            reason=reason, created=now, until=now + duration))
        return int(result.inserted_primary_key[0])  # type: ignore[index]


async def list_silences(store: Store, include_expired: bool = False) -> list[Any]:
    """Silences, newest first; only active ones unless asked."""
    query = sa.select(silences).order_by(silences.c.id.desc())
    if not include_expired:
        query = query.where(silences.c.until > utcnow())
    async with store.begin() as conn:
        return list((await conn.execute(query)).all())


async def remove_silence(store: Store, silence_id: int) -> bool:
    """End a silence now (kept for the record); False when there is no such silence."""
    _changed(store)
    async with store.begin() as conn:
        result = await conn.execute(
            silences.update().where(silences.c.id == silence_id).values(until=utcnow()))
        return result.rowcount == 1
