"""Operator alerts: news about newswatch itself (a feed failing, deliveries dead, the rules
folder gone) as ordinary Alert records, made by the one constructor
(streams.deliver.make_alert.new_alert) and routed like any alert by their severity, so they
reach the same console, JSONL, Slack and email destinations.

`operator_alert(kind, subject, detail)` builds one; `record_operator_alert` records it by the
one path (streams.deliver.record.record_alert), which writes its outbox rows and wakes the
dispatcher. One alert per kind and episode: the same kind, subject
and `episode` give the same id, so a repeat is recorded once."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Collection, Sequence
from typing import Any

from streams.config.settings import Settings
from streams.core.records import Alert, Event, content_key
from streams.deliver.make_alert import new_alert
from streams.deliver.record import record_alert
from streams.store.db import Store

log = logging.getLogger(__name__)

OPERATOR_SOURCE = "newswatch"


def operator_alert(
    kind: str,
    subject: str,
    detail: str,
    *,
    severity: str = "high",
    now: dt.datetime | None = None,
    episode: str = "",
    link: str = "",
    settings: Settings | None = None,
    quantities: dict[str, dict[str, Any]] | None = None,
    source: str = OPERATOR_SOURCE,
    title: str = "",
    destinations: Sequence[str] | None = None,
) -> Alert:
    """The Alert telling the operator about `subject` (a feed URL, a destination, a folder).

    `kind` is the alert's rule id ("feed-failing", "deliveries-dead"...); `detail` is the
    sentence a person reads; `episode` tells apart two episodes of the same trouble (when it
    started), so each episode alerts once. Destinations: the route of `severity`, unless
    given (a dead destination's alert goes to the others); `title` defaults to `detail`."""
    now = now or dt.datetime.now(dt.UTC)
    story = content_key(kind, subject, episode)
    event = Event(
        id=content_key("operator-event", kind, subject, episode),
        article_id="",
        type="operator",
        actors=[subject],
        location=[],
        quantities=dict(quantities or {}),
        date=now.date().isoformat(),
        status="occurred",
        evidence=detail,
        story_id=story,
    )
    return new_alert(
        kind, severity, event, title=title or detail, message=detail, now=now,
        destinations=destinations or (), settings=settings, article_url=link, source=source,
    )


async def record_operator_alert(
    store: Store, alert: Alert, configured: Collection[str] | None = None,
    wake: asyncio.Event | None = None,
) -> bool:
    """Record the alert with its deliveries (to the configured destinations only) by the
    one recording path (streams.deliver.record), which sets `wake`; log it when new."""
    if not await record_alert(store, alert, configured, wake=wake):
        return False
    log.warning("%s: %s", alert.rule_id, alert.message)
    return True
