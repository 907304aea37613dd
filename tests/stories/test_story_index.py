"""The store's index of the stories (streams/store/story_index.py): candidates come from it,
and it never hides a story the table holds nor offers one it does not: another worker's
story is seen, a rolled-back story is not, a stretch it let go is read again for a recall
that reaches back to it. Invented events, a real SQLite store (and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from streams.core.records import Article, Event, content_key
from streams.knowledge.gazetteer import Gazetteer
from streams.runtime.stories import assign_batch, assign_stories, load_story
from streams.store import Store
from streams.store.schema import story_locks
from streams.store.story_index import KEEP_DAYS

GAZETTEER = Gazetteer.load(Path(__file__).resolve().parents[2] / "rules" / "taxonomy"
                           / "gazetteer.yaml")
DAY = dt.timedelta(days=1)
START = dt.date(2031, 3, 2)


def _meeting(n: int, published: dt.date, sides: list[str], venue: str,
             date: dt.date | None = None, background: bool = False, undated: bool = False
             ) -> tuple[Article, Event]:
    article = Article(id=content_key("index article", str(n)), url=f"i{n}", title="", text="",
                      published=published.isoformat(), source=f"outlet {n % 5}")
    event = Event(id=content_key("index event", str(n)), article_id=article.id, type="meeting",
                  actors=list(sides), sides=list(sides), location=[venue], quantities={},
                  date=None if undated else (date or published).isoformat(),
                  status="occurred", topic=[],
                  background=background, evidence="a sentence")
    return article, event


async def _assign(store: Store, n: int, published: dt.date, sides: list[str], venue: str,
                  **fields: object) -> Event:
    article, event = _meeting(n, published, sides, venue, **fields)  # type: ignore[arg-type]
    [out] = await assign_stories(store, article, [event], GAZETTEER)
    return out


async def test_a_story_another_worker_opened_is_a_candidate_here(store: Store) -> None:
    """Two workers on one store: a round the other one opened (after this one had read its
    stories of the type) is joined here; a round of another pair is not."""
    other = await Store(store.url).open()
    try:
        first = await _assign(store, 1, START, ["Ukraine", "Russia"], "Istanbul")
        theirs = await _assign(other, 2, START, ["United States", "Russia"], "Riyadh")
        joined = await _assign(store, 3, START, ["United States", "Russia"], "Riyadh")
        apart = await _assign(store, 4, START, ["Qatar", "Russia"], "Doha")
    finally:
        await other.close()
    assert theirs.story_new and theirs.story_id != first.story_id
    assert joined.story_id == theirs.story_id and not joined.story_new
    assert apart.story_new and apart.story_id not in (first.story_id, theirs.story_id)


async def _version(store: Store, type_: str) -> int:
    async with store.begin() as conn:
        found = (await conn.execute(sa.select(story_locks.c.version)
                                    .where(story_locks.c.type == type_))).scalar()
    return int(found or 0)


async def test_a_batch_locks_its_types_once_and_sees_another_workers_story_after(
        store: Store) -> None:
    """A batch takes each type's lock once for all its articles (not once an article), and
    another worker's round stored between two batches is joined by the next one."""
    other = await Store(store.url).open()
    try:
        before = await _version(store, "meeting")
        rounds = [_meeting(n, START, ["Ukraine", "Russia"], "Istanbul") for n in (1, 2, 3)]
        first = await assign_batch(store, [(a, [e]) for a, e in rounds], GAZETTEER)
        after = await _version(store, "meeting")
        theirs = await _assign(other, 4, START, ["United States", "Russia"], "Riyadh")
        article, event = _meeting(5, START, ["United States", "Russia"], "Riyadh")
        [[joined]] = await assign_batch(store, [(article, [event])], GAZETTEER)
    finally:
        await other.close()
    assert after == before + 1
    assert len({e.story_id for events in first for e in events}) == 1
    assert theirs.story_new and joined.story_id == theirs.story_id and not joined.story_new


async def test_a_story_of_a_rolled_back_transaction_is_not_a_candidate(store: Store) -> None:
    """A step that assigned a story and then failed leaves nothing: the next article of the
    same round opens the story anew (saved, with its row), not the one rolled back, even
    when another worker has since taken the type's lock as many times as the failed step
    (the lock's version then reads as if no one else had)."""
    await _assign(store, 1, START, ["Qatar", "Russia"], "Doha")  # the type's stories read
    with pytest.raises(RuntimeError):
        async with store.transaction():
            lost = await _assign(store, 2, START, ["Ukraine", "Russia"], "Istanbul")
            raise RuntimeError("the step fails after its stories were assigned")
    other = await Store(store.url).open()
    try:
        await _assign(other, 4, START, ["United States", "Russia"], "Riyadh")
    finally:
        await other.close()
    again = await _assign(store, 3, START, ["Ukraine", "Russia"], "Istanbul")
    assert lost.story_new and await load_story(store, lost.story_id) is None
    assert again.story_new
    saved = await load_story(store, again.story_id)
    assert saved is not None and saved.articles == [content_key("index article", "3")]


async def test_a_recall_reaches_back_past_what_the_index_keeps(store: Store) -> None:
    """Over a long run the index keeps only the stories closing within KEEP_DAYS of the
    latest article (fewer than the store holds); a recall dated far back still joins the
    round of its day, read from the table again, and one dated between rounds does not."""
    rounds = []
    for n in range(80):  # a round every five days, 400 days
        day = START + 5 * n * DAY
        rounds.append(await _assign(store, n, day, ["Ukraine", "Russia"], "Istanbul"))
    assert len({r.story_id for r in rounds}) == 80
    kept = store.story_index.types["meeting"].entries
    assert 0 < len(kept) < 80 * (KEEP_DAYS + 60) / 400
    late = START + 400 * DAY
    recalled = await _assign(store, 100, late, ["Ukraine", "Russia"], "Istanbul",
                             date=START + 10 * DAY, background=True)
    between = await _assign(store, 101, late, ["Ukraine", "Russia"], "Istanbul",
                            date=START + 13 * DAY, background=True)
    assert recalled.story_id == rounds[2].story_id and not recalled.story_new
    assert between.story_new
    # articles out of order, a year back: the round of their day, and for an undated
    # recall the round nearest before it, all read beside what the index keeps
    belated = await _assign(store, 102, START + 10 * DAY, ["Ukraine", "Russia"], "Istanbul")
    undated = await _assign(store, 103, START + 12 * DAY, ["Ukraine", "Russia"], "Istanbul",
                            background=True, undated=True)
    assert belated.story_id == rounds[2].story_id
    assert undated.story_id == rounds[2].story_id
    assert len(store.story_index.types["meeting"].entries) == len(kept)  # none kept
