"""Story identity per event type (GUIDELINES.md section 5), on the pure matcher
(streams/stories/match.py): for each type a mention that must join its story and its twin that
must not. Synthetic events, no spaCy, no store: the candidates are filtered the way the
store loads them (`since` and `closes`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from itertools import count
from pathlib import Path
from typing import Any

from streams.core.records import Article, Event, content_key
from streams.extract.consolidate import consolidate
from streams.knowledge.gazetteer import Gazetteer
from streams.stories.identity import MAX_SIDES
from streams.stories.match import (
    RECALL_CANDIDATES,
    Window,
    closes,
    in_window,
    match_article,
    windows,
)
from streams.stories.state import MAX_ACTORS, MAX_PLACES, MAX_SOURCES, StoryState

ROOT = Path(__file__).resolve().parents[2]
GAZ = Gazetteer.load(ROOT / "rules" / "taxonomy" / "gazetteer.yaml")
TODAY = dt.date(2030, 1, 1)
RU_UA = ["Russia", "Ukraine"]


class Feed:
    """Articles in publication order through the matcher, with a store's candidate filter."""

    def __init__(self) -> None:
        self.stories: list[StoryState] = []
        self.n = count()

    def story(self, published: str, type_: str, **fields: Any) -> str:
        """The story id of one event told alone in a new article."""
        return self.article(published, [(type_, fields)])[0]

    def article(self, published: str, events: list[tuple[str, dict[str, Any]]]) -> list[str]:
        n = next(self.n)
        article = Article(id=content_key("a", str(n)), url=f"a{n}", title="", text="",
                          published=published, source=f"outlet {n}")
        evs = [_event(article.id, f"{n}.{i}", t, f) for i, (t, f) in enumerate(events)]
        candidates = loaded(self.stories, windows(evs, dt.date.fromisoformat(published), GAZ))
        matching = match_article(article, evs, candidates, GAZ, TODAY)
        self.stories += [s for s in matching.touched.values() if s.id in matching.opened]
        return [e.story_id for e in matching.events]


def loaded(stories: list[StoryState], wanted: list[Window]) -> list[StoryState]:
    """The stories the store loads for these windows, oldest first."""
    out: dict[str, StoryState] = {}
    for w in wanted:
        inside = [s for s in stories if in_window(s, w)]
        if w.limit is not None:
            inside = sorted(inside, key=lambda s: closes(s), reverse=True)[:w.limit]
        out.update((s.id, s) for s in inside)
    return [s for s in stories if s.id in out]


def _event(article_id: str, key: str, type_: str, fields: dict[str, Any]) -> Event:
    return Event(
        id=content_key("e", key), article_id=article_id, type=type_,
        actors=list(fields.get("actors", RU_UA)), location=list(fields.get("location", [])),
        quantities=dict(fields.get("quantities", {})), date=fields.get("date"),
        status=fields.get("status", "occurred"), sides=list(fields.get("sides", [])),
        roles=dict(fields.get("roles", {})), topic=list(fields.get("topic", [])),
        background=bool(fields.get("background", False)),
    )


def _q(value: float) -> dict[str, Any]:
    return {"value": value, "qualifier": None, "text": str(value)}


# --- meetings: one meeting day and venue -------------------------------------------------


def test_a_round_moved_by_a_day_keeps_its_story() -> None:
    feed = Feed()
    offered = feed.story("2025-05-12", "meeting", location=["Istanbul"], date="2025-05-15",
                         status="scheduled")
    held = feed.story("2025-05-16", "meeting", location=["Istanbul"], date="2025-05-16")
    assert held == offered


def test_a_later_round_weeks_apart_is_a_new_story() -> None:
    feed = Feed()
    first = feed.story("2025-05-16", "meeting", location=["Istanbul"], date="2025-05-16")
    second = feed.story("2025-06-02", "meeting", location=["Istanbul"], date="2025-06-02")
    assert second != first


