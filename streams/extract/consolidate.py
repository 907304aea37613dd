"""Consolidation, pure: an article often tells one happening in several sentences (a
headline without a date, a body sentence with it); the rules get one event for it, with the
facts of all of them, while the store keeps every mention.

Mentions merge only within one story (streams/stories/match.py assigned it) and only when
nothing they state conflicts: two dates, two places neither inside the other, two scopes
(an energy truce and a Black Sea truce), occurred against ahead.
"""

from __future__ import annotations

from dataclasses import replace

from streams.core.records import Event
from streams.knowledge.gazetteer import Gazetteer

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
    one inside the other, the same side of time (occurred or ahead), not one cancelled, no
    two topics (scopes, packages) with nothing in common."""
    if a.date and b.date and a.date != b.date:
        return False
    if "cancelled" in (a.status, b.status) and a.status != b.status:
        return False
    if (a.status == "occurred") != (b.status == "occurred"):
        return False  # "talks failed" is not the meeting to come
    if a.topic and b.topic and not set(a.topic) & set(b.topic):
        return False  # what it covers or is about: an energy truce is not a Black Sea truce
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
    return replace(
        base,
        actors=actors,
        location=most_specific(places, gazetteer),
        quantities=quantities,
        date=next((e.date for e in group if e.date), None),
        attribution=next((e.attribution for e in group if e.attribution), None),
        story_new=any(e.story_new for e in group),
    )


def most_specific(places: list[str], gazetteer: Gazetteer) -> list[str]:
    """The places without those that contain another of them (Istanbul, not Turkey)."""
    return [p for p in places if not any(q != p and gazetteer.within(q, p) for q in places)]
