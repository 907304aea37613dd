"""Candidates loaded by their sides (streams/store/stories.py `candidates` with needs): the
store leaves out the stories no event of the article shares enough sides with, and the
matcher gives every event the story it would have given it with all of them loaded. Invented
events, a real SQLite store (and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from streams.core.clock import utcnow
from streams.core.records import Article, Event, content_key
from streams.knowledge.gazetteer import Gazetteer
from streams.runtime.stories import assign_stories
from streams.store import Store, story_index
from streams.store.schema import stories as stories_table
from streams.store.stories import StoryBatch, story_batch
from streams.store.story_sides import side_text
from streams.stories import match
from streams.stories.match import match_article, published_day, side_needs, windows
from streams.stories.rows import story_from_row, story_values

GAZETTEER = Gazetteer.load(Path(__file__).resolve().parents[2] / "rules" / "taxonomy"
                           / "gazetteer.yaml")
DAY = dt.timedelta(days=1)
PAIRS = [["Ukraine", "Russia"], ["United States", "Russia"], ["Turkey", "Ukraine"],
         ["Ukraine", "Russia", "Turkey"], ["Qatar", "Russia"], ["Ukraine"], ["Russia"], []]


def _article(n: int, published: dt.date) -> Article:
    return Article(id=content_key("sides article", str(n)), url=f"a{n}", title="", text="",
                   published=published.isoformat(), source=f"outlet {n % 7}")


def _event(article: Article, j: int, type_: str, sides: list[str], **fields: Any) -> Event:
    return Event(id=content_key("sides event", article.id, str(j)), article_id=article.id,
                 type=type_, actors=list(sides), sides=list(sides),
                 location=list(fields.get("location", [])), quantities={},
                 date=fields.get("date"), status=fields.get("status", "occurred"),
                 topic=list(fields.get("topic", [])),
                 background=bool(fields.get("background", False)), evidence=f"sentence {j}")


async def _assignments(store: Store, article: Article, events: list[Event], sided: bool
                       ) -> tuple[list[tuple[str, str | None, bool]], dict[str, Any], int]:
    """What the matcher makes of an article with the candidates loaded by sides or not
    (states decoded afresh, nothing saved): (event id, story id, new) per event, the touched
    stories' column values, and how many candidates were loaded."""
    published = published_day(article, dt.date(2030, 1, 1))
    async with story_batch(store, {e.type for e in events}) as batch:
        found = await batch.candidates(windows(events, published, GAZETTEER), article.id,
                                       side_needs(events, GAZETTEER) if sided else None)
        rows = await batch.rows(f.id for f in found)
    states = [story_from_row(rows[f.id], [article.id] if f.told else []) for f in found]
    matching = match_article(article, events, states, GAZETTEER, published)
    events_out = [(e.id, e.story_id, bool(e.story_new)) for e in matching.events]
    return events_out, {k: story_values(s) for k, s in matching.touched.items()}, len(found)


async def test_a_meeting_of_another_pair_is_not_loaded_nor_joined(store: Store) -> None:
    day = dt.date(2030, 3, 2)
    first = _article(1, day)
    [talks] = await assign_stories(store, first, [_event(first, 0, "meeting", ["Ukraine", "Russia"],
                                                         location=["Istanbul"])], GAZETTEER)
    twin = _article(2, day)
    other_pair = [_event(twin, 0, "meeting", ["United States", "Russia"], location=["Istanbul"])]
    assert (await _assignments(store, twin, other_pair, sided=True))[2] == 0
    assert (await _assignments(store, twin, other_pair, sided=False))[2] == 1
    [apart] = await assign_stories(store, twin, other_pair, GAZETTEER)
    assert apart.story_new and apart.story_id != talks.story_id
    host = _article(3, day + DAY)  # the same two, and their host: the same round
    [joined] = await assign_stories(store, host, [
        _event(host, 0, "meeting", ["Russia", "Ukraine", "Turkey"], location=["Istanbul"])],
        GAZETTEER)
    assert joined.story_id == talks.story_id and not joined.story_new


async def test_a_story_of_one_side_is_loaded_for_a_pair_that_names_it(store: Store) -> None:
    day = dt.date(2030, 4, 1)
    first = _article(1, day)
    [truce] = await assign_stories(store, first, [_event(first, 0, "ceasefire", ["Russia"],
                                                         topic=["energy"])], GAZETTEER)
    later = _article(2, day + DAY)
    both = [_event(later, 0, "ceasefire", ["Russia", "Ukraine"], topic=["energy"])]
    loaded = await _assignments(store, later, both, sided=True)
    assert loaded[2] == 1 and loaded[0][0][1] == truce.story_id