def test_leaders_in_ankara_and_delegations_in_istanbul_next_day_are_two_stories() -> None:
    feed = Feed()
    leaders = feed.story("2025-05-15", "meeting", actors=["Volodymyr Zelensky", "Turkey"],
                         location=["Ankara"], date="2025-05-15")
    round_ = feed.story("2025-05-16", "meeting", actors=["Ukraine", "Russia", "Turkey"],
                        location=["Istanbul"], date="2025-05-16")
    assert round_ != leaders


def test_an_undated_mention_joins_the_round_nearest_its_article() -> None:
    feed = Feed()
    first = feed.story("2025-05-16", "meeting", location=["Istanbul"], date="2025-05-16")
    second = feed.story("2025-05-30", "meeting", location=["Istanbul"], date="2025-06-02",
                        status="scheduled")
    assert second != first
    assert feed.story("2025-06-03", "meeting", location=["Istanbul"]) == second
    assert feed.story("2025-05-18", "meeting") == first  # no venue: compatible


def test_a_shared_mediator_is_not_the_same_meeting() -> None:
    feed = Feed()
    other_war = feed.story("2025-03-01", "meeting", actors=["Turkey", "Syria"])
    assert feed.story("2025-03-03", "meeting", actors=["Turkey", "Russia"]) != other_war


# --- attacks: one place and one day -----------------------------------------------------


def test_two_cities_the_same_night_are_two_strikes() -> None:
    feed = Feed()
    kyiv = feed.story("2025-06-17", "attack", location=["Kyiv"], date="2025-06-17")
    odesa = feed.story("2025-06-17", "attack", location=["Odesa"], date="2025-06-17")
    assert odesa != kyiv


def test_a_city_and_its_country_the_same_day_are_one_strike() -> None:
    feed = Feed()
    country = feed.story("2025-06-17", "attack", location=["Ukraine"])
    city = feed.story("2025-06-17", "attack", location=["Kyiv"], date="2025-06-17")
    assert city == country
    # ... until another city contradicts
    assert feed.story("2025-06-17", "attack", location=["Lviv"]) != country


def test_an_overnight_strike_reported_next_morning_and_a_toll_update() -> None:
    feed = Feed()
    strike = feed.story("2025-06-17", "attack", location=["Kyiv"], date="2025-06-17")
    assert feed.story("2025-06-18", "attack", location=["Kyiv"]) == strike
    assert feed.story("2025-06-19", "attack", location=["Kyiv"],
                      quantities={"killed": _q(28)}) == strike  # the same city, two days
    assert feed.story("2025-06-19", "attack", location=["Ukraine"]) != strike
    assert feed.story("2025-06-24", "attack", location=["Kyiv"]) != strike


def test_two_strikes_one_article() -> None:
    feed = Feed()
    kyiv, dnipro = feed.article("2025-06-17", [
        ("attack", {"location": ["Kyiv"]}), ("attack", {"location": ["Dnipro"]})])
    assert kyiv != dnipro


# --- prisoner exchanges: one swap or one agreement with its stages -------------------------


def test_an_agreement_and_its_swap_8_days_later_are_one_story() -> None:
    feed = Feed()
    agreed = feed.story("2025-05-16", "prisoner_exchange", status="scheduled",
                        quantities={"prisoners": _q(1000)})
    assert feed.story("2025-05-17", "prisoner_exchange", status="proposed") == agreed
    assert feed.story("2025-05-24", "prisoner_exchange", date="2025-05-24",
                      quantities={"prisoners": _q(390)}) == agreed


def test_a_new_agreement_three_weeks_later_is_a_new_story() -> None:
    feed = Feed()
    agreed = feed.story("2025-05-16", "prisoner_exchange", status="scheduled")
    assert feed.story("2025-06-06", "prisoner_exchange", status="scheduled") != agreed


