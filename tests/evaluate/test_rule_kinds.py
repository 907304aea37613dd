"""Each rule kind fires on the events it should and not on others, with its history kept in
SQLite; restarts (a new StoreRuleState over the same file) happen in the middle of windows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from rules_support import EVENT_TYPES, article, batch, event, gazetteer, write_rules

from streams.evaluate.matcher import evaluate, tick
from streams.evaluate.rulebook import Rulebook, load_rulebook
from streams.store import Store
from streams.store.rule_state import StoreRuleState
from streams.store.schema import stories

T0 = dt.datetime(2025, 11, 18, 8, 0, tzinfo=dt.UTC)


def at(hours: float) -> str:
    return (T0 + dt.timedelta(hours=hours)).isoformat()


def rulebook(tmp_path: Path, text: str) -> Rulebook:
    write_rules(tmp_path / "rules", "r.yaml", text)
    result = load_rulebook(tmp_path / "rules", gazetteer(), EVENT_TYPES)
    assert result.errors == []
    return result.rulebook


class Service:
    """A store file that can be 'restarted': closed and opened again with a fresh state."""

    def __init__(self, path: Path) -> None:
        self.url = f"sqlite+aiosqlite:///{path}"
        self.store: Store | None = None

    async def start(self) -> StoreRuleState:
        self.store = await Store(self.url).open()
        return StoreRuleState(self.store)

    async def restart(self) -> StoreRuleState:
        assert self.store is not None
        await self.store.close()
        return await self.start()


@pytest.fixture
async def service(tmp_path: Path):
    svc = Service(tmp_path / "state.db")
    yield svc
    if svc.store is not None:
        await svc.store.close()


async def fired(book: Rulebook, state, art, *events) -> list[str]:
    return [m.rule.id for m in await evaluate(book, batch(art, *events), state)]


async def test_match_fires_once_per_story_and_not_elsewhere(tmp_path, service) -> None:
    book = rulebook(tmp_path, "rules:\n- id: talks\n  when: {type: meeting, sides: Ukraine}\n")
    state = await service.start()
    art = article()
    first = event(art, story_id="s1")
    same_story = event(art, story_id="s1")
    other_story = event(art, story_id="s2")
    elsewhere = event(art, actors=["Turkey", "Syria"], story_id="s3")
    attack = event(art, type="attack", story_id="s4")
    matches = await evaluate(
        book, batch(art, first, same_story, other_story, elsewhere, attack), state
    )
    assert [(m.rule.id, m.event.story_id) for m in matches] == [("talks", "s1"), ("talks", "s2")]


async def test_new_fires_on_the_opening_article_only_across_a_restart(tmp_path, service) -> None:
    book = rulebook(
        tmp_path, "rules:\n- id: swap\n  kind: new\n  when: {type: prisoner_exchange}\n"
    )
    state = await service.start()
    opening = article(source="A")
    # the story stage has recorded the story with its first article
    async with service.store.begin() as conn:
        await conn.execute(sa.insert(stories).values(
            id="s1", type="prisoner_exchange", actors=[], location=[], anchor="2025-11-18",
            first_article=opening.id, sources=["A"], articles=1, summary={},
            created=T0, updated=T0))  # fmt: skip
    first = event(opening, "prisoner_exchange", story_id="s1", story_new=True)
    second_in_opening = event(opening, "prisoner_exchange", story_id="s1", story_new=False)
    assert await fired(book, state, opening, first, second_in_opening) == ["swap"]
    # the opening article processed again after a crash: the same answer (alerts dedupe it)
    assert await fired(book, state, opening, second_in_opening) == ["swap"]
    state = await service.restart()
    later = article(source="B")
    assert await fired(book, state, later, event(later, "prisoner_exchange", story_id="s1",
                                                 story_new=False)) == []  # fmt: skip
    other = article(source="C")
    assert await fired(book, state, other, event(other, "prisoner_exchange", story_id="s2")) == [
        "swap"
    ]


async def test_corroborated_needs_distinct_sources_within_the_window(tmp_path, service) -> None:
    book = rulebook(
        tmp_path,
        "rules:\n- id: two\n  kind: corroborated\n  min_sources: 2\n  window: 12h\n"
        "  when: {type: attack}\n",
    )
    state = await service.start()
    a1 = article(published=at(0), source="Reuters")
    assert await fired(book, state, a1, event(a1, "attack", story_id="s1")) == []
    a2 = article(published=at(1), source="Reuters")  # same source again: still one
    assert await fired(book, state, a2, event(a2, "attack", story_id="s1")) == []
    state = await service.restart()  # in the middle of the window
    a3 = article(published=at(2), source="AP")
    assert await fired(book, state, a3, event(a3, "attack", story_id="s1")) == ["two"]
    # another story: its second source comes after the window has passed
    b1 = article(published=at(3), source="Reuters")
    assert await fired(book, state, b1, event(b1, "attack", story_id="s2")) == []
    b2 = article(published=at(16), source="AP")
    assert await fired(book, state, b2, event(b2, "attack", story_id="s2")) == []


SPIKE = """rules:
- id: surge
  kind: spike
  window: 1h
  baseline: 1d
  factor: 3
  min_count: 3
  when: {type: attack}
