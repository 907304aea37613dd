"""Give each event of an article its story: the store loads the candidates and saves the
result (streams/store/stories.py), the pure matcher decides (streams/stories/match.py).

Race-free: one transaction per article holding a lock per event type, so concurrent
workers assign stories of a type one at a time. Idempotent: a redelivered article finds
its events saved and gets the same story ids back, with no new rows.
"""

from __future__ import annotations

from dataclasses import replace

from streams.core.clock import utcnow
from streams.core.records import Article, Event
from streams.knowledge.gazetteer import Gazetteer
from streams.store.db import Store
from streams.store.stories import story_article_ids, story_batch, story_row
from streams.stories.match import match_article, published_day, windows
from streams.stories.rows import story_from_row, story_values
from streams.stories.state import StoryState


async def assign_stories(
    store: Store, article: Article, events: list[Event], gazetteer: Gazetteer
) -> list[Event]:
    """The events with story_id and story_new set; events and stories saved."""
    if not events:
        return []
    async with story_batch(store, {e.type for e in events}) as batch:
        saved = await batch.saved(e.id for e in events)
        if len(saved) == len({e.id for e in events}):
            return [_with_story(e, *saved[e.id]) for e in events]  # a redelivery
        today = utcnow().date()
        published = published_day(article, today)
        wanted = windows([e for e in events if e.id not in saved], published)
        candidates = [story_from_row(row, [article.id] if row["told"] else [])
                      for row in await batch.candidates(wanted, article.id)]
        matching = match_article(article, events, candidates, gazetteer, today, saved)
        now = utcnow()
        for story in matching.touched.values():
            await batch.save_story(story.id, story_values(story), new=story.id in matching.opened,
                                   article_id=article.id, now=now)
        await batch.save_told(matching.touched, {"id": article.id, "source": article.source,
                                                 "published": published.isoformat()}, now)
        await batch.save_events([e for e in matching.events if e.id not in saved], now)
        return matching.events


async def load_story(store: Store, story_id: str) -> StoryState | None:
    """One story as the store holds it (with every article id), or None."""
    row = await story_row(store, story_id)
    return story_from_row(row, await story_article_ids(store, story_id)) if row else None


def _with_story(event: Event, story_id: str, new: bool) -> Event:
    return replace(event, story_id=story_id, story_new=new)
