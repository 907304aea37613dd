"""The calendar: events with status scheduled and a date on or after a reference day
(meetings, talks, deadlines), grouped by day. The reference day defaults to today; the seeds
are dated 2025-2026, so pages and tests can set it (?from=2026-01-01). A ?from= that is not a
date, or whose window would end past the last representable day, is refused with a message
naming the parameter (CalendarQueryError), never a 500.

One entry per story and day: several articles announcing the same meeting show once, with
every source that announced it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TypedDict

from streams.core.errors import RequestError
from streams.store import Store, views
from streams.store.views import ScheduledEvent
from streams.web.queries import parse_day

MAX_DAYS = 366


class CalendarEntry(TypedDict):
    """One scheduled event of a story on a day, with every source that announced it."""

    story_id: str
    type: str
    actors: list[str]
    location: list[str]
    evidence: str
    title: str
    sources: list[str]


class CalendarDay(TypedDict):
    date: str
    weekday: str
    events: list[CalendarEntry]


# "from" is a keyword: the functional form
Calendar = TypedDict("Calendar", {"from": str, "until": str, "days": list[CalendarDay]})


class CalendarQueryError(RequestError, ValueError):
    """A calendar query parameter that cannot be used; the message names it."""


def calendar_query(query: Mapping[str, str], today: dt.date) -> tuple[dt.date, int]:
    """(start, days) from ?from=YYYY-MM-DD&days=N: from defaults to today, days to MAX_DAYS
    (clamped to 1..MAX_DAYS). Raises CalendarQueryError naming the parameter at fault."""
    raw_days = (query.get("days") or "").strip()
    try:
        days = max(1, min(int(raw_days), MAX_DAYS)) if raw_days else MAX_DAYS
    except ValueError:
        raise CalendarQueryError("days must be a whole number") from None
    raw_from = (query.get("from") or "").strip()
    if not raw_from:
        return today, days
    start = parse_day(raw_from)
    if start is None:
        raise CalendarQueryError(f"from must be a date as YYYY-MM-DD (got {raw_from[:40]!r})")
    last = dt.date.max - dt.timedelta(days=days)
    if start > last:
        raise CalendarQueryError(
            f"from is out of range: {start.isoformat()} is after {last.isoformat()}, "
            f"the last day a {days}-day calendar can start")
    return start, days


async def calendar(store: Store, start: dt.date, days: int = MAX_DAYS) -> Calendar:
    """{'from', 'until', 'days': [{'date', 'weekday', 'events': [...]}]} of scheduled events."""
    end = start + dt.timedelta(days=max(1, min(days, MAX_DAYS)))
    by_day: dict[str, dict[str, CalendarEntry]] = {}
    for row in await views.scheduled_events(store, start, end):
        date = row["date"]
        if not date or not parse_day(date):
            continue
        entries = by_day.setdefault(date[:10], {})
        entry = entries.get(row["story_id"])
        if entry is None:
            entry = entries[row["story_id"]] = _entry(row)
        if row["source"] and row["source"] not in entry["sources"]:
            entry["sources"].append(row["source"])
    return {
        "from": start.isoformat(),
        "until": end.isoformat(),
        "days": [
            {"date": day, "weekday": dt.date.fromisoformat(day).strftime("%A"),
             "events": list(entries.values())}
            for day, entries in sorted(by_day.items())
        ],
    }


def _entry(row: ScheduledEvent) -> CalendarEntry:
    payload = row["payload"] or {}
    return {
        "story_id": row["story_id"],
        "type": payload.get("type", ""),
        "actors": list(payload.get("actors") or []),
        "location": list(payload.get("location") or []),
        "evidence": payload.get("evidence", ""),
        "title": row["title"] or "",
        "sources": [row["source"]] if row["source"] else [],
    }
