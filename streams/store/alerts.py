"""Alerts in the store: written with their outbox rows in one transaction, listed, acked.

`insert_alert` is the idempotency point of the whole service: an alert exists once per rule
and story (unique key), and its deliveries are written in the same transaction, so an alert
is never recorded without its outbox nor queued twice. Which rows an alert gets (its
destinations, silences, digest groups) is the deliver stage's decision
(streams/deliver/record.py); the store writes what it is given.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from streams.core.alert_json import alert_from_json, alert_to_json
from streams.core.alert_status import BACKFILLED, COVERED, STORED_ACKED
from streams.core.clock import utcnow
from streams.core.outbox import OutboxRow
from streams.core.records import Alert
from streams.store.db import Store
from streams.store.schema import alert_updates, alerts, deliveries

__all__ = ["BACKFILLED", "COVERED", "ack_alert", "alert_destinations", "first_alert",
           "first_alert_destinations", "get_alert", "insert_alert", "insert_update",
           "list_alerts", "rule_tellings", "stories_told_by"]

# The statements of recording an article's alerts, built once: a statement built per call
# costs the main process about as much as running it.
_RULE: sa.BindParameter[str] = sa.bindparam("rule")
_STORY: sa.BindParameter[str] = sa.bindparam("story")
_STORIES: sa.BindParameter[list[str]] = sa.bindparam("stories", expanding=True)
_FIRST = sa.select(alerts.c.id, alerts.c.article_id).where(
    alerts.c.rule_id == _RULE, alerts.c.story_id == _STORY)
_DESTINATIONS = (sa.select(deliveries.c.destination)
                 .where(deliveries.c.alert_id == sa.bindparam("alert"),
                        deliveries.c.update_id == "")
                 .order_by(deliveries.c.id))
_FIRST_DESTINATIONS = (  # the alert's id, article and destinations (None: it has none)
    sa.select(alerts.c.id, alerts.c.article_id, deliveries.c.destination)
    .outerjoin(deliveries, (deliveries.c.alert_id == alerts.c.id)
               & (deliveries.c.update_id == ""))
    .where(alerts.c.rule_id == _RULE, alerts.c.story_id == _STORY)
    .order_by(deliveries.c.id))
# the recorded articles: the alerts' own (1), then updates (0); of each payload only the two
# fields the order needs, read by the database
_ALERT_TELLINGS = (
    sa.select(alerts.c.story_id, alerts.c.article_id,
              alerts.c.payload["published"].as_string().label("published"),
              alerts.c.payload["article_url"].as_string().label("url"),
              sa.literal_column("1").label("first"))
    .where(alerts.c.rule_id == _RULE, alerts.c.story_id.in_(_STORIES)))
_TELLINGS = sa.union_all(
    _ALERT_TELLINGS,
    sa.select(alerts.c.story_id, alert_updates.c.article_id,
              alert_updates.c.payload["published"].as_string(),
              alert_updates.c.payload["article_url"].as_string(),
              sa.literal_column("0"))
    .join(alerts, alerts.c.id == alert_updates.c.alert_id)
    .where(alerts.c.rule_id == _RULE, alerts.c.story_id.in_(_STORIES)))
_DELIVERIES = sa.insert(deliveries)

async def insert_alert(
    store: Store, alert: Alert, status: str, rows: Sequence[OutboxRow] = ()
) -> bool:
    """Write the alert (with this status) and its outbox rows in one transaction; False,
    with nothing written, when an alert of the same rule and story is already there."""
    async with store.begin() as conn:
        result = await conn.execute(store.ignoring(alerts), {
            "id": alert.id, "rule_id": alert.rule_id, "story_id": alert.story_id,
            "severity": alert.severity, "article_id": alert.article_id,
            "status": status, "payload": alert_to_json(alert), "created": utcnow(),
        })
        if result.rowcount == 0:
            return False
        await _insert_rows(conn, alert.id, "", rows)
    return True


async def first_alert(store: Store, rule_id: str, story_id: str) -> tuple[str, str] | None:
    """(id, article id) of the rule's alert for the story, or None when it has none."""
    async with store.begin() as conn:
        row = (await conn.execute(_FIRST, {"rule": rule_id, "story": story_id})).first()
    return (row.id, row.article_id) if row is not None else None


async def first_alert_destinations(store: Store, rule_id: str, story_id: str
                                   ) -> tuple[str, str, list[str]] | None:
    """(id, article id, destinations) of the rule's alert for the story, or None when it
    has none: first_alert and alert_destinations in one query."""
    async with store.begin() as conn:
        rows = (await conn.execute(_FIRST_DESTINATIONS,
                                   {"rule": rule_id, "story": story_id})).all()
    if not rows:
        return None
    return rows[0].id, rows[0].article_id, [r.destination for r in rows
                                            if r.destination is not None]


