"""One order of publication for the service and the backtest: publication time, then the
article's URL (then the feed entry's id) as a stable tie-break, so two articles published
the same day are taken in the same order wherever they are replayed, and the first one
opens their story in both (the order of arrival, which differs between the service's
concurrent cleaning and the backtest's loop, never decides)."""

from __future__ import annotations

import datetime as dt

from streams.core.clock import aware

UNDATED = dt.datetime.min.replace(tzinfo=dt.UTC)  # undated articles first


def _moment(published: str | None) -> dt.datetime:
    if not published:
        return UNDATED
    try:
        when = dt.datetime.fromisoformat(published.strip())
    except ValueError:
        return UNDATED
    return aware(when)


def publication_key(
    published: str | None, url: str, guid: str = ""
) -> tuple[dt.datetime, str, str]:
    """Sort key: (publication moment in UTC, URL, feed entry id)."""
    return (_moment(published), url, guid)
