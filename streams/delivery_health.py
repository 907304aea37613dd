"""Operator alert when a delivery goes dead: an ordinary Alert (rule `delivery-dead`) that
travels the normal path to every *other* configured destination, one per destination and
UTC day (record_alert dedupes by rule and story), so a flagged Slack with 300 alerts behind
it says so once, not 300 times. Dead deliveries of this alert raise nothing (no loop)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from streams.records import Alert, Event, alert_id, content_key

DEAD = "delivery-dead"


def dead_delivery_alert(
    destination: str, dead: Alert, error: str, now: dt.datetime, others: Sequence[str]
) -> Alert | None:
    """The operator alert for a dead delivery of `dead` to `destination`; None when there is
    nowhere else to say it, or the dead delivery was itself such an alert."""
    if dead.rule_id == DEAD or not others:
        return None
    day = now.date().isoformat()
    story = content_key(DEAD, destination, day)
    message = (f"deliveries to {destination} are dead: alert {dead.id} ({dead.rule_id}) "
               f"gave up: {error}; `newswatch deliveries list --dead` lists them, "
               f"`newswatch deliveries retry --destination {destination}` sends them again")
    event = Event(
        id=content_key("delivery-dead-event", destination, day), article_id="",
        type="delivery_health", actors=[destination], location=[], quantities={}, date=day,
        status="occurred", evidence=message, story_id=story,
    )
    return Alert(
        id=alert_id(DEAD, story), rule_id=DEAD, severity="high", story_id=story,
        title=f"deliveries to {destination} are dead", article_url=dead.article_url,
        article_id="", source="newswatch", event=event, message=message,
        created=now.isoformat(), destinations=list(others),
    )
