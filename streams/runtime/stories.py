"""Give each event of an article its story: the store loads the candidates and saves the
result (streams/store/stories.py), the pure matcher decides (streams/stories/match.py).

Race-free: one transaction per article (or per batch: inside `Store.transaction()`) holding
a lock per event type, so concurrent workers assign stories of a type one at a time.
Idempotent: a redelivered article finds its events saved and gets the same story ids back,
with no new rows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from streams.core.clock import utcnow
from streams.core.records import Article, Event
from streams.knowledge.gazetteer import Gazetteer
from streams.store.db import Store
from streams.store.stories import (
    Found,
    StoryBatch,
    lock_story_types,
    story_article_ids,
    story_batch,
    story_row,
)
from streams.stories.match import match_article, published_day, side_needs, windows
from streams.stories.rows import story_from_row, story_values
from streams.stories.state import StoryState

# Candidate stories decoded from their rows, per store and id, with the `updated` they were
# read at: a story open for weeks is a candidate for every article of its type meanwhile,
# and decoding its row each time would be most of what a candidate costs. An entry serves
# only while its row is unchanged (any worker's update changes `updated`); past DECODED_MAX
# a store's entries decoded or saved first go first (a story still asked for is then decoded
# again from its row; kept in order of use instead, every candidate paid for the reordering).
# A story this worker saves is kept as saved, with the `updated` it wrote as the store reads
# it back (StoryBatch.stamp: compared as the driver reads it, unconverted); if its
# transaction fails, the row keeps another `updated` and is read again.
DECODED_MAX = 4096
_DECODED: dict[str, OrderedDict[str, tuple[Any, StoryState]]] = {}  # store url -> id -> entry


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
        unsaved = [e for e in events if e.id not in saved]
        found = await batch.candidates(windows(unsaved, published, gazetteer), article.id,
                                       side_needs(unsaved, gazetteer))
        candidates = await _candidates(batch, found, article.id)
        try:
            matching = match_article(article, events, candidates, gazetteer, today, saved)
        except BaseException:
            _forget(store, (s.id for s in candidates))  # some may be half updated
            raise
        _forget(store, matching.touched)  # updated in place: their rows change now
        now = utcnow()
        await batch.save_stories({s.id: story_values(s) for s in matching.touched.values()},
                                 matching.opened, article_id=article.id, now=now)
        await batch.save_told(matching.touched, {"id": article.id, "source": article.source,
                                                 "published": published.isoformat()}, now)
        await batch.save_events([e for e in matching.events if e.id not in saved], now)
        _keep(store, matching.touched.values(), batch.stamp(now))
        return matching.events


async def assign_batch(
    store: Store, batch: Sequence[tuple[Article, list[Event]]], gazetteer: Gazetteer
) -> list[list[Event]]:
    """`assign_stories` for each article of a batch, in the order given, in one transaction
    (the caller's when it holds one: `Store.transaction()`): stored whole or not at all, one
    commit. Every type the batch locks is taken first, in one order, so that two workers'
    batches cannot deadlock. The service and the backtest assign their batches so."""
    async with store.transaction():
        await lock_story_types(store, {e.type for _, events in batch for e in events})
        return [await assign_stories(store, article, events, gazetteer)
                for article, events in batch]


async def _candidates(batch: StoryBatch, found: list[Found], article_id: str
                      ) -> list[StoryState]:
    """The states of the candidate stories found, oldest first: the one decoded before while
    its row is unchanged, else decoded from its row. The matcher updates the states it picks
    in place: the caller forgets those (`_forget`)."""
    decoded = _decoded(batch.store)
    kept: dict[str, StoryState] = {}
    get = decoded.get  # (this loop runs for every candidate)
    for f in found:
        entry = get(f.id)
        if entry is not None and entry[0] == f.updated:
            kept[f.id] = entry[1]
    if len(kept) < len(found):
        stale = [f for f in found if f.id not in kept]
        fresh = await batch.rows(f.id for f in stale)
        for f in stale:
            kept[f.id] = state = story_from_row(fresh[f.id])
            _remember(decoded, f.id, f.updated, state)
    out = []
    for f in found:
        state = kept[f.id]
        state.articles = [article_id] if f.told else []
        out.append(state)
    return out


def _decoded(store: Store) -> OrderedDict[str, tuple[Any, StoryState]]:
    decoded = _DECODED.get(store.url)
    if decoded is None:
        decoded = _DECODED[store.url] = OrderedDict()
    return decoded


def _keep(store: Store, stories: Iterable[StoryState], updated: Any) -> None:
    decoded = _decoded(store)
    for story in stories:
        _remember(decoded, story.id, updated, story)


def _remember(decoded: OrderedDict[str, tuple[Any, StoryState]], story_id: str, updated: Any,
              story: StoryState) -> None:
    decoded[story_id] = (updated, story)
    decoded.move_to_end(story_id)
    while len(decoded) > DECODED_MAX:
        decoded.popitem(last=False)


def _forget(store: Store, story_ids: Iterable[str]) -> None:
    decoded = _decoded(store)
    for story_id in story_ids:
        decoded.pop(story_id, None)


async def load_story(store: Store, story_id: str) -> StoryState | None:
    """One story as the store holds it (with every article id), or None."""
    row = await story_row(store, story_id)
    return story_from_row(row, await story_article_ids(store, story_id)) if row else None


def _with_story(event: Event, story_id: str, new: bool) -> Event:
    return replace(event, story_id=story_id, story_new=new)
