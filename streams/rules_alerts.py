"""Operator alerts about the rules folder itself: gone or emptied (the last good rules stay
in force), and back. Ordinary Alert records, like the feed health alerts
(streams/feed_health.py), so they travel the normal alert path; one per episode."""

from __future__ import annotations

import datetime as dt

from streams.records import Alert, Event, alert_id, content_key
from streams.rulebook import DEFAULT_DESTINATIONS

FOLDER_PROBLEM, FOLDER_BACK = "rules-folder-problem", "rules-folder-back"


def folder_alert(
    problem: str | None, previous: str | None, since: dt.datetime, now: dt.datetime
) -> Alert:
    """The alert for a change of the folder's state: `problem` (e.g. 'rules folder missing:
    /srv/rules') since `since`, or, with problem None, the end of `previous`."""
    rule = FOLDER_PROBLEM if problem else FOLDER_BACK
    if problem:
        message = f"{problem}; the last good rules stay in force until it is back"
    else:
        message = f"rules folder back after: {previous}"
    stamp = since.isoformat(timespec="seconds")
    story = content_key(rule, problem or previous or "", stamp)
    event = Event(
        id=content_key("rules-folder-event", rule, story),
        article_id="",
        type="rules_health",
        actors=[],
        location=[],
        quantities={},
        date=now.date().isoformat(),
        status="occurred",
        evidence=message,
        story_id=story,
    )
    return Alert(
        id=alert_id(rule, story),
        rule_id=rule,
        severity="warning" if problem else "info",
        story_id=story,
        title=message,
        article_url="",
        article_id="",
        source="newswatch",
        event=event,
        message=message,
        created=now.isoformat(),
        destinations=list(DEFAULT_DESTINATIONS),
    )
