"""The outbox table's queries: what is due, claiming a row, recording each attempt.

A delivery is claimed with a compare-and-set (state and attempt count as read), so two
dispatchers sharing one PostgreSQL store never send the same row at once. While an attempt
is in flight the row is `sending` with `next_attempt` as its lease; a `sending` row found
after a crash (or past its lease) is "in doubt": the destination may or may not have it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from streams.core.alert_json import alert_from_json
from streams.core.clock import aware_or_none as aware
from streams.core.clock import utcnow
from streams.core.outbox import OPEN, GroupState, Outcome, State
from streams.core.records import Alert
from streams.store.db import Store
from streams.store.schema import alert_updates, alerts, attempts, deliveries, destination_flags


@dataclass(frozen=True)
class Delivery:
    """One outbox row with the alert (and update) it delivers."""

    id: int
    alert_id: str
    update_id: str
    destination: str
    state: str
    attempts: int
    next_attempt: dt.datetime | None
    created: dt.datetime
    ref: str | None
    error: str | None
    alert: Alert
    update: Alert | None
    group_key: str | None = None  # the rule's `group` it waits with (None: not grouped)


def _query() -> sa.Select[Any]:
    return (
        sa.select(deliveries, alerts.c.payload.label("alert_payload"),
                  alert_updates.c.payload.label("update_payload"))
        .join(alerts, alerts.c.id == deliveries.c.alert_id)
        .outerjoin(alert_updates, alert_updates.c.id == deliveries.c.update_id)
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id, alert_id=row.alert_id, update_id=row.update_id, destination=row.destination,
        state=row.state, attempts=row.attempts, next_attempt=aware(row.next_attempt),
        created=aware(row.created) or utcnow(), ref=row.ref, error=row.error,
        alert=alert_from_json(row.alert_payload),
        update=alert_from_json(row.update_payload) if row.update_payload else None,
        group_key=row.group_key,
    )


# The dispatcher's statements, built once with their values bound when executed: it runs
# them for every delivery and every alert recorded, in the process that does the rest of
# the work, and building a statement costs about as much as running it.
_NOW: sa.BindParameter[dt.datetime] = sa.bindparam("now", type_=deliveries.c.next_attempt.type)
_DEST: sa.BindParameter[str] = sa.bindparam("dest")
_OTHERS: sa.BindParameter[list[str]] = sa.bindparam("others", expanding=True)


@functools.cache
def _due(one: bool, others: bool) -> Any:
    """The due query: of the `dest` bound (one), of every destination but the `others`."""
    query = _query().where(deliveries.c.state.in_(OPEN), deliveries.c.next_attempt <= _NOW)
    if one:
        query = query.where(deliveries.c.destination == _DEST)
    if others:
        query = query.where(deliveries.c.destination.not_in(_OTHERS))
    return query.order_by(deliveries.c.id).limit(sa.bindparam("limit", type_=sa.Integer))


async def due(
    store: Store, now: dt.datetime, limit: int = 500, destination: str | None = None,
    others_than: Sequence[str] = (),
) -> list[Delivery]:
    """Pending and retrying deliveries whose time has come, oldest first (of one destination,
    or of every destination but `others_than`)."""
    params: dict[str, Any] = {"now": now, "limit": limit}
    if destination is not None:
        params["dest"] = destination
    if others_than:
        params["others"] = list(others_than)
    async with store.begin() as conn:
        rows = (await conn.execute(_due(destination is not None, bool(others_than)),
                                   params)).all()
    return [_delivery(r) for r in rows]


async def in_doubt(
    store: Store, now: dt.datetime, force: bool, destination: str | None = None
) -> list[Delivery]:
    """Rows left `sending`: all of them when `force` (we are the only sender), else past lease."""
    query = _query().where(deliveries.c.state == State.SENDING)
    if destination is not None:
        query = query.where(deliveries.c.destination == destination)
    if not force:
        query = query.where(deliveries.c.next_attempt <= now)
    async with store.begin() as conn:
        return [_delivery(r) for r in (await conn.execute(query.order_by(deliveries.c.id))).all()]


_NEXT_DUE = sa.select(sa.func.min(deliveries.c.next_attempt)).where(
    deliveries.c.state.in_((*OPEN, State.SENDING)))
_NEXT_DUE_AT = _NEXT_DUE.where(deliveries.c.destination == _DEST)


async def next_due(store: Store, destination: str | None = None) -> dt.datetime | None:
    """When the next open (or leased) delivery falls due, or None when nothing is open."""
    async with store.begin() as conn:
        if destination is None:
            return aware((await conn.execute(_NEXT_DUE)).scalar())
        return aware((await conn.execute(_NEXT_DUE_AT, {"dest": destination})).scalar())


async def get(store: Store, delivery_id: int) -> Delivery | None:
    """One delivery by id."""
    async with store.begin() as conn:
        row = (await conn.execute(_query().where(deliveries.c.id == delivery_id))).first()
    return _delivery(row) if row else None


async def parent_of(store: Store, d: Delivery) -> Delivery | None:
    """The alert's own delivery to the same destination (the thread an update replies to)."""
    async with store.begin() as conn:
        row = (await conn.execute(_query().where(
            deliveries.c.alert_id == d.alert_id, deliveries.c.update_id == "",
            deliveries.c.destination == d.destination))).first()
    return _delivery(row) if row else None


