"""What the dashboard reads of stories and events, as plain dicts: the latest stories, one
story with its events, articles and alerts, and the scheduled events of a window."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict, cast

import sqlalchemy as sa

from streams.store.db import Store
from streams.store.schema import alerts, articles, events, stories, story_articles

# The rows as dicts, one key per column read; payloads and summaries are JSON documents.


class StoryRow(TypedDict):
    id: str
    type: str
    actors: list[str]
    location: list[str]
    date: str | None
    anchor: str
    closes: str | None
    opened: str | None
    first_article: str
    sources: list[str]
    articles: int
    summary: dict[str, Any]
    created: dt.datetime
    updated: dt.datetime


class EventRow(TypedDict):
    payload: dict[str, Any]
    article_id: str


class ArticleRow(TypedDict):
    id: str
    url: str
    title: str
    source: str
    published: str | None
    language: str
    text: str
    fingerprint: str | None
    created: dt.datetime
    feed: str
    item_key: str
    fallback: str


class AlertRow(TypedDict):
    id: str
    rule_id: str
    story_id: str
    severity: str
    article_id: str
    status: str
    payload: dict[str, Any]
    created: dt.datetime
    acked: dt.datetime | None
    acked_by: str | None


class StoryRows(TypedDict):
    story: StoryRow | None
    events: list[EventRow]
    articles: list[ArticleRow]
    alerts: list[AlertRow]


class ScheduledEvent(TypedDict):
    payload: dict[str, Any]
    date: str | None
    story_id: str
    source: str | None  # None when its article is gone (outer join)
    title: str | None
    published: str | None


async def latest_stories(store: Store, limit: int = 200) -> list[StoryRow]:
    """Stories rows, most recently updated first."""
    query = sa.select(stories).order_by(stories.c.updated.desc(), stories.c.id).limit(limit)
    async with store.begin() as conn:
        return [cast(StoryRow, dict(r._mapping)) for r in (await conn.execute(query)).all()]


async def story_rows(store: Store, story_id: str) -> StoryRows:
    """{'story': its row or None, 'events': [{payload, article_id}] oldest first,
    'articles': [rows of its articles (story_articles)], 'alerts': [its alerts' rows]
    newest first}."""
    async with store.begin() as conn:
        row = (await conn.execute(sa.select(stories).where(stories.c.id == story_id))).first()
        event_rows = (await conn.execute(
            sa.select(events.c.payload, events.c.article_id)
            .where(events.c.story_id == story_id).order_by(events.c.created, events.c.id)
        )).all()
        article_rows = (await conn.execute(
            sa.select(articles).join(story_articles, story_articles.c.article_id == articles.c.id)
            .where(story_articles.c.story_id == story_id)
        )).all()
        alert_rows = (await conn.execute(
            sa.select(alerts).where(alerts.c.story_id == story_id)
            .order_by(alerts.c.created.desc())
        )).all()
    return {
        "story": cast(StoryRow, dict(row._mapping)) if row is not None else None,
        "events": [cast(EventRow, dict(r._mapping)) for r in event_rows],
        "articles": [cast(ArticleRow, dict(r._mapping)) for r in article_rows],
        "alerts": [cast(AlertRow, dict(r._mapping)) for r in alert_rows],
    }


async def scheduled_events(store: Store, start: dt.date, end: dt.date) -> list[ScheduledEvent]:
    """Events with status scheduled dated from `start` (inclusive) to `end` (exclusive), by
    date, with their article's source, title and publication: {payload, date, story_id,
    source, title, published}."""
    query = (
        sa.select(events.c.payload, events.c.date, events.c.story_id,
                  articles.c.source, articles.c.title, articles.c.published)
        .select_from(events.outerjoin(articles, articles.c.id == events.c.article_id))
        .where(events.c.status == "scheduled", events.c.date >= start.isoformat(),
               events.c.date < end.isoformat())
        .order_by(events.c.date, events.c.created, events.c.id)
    )
    async with store.begin() as conn:
        return [cast(ScheduledEvent, dict(r._mapping)) for r in (await conn.execute(query)).all()]