def test_a_new_agreement_with_other_numbers_is_a_new_story() -> None:
    feed = Feed()
    agreed = feed.story("2025-05-16", "prisoner_exchange", status="scheduled",
                        quantities={"prisoners": _q(1000)})
    assert feed.story("2025-05-19", "prisoner_exchange", status="scheduled",
                      quantities={"prisoners": _q(1200)}) != agreed


def test_two_swaps_with_no_agreement_days_apart_are_two_stories() -> None:
    feed = Feed()
    swap = feed.story("2025-02-05", "prisoner_exchange", date="2025-02-05")
    assert feed.story("2025-02-06", "prisoner_exchange") == swap
    assert feed.story("2025-02-12", "prisoner_exchange", date="2025-02-12") != swap


# --- ceasefires: parties, scope and period -------------------------------------------------


def test_an_energy_truce_and_a_black_sea_truce_are_two_stories() -> None:
    feed = Feed()
    energy, sea = feed.article("2025-03-18", [
        ("ceasefire", {"topic": ["energy"], "status": "scheduled"}),
        ("ceasefire", {"topic": ["black sea"], "status": "proposed"})])
    assert sea != energy
    assert feed.story("2025-03-25", "ceasefire", topic=["black sea"]) == sea
    assert feed.story("2025-03-26", "ceasefire", topic=["energy"]) == energy


def test_an_unscoped_mention_joins_the_most_recent_truce() -> None:
    feed = Feed()
    feed.story("2025-03-18", "ceasefire", topic=["energy"])
    easter = feed.story("2025-04-19", "ceasefire", topic=["easter"], date="2025-04-19",
                        quantities={"hours": _q(30)})
    assert feed.story("2025-04-20", "ceasefire") == easter


def test_a_truce_of_another_length_or_past_its_period_is_another_truce() -> None:
    feed = Feed()
    easter = feed.story("2025-04-19", "ceasefire", date="2025-04-19",
                        quantities={"hours": _q(30)})
    assert feed.story("2025-04-28", "ceasefire", date="2025-05-08", status="scheduled",
                      quantities={"hours": _q(72)}) != easter
    assert feed.story("2025-05-02", "ceasefire", status="proposed") != easter  # period over


def test_the_same_scope_named_joins_whatever_length_a_mention_carries() -> None:
    feed = Feed()
    easter = feed.story("2025-04-19", "ceasefire", topic=["easter"], date="2025-04-19",
                        quantities={"hours": _q(30)})
    # a report of violations that also names another truce's "30 days" in passing
    assert feed.story("2025-04-20", "ceasefire", topic=["easter"],
                      quantities={"days": _q(30)}) == easter
    # twin: without the scope named, that length is another truce
    assert feed.story("2025-04-20", "ceasefire", quantities={"days": _q(30)}) != easter


def test_a_restated_offer_joins_within_60_days_and_a_closed_truce_is_not_joined() -> None:
    feed = Feed()
    offer = feed.story("2025-06-02", "ceasefire", status="proposed",
                       quantities={"days": _q(2)})
    assert feed.story("2025-07-23", "ceasefire", status="proposed",
                      quantities={"hours": _q(24)}) == offer
    assert feed.story("2025-09-22", "ceasefire", status="proposed") != offer  # 61 days


def test_a_truce_elsewhere_with_a_common_mediator_is_another_story() -> None:
    feed = Feed()
    gaza = feed.story("2025-01-15", "ceasefire", actors=["Israel", "United States"])
    assert feed.story("2025-01-16", "ceasefire",
                      actors=["Russia", "United States"]) != gaza


# --- sanctions: one authority, one package ----------------------------------------------


def test_eu_and_uk_packages_the_same_week_are_two_stories() -> None:
    feed = Feed()
    eu = feed.story("2025-05-20", "sanctions", actors=["European Union", "Russia", "Ukraine"])
    uk = feed.story("2025-05-21", "sanctions", actors=["United Kingdom", "Russia", "Ukraine"])
    us = feed.story("2025-05-21", "sanctions", roles={"authority": ["United States"],
                                                     "target": ["Russia"]})
    assert len({eu, uk, us}) == 3
    assert feed.story("2025-05-22", "sanctions", actors=["EU", "Russia"]) == eu


