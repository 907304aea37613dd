"""A story's state to and from the plain row the stories table keeps, pure: the store loads
and saves rows (streams/store/stories.py), matching works on StoryState
(streams/stories/state.py); this is the one place that knows how the two correspond.

The row holds no article ids: they are rows of story_articles, one per article, written
once; the row keeps their count (`articles`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from streams.stories.match import closes
from streams.stories.state import StoryState


def story_from_row(row: Mapping[str, Any], articles: Iterable[str] = ()) -> StoryState:
    """The StoryState a stories row holds; `articles`: ids of articles known to have told it
    (for a candidate: the article being matched, when it already did)."""
    summary = row.get("summary") or {}
    first = dt.date.fromisoformat(row["anchor"])
    return StoryState(
        id=row["id"],
        type=row["type"],
        actors=list(row.get("actors") or []),
        location=list(row.get("location") or []),
        first=first,
        last=dt.date.fromisoformat(summary.get("last") or row["anchor"]),
        date=row.get("date"),
        articles=list(articles),
        article_count=int(row.get("articles") or 0),
        sources=list(row.get("sources") or []),
        quantities=dict(summary.get("quantities") or {}),
        status=str(summary.get("status") or "occurred"),
        opened=_day(summary.get("opened")),
        seen=_day(summary.get("seen")),
        sides=list(summary.get("sides") or []),
        topic=list(summary.get("topic") or []),
        authority=list(summary.get("authority") or []),
        agreed=bool(summary.get("agreed")),
        hours=summary.get("hours"),
        start=summary.get("start"),
    )


def story_values(story: StoryState) -> dict[str, Any]:
    """The stories row's columns for a state (all but id, first_article, created, updated)."""
    return {
        "type": story.type,
        "actors": story.actors,
        "location": story.location,
        "date": story.date,
        "anchor": story.first.isoformat(),
        "closes": closes(story).isoformat(),
        "opened": story.since.isoformat(),
        "sources": story.sources,
        "articles": story.article_count,
        "sides": story.sides,  # (the store keeps them in a column too, to load candidates by)
        "summary": {
            "last": story.last.isoformat(),
            "quantities": story.quantities,
            "status": story.status,
            "date": story.date,
            "opened": story.opened.isoformat() if story.opened else None,
            "seen": story.seen.isoformat() if story.seen else None,
            "sides": story.sides,
            "topic": story.topic,
            "authority": story.authority,
            "agreed": story.agreed,
            "hours": story.hours,
            "start": story.start,
        },
    }


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
