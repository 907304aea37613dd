"""Operator alerts: news about newswatch itself (a feed failing, deliveries dead, the rules
folder gone) as ordinary Alert records, routed like any alert by their severity
(streams.deliver.routing) so they reach the same console, JSONL, Slack and email destinations.

`operator_alert(kind, subject, detail)` builds one; `record_operator_alert` writes it with its
outbox rows and wakes the dispatcher. One alert per kind and episode: the same kind, subject
and `episode` give the same id, so a repeat is recorded once."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from typing import Any

from streams.core.records import Alert, Event, alert_id, content_key
from streams.deliver.routing import route

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
    settings: Any = None,
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
    return Alert(
        id=alert_id(kind, story),
        rule_id=kind,
        severity=severity,
        story_id=story,
        title=title or detail,
        article_url=link,
        article_id="",
        source=source,
        event=event,
        message=detail,
        created=now.isoformat(),
        destinations=list(route((), severity, settings) if destinations is None
                          else destinations),
    )


async def record_operator_alert(
    store: Any, alert: Alert, configured: Collection[str] | None = None, wake: Any = None
) -> bool:
    """Record the alert with its deliveries (to the configured destinations only); log it;
    set `wake` (the dispatcher's event) when it is new. False when already recorded."""
    from streams.store.alerts import record_alert

    if not await record_alert(store, alert, configured):
        return False
    log.warning("%s: %s", alert.rule_id, alert.message)
    if wake is not None:
        wake.set()
    return True
