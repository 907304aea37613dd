"""Alerts in the store: recorded with their outbox rows in one transaction, listed, acked.

`record_alert` is the idempotency point of the whole service: an alert exists once per rule
and story (unique key), and its deliveries are written in the same transaction, so an alert
is never recorded without its outbox nor queued twice.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from streams.core.alert_status import COVERED, STORED_ACKED
from streams.core.records import Alert, content_key
from streams.deliver.render import alert_from_json, alert_to_json
from streams.deliver.retry_policy import State
from streams.store.db import Store, utcnow
from streams.store.deliveries import group_due
from streams.store.schema import alert_updates, alerts, deliveries
from streams.store.silences import silencing

log = logging.getLogger(__name__)

_warned: set[str] = set()  # destinations already reported as not configured (one line each)


def _wanted(alert: Alert, configured: Collection[str] | None) -> list[str]:
    """The alert's destinations that exist; each missing one is logged once per process."""
    out = []
    for dest in dict.fromkeys(alert.destinations):  # keep order, drop repeats
        if configured is not None and dest not in configured:
            if dest not in _warned:
                _warned.add(dest)
                log.warning("destination %r is not configured; alerts for it are skipped", dest)
            continue
        out.append(dest)
    return out


async def _outbox_rows(
    conn: AsyncConnection, alert: Alert, dests: list[str], update_id: str = ""
) -> list[dict[str, Any]]:
    now = utcnow()
    silenced = await silencing(conn, alert, now)
    # the rule's `group`: the alert itself (not a story update) waits for its group's digest
    group = alert.rule_id if not update_id and (alert.group_wait or alert.group_interval) else None
    rows = []
    for dest in dests:
        reason = silenced.get(dest) or silenced.get("*")
        due = now
        if group and not reason:
            due = await group_due(conn, group, dest, now, alert.group_wait, alert.group_interval)
        rows.append({
            "alert_id": alert.id,
            "update_id": update_id,
            "destination": dest,
            "state": State.HELD if reason else State.PENDING,
            "error": reason,
            "next_attempt": due,
            "created": now,
            "group_key": group,
        })
    return rows


# the stored statuses (streams/core/alert_status.py): COVERED for a story's alert row when
# the article that first told it raised the rule's alert for another story (recorded, never
# sent or listed); BACKFILLED for `newswatch rules backfill` without --deliver (listed, not sent)


async def record_alert(
    store: Store, alert: Alert, configured: Collection[str] | None = None, deliver: bool = True,
    undelivered: str = COVERED,
) -> bool:
    """Write the alert and one delivery per destination, atomically.

    With `deliver` False the alert is recorded with no delivery, with status `undelivered`:
    COVERED for a story told first by an article that already raised this rule's alert
    (see Pipeline._record), BACKFILLED for `rules backfill` without --deliver.

    False (nothing written) when the rule already alerted for this story. Destinations not
    in `configured` (the keys of `build_sinks(settings)`) are skipped; silenced ones are
    recorded as held. Without `configured` every destination is queued and the dispatcher
    marks those it has no sink for dead, with that reason.
    """
    async with store.begin() as conn:
        result = await conn.execute(store.insert_ignore(alerts, {
            "id": alert.id, "rule_id": alert.rule_id, "story_id": alert.story_id,
            "severity": alert.severity, "article_id": alert.article_id,
            "status": "new" if deliver else undelivered,
            "payload": alert_to_json(alert), "created": utcnow(),
        }))
        if result.rowcount == 0:
            return False
        if not deliver:
            return True
        rows = await _outbox_rows(conn, alert, _wanted(alert, configured))
        if rows:
            await conn.execute(sa.insert(deliveries), rows)
    return True


async def record_story_update(
    store: Store, alert: Alert, configured: Collection[str] | None = None
) -> bool:
    """Queue a later article of an alerted story as an update of the first alert.

    Idempotent per (alert id, article id). Delivered to the destinations the first alert
    went to: a Slack thread reply, an email reply (In-Reply-To), a console/JSONL "update"
    line, a webhook POST with kind "update". When the rule never alerted for the story, the
    alert is recorded as a new alert instead. False when nothing new was written.
    """
    async with store.begin() as conn:
        parent = (await conn.execute(
            sa.select(alerts.c.id, alerts.c.article_id).where(
                alerts.c.rule_id == alert.rule_id, alerts.c.story_id == alert.story_id)
        )).first()
        if parent is not None:
            if parent.article_id == alert.article_id:
                return False  # the first article itself, processed again
            return await _record_update(store, conn, parent.id, alert, configured)
    return await record_alert(store, alert, configured)


async def _record_update(
    store: Store, conn: AsyncConnection, parent_id: str, alert: Alert,
    configured: Collection[str] | None,
) -> bool:
    update_id = content_key("update", parent_id, alert.article_id)
    result = await conn.execute(store.insert_ignore(alert_updates, {
        "id": update_id, "alert_id": parent_id, "article_id": alert.article_id,
        "payload": alert_to_json(alert), "created": utcnow(),
    }))
    if result.rowcount == 0:
        return False
    dests = (await conn.execute(
        sa.select(deliveries.c.destination).where(
            deliveries.c.alert_id == parent_id, deliveries.c.update_id == "")
        .order_by(deliveries.c.id)
    )).scalars().all()
    wanted = [d for d in dests if configured is None or d in configured]
    rows = await _outbox_rows(conn, alert, wanted, update_id)
    for row in rows:
        row["alert_id"] = parent_id
    if rows:
        await conn.execute(sa.insert(deliveries), rows)
    return True


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