"""


async def _feed(book, state, hour: float, story: str) -> list[str]:
    art = article(published=at(hour))
    return await fired(book, state, art, event(art, "attack", story_id=story))


async def test_spike_fires_above_the_baseline_across_a_restart(tmp_path, service) -> None:
    book = rulebook(tmp_path, SPIKE)
    state = await service.start()
    # a quiet day: one attack every 6 hours; no verdict before a full baseline anyway
    assert [await _feed(book, state, h, f"q{h}") for h in range(0, 30, 6)] == [[]] * 5
    assert await _feed(book, state, 30.1, "x1") == []
    assert await _feed(book, state, 30.2, "x2") == []
    state = await service.restart()  # in the middle of the spike's window
    assert await _feed(book, state, 30.3, "x3") == ["surge"]
    assert await _feed(book, state, 30.4, "x4") == []  # one alert per spike window


async def test_spike_does_not_fire_on_a_steady_rate(tmp_path, service) -> None:
    book = rulebook(tmp_path, SPIKE)
    state = await service.start()
    hours = [h / 4 for h in range(0, 4 * 40)]  # four an hour for 40 hours
    results = [await _feed(book, state, h, f"s{h}") for h in hours]
    assert not any(results)


async def test_flatline_fires_once_per_silent_window_across_a_restart(tmp_path, service) -> None:
    book = rulebook(
        tmp_path,
        "rules:\n- id: quiet\n  kind: flatline\n  window: 6h\n  when: {type: meeting}\n",
    )
    state = await service.start()
    for hour in (0, 2, 4, 6, 8):  # steady news: no alert, and none before a window passed
        art = article(published=at(hour))
        assert await fired(book, state, art, event(art)) == []
    assert await tick(book, state, T0 + dt.timedelta(hours=10)) == []
    state = await service.restart()  # silence since hour 8
    silent = await tick(book, state, T0 + dt.timedelta(hours=14.5))
    assert [m.rule.id for m in silent] == ["quiet"]
    assert "0 matching events" in silent[0].message
    assert await tick(book, state, T0 + dt.timedelta(hours=15)) == []
    # an unrelated article at hour 21 finds the next silent window
    other = article(published=at(21))
    assert await fired(book, state, other, event(other, "attack")) == ["quiet"]


async def test_flatline_on_a_feed_counts_its_items(tmp_path, service) -> None:
    book = rulebook(
        tmp_path,
        "rules:\n- id: feed-down\n  kind: flatline\n  window: 2h\n  feed: kyivindependent\n",
    )
    state = await service.start()
    for hour in (0, 1, 2, 3):
        art = article(published=at(hour), feed="https://kyivindependent.com/rss/")
        assert await fired(book, state, art) == []
    assert await tick(book, state, T0 + dt.timedelta(hours=4.5)) == []
    assert [m.rule.id for m in await tick(book, state, T0 + dt.timedelta(hours=5.5))] == [
        "feed-down"
    ]


async def test_new_term_fires_on_first_sighting_only_across_a_restart(tmp_path, service) -> None:
    book = rulebook(
        tmp_path,
        "rules:\n- id: new-place\n  kind: new_term\n  field: location\n"
        "  learn_for: 1d\n  when: {type: meeting}\n",
    )
    state = await service.start()
    learning = article(published=at(0))
    assert await fired(book, state, learning, event(learning, location=["Ankara"])) == []
    state = await service.restart()
    later = article(published=at(30))
    seen_place = event(later, location=["Ankara"], story_id="s1")
    assert await fired(book, state, later, seen_place) == []
    new_place = event(later, location=["Doha"], story_id="s2")
    matches = await evaluate(book, batch(later, new_place), state)
    assert [m.rule.id for m in matches] == ["new-place"] and "new location: Doha" in matches[
        0
    ].message
    again = article(published=at(31))
    assert await fired(book, state, again, event(again, location=["Doha"])) == []


async def test_throttle_holds_a_rule_for_its_period(tmp_path, service) -> None:
    book = rulebook(
        tmp_path, "rules:\n- id: busy\n  throttle: {period: 2h}\n  when: {type: attack}\n"
    )
    state = await service.start()
    results = []
    for hour in (0, 1, 2.5):
        art = article(published=at(hour))
        results.append(await fired(book, state, art, event(art, "attack")))
    assert results == [["busy"], [], ["busy"]]


async def test_template_renders_event_and_story(tmp_path, service) -> None:
    book = rulebook(
        tmp_path,
        "rules:\n- id: t\n  when: {type: attack}\n"
        '  template: \'{{ rule.id }} {{ event.quantity("killed") | int }} killed in '
        '{{ event.location | join(", ") }} ({{ story.get("articles", 1) }})\'\n',
    )
    state = await service.start()
    art = article()
    killed = {"killed": {"value": 24, "qualifier": "at least", "text": "at least 24"}}
    matches = await evaluate(
        book, batch(art, event(art, "attack", location=["Kherson"], quantities=killed)), state
    )
    assert [m.message for m in matches] == ["t 24 killed in Kherson (1)"]
