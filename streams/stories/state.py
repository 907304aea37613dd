"""A story's state, pure: what matching needs to know of one happening, and how a mention
updates it. Which story a mention joins is decided in streams/stories/match.py with the
identities of streams/stories/identity.py; the runtime (streams/runtime/stories.py) loads and
saves these states.

Dates kept: `first`/`last`, the earliest and latest anchor (a mention's own date, else its
article's publication date); `opened`/`seen`, the publication dates of the first and latest
article that told it; `date`, the happening's own date once a mention gives one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from streams.core.records import Event
from streams.extract.dates import parse_published

MAX_ACTORS = 24  # names (people, countries, organisations) a story keeps
MAX_PLACES = 16  # places a story keeps
MAX_SOURCES = 40  # outlets listed on a story (story_articles keeps every article's source)


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
    # the articles matching knows told it: those of this run (a story loaded as a
    # candidate lists only the article being matched, when that one already told it)
    articles: list[str] = field(default_factory=list)
    article_count: int = 0  # how many articles told it (story_articles' rows)
    sources: list[str] = field(default_factory=list)
    quantities: dict[str, dict] = field(default_factory=dict)
    status: str = "occurred"
    opened: dt.date | None = None  # publication date of its first article
    seen: dt.date | None = None  # publication date of its latest article
    sides: list[str] = field(default_factory=list)  # folded parties (story_identity.sides_of)
    topic: list[str] = field(default_factory=list)  # scope words, packages ("package 16")
    authority: list[str] = field(default_factory=list)  # sanctions: who imposes them
    agreed: bool = False  # an exchange: some mention is its agreement (not a swap)
    hours: float | None = None  # a truce: the length first stated
    start: str | None = None  # the date of its first mention that happened or is set

    # `date` and `start` parsed, with the value each was parsed from: matching asks for them
    # for every candidate of every article, and they seldom change (a new value is parsed
    # on the next ask, whoever set it)
    _held: tuple[str | None, dt.date | None] = field(
        default=(None, None), init=False, repr=False, compare=False)
    _started: tuple[str | None, dt.date | None] = field(
        default=(None, None), init=False, repr=False, compare=False)

    @property
    def held(self) -> dt.date | None:
        """Its own date (`date`) as a date; None when unknown."""
        kept = self._held
        if kept[0] is not self.date:  # (asked for every candidate: parsed once a value)
            kept = self._held = (self.date, parse_published(self.date))
        return kept[1]

    @property
    def started(self) -> dt.date | None:
        """`start` as a date; None when unknown."""
        kept = self._started
        if kept[0] is not self.start:
            kept = self._started = (self.start, parse_published(self.start))
        return kept[1]

    @property
    def day(self) -> dt.date:
        """The happening's day: its own date, else its earliest anchor."""
        return self.held or self.first

    @property
    def since(self) -> dt.date:
        """When it was first told (publication), for spans counted from the opening."""
        return self.opened or self.first

    @property
    def latest(self) -> dt.date:
        """When it was last told (publication), for spans counted from the last mention."""
        return self.seen or self.last


def absorb(
    story: StoryState,
    event: Event,
    when: dt.date,
    article_id: str,
    source: str,
    published: dt.date | None = None,
) -> None:
    """Update a story with an event's facts: a higher toll, a date fixed, new actors."""
    extend(story.actors, event.actors, MAX_ACTORS)
    extend(story.location, event.location, MAX_PLACES)
    story.first, story.last = min(story.first, when), max(story.last, when)
    story.date = story.date or event.date
    if published is not None:
        story.opened = min(story.opened or published, published)
        story.seen = max(story.seen or published, published)
    if article_id not in story.articles:
        story.articles.append(article_id)
        story.article_count += 1
    if source:
        extend(story.sources, [source], MAX_SOURCES)
    for role, q in event.quantities.items():
        old = story.quantities.get(role)
        if old is None or float(q["value"]) > float(old["value"]):
            story.quantities[role] = q
    story.status = event.status  # the latest word on it


def new_story(
    story_id: str,
    event: Event,
    when: dt.date,
    article_id: str,
    source: str,
    published: dt.date | None = None,
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
    absorb(story, event, when, article_id, source, published)
    return story


def extend(kept: list[str], new: list[str] | set[str], limit: int) -> None:
    """Add the new values `kept` lacks, in order, while it holds fewer than `limit`."""
    for value in new:
        if len(kept) >= limit:
            return
        if value not in kept:
            kept.append(value)
