"""Story matching, pure: for each event of an article, join an open story or open a new one.

The runtime (streams/runtime/stories.py) loads the candidates `since` says (stories of the
article's event types still open at its publication date, or closed within RECALL_DAYS when
an event is a recall), calls `match_article`, and saves what it returns. A candidate fits
when it has the same type, shares sides with the event (one, or two for a meeting or a
truce; within one article none: an article that goes on about "the talks" means its own
talks) and its type's identity (streams/stories/identity.py) accepts it. The best fit wins:
the most facts in common (a named place, scope, package or day), then enough sides shared,
then the same article, then the nearest in time, then the most sides shared; ties go to the
older story. A story past its span is closed: only a recall (background) may join it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from streams.core.records import Article, Event, content_key
from streams.extract.dates import parse_published
from streams.knowledge.gazetteer import Gazetteer
from streams.stories.identity import RECALL_DAYS, Mention, identity, is_recall, mention, note
from streams.stories.state import StoryState, absorb, new_story

DAY = dt.timedelta(days=1)


@dataclass
class Matching:
    """The events with story_id and story_new set, and the stories they opened or updated."""

    events: list[Event] = field(default_factory=list)
    touched: dict[str, StoryState] = field(default_factory=dict)
    opened: set[str] = field(default_factory=set)


def published_day(article: Article, today: dt.date) -> dt.date:
    """The article's publication date, else today."""
    return parse_published(article.published) or today


def since(events: list[Event], published: dt.date) -> dict[str, dt.date]:
    """Per event type, the earliest closing date of the stories to load: the publication
    date, or RECALL_DAYS before it when an event of that type is a recall."""
    out: dict[str, dt.date] = {}
    for event in events:
        low = published - RECALL_DAYS * DAY if is_recall(event, published) else published
        out[event.type] = min(out.get(event.type, low), low)
    return out


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
    stories = list(candidates)
    out = Matching()
    for event in events:
        if event.id in known:
            out.events.append(_with_story(event, *known[event.id]))
            continue
        m = mention(event, published, gazetteer)
        story = choose(m, stories, gazetteer, article.id)
        when, is_new = m.when, story is None
        if story is None:
            story = new_story(content_key("story", event.id), event, when, article.id,
                              article.source, published)
            stories.append(story)
            out.opened.add(story.id)
        else:
            absorb(story, event, when, article.id, article.source, published)
        note(story, m)
        out.touched[story.id] = story
        out.events.append(_with_story(event, story.id, is_new))
    return out


def choose(m: Mention, stories: list[StoryState], gazetteer: Gazetteer, article_id: str
           ) -> StoryState | None:
    """The best-fitting story for a mention, or None for a new one."""
    kind = identity(m.type)
    timeless = m.recall and m.day is None
    best: tuple[tuple[int, ...], StoryState] | None = None
    for story in stories:
        if story.type != m.type:
            continue
        same = article_id in story.articles
        if not (same or m.recall) and kind.closes(story) < m.published:
            continue  # closed
        if not (same or m.recall) and story.since > m.published + kind.span * DAY:
            continue  # first told a span after this article: in that order, closed for it
        shared = len(m.sides & set(story.sides))
        enough = shared >= max(1, min(kind.parties, len(m.sides), len(story.sides)))
        if not (enough or same):
            continue
        fit = kind.fits(m, story, gazetteer, timeless)
        if fit is None:
            continue
        exact, near = fit
        score = (exact, int(enough), int(same), near, shared)
        if best is None or score > best[0]:
            best = (score, story)
    return best[1] if best else None


def _with_story(event: Event, story_id: str, new: bool) -> Event:
    return replace(event, story_id=story_id, story_new=new)
