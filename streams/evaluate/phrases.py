"""Phrase matching for rules: every phrase of every rule in ONE Aho-Corasick automaton.

Text and phrases are normalised the same way (case and accents folded, anything that is not
a letter or digit becomes a space), so 'Prisoner-of-war EXCHANGES' contains the phrase
'prisoner of war exchange*'. A phrase matches whole words; a trailing '*' lets its last word
run on ('lift*' matches lift, lifts, lifted, lifting). One pass over a text finds every
phrase of every rule, so adding rules adds no pass over the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import ahocorasick

from streams.core.errors import RuleDefinitionError
from streams.knowledge.gazetteer import fold

_NON_WORD = re.compile(r"[^\w]+|_+")


class PhraseError(RuleDefinitionError, ValueError):
    """A phrase that cannot be matched (empty, or a '*' anywhere but at the end)."""


def normalise(text: str) -> str:
    """Folded words separated by single spaces: 'Türkiye’s talks' -> 'turkiye s talks'."""
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


def phrase_key(phrase: str) -> str:
    """The automaton key of a phrase: ' words ' for a whole phrase, ' words' for 'words*'."""
    prefix = phrase.rstrip().endswith("*")
    body = phrase.rstrip().rstrip("*")
    if "*" in body:
        raise PhraseError(f"phrase {phrase!r}: '*' is only allowed at the end")
    words = normalise(body)
    if not words:
        raise PhraseError(f"phrase {phrase!r} has no letters or digits")
    return f" {words}" if prefix else f" {words} "


class PhraseMatcher:
    """One automaton over a set of phrase keys; `find(text)` returns the keys it contains."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = frozenset(keys)
        self._automaton: ahocorasick.Automaton | None = None
        if self.keys:
            automaton = ahocorasick.Automaton()
            for key in self.keys:
                automaton.add_word(key, key)
            automaton.make_automaton()
            self._automaton = automaton

    def find(self, text: str) -> frozenset[str]:
        """The phrase keys found in text (one pass, whatever the number of phrases)."""
        if self._automaton is None or not text:
            return frozenset()
        padded = f" {normalise(text)} "
        return frozenset(key for _end, key in self._automaton.iter(padded))