async def claim(store: Store, d: Delivery, now: dt.datetime, lease: float) -> int | None:
    """Mark the row sending and open an attempt; the attempt id, or None if someone else won."""
    async with store.begin() as conn:
        result = await conn.execute(_CLAIM, {
            "d_id": d.id, "d_state": d.state, "d_attempts": d.attempts,
            "state": State.SENDING, "attempts": d.attempts + 1,
            "next_attempt": now + dt.timedelta(seconds=lease)})
        if result.rowcount != 1:
            return None
        inserted = await conn.execute(_ATTEMPT, {"delivery_id": d.id, "started": now})
        return int(inserted.inserted_primary_key[0])  # type: ignore[index]


# a compare-and-set on the row as read (its id, state and attempts as d_*), the new values
# as the columns' own parameters
_CLAIM = deliveries.update().where(
    deliveries.c.id == sa.bindparam("d_id"), deliveries.c.state == sa.bindparam("d_state"),
    deliveries.c.attempts == sa.bindparam("d_attempts"))
_ATTEMPT = sa.insert(attempts)
_FINISH = deliveries.update().where(deliveries.c.id == sa.bindparam("d_id"))
_FINISH_ATTEMPT = attempts.update().where(attempts.c.id == sa.bindparam("attempt_id"))


async def retrying_since(store: Store, delivery_id: int, attempts_made: int) -> dt.datetime | None:
    """When the current run of attempts began: the start of the `attempts_made`-th latest
    attempt (a requeue resets the count, so a requeued delivery gets a fresh horizon)."""
    query = (sa.select(attempts.c.started).where(attempts.c.delivery_id == delivery_id)
             .order_by(attempts.c.id.desc()).offset(max(0, attempts_made - 1)).limit(1))
    async with store.begin() as conn:
        return aware((await conn.execute(query)).scalar())


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt produced, as the attempts table keeps it."""

    outcome: Outcome
    status: int | None = None  # HTTP status or SMTP reply code
    error: str = ""
    ref: str | None = None  # the destination's id for the message, kept on the delivery


async def finish(
    store: Store, delivery_id: int, attempt_id: int | None, result: AttemptResult,
    state: State, next_attempt: dt.datetime | None, error: str, now: dt.datetime,
) -> None:
    """Record an attempt's result and the delivery's new state in one transaction."""
    values: dict[str, Any] = {"state": state, "next_attempt": next_attempt, "error": error or None}
    if state is State.SENT:
        values["sent"] = now
    if result.ref is not None:
        values["ref"] = result.ref
    async with store.begin() as conn:
        await conn.execute(_FINISH, {"d_id": delivery_id, **values})
        if attempt_id is None:
            await conn.execute(_ATTEMPT, {
                "delivery_id": delivery_id, "started": now, "finished": now,
                "outcome": result.outcome, "status": result.status,
                "error": result.error or None})
        else:
            await conn.execute(_FINISH_ATTEMPT, {
                "attempt_id": attempt_id, "finished": now, "outcome": result.outcome,
                "status": result.status, "error": result.error or None})


async def mark_in_doubt(store: Store, d: Delivery, now: dt.datetime, note: str) -> None:
    """Close the crashed attempt as in doubt and queue the row again for now."""
    async with store.begin() as conn:
        await conn.execute(attempts.update().where(
            attempts.c.delivery_id == d.id, attempts.c.outcome.is_(None)
        ).values(outcome=Outcome.IN_DOUBT, finished=now, error=note))
        await conn.execute(deliveries.update().where(
            deliveries.c.id == d.id, deliveries.c.state == State.SENDING
        ).values(state=State.RETRYING, next_attempt=now, error=note))


async def flag_destination(store: Store, destination: str, reason: str) -> None:
    """Remember that a destination refused permanently (channel gone, token revoked)."""
    async with store.begin() as conn:
        await conn.execute(store.insert_ignore(destination_flags, {
            "destination": destination, "reason": reason, "flagged": utcnow()}))


_FLAGS = sa.select(destination_flags)


async def flags(store: Store) -> dict[str, str]:
    """Flagged destinations and why."""
    async with store.begin() as conn:
        rows = (await conn.execute(_FLAGS)).all()
    return {r.destination: r.reason for r in rows}


async def list_deliveries(
    store: Store, states: Sequence[str] = (), alert_id: str | None = None, limit: int = 100
) -> list[Delivery]:
    """Deliveries, newest first, filtered by state and alert (id prefix)."""
    query = _query().order_by(deliveries.c.id.desc()).limit(limit)
    if states:
        query = query.where(deliveries.c.state.in_(states))
    if alert_id:
        query = query.where(deliveries.c.alert_id.startswith(alert_id))
    async with store.begin() as conn:
        return [_delivery(r) for r in (await conn.execute(query)).all()]


async def attempts_of(store: Store, delivery_id: int) -> list[Any]:
    """Every attempt of one delivery, oldest first."""
    async with store.begin() as conn:
        return list((await conn.execute(sa.select(attempts).where(
            attempts.c.delivery_id == delivery_id).order_by(attempts.c.id))).all())


async def requeue(
    store: Store, ids: Sequence[int] = (), states: Sequence[str] = (State.DEAD,),
    destination: str | None = None,
) -> int:
    """Queue dead (or held) deliveries again, now, with a fresh attempt budget; unflag their
    destinations. Selected by id, else by state (and destination). Returns how many."""
    cond: sa.ColumnElement[bool] = (
        deliveries.c.id.in_(ids) if ids else deliveries.c.state.in_(states))
    if destination:
        cond = sa.and_(cond, deliveries.c.destination == destination)
    cond = sa.and_(cond, deliveries.c.state.in_((State.DEAD, State.HELD)))
    async with store.begin() as conn:
        dests = (await conn.execute(
            sa.select(deliveries.c.destination).where(cond).distinct())).scalars().all()
        result = await conn.execute(deliveries.update().where(cond).values(
            state=State.PENDING, attempts=0, next_attempt=utcnow(), error=None))
        if dests:
            await conn.execute(destination_flags.delete().where(
                destination_flags.c.destination.in_(dests)))
    return int(result.rowcount)


async def postpone(store: Store, delivery_id: int, until: dt.datetime) -> None:
    """Move an open delivery's next attempt (a reply waiting for its thread), no attempt used."""
    async with store.begin() as conn:
        await conn.execute(deliveries.update().where(
            deliveries.c.id == delivery_id, deliveries.c.state.in_(OPEN)
        ).values(next_attempt=until))


