"""Event scoring against a corpus folder's events.yaml (see the corpus README).

An extracted event matches a reference event when the type is equal, the date is equal
where the reference gives one, the location overlaps where it gives one (the same place, or
one inside the other in the gazetteer), and at least one side is shared. An extracted
event's sides are its `sides`, else its actors mapped to their countries. Matching is one
to one within an article; each reference takes the candidate with the right status and
count first.

Reference events with status hypothetical or denied are there to be *not* read as events:
one matched by an extracted event with a firing status (occurred, scheduled, proposed) is a
"non-event read as event". Story clustering is measured over matched references, pairwise:
two references of one story should get one story id, two of different stories two.
Pure: no I/O but `load_events`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml

from streams.core.records import Event
from streams.knowledge.gazetteer import Gazetteer, fold

FIRING = ("occurred", "scheduled", "proposed")
NOT_EVENTS = ("hypothetical", "denied")


@dataclass(frozen=True)
class RefEvent:
    """One event of events.yaml."""

    article: str  # the article stem, dNN
    type: str
    sides: tuple[str, ...]
    status: str
    story: str = ""
    date: str | None = None
    location: str | None = None
    killed: float | None = None
    prisoners: float | None = None
    background: bool = False


@dataclass
class Match:
    """A reference event and the extracted event matched to it."""

    ref: RefEvent
    event: Event
    status_ok: bool
    killed_ok: bool | None  # None where the reference states no toll


@dataclass
class EventScore:
    """What events.py measures; lists keep the references for diagnosis."""

    total: int  # reference events with a firing status
    matched: list[Match] = field(default_factory=list)
    missed: list[RefEvent] = field(default_factory=list)
    nonevents_total: int = 0  # reference events hypothetical or denied
    nonevents_read: list[Match] = field(default_factory=list)
    pairs_same_ref: int = 0  # matched-reference pairs of one story
    pairs_same_got: int = 0  # ... given one story id
    pairs_same_both: int = 0

    @property
    def recall(self) -> float:
        return len(self.matched) / self.total if self.total else 0.0

    @property
    def status_right(self) -> int:
        return sum(m.status_ok for m in self.matched)

    @property
    def killed_stated(self) -> int:
        return sum(m.killed_ok is not None for m in self.matched)

    @property
    def killed_right(self) -> int:
        return sum(bool(m.killed_ok) for m in self.matched)

    @property
    def story_precision(self) -> float:
        return self.pairs_same_both / self.pairs_same_got if self.pairs_same_got else 0.0

    @property
    def story_recall(self) -> float:
        return self.pairs_same_both / self.pairs_same_ref if self.pairs_same_ref else 0.0

    def figures(self) -> dict[str, Any]:
        n = len(self.matched)
        return {
            "total": self.total, "matched": n, "recall": round(self.recall, 4),
            "status_right": self.status_right,
            "status_share": round(self.status_right / n, 4) if n else 0.0,
            "killed_stated": self.killed_stated, "killed_right": self.killed_right,
            "killed_share": (
                round(self.killed_right / self.killed_stated, 4) if self.killed_stated else 0.0
            ),
            "nonevents_total": self.nonevents_total,
            "nonevents_read_as_events": len(self.nonevents_read),
            "story_pairs": {
                "reference": self.pairs_same_ref, "extracted": self.pairs_same_got,
                "both": self.pairs_same_both,
                "precision": round(self.story_precision, 4),
                "recall": round(self.story_recall, 4),
            },
            "missed": [f"{r.article} {r.type} {r.story}" for r in self.missed],
            "nonevents_read": [f"{m.ref.article} {m.ref.type} {m.ref.story}"
                               for m in self.nonevents_read],
        }


def load_events(path: Path | str) -> list[RefEvent]:
    """events.yaml: dNN -> [{type, date, location, sides, killed, prisoners, status, ...}]."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return [ref_event(str(article), raw) for article, items in data.items() for raw in items or []]


def ref_event(article: str, raw: Mapping[str, Any]) -> RefEvent:
    """One entry of events.yaml (YAML dates come as dates: kept as ISO text)."""
    def number(key: str) -> float | None:
        return float(raw[key]) if raw.get(key) is not None else None

    return RefEvent(
        article=article, type=str(raw["type"]), sides=tuple(str(s) for s in raw.get("sides") or ()),
        status=str(raw.get("status") or "occurred"), story=str(raw.get("story") or ""),
        date=str(raw["date"]) if raw.get("date") else None,
        location=str(raw["location"]) if raw.get("location") else None,
        killed=number("killed"), prisoners=number("prisoners"),
        background=bool(raw.get("background", False)),
    )


def event_sides(event: Event, gazetteer: Gazetteer) -> list[str]:
    """The event's sides, else its actors' countries (people stand for their country)."""
    if event.sides:
        return list(event.sides)
    found = (gazetteer.country_of(a) for a in event.actors)
    return list(dict.fromkeys(c for c in found if c))


def matches(ref: RefEvent, event: Event, gazetteer: Gazetteer) -> bool:
    """Type equal; date equal and location overlapping where given; a side shared."""
    if event.type != ref.type or (ref.date and event.date != ref.date):
        return False
    if ref.location and not _overlaps(ref.location, event.location, gazetteer):
        return False
    want = {_key(s, gazetteer) for s in ref.sides}
    return bool(want & {_key(s, gazetteer) for s in event_sides(event, gazetteer)})


def _overlaps(location: str, places: Iterable[str], gazetteer: Gazetteer) -> bool:
    # "Zamzam camp, El Fasher": the whole name or any of its parts
    names = {location, *(p.strip() for p in location.split(","))}
    within = gazetteer.within
    return any(within(p, q) or within(q, p) for p in places for q in names if q)


def _key(name: str, gazetteer: Gazetteer) -> str:
    return fold(gazetteer.canonical(name) or name)


def _match(ref: RefEvent, event: Event) -> Match:
    killed_ok = None if ref.killed is None else event.quantity("killed") == ref.killed
    return Match(ref, event, event.status == ref.status, killed_ok)


def score_events(
    references: list[RefEvent], extracted: Mapping[str, list[Event]], gazetteer: Gazetteer
) -> EventScore:
    """Match references to the events extracted per article stem and count."""
    firing = [r for r in references if r.status not in NOT_EVENTS]
    score = EventScore(total=len(firing))
    used: set[int] = set()
    for ref in firing:
        candidates = [
            _match(ref, e) for e in extracted.get(ref.article, [])
            if id(e) not in used and matches(ref, e, gazetteer)
        ]
        if not candidates:
            score.missed.append(ref)
            continue
        best = max(candidates, key=lambda m: (m.status_ok, bool(m.killed_ok)))
        used.add(id(best.event))
        score.matched.append(best)
    for ref in references:
        if ref.status not in NOT_EVENTS:
            continue
        score.nonevents_total += 1
        read = next(
            (
                e for e in extracted.get(ref.article, [])
                if id(e) not in used and e.status in FIRING and matches(ref, e, gazetteer)
            ),
            None,
        )
        if read is not None:
            used.add(id(read))
            score.nonevents_read.append(_match(ref, read))
    _count_story_pairs(score)
    return score


def _count_story_pairs(score: EventScore) -> None:
    for a, b in combinations(score.matched, 2):
        same_ref = bool(a.ref.story) and a.ref.story == b.ref.story
        same_got = bool(a.event.story_id) and a.event.story_id == b.event.story_id
        score.pairs_same_ref += same_ref
        score.pairs_same_got += same_got
        score.pairs_same_both += same_ref and same_got
