"""The model's attribute ruler (tag -> POS and morphology, lemma exceptions) applied by table
look-up instead of spaCy's token Matcher: the same rules, the same order, the same result.

spaCy's AttributeRuler starts each of its ~180 patterns at every token, which costs more
than the tagger and the parser together (make bench: extraction vs bare nlp.pipe). Its
patterns are one or two tokens long and test only a few token attributes, so what a token
satisfies depends only on those attribute values: it is worked out once per distinct
combination and remembered. A ruler whose patterns use anything else (an operator, another
attribute or predicate) is left as it is (`fast_rules` returns None).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from spacy.attrs import DEP, IS_SPACE, LOWER, TAG
from spacy.pipeline import AttributeRuler
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.tokens._retokenize import set_token_attrs

_ATTRS = {"LOWER": (0, LOWER), "TAG": (1, TAG), "DEP": (2, DEP), "IS_SPACE": (3, IS_SPACE)}
# distinct (lower, tag, dep, space) rows remembered before starting over: ~10 MB at most
_MEMO_LIMIT = 30_000

# a test on one row of attribute values (lower, tag, dep, is_space), as spaCy's Matcher
# makes it: strings compared by their hash, a regex searched in the string
Test = Callable[[tuple[int, ...]], bool]


class Unsupported(ValueError):
    """A pattern this look-up does not reproduce exactly; keep spaCy's own ruler."""


class FastAttributeRules:
    """Applies an AttributeRuler's rules to a doc; equal to calling the ruler itself."""

    def __init__(self, ruler: AttributeRuler) -> None:
        strings = ruler.vocab.strings
        self.attrs = list(ruler.attrs)
        self.indices = list(ruler.indices)
        # every token position of every pattern is one test; a pattern is its tests' ids
        self.tests: list[Test] = []
        self.patterns: list[tuple[int, tuple[int, ...]]] = []  # (rule index, test ids)
        for rule in range(len(self.attrs)):
            for pattern in ruler.matcher.get(str(rule))[1]:
                ids = []
                for token in pattern:
                    self.tests.append(_token_test(token, lambda h: strings[h]))
                    ids.append(len(self.tests) - 1)
                self.patterns.append((rule, tuple(ids)))
        self._memo: dict[tuple[int, ...], tuple[tuple[int, ...], frozenset[int]]] = {}
        self._answers: dict[frozenset[int], tuple[tuple[int, ...], frozenset[int]]] = {}

    def __call__(self, doc: Doc) -> Doc:
        matches = sorted(self.match(doc))
        for rule, start, end in matches:
            index = self.indices[rule]
            at = start + index if index >= 0 else end + index
            if not start <= at < end:
                raise ValueError(f"attribute rule {rule}: index {index} outside its match")
            set_token_attrs(doc[at], self.attrs[rule])
        return doc

    def match(self, doc: Doc) -> set[tuple[int, int, int]]:
        """(rule index, start, end) of every match, as spaCy's Matcher finds them."""
        rows = doc.to_array([LOWER, TAG, DEP, IS_SPACE]).tolist()
        passed = [self._passed(tuple(row)) for row in rows]
        found = set()
        for start, (starting, _tests) in enumerate(passed):
            for n in starting:
                rule, ids = self.patterns[n]
                end = start + len(ids)
                if end <= len(passed) and all(
                    ids[k] in passed[start + k][1] for k in range(1, len(ids))
                ):
                    found.add((rule, start, end))
        return found

    def _passed(self, row: tuple[int, ...]) -> tuple[tuple[int, ...], frozenset[int]]:
        """The patterns whose first token this row satisfies, and every test it passes."""
        known = self._memo.get(row)
        if known is None:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            tests = frozenset(n for n, test in enumerate(self.tests) if test(row))
            known = self._answers.get(tests)
            if known is None:  # few distinct answers: each kept once, shared by its rows
                starting = tuple(
                    n for n, (_, ids) in enumerate(self.patterns) if ids[0] in tests
                )
                known = self._answers[tests] = (starting, tests)
            self._memo[row] = known
        return known


def fast_rules(ruler: AttributeRuler) -> FastAttributeRules | None:
    """The look-up equivalent of `ruler`, or None when a pattern is beyond it."""
    try:
        return FastAttributeRules(ruler)
    except Unsupported:
        return None


def _token_test(token: dict[str, Any], text: Callable[[int], str]) -> Test:
    checks = [_check(key.upper(), value, text) for key, value in token.items()]
    return lambda row: all(check(row) for check in checks)


def _check(key: str, value: Any, text: Callable[[int], str]) -> Test:
    if key not in _ATTRS:
        raise Unsupported(f"attribute {key}")
    col = _ATTRS[key][0]
    if key == "IS_SPACE":
        if not isinstance(value, bool):
            raise Unsupported(f"IS_SPACE {value!r}")
        return lambda row: bool(row[col]) == value
    if isinstance(value, str):
        wanted = get_string_id(value)
        return lambda row: row[col] == wanted
    if not isinstance(value, dict) or not value:
        raise Unsupported(f"{key} {value!r}")
    checks = [_predicate(col, op, arg, text) for op, arg in value.items()]
    return lambda row: all(check(row) for check in checks)


def _predicate(col: int, op: str, arg: Any, text: Callable[[int], str]) -> Test:
    if op in ("IN", "NOT_IN") and isinstance(arg, list) and all(isinstance(a, str) for a in arg):
        hashes = frozenset(get_string_id(a) for a in arg)
        if op == "IN":
            return lambda row: row[col] in hashes
        return lambda row: row[col] not in hashes
    if op == "REGEX" and isinstance(arg, str):
        regex = re.compile(arg)
        return lambda row: bool(regex.search(text(row[col])))
    raise Unsupported(f"{op} {arg!r}")