def test_package_16_and_package_17_are_two_stories() -> None:
    feed = Feed()
    eu = ["European Union", "Russia"]
    p16 = feed.story("2025-02-19", "sanctions", actors=eu, topic=["package 16"],
                     status="scheduled")
    assert feed.story("2025-02-24", "sanctions", actors=eu) == p16  # unnumbered: joins
    assert feed.story("2025-03-20", "sanctions", actors=eu, topic=["package 16"]) == p16
    assert feed.story("2025-02-25", "sanctions", actors=eu, topic=["package 17"],
                      status="proposed") != p16


def test_one_authority_without_numbers_joins_within_three_weeks_only() -> None:
    feed = Feed()
    us = ["United States", "Russia"]
    proposal = feed.story("2025-10-01", "sanctions", actors=us, status="proposed")
    assert feed.story("2025-10-15", "sanctions", actors=us) == proposal
    assert feed.story("2025-10-30", "sanctions", actors=us) != proposal


# --- background, closed stories, the candidate window ------------------------------------


def test_a_background_recall_joins_its_old_story() -> None:
    feed = Feed()
    round_ = feed.story("2025-05-16", "meeting", location=["Istanbul"], date="2025-05-16")
    feed.story("2025-06-02", "meeting", location=["Istanbul"], date="2025-06-02")
    # dated 17 days back: a recall, joins the round of its date, not the nearest
    assert feed.story("2025-06-03", "meeting", date="2025-05-16") == round_
    strike = feed.story("2025-01-08", "attack", location=["Zaporizhzhia"],
                        quantities={"killed": _q(13)})
    assert feed.story("2025-03-01", "attack", location=["Zaporizhzhia"],
                      background=True) == strike
    # an unmatched recall opens its own story
    assert feed.story("2025-03-01", "attack", location=["Kharkiv"], background=True) != strike


def test_a_closed_story_is_not_joined() -> None:
    feed = Feed()
    other = feed.story("2025-01-01", "military", location=["Kharkiv"])
    assert feed.story("2025-01-08", "military", location=["Kharkiv"]) == other
    assert feed.story("2025-01-12", "military", location=["Kharkiv"]) != other


def test_candidates_are_bounded_by_the_article_not_its_oldest_date() -> None:
    published, day = dt.date(2025, 6, 1), dt.timedelta(days=1)
    plain = _event("a", "1", "meeting", {"date": "2025-05-31"})
    undated_recall = _event("a", "2", "attack", {"background": True})
    dated_recall = _event("a", "3", "attack", {"date": "2025-03-10"})
    assert windows([plain, undated_recall, dated_recall], published, GAZ) == [
        Window("attack", published - 120 * day, published, RECALL_CANDIDATES),
        # a strike a day apart from its date: closes 2 to 4 days after it
        Window("attack", dt.date(2025, 3, 12), dt.date(2025, 3, 13),
               closes_until=dt.date(2025, 3, 14)),
        # a round held a day apart, or announced up to three weeks before it
        Window("meeting", published, published + 10 * day, closes_until=dt.date(2025, 6, 22)),
    ]


def test_a_story_closed_is_never_a_candidate_again_but_for_a_recall() -> None:
    feed = Feed()
    strike = feed.story("2025-01-08", "attack", location=["Kyiv"], date="2025-01-08")
    [story] = feed.stories
    later = windows([_event("b", "1", "attack", {"location": ["Kyiv"]})], dt.date(2025, 2, 1), GAZ)
    assert loaded(feed.stories, later) == []
    assert closes(story) == dt.date(2025, 1, 11)
    recall = windows([_event("b", "2", "attack", {"background": True})], dt.date(2025, 2, 1), GAZ)
    assert loaded(feed.stories, recall) == [story]
    too_old = windows([_event("b", "3", "attack", {"background": True})], dt.date(2025, 6, 1), GAZ)
    assert loaded(feed.stories, too_old) == []
    assert feed.story("2025-02-01", "attack", location=["Kyiv"], background=True) == strike


