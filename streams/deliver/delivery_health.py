"""Operator alert when a delivery goes dead: an ordinary Alert (rule `delivery-dead`) that
travels the normal path to every *other* configured destination, one per destination and
UTC day (record_alert dedupes by rule and story), so a flagged Slack with 300 alerts behind
it says so once, not 300 times. Dead deliveries of this alert raise nothing (no loop)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from streams.core.records import Alert
from streams.deliver.operator_alerts import operator_alert

DEAD = "delivery-dead"


def dead_delivery_alert(
    destination: str, dead: Alert, error: str, now: dt.datetime, others: Sequence[str]
) -> Alert | None:
    """The operator alert for a dead delivery of `dead` to `destination`; None when there is
    nowhere else to say it, or the dead delivery was itself such an alert."""
    if dead.rule_id == DEAD or not others:
        return None
    message = (f"deliveries to {destination} are dead: alert {dead.id} ({dead.rule_id}) "
               f"gave up: {error}; `newswatch deliveries list --dead` lists them, "
               f"`newswatch deliveries retry --destination {destination}` sends them again")
    return operator_alert(
        DEAD, destination, message, severity="high", now=now,
        episode=now.date().isoformat(), link=dead.article_url,
        title=f"deliveries to {destination} are dead", destinations=others,
    )
