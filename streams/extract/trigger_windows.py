"""Where in a doc the event matcher can match: around the words a trigger must contain.

spaCy's Matcher starts every pattern at every token. Each trigger pattern has a word it
cannot match without ("talks", "exchange", "ceasefire"), and reaches at most so many tokens
before and after it: a match lies within that reach of such a word. Matching only those
windows of the doc, left to right, gives the very matches, in the very order, of matching the
whole doc (the Matcher emits a match at its last token, and the patterns here all end on a
required token), for a fraction of the work on text that speaks of other things.
Patterns this reasoning does not cover (a repeat operator, an optional last token, a pattern
without such a word) leave the matcher on whole docs (`TriggerWindows.of` returns None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from spacy.attrs import LEMMA, LOWER, ORTH
from spacy.strings import get_string_id
from spacy.tokens import Doc

_ATTRS = {"LEMMA": LEMMA, "LOWER": LOWER, "ORTH": ORTH}
# words too common to mark where a match can be: a pattern is anchored on another of its words
_COMMON = frozenset({"-", "of", "in", "to", "on", "from", "with", "that", "the", "a", "for"})

Pattern = Sequence[dict[str, Any]]


@dataclass(frozen=True)
class TriggerWindows:
    """By attribute, the anchor words (hashes) and how far a match reaches around each:
    (tokens before, tokens after), the most over the patterns anchored on it."""

    attrs: tuple[int, ...]
    reach: tuple[dict[int, tuple[int, int]], ...]  # one per attribute

    @classmethod
    def of(cls, patterns: Sequence[Pattern]) -> TriggerWindows | None:
        """The windows for these patterns, or None when one is beyond the reasoning above."""
        by_attr: dict[int, dict[int, tuple[int, int]]] = {}
        for pattern in patterns:
            found = _anchor(pattern)
            if found is None:
                return None
            attr, index, words = found
            table = by_attr.setdefault(_ATTRS[attr], {})
            for word in words:
                before, after = table.get(get_string_id(word), (0, 0))
                table[get_string_id(word)] = (
                    max(before, index), max(after, len(pattern) - index - 1)
                )
        if not by_attr:
            return None
        attrs = tuple(sorted(by_attr))
        return cls(attrs, tuple(by_attr[a] for a in attrs))

    def around(self, doc: Doc) -> list[tuple[int, int]]:
        """(start, end) token ranges, in order, apart, that hold every possible match."""
        length = len(doc)
        if not length:
            return []
        columns = doc.to_array(list(self.attrs)).reshape(length, len(self.attrs))
        rows = cast(list[list[int]], columns.tolist())  # uint64 hashes: Python ints
        spans = []
        for at, row in enumerate(rows):
            for value, reach in zip(row, self.reach, strict=True):
                if value in reach:
                    before, after = reach[value]
                    spans.append((max(0, at - before), min(length, at + after + 1)))
        out: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if out and start <= out[-1][1]:
                out[-1] = (out[-1][0], max(end, out[-1][1]))
            else:
                out.append((start, end))
        return out


def _anchor(pattern: Pattern) -> tuple[str, int, list[str]] | None:
    """The attribute, position and words of the pattern's required token a match cannot
    lack (fewest words, common ones last), or None when the pattern is beyond the windows'
    reasoning."""
    if not pattern or pattern[-1].get("OP") is not None:
        return None  # an optional last token: the Matcher may emit the match a token later
    if any(t.get("OP") not in (None, "?") for t in pattern):
        return None  # "*", "+", "!": the length is not bounded by the pattern's
    candidates = []
    for index, token in enumerate(pattern):
        if token.get("OP") is not None:
            continue
        for key, value in token.items():
            words = _words(value)
            if key.upper() in _ATTRS and words:
                common = bool(_COMMON & {w.lower() for w in words})
                candidates.append(((common, len(words), index), key.upper(), index, words))
    if not candidates:
        return None
    _rank, attr, index, words = min(candidates, key=lambda c: c[0])
    return attr, index, words


def _words(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and list(value) == ["IN"] and isinstance(value["IN"], list):
        if all(isinstance(v, str) for v in value["IN"]):
            return list(value["IN"])
    return None
