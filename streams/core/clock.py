"""The one clock and the one way to make a time UTC: everything newswatch writes is UTC,
and SQLite hands timezone columns back naive, so every read goes through `aware`."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """The current time, UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime) -> dt.datetime:
    """The same moment, timezone-aware: a naive datetime is taken as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def aware_or_none(value: dt.datetime | None) -> dt.datetime | None:
    """`aware` that lets None through."""
    return None if value is None else aware(value)


def moment(value: object) -> dt.datetime | None:
    """A timezone-aware datetime from a column or JSON value: a datetime (naive = UTC) or
    ISO 8601 text ('Z' allowed); None for anything else or unreadable text."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return aware(value) if isinstance(value, dt.datetime) else None


def day_start(day: dt.date) -> dt.datetime:
    """Midnight UTC of a day."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
