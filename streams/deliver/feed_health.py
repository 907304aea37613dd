"""Operator alerts about the feeds themselves: failing for too long, silent for longer than
usual, and recovered. Built by streams.deliver.operator_alerts, so they travel the one alert path
(routed by severity, stored, deduplicated by rule + story, delivered); one per feed and episode."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from streams.core.records import Alert
from streams.deliver.operator_alerts import operator_alert
from streams.store.db import Store
from streams.store.feeds import list_feeds, update_feed

if TYPE_CHECKING:
    from streams.config.settings import Settings

FAILING, SILENT, RECOVERED = "feed-failing", "feed-silent", "feed-recovered"


async def check_feed_health(store: Store, now: dt.datetime, settings: Settings) -> list[Alert]:
    """Compare every feed's health with the thresholds; return the alerts newly due and
    remember each feed's state so an episode alerts once and its end once."""
    alerts: list[Alert] = []
    # a feed no longer polled (dropped from the settings, an old seed-server port) is not
    # failing or silent: it is simply not watched any more
    watched_since = now - 2 * _secs(max(settings.backoff_max, settings.poll_interval_max))
    for feed in await list_feeds(store):
        if feed.get("last_attempt") is None or feed["last_attempt"] < watched_since:
            continue
        change = _assess(feed, now, settings)
        if change is None:
            continue
        state, since, alert = change
        await update_feed(store, feed["url"], health=state, health_since=since)
        alerts.append(alert)
    return alerts


def _assess(
    feed: dict[str, Any], now: dt.datetime, settings: Any
) -> tuple[str, dt.datetime | None, Alert] | None:
    health = feed.get("health") or "ok"
    failing_since = feed.get("failing_since")
    if feed.get("failures") and failing_since is not None:
        if health != "failing" and now - failing_since >= _secs(settings.feed_failing_after):
            alert = _alert(FAILING, "high", feed, failing_since, now, settings)
            return "failing", failing_since, alert
        return None
    if health == "failing" or (health == "silent" and _new_since(feed, feed.get("health_since"))):
        alert = _alert(RECOVERED, "info", feed, feed.get("health_since"), now, settings)
        return "ok", None, alert
    quiet_since = feed.get("last_new_item") or feed.get("added")
    if health == "ok" and quiet_since is not None and feed.get("last_success") is not None:
        if now - quiet_since >= _silence_threshold(feed, settings):
            alert = _alert(SILENT, "medium", feed, quiet_since, now, settings)
            return "silent", quiet_since, alert
    return None


def _new_since(feed: dict[str, Any], since: dt.datetime | None) -> bool:
    last = feed.get("last_new_item")
    return last is not None and (since is None or last > since)


def _silence_threshold(feed: dict[str, Any], settings: Any) -> dt.timedelta:
    # "longer than its usual gap": a multiple of the feed's own rhythm, never below the floor
    gap = feed.get("usual_gap")
    seconds = settings.feed_silent_min
    if gap:
        seconds = max(seconds, settings.feed_silent_factor * gap)
    return _secs(seconds)


def _secs(seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=seconds)


def _alert(
    rule: str, severity: str, feed: dict[str, Any], since: dt.datetime | None, now: dt.datetime,
    settings: Any,
) -> Alert:
    url = feed["url"]
    name = feed.get("title") or url
    since_text = since.isoformat(timespec="minutes") if since else "unknown"
    message = {
        FAILING: f"feed {name} ({url}) failing since {since_text}: "
        f"{feed.get('failures')} failures, last error: {feed.get('error') or 'unknown'}",
        SILENT: f"feed {name} ({url}) silent since {since_text}: no new items",
        RECOVERED: f"feed {name} ({url}) recovered (trouble since {since_text})",
    }[rule]
    return operator_alert(
        rule, url, message, severity=severity, now=now, episode=since_text, link=url,
        settings=settings, source=name,
    )
