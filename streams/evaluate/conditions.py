"""The condition objects a rule's `when:` block compiles to
(see streams/evaluate/condition_compiler.py).

Each condition answers `test(view)` over an EventView. Conditions also tell the rulebook
which phrases they need (all go into one automaton) and an `anchor`: index keys of which an
event must carry at least one for the condition to hold, so that a rule about sanctions on
Iran is never even tried on an event about Ukraine. Nothing from YAML is evaluated as code:
regular expressions run on RE2 (linear time, no catastrophic backtracking).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import re2

from streams.evaluate.event_view import EventView

Key = tuple[str, ...]
# the anchor preferred for indexing: the rarest kind of key first
ANCHOR_RANK = {"phrase": 0, "actor": 1, "side": 2, "region": 3, "type": 4}


@dataclass(frozen=True)
class Anchor:
    """Keys of which an event must have one; rank says how selective the kind of key is."""

    rank: int
    keys: frozenset[Key]


class Condition:
    """A test over an event view. Subclasses are frozen dataclasses."""

    def test(self, view: EventView) -> bool:
        raise NotImplementedError

    def anchors(self) -> list[Anchor]:
        """Anchors that are necessary for this condition (empty: none known)."""
        return []

    def phrase_keys(self) -> set[tuple[str, str]]:
        """(scope, phrase key) pairs this condition looks for."""
        return set()


@dataclass(frozen=True)
class Always(Condition):
    def test(self, view: EventView) -> bool:
        return True


@dataclass(frozen=True)
class AllOf(Condition):
    parts: tuple[Condition, ...]

    def test(self, view: EventView) -> bool:
        return all(p.test(view) for p in self.parts)

    def anchors(self) -> list[Anchor]:
        return [a for p in self.parts for a in p.anchors()]

    def phrase_keys(self) -> set[tuple[str, str]]:
        return set().union(*(p.phrase_keys() for p in self.parts))


@dataclass(frozen=True)
class AnyOf(Condition):
    parts: tuple[Condition, ...]

    def test(self, view: EventView) -> bool:
        return any(p.test(view) for p in self.parts)

    def anchors(self) -> list[Anchor]:
        # necessary only if every branch has one: the union of each branch's best anchor
        best = [min(p.anchors(), key=_anchor_order, default=None) for p in self.parts]
        if not best or any(b is None for b in best):
            return []
        keys = frozenset().union(*(b.keys for b in best if b is not None))
        return [Anchor(max(b.rank for b in best if b is not None), keys)]

    def phrase_keys(self) -> set[tuple[str, str]]:
        return set().union(*(p.phrase_keys() for p in self.parts))


@dataclass(frozen=True)
class Not(Condition):
    part: Condition

    def test(self, view: EventView) -> bool:
        return not self.part.test(view)

    def phrase_keys(self) -> set[tuple[str, str]]:
        return self.part.phrase_keys()


@dataclass(frozen=True)
class SetCondition(Condition):
    """any / all / none of some values over one of the view's sets of folded names."""

    attr: str  # type | status | language | actors | sides | topic | regions
    any: frozenset[str] = frozenset()
    all: frozenset[str] = frozenset()
    none: frozenset[str] = frozenset()
    missing: bool | None = None  # an event with no value at all: passes / fails / as usual

    def _values(self, view: EventView) -> frozenset[str]:
        value = getattr(view, self.attr)
        return value if isinstance(value, frozenset) else frozenset((value,))

    def test(self, view: EventView) -> bool:
        values = self._values(view)
        if not values and self.missing is not None:
            return self.missing
        return (
            (not self.any or not self.any.isdisjoint(values))
            and self.all <= values
            and self.none.isdisjoint(values)
        )

    def anchors(self) -> list[Anchor]:
        kind = {"actors": "actor", "sides": "side", "regions": "region", "type": "type"}
        if self.attr not in kind:
            return []
        out = []
        if self.any:
            out.append(_anchor(kind[self.attr], self.any))
        for value in self.all:
            out.append(_anchor(kind[self.attr], {value}))
        return out


