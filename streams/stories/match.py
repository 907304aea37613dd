"""Story matching, pure: for each event of an article, join an open story or open a new one.

The runtime (streams/runtime/stories.py) loads the candidates `windows` says, calls
`match_article`, and saves what it returns. A window is bounded by the article's publication
date and its type's span: the stories of the type still open at the publication date
(`closes` on or after it) and first told no later than a span after it; within that, only
those whose `closes` falls where its type's identity could accept the mention (`reach`: an
attack reported today closes between tomorrow and four days on). A recall reaches
back instead: a dated one to the stories open on its own date, an undated one to the
RECALL_CANDIDATES stories of its type that closed last within RECALL_DAYS. Nothing else of a
closed story is ever loaded, so the candidates of an article are as many whether the store
holds a week or a year. Of a window, only the stories that share enough sides with an event
of the article (`side_needs`), or that it told already, are loaded: no event could join
the others.

A candidate fits when it has the same type, shares sides with the event (one, or two for a
meeting or a truce; within one article none: an article that goes on about "the talks"
means its own talks) and its type's identity (streams/stories/identity.py) accepts it. The
best fit wins: the most facts in common (a named place, scope, package or day), then enough
sides shared, then the same article, then the nearest in time, then the most sides shared;
ties go to the older story. A story past its span is closed: only a recall (background) may join it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from streams.core.records import Article, Event, dated_key
from streams.extract.dates import parse_published
from streams.knowledge.gazetteer import Gazetteer
from streams.stories.identity import (
    RECALL_DAYS,
    Mention,
    identity,
    mention,
    note,
    sides_of,
)
from streams.stories.state import StoryState, absorb, new_story

DAY = dt.timedelta(days=1)
# Candidates an undated recall loads at most per type: the stories closed last are the
# nearest in time, which a recall's fit prefers anyway.
RECALL_CANDIDATES = 100


@dataclass
class Matching:
    """The events with story_id and story_new set, and the stories they opened or updated."""

    events: list[Event] = field(default_factory=list)
    touched: dict[str, StoryState] = field(default_factory=dict)
    opened: set[str] = field(default_factory=set)


def published_day(article: Article, today: dt.date) -> dt.date:
    """The article's publication date, else today."""
    return parse_published(article.published) or today


@dataclass(frozen=True)
class Window:
    """Stories of a type to load as candidates: those whose `closes` is on or after
    `closes_from` (and on or before `closes_until`) and that were first told (`opened`) on
    or before `opened_until`; with a `limit`, only that many, the last to close first."""

    type: str
    closes_from: dt.date
    opened_until: dt.date
    limit: int | None = None
    closes_until: dt.date = dt.date.max


def windows(events: list[Event], published: dt.date, gazetteer: Gazetteer) -> list[Window]:
    """The windows of the candidate stories for the events of an article published on
    `published`, one per type, recall date and reach."""
    out = set()
    for event in events:
        kind = identity(event.type)
        m = mention(event, published, gazetteer)
        if m.recall and m.day is None:  # undated: the stories closed last, within the recall window
            out.add(Window(event.type, published - RECALL_DAYS * DAY, published,
                           RECALL_CANDIDATES))
            continue
        # not a recall: the stories open at publication; a dated recall: those open on its
        # day (m.published); of those, the ones its identity could accept
        start, end = kind.reach(m)
        out.add(Window(event.type, max(m.published, start), m.published + kind.span * DAY,
                       closes_until=end))
    return sorted(out, key=lambda w: (w.type, w.closes_from, w.opened_until, w.limit or 0,
                                      w.closes_until))


@dataclass(frozen=True)
class Sides:
    """A candidate of `type` another article could join for one of its events: a story that
    shares at least `shared` of these sides with it, or all of its own (it names fewer)."""

    type: str
    sides: frozenset[str]
    shared: int


