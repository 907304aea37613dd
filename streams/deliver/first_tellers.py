"""Whether an article raises its rule's alert, the same whatever order articles come in.

One article raises at most one alert per rule (Pipeline._record): of the stories it is the
first to tell, one alert is sent and the others are recorded with it, undelivered
("covered"). In order of publication a rule so raises one alert per article that is the
earliest teller of at least one story. Articles do not always come in that order: a retried
entry, or a feed out of step with another, is processed after newer articles that told its
stories first. Without holding newer articles back, an older one is taken as if it had come
first: of the recorded stories it tells, it becomes the earliest teller of those it was
published before their tellers. When that leaves a newer article the earliest teller of no
story, the newer article's alert stands for the older one's (in order of publication the
older article would have raised it, and the newer one would have been an update): the
older article raises none, its new stories are covered. Otherwise it raises the alert of
its first new story, as in order of publication, where an article is never older than a
recorded teller.

A covered alert is never raised later by an older article: whether the older article would
have opened that story, or the newer article's mentions would all have joined the older
one's story (one happening its newer article had told as two), is not known from what is
recorded, and the second is what the seeds do (see tests/runtime/test_alert_order.py).

An article without a publication date keeps the order it was processed in (it is never
taken as older, nor a teller as newer). Pure: streams/deliver/record.py loads the tellings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from streams.core.ordering import publication_key

__all__ = ["Order", "Telling", "order_of", "precedes_any", "raised_story"]

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


def _precedes(a: Order | None, b: Order | None) -> bool:
    return a is not None and b is not None and a < b


def precedes_any(order: Order | None, tellings: Iterable[Telling]) -> bool:
    """Whether the article was published before one of these tellers: only then do the
    other stories its tellers told matter (in order of publication it never is).

    Asked of the alerts' own tellings of the stories it tells (`first`) alone: when False,
    raised_story over those alone is raised_story over every telling, so the updates need
    not be read. (A story's earliest teller is its alert's article or an update published
    before that: an article published after the alert's teller of each story it tells is
    published after each one's earliest teller too, so it takes no story from a teller, and
    raises the alert of its first story without one, whatever the updates say.)"""
    return any(_precedes(order, t.order) for t in tellings)


def _earliest(tellings: Sequence[Telling]) -> dict[str, tuple[str, Order | None]]:
    """Each story's earliest teller: its alert's article, unless an update's precedes it."""
    out: dict[str, tuple[str, Order | None]] = {}
    for t in sorted(tellings, key=lambda t: not t.first):  # the alert's article first
        current = out.get(t.story)
        if current is None or _precedes(t.order, current[1]):
            out[t.story] = (t.article, t.order)
    return out


def raised_story(article: str, order: Order | None, told: Sequence[str],
                 tellings: Iterable[Telling]) -> str | None:
    """The story whose alert the article raises for one rule, or None. `order`: order_of
    its publication; `told`: the stories it tells, in its matches' order; `tellings`: every
    recorded telling of those stories, and of every story their tellers told, for the rule."""
    before = _earliest(list(tellings))
    after = dict(before)
    for story in told:
        if story not in after or _precedes(order, after[story][1]):
            after[story] = (article, order)
    still = {a for a, _ in after.values()}
    if any(a not in still for a, _ in before.values()):
        return None  # a newer article's alert stands for this one's
    return next((story for story in told if story not in before), None)
