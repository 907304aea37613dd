"""Liveness: is the worker still making progress? Fails (HTTP 503 on /health) when entries
wait unprocessed, or due deliveries wait unsent, for longer than a threshold."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from streams.core.clock import aware_or_none
from streams.store import Store
from streams.store.schema import deliveries, items


@dataclass(frozen=True)
class Liveness:
    alive: bool
    lag: float  # seconds the oldest pending entry has waited
    stuck_deliveries: int  # due deliveries overdue by more than the threshold
    reasons: tuple[str, ...]


async def check_liveness(store: Store, now: dt.datetime, stall_after: float) -> Liveness:
    """Measure the oldest pending entry and the overdue deliveries."""
    async with store.begin() as conn:
        first_pending = sa.select(sa.func.min(items.c.recorded)).where(items.c.state == "pending")
        oldest = aware_or_none(await conn.scalar(first_pending))
        cutoff = now - dt.timedelta(seconds=stall_after)
        stuck = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(deliveries)
            .where(deliveries.c.state.in_(("pending", "retrying")))
            .where(sa.func.coalesce(deliveries.c.next_attempt, deliveries.c.created) < cutoff)
        )
    lag = (now - oldest).total_seconds() if oldest else 0.0
    reasons = []
    if lag > stall_after:
        reasons.append(f"oldest pending entry has waited {lag:.0f}s (limit {stall_after:.0f}s)")
    if stuck:
        reasons.append(f"{stuck} deliveries overdue by more than {stall_after:.0f}s")
    return Liveness(not reasons, lag, int(stuck or 0), tuple(reasons))