def side_needs(events: list[Event], gazetteer: Gazetteer) -> list[Sides]:
    """What a candidate must share with some event of the article (`choose`'s "enough
    sides"), one per type and sides: a story that meets none, and that the article did not
    tell, is chosen by no event (sides change only for a story chosen), so the store need
    not load it."""
    out = set()
    for event in events:
        sides = sides_of(event, gazetteer)
        out.add(Sides(event.type, sides, max(1, min(identity(event.type).parties, len(sides)))))
    return sorted(out, key=lambda n: (n.type, sorted(n.sides), n.shared))


def in_window(story: StoryState, window: Window) -> bool:
    """Whether a story is in a window (its limit aside): what the store selects."""
    return (story.type == window.type
            and window.closes_from <= closes(story) <= window.closes_until
            and story.since <= window.opened_until)


def closes(story: StoryState) -> dt.date:
    """The last day a story may be joined (other than by a recall)."""
    return identity(story.type).closes(story)


def match_article(
    article: Article,
    events: list[Event],
    candidates: list[StoryState],
    gazetteer: Gazetteer,
    today: dt.date,
    known: Mapping[str, tuple[str, bool]] | None = None,
) -> Matching:
    """Give each event its story. `known`: events already saved (a redelivery), with their
    story id and whether they opened it; they keep them. Candidates are updated in place."""
    known = known or {}
    published = published_day(article, today)
    day = parse_published(article.published)  # a new story's id: never today (ids are stable)
    stories: dict[str, list[StoryState]] = {}  # by type: a mention looks at its own type's
    for candidate in candidates:
        stories.setdefault(candidate.type, []).append(candidate)
    out = Matching()
    for event in events:
        if event.id in known:
            out.events.append(_with_story(event, *known[event.id]))
            continue
        m = mention(event, published, gazetteer)
        story = choose(m, stories.get(m.type, []), gazetteer, article.id)
        when, is_new = m.when, story is None
        if story is None:
            # dated by its first article (dated_key: a day's stories side by side)
            story = new_story(dated_key(day, "story", event.id),
                              event, when, article.id, article.source, published)
            stories.setdefault(story.type, []).append(story)
            out.opened.add(story.id)
        else:
            absorb(story, event, when, article.id, article.source, published)
        note(story, m)
        out.touched[story.id] = story
        out.events.append(_with_story(event, story.id, is_new))
    return out


def choose(m: Mention, stories: list[StoryState], gazetteer: Gazetteer, article_id: str
           ) -> StoryState | None:
    """The best-fitting story for a mention, or None for a new one (`stories`: those of its
    type, others are passed over)."""
    kind = identity(m.type)
    timeless = m.recall and m.day is None
    best: tuple[tuple[int, ...], StoryState] | None = None
    # (this loop runs for every candidate of the type: what it needs is worked out once)
    type_, sides, published = m.type, m.sides, m.published
    # enough sides: at least min(the type's parties, the mention's sides, the story's) in
    # common, one at least (what the store's candidates are kept by: story_sides `meets`)
    cap = min(kind.parties, len(sides))
    horizon = published + kind.span * DAY
    recall, closes, fits, common = m.recall, kind.closes, kind.fits, sides.intersection
    for story in stories:
        if story.type != type_:
            continue
        same = article_id in story.articles
        # first: the cheapest test, and the surest
        shared = len(common(story.sides))
        need = len(story.sides)  # max(1, min(cap, len(story.sides))), inline:
        need = cap if cap < need else need
        enough = shared >= (need or 1)
        if not (enough or same):
            continue
        if not (same or recall):
            if closes(story) < published:
                continue  # closed
            if (story.opened or story.first) > horizon:  # (`since`)
                continue  # first told a span after this article: in that order, closed for it
        fit = fits(m, story, gazetteer, timeless)
        if fit is None:
            continue
        exact, near = fit
        score = (exact, int(enough), int(same), near, shared)
        if best is None or score > best[0]:
            best = (score, story)
    return best[1] if best else None


def _with_story(event: Event, story_id: str, new: bool) -> Event:
    return replace(event, story_id=story_id, story_new=new)
