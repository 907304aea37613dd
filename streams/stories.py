"""Story matching, pure: does an event tell the same happening as a story already told?

A story = same event type, overlapping actors (a person overlaps with their country),
compatible place (the same, one inside the other's country, or one unknown) and close in
time (event date, else publication date, within WINDOW_DAYS). Within one article the actors
need not overlap: an article that goes on about "the talks" means its own talks.
The store side (streams/store/stories.py) loads candidates and saves the choice.

Then `consolidate`: an article often tells one happening in several sentences (a headline
without a date, a body sentence with it); the rules get one event for it, with the facts of
all of them, while the store keeps every mention.
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


# --- consolidation: one event per happening of an article -------------------------------

_PLACE_KINDS = frozenset({"city", "region", "site"})


def consolidate(events: list[Event], gazetteer: Gazetteer) -> list[Event]:
    """The events of one article with those that tell the same happening merged into one.

    Events of the same type and story merge when nothing they state conflicts (see
    `compatible`) and an undated one brings no new person unless it shares a city or site.
    A story's happenings come out at the place of its first event: the one its first
    mention (the headline, the lede) belongs to first, then the richest, so a rule that
    takes a story's first match takes that.
    """
    stories: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        stories.setdefault((event.story_id, event.type), []).append(event)
    out: list[Event] = []
    for members in stories.values():
        groups = _clusters(members, gazetteer)
        groups.sort(key=lambda g: members[0] not in g)  # stable: richest first otherwise
        out += [_merged(g, gazetteer) for g in groups]
    return out


def facts(event: Event, gazetteer: Gazetteer) -> int:
    """How much an event tells: a date, a place (a city or site more), numbers, people."""
    specific = any(gazetteer.kind(p) in _PLACE_KINDS for p in event.location)
    return (
        10 * (event.date is not None)  # an explicit date first: its sentence sets status
        + bool(event.location)
        + specific
        + len(event.quantities)
        + min(len(_people(event.actors, gazetteer)), 2)
    )


def compatible(a: Event, b: Event, gazetteer: Gazetteer) -> bool:
    """Can a and b be one happening? Nothing they state may conflict: no two dates, places
    one inside the other, the same side of time (occurred or ahead), not one cancelled."""
    if a.date and b.date and a.date != b.date:
        return False
    if "cancelled" in (a.status, b.status) and a.status != b.status:
        return False
    if (a.status == "occurred") != (b.status == "occurred"):
        return False  # "talks failed" is not the meeting to come
    return _nested(a.location, b.location, gazetteer) and _nested(b.location, a.location, gazetteer)


def _nested(a: list[str], b: list[str], gazetteer: Gazetteer) -> bool:
    """Every place of a is inside, or contains, some place of b (or b names none)."""
    if not b:
        return True
    within = gazetteer.within
    return all(any(within(p, q) or within(q, p) for q in b) for p in a)


def _joins(event: Event, group: list[Event], gazetteer: Gazetteer) -> bool:
    if not all(compatible(event, m, gazetteer) for m in group):
        return False
    if event.date:
        return True  # the same date, type, story and place: the same happening
    known = {a for m in group for a in m.actors}
    if not set(_people(event.actors, gazetteer)) - known:
        return True
    # new people ("Zelensky, after meeting Erdogan") only with a city or site in common
    return any(gazetteer.kind(p) in _PLACE_KINDS for p in event.location) and any(
        m.location for m in group
    )


def _clusters(members: list[Event], gazetteer: Gazetteer) -> list[list[Event]]:
    """Greedy, dated and richest first: an event joins the first group that takes it."""
    ranked = sorted(members, key=lambda e: -facts(e, gazetteer))  # stable: text order on ties
    groups: list[list[Event]] = []
    for event in ranked:
        home = next((g for g in groups if _joins(event, g, gazetteer)), None)
        if home is None:
            groups.append([event])
        else:
            home.append(event)
    return groups


def _people(actors: list[str], gazetteer: Gazetteer) -> list[str]:
    return [a for a in actors if gazetteer.kind(a) == "person"]


def _merged(group: list[Event], gazetteer: Gazetteer) -> Event:
    """The group as one event: the richest member's sentence, date and status, every
    actor, the most specific places, the highest numbers."""
    base = group[0]
    if len(group) == 1:
        return base
    actors = list(dict.fromkeys(a for e in group for a in e.actors))
    places = list(dict.fromkeys(p for e in group for p in e.location))
    quantities: dict[str, dict] = {}
    for event in group:
        for role, q in event.quantities.items():
            old = quantities.get(role)
            if old is None or float(q["value"]) > float(old["value"]):
                quantities[role] = q
    return Event(
        **{
            **base.asdict(),
            "actors": actors,
            "location": most_specific(places, gazetteer),
            "quantities": quantities,
            "date": next((e.date for e in group if e.date), None),
            "attribution": next((e.attribution for e in group if e.attribution), None),
            "story_new": any(e.story_new for e in group),
        }
    )


def most_specific(places: list[str], gazetteer: Gazetteer) -> list[str]:
    """The places without those that contain another of them (Istanbul, not Turkey)."""
    return [p for p in places if not any(q != p and gazetteer.within(q, p) for q in places)]
