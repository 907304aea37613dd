"""Compiling a rule's `when:` block into Condition objects (streams/evaluate/conditions.py).

A mapping is the AND of its fields; `all`, `any` and `not` combine blocks. Every mistake is
recorded with the path of the field at fault (the caller turns it into file:line: field) and
compilation carries on, so that `rules check` reports all the mistakes of a file at once.
Names in rules go through the gazetteer, as the extractor's do: 'Türkiye', 'Turkish' and
'Turkey' are one side.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Collection
from typing import Any

from streams.core.records import STATUSES
from streams.core.rule_yaml import Path_, RuleSyntaxError, parse_duration
from streams.evaluate.conditions import (
    AllOf,
    Always,
    AnyOf,
    Condition,
    DateCondition,
    Not,
    QuantityCondition,
    RegexCondition,
    SetCondition,
    SourceCondition,
    TextCondition,
    compile_regex,
)
from streams.evaluate.event_view import SCOPES, name_key, side_key
from streams.evaluate.phrases import PhraseError, phrase_key
from streams.knowledge.gazetteer import Gazetteer, fold

FIELDS = (
    "all", "any", "not", "type", "status", "language", "actors", "sides", "topic",
    "location", "quantities", "date", "source", "text", "regex",
)  # fmt: skip
_COMPARISONS = {">=": "gte", ">": "gt", "<=": "lte", "<": "lt", "==": "eq", "=": "eq", "!=": "ne"}


def unknown_field(name: Any, known: Collection[str]) -> str:
    """'unknown field 'quantites' (did you mean 'quantities'?)' and the fields allowed."""
    close = difflib.get_close_matches(str(name), list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f"; allowed: {', '.join(known)}"
    return f"unknown field '{name}'{hint}"


class ConditionCompiler:
    """Compiles `when:` blocks; mistakes go to `errors` as RuleSyntaxError(path, message)."""

    def __init__(self, gazetteer: Gazetteer, event_types: Collection[str] | None = None) -> None:
        self.gazetteer = gazetteer
        self.event_types = {fold(t) for t in event_types} if event_types else None
        self.errors: list[RuleSyntaxError] = []

    def compile(self, data: Any, path: Path_) -> Condition:
        """A `when:` block (None = always true)."""
        if data is None:
            return Always()
        return self._block(data, path)

    def _fail(self, path: Path_, message: str) -> Condition:
        self.errors.append(RuleSyntaxError(path, message))
        return Always()

    def _block(self, data: Any, path: Path_) -> Condition:
        if not isinstance(data, dict) or not data:
            return self._fail(path, "expected a mapping of conditions, e.g. {type: meeting}")
        parts = []
        for name, value in data.items():
            handler = self._handlers().get(str(name))
            if handler is None:
                parts.append(self._fail((*path, str(name)), unknown_field(name, FIELDS)))
                continue
            try:
                parts.append(handler(value, (*path, str(name))))
            except RuleSyntaxError as exc:
                parts.append(self._fail(exc.path, exc.message))
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def _handlers(self) -> dict[str, Callable[[Any, Path_], Condition]]:
        return {
            "all": lambda v, p: AllOf(self._list(v, p)),
            "any": lambda v, p: AnyOf(self._list(v, p)),
            "not": self._block_not,
            "type": self._type,
            "status": self._status,
            "language": lambda v, p: self._set("language", v, p, ("any", "none"), fold),
            "actors": lambda v, p: self._set("actors", v, p, ("any", "all", "none"), self._name),
            "sides": lambda v, p: self._set("sides", v, p, ("any", "all", "none"), self._side),
            "topic": self._topic,
            "location": lambda v, p: self._set("regions", v, p, ("any", "all", "none"), self._name),
            "quantities": self._quantities,
            "date": self._date,
            "source": self._source,
            "text": self._text,
            "regex": self._regex,
        }

    def _topic(self, value: Any, path: Path_) -> Condition:
        """`topic: war`, or `{any: [war], missing: pass}`: an event that names no subject
        passes (or fails) whatever the other options say."""
        missing = None
        if isinstance(value, dict) and "missing" in value:
            value = dict(value)
            item = value.pop("missing")
            if item not in ("pass", "fail", True, False):
                raise RuleSyntaxError((*path, "missing"), "expected 'pass' or 'fail'")
            missing = item in ("pass", True)
            if not value:
                return SetCondition("topic", missing=missing)
        spec = self._spec(value, path, ("any", "all", "none", "missing"))
        def folded(op: str) -> frozenset[str]:
            return frozenset(fold(v) for v in spec.get(op, ()))

        return SetCondition(
            "topic", any=folded("any"), all=folded("all"), none=folded("none"), missing=missing
        )

    def _name(self, value: str) -> str:
        return name_key(self.gazetteer, value)

    def _side(self, value: str) -> str:
        return side_key(self.gazetteer, value)

    def _block_not(self, value: Any, path: Path_) -> Condition:
        return Not(self._block(value, path))

    def _list(self, value: Any, path: Path_) -> tuple[Condition, ...]:
        if not isinstance(value, list) or not value:
            raise RuleSyntaxError(path, "expected a non-empty list of condition blocks")
        return tuple(self._block(item, (*path, i)) for i, item in enumerate(value))

    def _spec(self, value: Any, path: Path_, ops: tuple[str, ...]) -> dict[str, list[str]]:
        """`x`, `[x, y]` (= any of) or `{any: [...], all: [...], none: [...]}`."""
        implicit = not isinstance(value, dict)
        if implicit:
            value = {"any": value}
        elif not value:
            raise RuleSyntaxError(path, f"expected one of: {', '.join(ops)}")
        spec: dict[str, list[str]] = {}
        for op, items in value.items():
            if op not in ops:
                raise RuleSyntaxError((*path, str(op)), unknown_field(op, ops))
            where = path if implicit else (*path, str(op))
            listed = isinstance(items, list)
            items = items if listed else [items]
            for i, item in enumerate(items):
                if not isinstance(item, str) or not item.strip():
                    at = (*where, i) if listed else where
                    raise RuleSyntaxError(at, f"expected a text value, got {item!r}")
            if not items:
                raise RuleSyntaxError(where, "expected at least one value")
            spec[op] = items
        return spec

    def _set(
        self, attr: str, value: Any, path: Path_, ops: tuple[str, ...], norm: Callable
    ) -> Condition:
        spec = self._spec(value, path, ops)
        def normed(op: str) -> frozenset[str]:
            return frozenset(norm(v) for v in spec.get(op, ()))

        return SetCondition(attr, any=normed("any"), all=normed("all"), none=normed("none"))

    def _checked(self, value: Any, path: Path_, known: Collection[str] | None, what: str):
        spec = self._spec(value, path, ("any", "none"))
        for op, items in spec.items():
            for item in items:
                if known is not None and fold(item) not in known:
                    where = path if not isinstance(value, dict) else (*path, op)
                    raise RuleSyntaxError(
                        where, f"unknown {what} '{item}'; known: {', '.join(sorted(known))}"
                    )
        sets = {op: frozenset(fold(v) for v in spec.get(op, ())) for op in ("any", "none")}
        return sets

    def _type(self, value: Any, path: Path_) -> Condition:
        return SetCondition("type", **self._checked(value, path, self.event_types, "event type"))

    def _status(self, value: Any, path: Path_) -> Condition:
        return SetCondition("status", **self._checked(value, path, STATUSES, "status"))

    def _source(self, value: Any, path: Path_) -> Condition:
        spec = self._spec(value, path, ("any", "none"))
        return SourceCondition(
            any=tuple(fold(v) for v in spec.get("any", ())),
            none=tuple(fold(v) for v in spec.get("none", ())),
        )

    def _quantities(self, value: Any, path: Path_) -> Condition:
        if not isinstance(value, dict) or not value:
            raise RuleSyntaxError(path, "expected roles with comparisons, e.g. {killed: '>= 10'}")
        parts: list[Condition] = []
        for role, comparison in value.items():
            parts.extend(self._comparison(str(role), comparison, (*path, str(role))))
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def _comparison(self, role: str, value: Any, path: Path_) -> list[Condition]:
        if isinstance(value, str):
            text = value.strip()
            op = next((o for o in sorted(_COMPARISONS, key=len, reverse=True)
                       if text.startswith(o)), None)  # fmt: skip
            if op is None:
                raise RuleSyntaxError(path, f"{value!r} is not a comparison; write e.g. '>= 10'")
            value = {_COMPARISONS[op]: text[len(op) :].strip()}
        if not isinstance(value, dict) or not value:
            raise RuleSyntaxError(path, "expected a comparison such as '>= 10' or {gte: 10}")
        out: list[Condition] = []
        for op, number in value.items():
            if op not in ("gt", "gte", "lt", "lte", "eq", "ne"):
                raise RuleSyntaxError((*path, str(op)), unknown_field(op, ("gt", "gte", "lt",
                                      "lte", "eq", "ne")))  # fmt: skip
            try:
                out.append(QuantityCondition(role, op, float(number)))
            except (TypeError, ValueError):
                raise RuleSyntaxError((*path, op), f"expected a number, got {number!r}") from None
        return out

    def _date(self, value: Any, path: Path_) -> Condition:
        if not isinstance(value, dict) or not value:
            raise RuleSyntaxError(path, "expected {after: -60d} and/or {before: +7d}")
        bounds: dict[str, Any] = {}
        for key, item in value.items():
            where = (*path, str(key))
            if key in ("after", "before"):
                bounds[key] = _date_bound(item, where)
            elif key == "missing":
                if item not in ("pass", "fail", True, False):
                    raise RuleSyntaxError(where, "expected 'pass' or 'fail'")
                bounds["missing"] = item in ("pass", True)
            else:
                raise RuleSyntaxError(where, unknown_field(key, ("after", "before", "missing")))
        return DateCondition(**bounds)

    def _scoped(self, value: Any, path: Path_, ops: tuple[str, ...]) -> tuple[str, dict]:
        scope = "evidence"
        if isinstance(value, dict) and "in" in value:
            value = dict(value)
            scope = value.pop("in")
            if scope not in SCOPES:
                raise RuleSyntaxError((*path, "in"), f"expected one of: {', '.join(SCOPES)}")
        return scope, self._spec(value, path, ops)

    def _text(self, value: Any, path: Path_) -> Condition:
        scope, spec = self._scoped(value, path, ("any", "all", "none"))
        sets: dict[str, frozenset[str]] = {}
        for op, phrases in spec.items():
            keys = set()
            for i, phrase in enumerate(phrases):
                try:
                    keys.add(phrase_key(phrase))
                except PhraseError as exc:
                    raise RuleSyntaxError(path, f"{op}[{i}]: {exc}") from None
            sets[op] = frozenset(keys)
        return TextCondition(scope, **sets)

    def _regex(self, value: Any, path: Path_) -> Condition:
        scope, spec = self._scoped(value, path, ("any", "none"))
        compiled: dict[str, tuple[Any, ...]] = {}
        for op, patterns in spec.items():
            items = []
            for pattern in patterns:
                try:
                    items.append(compile_regex(pattern))
                except ValueError as exc:
                    raise RuleSyntaxError(path, str(exc)) from None
            compiled[op] = tuple(items)
        return RegexCondition(scope, **compiled)


def _date_bound(value: Any, path: Path_) -> float | dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value[:1] not in "+-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return parse_duration(value, path, signed=True)