async def rule_tellings(
    store: Store, rule_id: str, story_ids: Collection[str], updates: bool = True
) -> list[tuple[str, str, bool, str | None, str]]:
    """The rule's recorded articles of these stories: (story id, article id, whether it is
    the one the alert was recorded with, else a story update, its publication date, URL).
    Without `updates`, the alerts' own alone: one row a story, however many updates it
    has (a story told daily for months has thousands)."""
    if not story_ids:
        return []
    ids = sorted(set(story_ids))
    query = _TELLINGS if updates else _ALERT_TELLINGS
    async with store.begin() as conn:
        rows = (await conn.execute(query, {"rule": rule_id, "stories": ids})).all()
    return [(story, article, first, published, url or "")
            for first in (True, False)  # the alerts' own first, then the updates
            for story, article, published, url, flag in rows if bool(flag) is first]


async def stories_told_by(store: Store, rule_id: str, article_ids: Collection[str]) -> set[str]:
    """The stories of the rule's alerts these articles were recorded with, or as updates of."""
    if not article_ids:
        return set()
    ids = sorted(set(article_ids))
    async with store.begin() as conn:
        own = (await conn.execute(sa.select(alerts.c.story_id).where(
            alerts.c.rule_id == rule_id, alerts.c.article_id.in_(ids)))).scalars().all()
        # The updates are found by article and their rule picked here: an article updates
        # one alert per rule that alerted its story, few. Asked with the rule, SQLite (no
        # statistics) would read every alert of the rule, then look for the articles' updates.
        updated = (await conn.execute(
            sa.select(alerts.c.rule_id, alerts.c.story_id)
            .join(alert_updates, alerts.c.id == alert_updates.c.alert_id)
            .where(alert_updates.c.article_id.in_(ids))
        )).all()
    return set(own) | {story for rule, story in updated if rule == rule_id}


async def alert_destinations(store: Store, alert_id: str) -> list[str]:
    """The destinations the alert itself (not its updates) was queued to, in order."""
    async with store.begin() as conn:
        return list((await conn.execute(_DESTINATIONS, {"alert": alert_id})).scalars().all())


async def insert_update(
    store: Store, update_id: str, parent_id: str, update: Alert, rows: Sequence[OutboxRow]
) -> bool:
    """Write a story update of alert `parent_id` and its outbox rows in one transaction;
    False, with nothing written, when this update is already there."""
    async with store.begin() as conn:
        result = await conn.execute(store.ignoring(alert_updates), {
            "id": update_id, "alert_id": parent_id, "article_id": update.article_id,
            "payload": alert_to_json(update), "created": utcnow(),
        })
        if result.rowcount == 0:
            return False
        await _insert_rows(conn, parent_id, update_id, rows)
    return True


async def _insert_rows(
    conn: AsyncConnection, alert_id: str, update_id: str, rows: Sequence[OutboxRow]
) -> None:
    if not rows:
        return
    now = utcnow()
    await conn.execute(_DELIVERIES, [{
        "alert_id": alert_id, "update_id": update_id, "destination": row.destination,
        "state": row.state, "error": row.error, "next_attempt": row.next_attempt,
        "created": now, "group_key": row.group_key,
    } for row in rows])


async def get_alert(store: Store, alert_id: str) -> Alert | None:
    """The alert with this id (a unique prefix is enough), or None."""
    async with store.begin() as conn:
        rows = (await conn.execute(
            sa.select(alerts.c.payload).where(alerts.c.id.startswith(alert_id)).limit(2)
        )).scalars().all()
    return alert_from_json(rows[0]) if len(rows) == 1 else None


async def list_alerts(
    store: Store, status: str | None = None, rule_id: str | None = None, limit: int = 50
) -> list[sa.Row[Any]]:
    """Newest alerts first, optionally of one status (new | acked) or rule."""
    query = sa.select(alerts).order_by(alerts.c.created.desc(), alerts.c.id).limit(limit)
    query = query.where(alerts.c.status != COVERED)
    if status:
        query = query.where(alerts.c.status == status)
    if rule_id:
        query = query.where(alerts.c.rule_id == rule_id)
    async with store.begin() as conn:
        return list((await conn.execute(query)).all())


async def ack_alert(store: Store, alert_id: str, by: str) -> str | None:
    """Mark an alert acknowledged; the full id, or None when no single alert matches."""
    async with store.begin() as conn:
        ids = (await conn.execute(
            sa.select(alerts.c.id).where(alerts.c.id.startswith(alert_id)).limit(2)
        )).scalars().all()
        if len(ids) != 1:
            return None
        await conn.execute(alerts.update().where(alerts.c.id == ids[0]).values(
            status=STORED_ACKED, acked=utcnow(), acked_by=by))
    return ids[0]