async def test_loading_by_sides_changes_no_assignment(store: Store) -> None:
    rng = random.Random(16)
    start, filtered, unfiltered = dt.date(2030, 5, 1), 0, 0
    for n in range(120):
        published = start + (n // 12) * DAY
        article = _article(n, published)
        events = []
        for j in range(rng.choice([1, 2, 3])):
            type_ = rng.choice(["meeting", "meeting", "ceasefire", "prisoner_exchange",
                                "sanctions", "attack"])
            roll = rng.random()
            date = (None if roll < 0.5 else
                    (published - rng.randint(12, 30) * DAY).isoformat() if roll < 0.6 else
                    (published - rng.randint(0, 1) * DAY).isoformat())
            events.append(_event(article, j, type_, rng.choice(PAIRS), date=date,
                                 location=[rng.choice(["Istanbul", "Geneva", "Kyiv"])],
                                 background=rng.random() < 0.08,
                                 status=rng.choice(["occurred", "proposed"])))
        sided = await _assignments(store, article, events, sided=True)
        every = await _assignments(store, article, events, sided=False)
        assert sided[:2] == every[:2], f"article {n}"
        filtered, unfiltered = filtered + sided[2], unfiltered + every[2]
        saved = await assign_stories(store, article, events, GAZETTEER)
        assert [(e.id, e.story_id, bool(e.story_new)) for e in saved] == sided[0]
    assert filtered < 0.8 * unfiltered  # the sides leave some out: the test compares something


async def test_the_candidates_loaded_are_exactly_those_a_need_allows(
        store: Store, monkeypatch: Any) -> None:
    """The store's candidates (served from its index of the stories, which reads what it
    lacks from the table) are exactly the stories of their windows (for an undated recall,
    of the last to close) that the article told or that share enough sides with one of its
    needs, counted here over every stories row; articles of one to three events of several
    types, so that windows, needs and sides come in many numbers, in order of publication
    and then out of it, the index keeping two days (a window reaching further back is
    served beside it)."""
    monkeypatch.setattr(match, "RECALL_CANDIDATES", 3)  # a recall's limit cuts, ties too
    monkeypatch.setattr(story_index, "KEEP_DAYS", 2)
    monkeypatch.setattr(story_index, "READ_AHEAD_DAYS", 1)
    rng = random.Random(23)
    start, checked = dt.date(2030, 7, 1), 0
    for n in range(120):
        published = start + (n // 10 if n < 60 else rng.randint(0, 9)) * DAY
        article = _article(n, published)
        events = [_event(article, j, rng.choice(["meeting", "ceasefire", "sanctions"]),
                         rng.choice(PAIRS), location=[rng.choice(["Geneva", "Kyiv"])],
                         date=None if rng.random() < 0.8 else
                         (published - rng.randint(0, 20) * DAY).isoformat(),
                         background=rng.random() < 0.15)  # undated: the last to close
                  for j in range(rng.choice([1, 2, 3]))]
        wins, needs = windows(events, published, GAZETTEER), side_needs(events, GAZETTEER)
        async with story_batch(store, {e.type for e in events}) as batch:
            found = {f.id for f in await batch.candidates(wins, article.id, needs)}
            rows = (await batch.conn.execute(sa.select(stories_table))).all()
        expected: set[str] = set()
        for w in wins:
            inside = sorted((r for r in rows if r.type == w.type
                             and w.closes_from.isoformat() <= r.closes
                             <= w.closes_until.isoformat()
                             and r.opened <= w.opened_until.isoformat()),
                            key=lambda r: (r.closes, _reverse(r.id)), reverse=True)
            for r in inside[:w.limit]:  # no limit: all of them
                if any(_meets(r.sides, need) for need in needs if need.type == w.type):
                    expected.add(r.id)
        assert found == expected, f"article {n}"
        checked += len(found)
        await assign_stories(store, article, events, GAZETTEER)
    assert checked > 50  # stories were there to load


def _meets(column: str, need: Any) -> bool:
    """streams/store/stories.py `_meets` in Python: shared sides >= need.shared, or all of
    the story's own (one at least) when it has fewer."""
    shared = sum(1 for side in need.sides if "|" + side_text(side) + "|" in column)
    count = column.count("|") - 1
    return shared >= need.shared or (1 <= count < need.shared and shared == count)


def _reverse(text: str) -> tuple[int, ...]:
    """Sorts descending when the list is reversed: the ids ascending among equal closes."""
    return tuple(-ord(c) for c in text)


async def test_a_story_kept_is_not_read_again_until_another_worker_changes_it(
        store: Store, monkeypatch: Any) -> None:
    """A story this worker saved is matched from the state it kept (its row is not read
    again while unchanged); once another worker has changed its row, the row is read and
    its new facts decide."""
    read: list[str] = []
    rows = StoryBatch.rows

    async def counted(batch: StoryBatch, ids: Any) -> dict[str, dict[str, Any]]:
        wanted = list(ids)
        read.extend(wanted)
        return await rows(batch, wanted)

    monkeypatch.setattr(StoryBatch, "rows", counted)
    day = dt.date(2030, 9, 1)
    first = _article(1, day)
    [talks] = await assign_stories(store, first, [
        _event(first, 0, "meeting", ["Ukraine", "Russia"], location=["Istanbul"])], GAZETTEER)
    second = _article(2, day)
    [joined] = await assign_stories(store, second, [
        _event(second, 0, "meeting", ["Ukraine", "Russia"], location=["Istanbul"])], GAZETTEER)
    assert joined.story_id == talks.story_id and read == []
    other = await Store(store.url).open()  # another worker moves the talks to Geneva,
    try:  # under the type's lock, as every writer of stories does
        async with story_batch(other, {"meeting"}) as batch:
            await batch.conn.execute(sa.update(stories_table)
                                     .where(stories_table.c.id == talks.story_id)
                                     .values(location=["Geneva"], updated=utcnow()))
    finally:
        await other.close()
    third = _article(3, day)
    [apart] = await assign_stories(store, third, [
        _event(third, 0, "meeting", ["Ukraine", "Russia"], location=["Istanbul"])], GAZETTEER)
    assert read == [talks.story_id]
    assert apart.story_new and apart.story_id != talks.story_id
