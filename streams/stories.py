"""Story matching, pure: does an event tell the same happening as a story already told?

A story = same event type, overlapping actors (a person overlaps with their country),
compatible place (the same, one inside the other's country, or one unknown) and close in
time (event date, else publication date, within WINDOW_DAYS). Within one article the actors
need not overlap: an article that goes on about "the talks" means its own talks.
The store side (streams/store/stories.py) loads candidates and saves the choice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from streams.dates import parse_published
from streams.gazetteer import Gazetteer, fold
from streams.records import Event

WINDOW_DAYS = 10


@dataclass
class StoryState:
    """What matching needs to know of a story; also what the stories table stores."""

    id: str
    type: str
    actors: list[str]
    location: list[str]
    first: dt.date  # earliest anchor date
    last: dt.date  # latest anchor date
    date: str | None = None  # the event date, once one is known
    articles: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    quantities: dict[str, dict] = field(default_factory=dict)
    status: str = "occurred"


def anchor(event: Event, published: str | None) -> dt.date | None:
    """The date used for closeness in time: the event's date, else publication."""
    return parse_published(event.date) or parse_published(published)


def sides(names: list[str], gazetteer: Gazetteer) -> set[str]:
    """Folded names plus the countries they act for or lie in."""
    out = {fold(n) for n in names}
    out |= {fold(c) for n in names if (c := gazetteer.country_of(n))}
    return out


def places_compatible(a: list[str], b: list[str], gazetteer: Gazetteer) -> bool:
    """Unknown on either side, or some pair the same / one inside the other's country."""
    if not a or not b:
        return True
    return any(_place_pair(p, q, gazetteer) for p in a for q in b)


def _place_pair(p: str, q: str, gazetteer: Gazetteer) -> bool:
    if gazetteer.within(p, q) or gazetteer.within(q, p):
        return True
    country = gazetteer.country_of(p)
    return country is not None and country == gazetteer.country_of(q)


def score(
    event: Event,
    when: dt.date | None,
    story: StoryState,
    gazetteer: Gazetteer,
    same_article: bool,
) -> float | None:
    """How well event fits story (higher is better), None when it does not fit."""
    if event.type != story.type or when is None:
        return None
    if (story.first - when).days > WINDOW_DAYS or (when - story.last).days > WINDOW_DAYS:
        return None
    if not places_compatible(event.location, story.location, gazetteer):
        return None
    shared = len(sides(event.actors, gazetteer) & sides(story.actors, gazetteer))
    if not shared and not same_article:
        return None
    return shared + (0.5 if same_article else 0.0) + 0.1 * len(story.articles)


def choose(
    event: Event,
    when: dt.date | None,
    stories: list[StoryState],
    gazetteer: Gazetteer,
    article_id: str,
) -> StoryState | None:
    """The best-fitting story for an event, or None for a new one. Ties go to the older."""
    best: tuple[float, StoryState] | None = None
    for story in stories:
        s = score(event, when, story, gazetteer, article_id in story.articles)
        if s is not None and (best is None or s > best[0]):
            best = (s, story)
    return best[1] if best else None


def absorb(story: StoryState, event: Event, when: dt.date, article_id: str, source: str) -> None:
    """Update a story with an event's facts: a higher toll, a date fixed, new actors."""
    story.actors += [a for a in event.actors if a not in story.actors]
    story.location += [p for p in event.location if p not in story.location]
    story.first, story.last = min(story.first, when), max(story.last, when)
    story.date = story.date or event.date
    if article_id not in story.articles:
        story.articles.append(article_id)
    if source and source not in story.sources:
        story.sources.append(source)
    for role, q in event.quantities.items():
        old = story.quantities.get(role)
        if old is None or float(q["value"]) > float(old["value"]):
            story.quantities[role] = q
    story.status = event.status  # the latest word on it


def new_story(
    story_id: str, event: Event, when: dt.date, article_id: str, source: str
) -> StoryState:
    """A story opened by an event."""
    story = StoryState(
        id=story_id,
        type=event.type,
        actors=[],
        location=[],
        first=when,
        last=when,
        status=event.status,
    )
    absorb(story, event, when, article_id, source)
    return story