def test_a_story_told_later_than_its_span_is_not_loaded_for_an_older_article() -> None:
    feed = Feed()
    feed.story("2025-05-20", "meeting", location=["Geneva"])
    [story] = feed.stories
    assert loaded(feed.stories, windows([_event("b", "1", "meeting", {})],
                                        dt.date(2025, 5, 1), GAZ)) == []
    assert loaded(feed.stories, windows([_event("b", "2", "meeting", {})],
                                        dt.date(2025, 5, 12), GAZ)) == [story]


def test_a_truce_told_every_month_still_closes() -> None:
    feed = Feed()
    truce = feed.story("2025-01-01", "ceasefire", topic=["energy"])
    for month in range(2, 7):
        assert feed.story(f"2025-{month:02d}-01", "ceasefire", topic=["energy"]) == truce
    assert feed.story("2025-07-15", "ceasefire", topic=["energy"]) != truce


def test_a_story_told_by_many_articles_keeps_bounded_lists() -> None:
    feed = Feed()
    names = [f"Envoy {n}" for n in range(60)]
    first = feed.story("2025-04-01", "meeting", location=["Geneva"], actors=["Russia", "Ukraine"])
    for n, name in enumerate(names):
        assert feed.story("2025-04-02", "meeting", location=["Geneva", f"Hall {n}"],
                          actors=["Russia", "Ukraine", name, f"Party {n}"]) == first
    [story] = feed.stories
    assert story.article_count == 61 and len(story.sources) == MAX_SOURCES
    assert len(story.actors) == MAX_ACTORS and story.actors[:3] == ["Russia", "Ukraine", names[0]]
    assert len(story.location) == MAX_PLACES and len(story.sides) == MAX_SIDES


def test_without_sides_topic_or_roles_the_dates_and_places_decide() -> None:
    feed = Feed()
    bare = {"actors": ["Russia"]}
    first = feed.story("2025-03-01", "ceasefire", **bare)
    assert feed.story("2025-03-10", "ceasefire", **bare) == first
    assert feed.story("2025-03-01", "sanctions", **bare) == feed.story(
        "2025-03-05", "sanctions", **bare)


# --- consolidation keeps the identities --------------------------------------------------


def test_consolidate_keeps_two_cities_and_two_scopes_apart() -> None:
    def ev(n: int, type_: str, **fields: Any) -> Event:
        return replace(_event("a", str(n), type_, fields), story_id="s")

    strikes = consolidate([ev(1, "attack", location=["Kyiv"]),
                           ev(2, "attack", location=["Odesa"])], GAZ)
    truces = consolidate([ev(3, "ceasefire", topic=["energy"]),
                          ev(4, "ceasefire", topic=["black sea"])], GAZ)
    same = consolidate([ev(5, "ceasefire", topic=["energy"]), ev(6, "ceasefire")], GAZ)
    assert (len(strikes), len(truces), len(same)) == (2, 2, 1)


def test_a_story_id_begins_with_the_day_its_first_article_was_published() -> None:
    feed = Feed()
    opened = feed.story("2030-01-05", "attack", location=["Kharkiv"], date="2030-01-05")
    joined = feed.story("2030-01-06", "attack", location=["Kharkiv"], date="2030-01-05")
    assert opened == joined and opened.startswith("20300105-")
    # the same article again (another run, another worker): the same id
    assert Feed().story("2030-01-05", "attack", location=["Kharkiv"],
                        date="2030-01-05") == opened
    # an article without a publication date: no day to begin with
    article = Article(id="undated", url="u", title="", text="", published=None, source="s")
    event = _event(article.id, "u.0", "attack", {"location": ["Odesa"]})
    story_id = match_article(article, [event], [], GAZ, TODAY).events[0].story_id
    assert len(story_id) == 16 and "-" not in story_id