@dataclass(frozen=True)
class SourceCondition(Condition):
    """The article's source contains one of these (folded) names, and none of those."""

    any: tuple[str, ...] = ()
    none: tuple[str, ...] = ()

    def test(self, view: EventView) -> bool:
        hit = not self.any or any(s in view.source for s in self.any)
        return hit and not any(s in view.source for s in self.none)


_OPS: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
}


@dataclass(frozen=True)
class QuantityCondition(Condition):
    """quantities.<role> compared with a number; an event without that number fails."""

    role: str
    op: str
    value: float

    def test(self, view: EventView) -> bool:
        try:
            stated = view.event.quantity(self.role)
        except (TypeError, ValueError, KeyError):
            return False
        return stated is not None and _OPS[self.op](stated, self.value)


@dataclass(frozen=True)
class DateCondition(Condition):
    """The event date within bounds; relative bounds count from the article's publication."""

    after: float | dt.date | None = None  # seconds relative to publication, or a date
    before: float | dt.date | None = None
    missing: bool = True  # an event without a date passes

    def test(self, view: EventView) -> bool:
        if view.date is None:
            return self.missing
        low = _bound(self.after, view.published)
        high = _bound(self.before, view.published)
        return (low is None or view.date >= low) and (high is None or view.date <= high)


def _bound(bound: float | dt.date | None, published: dt.date) -> dt.date | None:
    if bound is None or isinstance(bound, dt.date):
        return bound
    return published + dt.timedelta(seconds=bound)


@dataclass(frozen=True)
class TextCondition(Condition):
    """Phrases (keys of the shared automaton) in one scope: any / all / none of them."""

    scope: str
    any: frozenset[str] = frozenset()
    all: frozenset[str] = frozenset()
    none: frozenset[str] = frozenset()

    def test(self, view: EventView) -> bool:
        found = view.phrases(self.scope)
        return (
            (not self.any or not self.any.isdisjoint(found))
            and self.all <= found
            and self.none.isdisjoint(found)
        )

    def anchors(self) -> list[Anchor]:
        out = [_anchor("phrase", {(self.scope, k) for k in self.any})] if self.any else []
        return out + [_anchor("phrase", {(self.scope, k)}) for k in self.all]

    def phrase_keys(self) -> set[tuple[str, str]]:
        return {(self.scope, k) for k in self.any | self.all | self.none}


@dataclass(frozen=True)
class RegexCondition(Condition):
    """RE2 patterns (case-insensitive) over one scope's raw text: any / none of them."""

    scope: str
    any: tuple[Any, ...] = ()  # compiled re2 patterns
    none: tuple[Any, ...] = ()

    def test(self, view: EventView) -> bool:
        text = view.text(self.scope)
        hit = not self.any or any(p.search(text) for p in self.any)
        return hit and not any(p.search(text) for p in self.none)


def compile_regex(pattern: str) -> Any:
    """An RE2 pattern, case-insensitive; raises ValueError with RE2's reason."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # the reason goes into the RuleError, not to stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ValueError(f"bad regular expression {pattern!r}: {reason}") from exc


def _anchor(kind: str, values: Any) -> Anchor:
    keys = frozenset((kind, *v) if isinstance(v, tuple) else (kind, v) for v in values)
    return Anchor(ANCHOR_RANK[kind], keys)


def _anchor_order(anchor: Anchor) -> tuple[int, int]:
    return (anchor.rank, len(anchor.keys))


def best_anchor(condition: Condition) -> Anchor | None:
    """The most selective necessary anchor of a condition, or None (always a candidate).

    A type anchor combines with the best other one: ('type', 'attack', 'side', 'russia')
    offers a rule only for attacks involving Russia, not for every event about Russia."""
    anchors = condition.anchors()
    types = [a for a in anchors if all(len(k) == 2 and k[0] == "type" for k in a.keys)]
    others = [a for a in anchors if a not in types]
    best_type = min(types, key=_anchor_order, default=None)
    best = min(others, key=_anchor_order, default=None)
    if best_type is None or best is None:
        return best or best_type
    keys = frozenset(t + k for t in best_type.keys for k in best.keys)
    return Anchor(best.rank, keys)
