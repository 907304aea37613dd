"""The records that travel on newswatch's streams, one type per stream.

FeedItem (poll -> clean), Article (clean -> extract), ArticleEvents (extract -> evaluate),
Alert (evaluate/alert -> deliver). Every record is a plain dataclass with an explicit
`to_dict` (JSON-ready data, nested records as dicts, fields in declaration order) and
`from_dict` (which ignores keys it does not know, so older or newer shapes still load); each
carries a `version` field so that its shape can change without breaking stored messages.

Nothing here knows Faust: streams/runtime/wire.py turns these records into the bytes that
travel on Faust channels and Kafka topics, and back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self, TypeVar

# An event's status (streams/extract/event_status.py decides it; rules select on it).
STATUSES = ("occurred", "scheduled", "proposed", "cancelled", "hypothetical", "denied", "eased")


def content_key(*parts: str) -> str:
    """A short, deterministic id from content (reader's EntryData.hash idea)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:16]


def dated_key(day: dt.date | None, *parts: str) -> str:
    """A content_key after the day its record belongs to, when known ("20251118-" and 16
    hex digits): the ids of a day sort together, so an index on them takes each day's new
    rows side by side at its end instead of on pages anywhere in a year of rows (events and
    stories: late in a simulated year an article wrote 13.7 pages of the store's file, 8.6
    so; tests/bench/bench_stories.py)."""
    key = content_key(*parts)
    return f"{day:%Y%m%d}-{key}" if day else key


_SCALARS = frozenset({str, int, float, bool, type(None)})  # plain already: most values


def _plain(value: Any) -> Any:
    """JSON-ready data: records as dicts; lists, tuples and dicts copied, items made plain."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


_FIELDS: dict[type, dict[str, None]] = {}


def _field_names(cls: type) -> dict[str, None]:
    """A record class's field names in declaration order (dataclasses.fields, once)."""
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = dict.fromkeys(f.name for f in dataclasses.fields(cls))
    return names


@dataclass
class Record:
    """What every stream record shares: `to_dict` and `from_dict`."""

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data, fields in declaration order."""
        return {name: _plain(getattr(self, name)) for name in _field_names(type(self))}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The record from `to_dict` data; keys it does not know (a newer shape, a wire
        marker) are ignored and missing ones take their defaults. Nested records: see the
        overrides in ArticleEvents and Alert."""
        names = _field_names(cls)
        return cls(**{k: v for k, v in data.items() if k in names})


R = TypeVar("R", bound=Record)


@dataclass
class FeedItem(Record):
    """One entry of a feed, as polled."""

    feed: str  # the feed URL it came from
    guid: str  # the entry's id, else its link
    link: str
    title: str = ""
    summary: str = ""  # the entry's summary or content, HTML sanitised by feedparser
    published: str | None = None  # ISO 8601
    source: str = ""  # the outlet, as the feed names it
    version: int = 1

    @property
    def key(self) -> str:
        """Stable id of this entry: the feed plus its GUID (else link)."""
        return content_key(self.feed, self.guid or self.link)


@dataclass
class Article(Record):
    """A cleaned article: plain text plus metadata."""

    id: str  # content_key of the canonical URL
    url: str
    title: str
    text: str
    published: str | None = None  # ISO 8601 date or datetime
    source: str = ""
    language: str = "en"
    item_key: str = ""  # the FeedItem.key this article came from, for marking it done
    feed: str = ""
    fallback: str = ""  # why the feed summary was used instead of the page, if it was
    version: int = 1


@dataclass
class Quantity(Record):
    """A number stated for an event, by its role: 'at least 24 killed'."""

    value: float
    qualifier: str | None = None  # at least | more than | roughly | up to | ...
    text: str = ""


@dataclass
class Event(Record):
    """A structured event extracted from one sentence (or a few) of an article."""

    id: str
    article_id: str
    type: str  # meeting | prisoner_exchange | ceasefire | attack | sanctions | ...
    actors: list[str]
    location: list[str]
    quantities: dict[str, Any]  # role -> {"value", "qualifier", "text"}
    date: str | None = None  # ISO date, absolute; None where the text gives none
    status: str = "occurred"  # occurred | scheduled | proposed | cancelled | hypothetical
    # | denied | eased (see streams/extract/event_status.py and rules/README.md)
    attribution: str | None = None  # who claims it
    evidence: str = ""  # the sentence it was read from
    story_id: str = ""
    story_new: bool = False  # True when this event opened its story
    # Who the event is about, from the sentence's structure: role -> countries or parties
    # ("authority"/"target" of sanctions, "attacker"/"attacked", "party"/"mediator" of talks,
    # an exchange or a truce). `sides` is every one of them; actors stay the wider set of
    # names the sentence gives (people included). None means "not read" (older records).
    sides: list[str] | None = None
    roles: dict[str, list[str]] | None = None
    # What the event is about or covers: a meeting's subject ("war"), a truce's scope
    # ("energy", "black sea", "easter"), a sanctions package ("package 16"). Folded words.
    topic: list[str] | None = None
    background: bool = False  # the article only recalls it (an earlier happening)
    version: int = 1

    def __post_init__(self) -> None:
        # None (not given, or an older record): fresh empty containers, one per event
        if self.sides is None:
            self.sides = []
        if self.roles is None:
            self.roles = {}
        if self.topic is None:
            self.topic = []

    def quantity(self, role: str) -> float | None:
        """The value stated for a role ('killed'), or None."""
        q = self.quantities.get(role)
        if q is None:
            return None
        return float(q["value"] if isinstance(q, dict) else q)


@dataclass
class ArticleEvents(Record):
    """An article with the events extracted from it: the unit the evaluate stage takes."""

    article: Article
    events: list[Event]
    version: int = 1

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The article and its events rebuilt from their dicts (records given stay)."""
        out = super().from_dict(data)
        out.article = _nested(Article, out.article)
        out.events = [_nested(Event, e) for e in out.events]
        return out


@dataclass
class Alert(Record):
    """A rule that fired for a story; idempotent by id = content_key(rule_id, story_id)."""

    id: str
    rule_id: str
    severity: str
    story_id: str
    title: str  # headline of the article that fired it
    article_url: str
    article_id: str
    source: str
    event: Event
    message: str  # rendered one-line text
    created: str  # ISO 8601 UTC
    destinations: list[str]
    group_wait: float = 0.0  # the rule's `group`: seconds the first alert of a group waits
    group_interval: float = 0.0  # and the least seconds between two digests (0, 0: no group)
    published: str | None = None  # the article's publication date (ISO), when the feed gave one
    version: int = 1

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The alert with its event rebuilt from its dict (an Event given stays)."""
        out = super().from_dict(data)
        out.event = _nested(Event, out.event)
        return out


def _nested(cls: type[R], value: R | Mapping[str, Any]) -> R:
    """A nested record: kept when it is one already, else built from its dict."""
    return cls.from_dict(value) if isinstance(value, Mapping) else value


def alert_id(rule_id: str, story_id: str) -> str:
    """The deterministic id that makes an alert idempotent."""
    return content_key("alert", rule_id, story_id)