async def group_states(
    store: Store, key: str, destinations: Sequence[str]
) -> dict[str, GroupState]:
    """A digest group's deliveries at each destination: when its open ones fall due, when it
    last sent, and how many are in flight (the deliver stage decides what that means)."""
    query = sa.select(
        deliveries.c.destination,
        sa.func.min(deliveries.c.next_attempt).filter(deliveries.c.state.in_(OPEN)),
        sa.func.max(deliveries.c.sent).filter(deliveries.c.state == State.SENT),
        sa.func.count().filter(deliveries.c.state == State.SENDING),
    ).where(deliveries.c.group_key == key, deliveries.c.destination.in_(destinations),
            deliveries.c.update_id == "").group_by(deliveries.c.destination)
    async with store.begin() as conn:
        rows = (await conn.execute(query)).all()
    found = {row[0]: GroupState(aware(row[1]), aware(row[2]), int(row[3] or 0)) for row in rows}
    return {dest: found.get(dest, GroupState()) for dest in destinations}


async def open_in_group(store: Store, destination: str, key: str) -> list[Delivery]:
    """Every open delivery of a group at a destination, due or not, oldest first."""
    query = _query().where(deliveries.c.group_key == key, deliveries.c.destination == destination,
                           deliveries.c.update_id == "", deliveries.c.state.in_(OPEN))
    async with store.begin() as conn:
        rows = (await conn.execute(query.order_by(deliveries.c.id))).all()
    return [_delivery(r) for r in rows]
