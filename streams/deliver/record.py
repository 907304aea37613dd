"""Recording an alert: the one way every alert (a rule's, a flatline tick's, an operator
alert about a feed, the rules folder or dead deliveries) enters the outbox.

Here the deliver stage decides what the store writes: which of the alert's destinations
exist (the configured sinks), which are held by a silence, and when a digest rule's
delivery falls due (Alertmanager's group_wait / group_interval). The store writes the alert
and those rows in one transaction and dedupes by rule and story. A new alert sets `wake`,
the dispatcher's event, so delivery starts at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Collection, Sequence

from streams.core.alert_status import BACKFILLED, COVERED, NEW
from streams.core.clock import utcnow
from streams.core.outbox import GroupState, OutboxRow, State
from streams.core.records import Alert, content_key
from streams.deliver.first_tellers import Order, Telling, order_of, precedes_any, raised_story
from streams.deliver.silencing import silencing
from streams.store.alerts import (
    first_alert_destinations,
    insert_alert,
    insert_update,
    rule_tellings,
    stories_told_by,
)
from streams.store.db import Store
from streams.store.deliveries import group_states
from streams.store.silences import active_silences

__all__ = ["BACKFILLED", "COVERED", "group_due", "record_alert", "record_article_alerts",
           "record_story_update", "wanted"]

log = logging.getLogger(__name__)

_warned: set[str] = set()  # destinations already reported as not configured (one line each)


def wanted(alert: Alert, configured: Collection[str] | None) -> list[str]:
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


def group_due(group: GroupState, now: dt.datetime, wait: float, interval: float) -> dt.datetime:
    """When a new alert of a digest group is due at a destination: with the group's open
    deliveries if it has some; else `wait` from now, but no sooner than `interval` after the
    group's last digest (one in flight counts as now)."""
    if group.open_due is not None:
        return group.open_due
    due = now + dt.timedelta(seconds=wait)
    last = now if group.sending else group.last_sent
    if last is not None:
        due = max(due, last + dt.timedelta(seconds=interval))
    return due


async def _outbox_rows(
    store: Store, alert: Alert, dests: Sequence[str], update: bool = False
) -> list[OutboxRow]:
    """One row per destination: held when a silence matches, else pending, due now or (a
    rule's `group`, for the alert itself, not a story update) when its digest is."""
    if not dests:
        return []
    now = utcnow()
    silenced = silencing(await active_silences(store, now), alert)
    group = alert.rule_id if not update and (alert.group_wait or alert.group_interval) else None
    groups = await group_states(store, group, dests) if group else {}
    rows = []
    for dest in dests:
        reason = silenced.get(dest) or silenced.get("*")
        due = now
        if group and not reason:
            due = group_due(groups[dest], now, alert.group_wait, alert.group_interval)
        rows.append(OutboxRow(dest, State.HELD if reason else State.PENDING, due, reason,
                              group))
    return rows


async def record_alert(
    store: Store, alert: Alert, configured: Collection[str] | None = None, deliver: bool = True,
    undelivered: str = COVERED, wake: asyncio.Event | None = None,
) -> bool:
    """Write the alert and one delivery per destination, atomically; set `wake` when new.

    With `deliver` False the alert is recorded with no delivery, with status `undelivered`:
    COVERED for a story told first by an article that already raised this rule's alert
    (see Pipeline._record), BACKFILLED for `rules backfill` without --deliver.

    False (nothing written) when the rule already alerted for this story. Destinations not
    in `configured` (the keys of `build_sinks(settings)`) are skipped; silenced ones are
    recorded as held. Without `configured` every destination is queued and the dispatcher
    marks those it has no sink for dead, with that reason.
    """
    if not deliver:
        return await insert_alert(store, alert, undelivered)
    rows = await _outbox_rows(store, alert, wanted(alert, configured))
    if not await insert_alert(store, alert, NEW, rows):
        return False
    if wake is not None and rows:
        wake.set()
    return True


async def record_story_update(
    store: Store, alert: Alert, configured: Collection[str] | None = None,
    wake: asyncio.Event | None = None,
) -> bool:
    """Queue a later article of an alerted story as an update of the first alert.

    Idempotent per (alert id, article id). Delivered to the destinations the first alert
    went to: a Slack thread reply, an email reply (In-Reply-To), a console/JSONL "update"
    line, a webhook POST with kind "update". When the rule never alerted for the story, the
    alert is recorded as a new alert instead. False when nothing new was written.
    """
    parent = await first_alert_destinations(store, alert.rule_id, alert.story_id)
    if parent is None:
        return await record_alert(store, alert, configured, wake=wake)
    parent_id, first_article, destinations = parent
    if first_article == alert.article_id:
        return False  # the first article itself, processed again
    dests = [d for d in destinations if configured is None or d in configured]
    rows = await _outbox_rows(store, alert, dests, update=True)
    update_id = content_key("update", parent_id, alert.article_id)
    if not await insert_update(store, update_id, parent_id, alert, rows):
        return False
    if wake is not None and rows:
        wake.set()
    return True


async def record_article_alerts(
    store: Store, alerts: Sequence[Alert], configured: Collection[str] | None = None,
    updates: bool = True, wake: asyncio.Event | None = None,
) -> list[Alert]:
    """Record one article's alerts of one rule (one per story it tells, in its matches'
    order): at most one is raised (streams/deliver/first_tellers.py decides which, as if
    articles came in order of publication), the article's other new stories are covered,
    and its stories already alerted get a story update when `updates`. Returns the alert
    raised, if any."""
    if not alerts:
        return []
    by_story: dict[str, Alert] = {}
    for alert in alerts:
        by_story.setdefault(alert.story_id, alert)
    first = alerts[0]
    order = order_of(first.published, first.article_url)
    recorded = await _tellings(store, first.rule_id, list(by_story), order)
    raise_on = raised_story(first.article_id, order, list(by_story), recorded)
    alerted = {t.story for t in recorded if t.first}
    fresh = []
    for story, alert in by_story.items():
        if story == raise_on and await record_alert(store, alert, configured, wake=wake):
            fresh.append(alert)
        elif story not in alerted and await record_alert(store, alert, deliver=False):
            continue
        elif updates:
            await record_story_update(store, alert, configured, wake=wake)
    return fresh


async def _tellings(store: Store, rule_id: str, told: list[str], order: Order | None
                    ) -> list[Telling]:
    """What first_tellers.raised_story needs to count earliest tellers: the alerts' own
    tellings of these stories when the article was published after each (in order of
    publication, always: first_tellers.precedes_any says why they suffice); else every
    recorded telling of them and of every story their tellers told."""
    own = [_telling(*row) for row in await rule_tellings(store, rule_id, told, updates=False)]
    if not precedes_any(order, own):
        return own
    tellings = [_telling(*row) for row in await rule_tellings(store, rule_id, told)]
    more = await stories_told_by(store, rule_id, {t.article for t in tellings}) - set(told)
    return tellings + [_telling(*row) for row in await rule_tellings(store, rule_id, more)]


def _telling(story: str, article: str, first: bool, published: str | None, url: str
             ) -> Telling:
    return Telling(story, article, order_of(published, url), first)
