"""Which alert an article raises for a rule, the same whatever order articles come in.

One article raises at most one alert per rule (Pipeline._record): of the stories it is the
first to tell, one alert is sent and the others are recorded with it, undelivered
("covered"). In order of publication a rule so raises one alert per article that is the
earliest teller of at least one story. Articles do not always come in that order: a retried
entry, or a feed out of step with another, is processed after newer articles that told its
stories first. This module decides, from what is recorded, what such an article does so that
the count stays the one publication order gives, without holding newer articles back:

- the article is taken as if it had come first: of the stories it tells, it is the earliest
  teller of those it tells before their recorded tellers;
- when that makes one more earliest teller (the article itself, or a newer one whose alert
  is now on a story the older article tells first), one more alert is raised: the first
  story it tells that has no alert or whose alert is covered (delivered now with its
  evidence), else a covered story of the newer article (delivered as recorded);
- when it makes none (the newer article's alert is on a story it tells), it raises none:
  its new stories are covered and it is an update of the others.

In order of publication an article is never older than a recorded teller, so this is the
plain rule: an alert for its first new story. An article without a publication date keeps
the order it was processed in (it is never taken as older, nor a teller as newer). Pure: the
caller (streams/deliver/record.py) loads the tellings and writes the plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from streams.core.ordering import publication_key

__all__ = ["Order", "Plan", "Telling", "order_of", "plan"]

Order = tuple[dt.datetime, str, str]


def order_of(published: str | None, url: str) -> Order | None:
    """The article's place in order of publication; None when it has no usable date."""
    key = publication_key(published, url)
    return None if key[0] == publication_key(None, "")[0] else key


@dataclass(frozen=True)
class Telling:
    """A recorded article of a rule's story: the one its alert was recorded with (`first`),
    or a later one (a story update)."""

    story: str
    article: str
    order: Order | None
    first: bool
    covered: bool  # the story's alert is recorded undelivered


@dataclass(frozen=True)
class Plan:
    """What an article does for one rule: raise the alert of `raise_on` (a story it tells,
    with no alert yet or a covered one, delivered with its evidence), and deliver the
    covered alert of `uncover` as recorded (a newer article's). The article's other new
    stories are covered, its other stories are updates."""

    raise_on: str | None = None
    uncover: str | None = None


def _precedes(a: Order | None, b: Order | None) -> bool:
    return a is not None and b is not None and a < b


def _earliest(tellings: Sequence[Telling]) -> dict[str, tuple[str, Order | None]]:
    """Each story's earliest teller: its alert's article, unless an update's precedes it."""
    out: dict[str, tuple[str, Order | None]] = {}
    for t in sorted(tellings, key=lambda t: not t.first):  # the alert's article first
        current = out.get(t.story)
        if current is None or _precedes(t.order, current[1]):
            out[t.story] = (t.article, t.order)
    return out


def plan(article: str, order: Order | None, told: Sequence[str],
         tellings: Iterable[Telling]) -> Plan:
    """The plan of an article (`order`: order_of its publication) telling the stories
    `told` (in the order its matches came) for one rule. `tellings`: every recorded telling
    of those stories, and of every story their tellers told, for that rule."""
    recorded = list(tellings)
    before = _earliest(recorded)
    covered = {t.story for t in recorded if t.first and t.covered}
    after = dict(before)
    for story in told:
        if story not in after or _precedes(order, after[story][1]):
            after[story] = (article, order)
    gained = len({a for a, _ in after.values()}) - len({a for a, _ in before.values()})
    if gained < 1:
        return Plan()
    for story in told:
        if story not in before or (story in covered and after[story][0] == article):
            return Plan(raise_on=story)
    return Plan(uncover=_needing(after, covered, article))


def _needing(after: dict[str, tuple[str, Order | None]], covered: set[str],
             article: str) -> str | None:
    """A covered story of a newer article that is the earliest teller of no delivered
    story any more (the older article tells its alerted story first): the alert it would
    have raised in order of publication."""
    owners = {after[s][0] for s in after if s not in covered}
    for story in sorted(covered):
        teller = after[story][0]
        if teller != article and teller not in owners:
            return story
    return None
