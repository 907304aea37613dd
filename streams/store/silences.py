"""Silences: time-boxed holds on alerts by rule, story or actor (and optionally destination).

An alert matching an active silence is recorded with its deliveries held, never dropped:
`newswatch deliveries retry --held` sends them later if someone wants them after all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from streams.core.clock import aware
from streams.core.errors import RequestError
from streams.core.records import Alert
from streams.store.db import Store, utcnow
from streams.store.schema import silences


class SilenceError(RequestError, ValueError):
    """A silence that would match everything, or one not lasting a positive time."""


def matches(row: Any, alert: Alert) -> bool:
    """True when every criterion the silence sets matches the alert."""
    if row.rule_id and row.rule_id != alert.rule_id:
        return False
    if row.story_id and row.story_id != alert.story_id:
        return False
    if row.actor:
        actors = {a.casefold() for a in alert.event.actors}
        if row.actor.casefold() not in actors:
            return False
    return True


async def silencing(conn: AsyncConnection, alert: Alert, now: dt.datetime) -> dict[str, str]:
    """destination (or "*") -> reason, for every active silence matching the alert."""
    rows = (await conn.execute(sa.select(silences).where(silences.c.until > now))).all()
    out: dict[str, str] = {}
    for row in rows:
        if aware(row.until) > now and matches(row, alert):
            reason = f"silenced by #{row.id} until {aware(row.until):%Y-%m-%d %H:%M}Z"
            if row.reason:
                reason += f" ({row.reason})"
            out.setdefault(row.destination or "*", reason)
    return out


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
    async with store.begin() as conn:
        result = await conn.execute(
            silences.update().where(silences.c.id == silence_id).values(until=utcnow()))
        return result.rowcount == 1
