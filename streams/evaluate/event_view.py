"""What a rule condition sees of an event: its fields normalised once, texts matched once.

Built once per event and shared by every rule, so normalising actors, finding phrases and
parsing dates cost the same for 10 rules as for 1,000. Names are folded canonical names
from the gazetteer; a 'side' is the country an actor acts for (Rustem Umerov -> Ukraine),
a country or an unknown name being its own side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from streams.core.records import Article, Event
from streams.evaluate.phrases import PhraseMatcher
from streams.extract.topics import subject_words
from streams.knowledge.gazetteer import Gazetteer, fold

SCOPES = ("evidence", "title", "article")


def parse_date(value: str | None) -> dt.date | None:
    """The date of an ISO date or datetime string, or None when it has none."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def parse_time(value: str | None) -> float | None:
    """Epoch seconds of an ISO date or datetime (naive = UTC), or None."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        day = parse_date(value)
        if day is None:
            return None
        moment = dt.datetime(day.year, day.month, day.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def name_key(gazetteer: Gazetteer, name: str) -> str:
    """The folded canonical name used to compare actors and places."""
    return fold(gazetteer.canonical(name) or name)


def side_key(gazetteer: Gazetteer, name: str) -> str:
    """The folded country an actor acts for; a country or an unknown name is its own."""
    return fold(gazetteer.country_of(name) or gazetteer.canonical(name) or name)


class EventView:
    """An event and its article as the conditions read them (computed once, lazily)."""

    def __init__(
        self,
        event: Event,
        article: Article,
        gazetteer: Gazetteer,
        matcher: PhraseMatcher,
        at: float,
    ) -> None:
        self.event = event
        self.article = article
        self.at = at  # the clock of this batch: publication time, else arrival
        self._matcher = matcher
        self.type = fold(event.type)
        self.status = fold(event.status or "")
        self.language = fold(article.language or "")
        self.source = fold(article.source or "")
        self.actors = frozenset(name_key(gazetteer, a) for a in event.actors)
        # the sides the sentence's structure gives (streams/extract/sides.py); older events and
        # events whose sentence links none: the countries their actors act for
        self.sides = frozenset(side_key(gazetteer, a) for a in (event.sides or event.actors))
        self.topic = frozenset(fold(t) for t in subject_words(event.topic or ()))
        self.regions = frozenset(_regions(gazetteer, event.location))
        self.date = parse_date(event.date)
        self.published = (
            parse_date(article.published) or dt.datetime.fromtimestamp(at, dt.UTC).date()
        )
        self._found: dict[str, frozenset[str]] = {}

    def text(self, scope: str) -> str:
        """The raw text of a scope: the evidence sentence, the headline, or the whole article."""
        if scope == "evidence":
            return self.event.evidence or ""
        if scope == "title":
            return self.article.title or ""
        return f"{self.article.title}\n{self.article.text}"

    def phrases(self, scope: str) -> frozenset[str]:
        """The phrase keys (of all rules) found in a scope, by one automaton pass."""
        found = self._found.get(scope)
        if found is None:
            found = self._found[scope] = self._matcher.find(self.text(scope))
        return found

    def keys(self, scopes: Iterable[str]) -> set[tuple[str, ...]]:
        """Index keys of this event: the rulebook picks candidate rules with them."""
        keys: set[tuple[str, ...]] = set()
        keys.update(("actor", a) for a in self.actors)
        keys.update(("side", s) for s in self.sides)
        keys.update(("region", r) for r in self.regions)
        for scope in scopes:
            keys.update(("phrase", scope, k) for k in self.phrases(scope))
        typed = ("type", self.type)
        # composite keys, for rules anchored on their type and something else
        return {typed, *keys, *(typed + k for k in keys)}


def _regions(gazetteer: Gazetteer, places: Iterable[str]) -> Iterable[str]:
    # a place is within itself and within its country: the keys gazetteer.within() accepts
    for place in places:
        yield name_key(gazetteer, place)
        country = gazetteer.country_of(place)
        if country:
            yield fold(country)
