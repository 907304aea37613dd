"""The model's rule lemmatizer with each answer remembered: the same lemmas, fewer calls.

spaCy's Lemmatizer works a token's lemma out from its text, part of speech and morphology
(and the model's static tables), caching only some answers; every token costs Python calls.
Here each distinct (text, part of speech, morphology) is asked once and its lemma set on
every later token alike (make bench: extraction vs bare nlp.pipe). Anything but the rule
mode, or a lemmatizer that overwrites lemmas, is left as it is (`fast_lemmas` gives None).
"""

from __future__ import annotations

from typing import cast

from spacy.attrs import LEMMA, MORPH, ORTH, POS
from spacy.pipeline import Lemmatizer
from spacy.tokens import Doc

_MEMO_LIMIT = 50_000  # distinct (text, pos, morphology) remembered before starting over


class FastLemmas:
    """Sets the lemma of every token that has none, as `lemmatizer` would."""

    def __init__(self, lemmatizer: Lemmatizer) -> None:
        self.lemmatizer = lemmatizer
        self._memo: dict[tuple[int, int, int], str] = {}

    def __call__(self, doc: Doc) -> Doc:
        if not self.lemmatizer._validated:
            self.lemmatizer._validate_tables()
        rows = cast(list[list[int]], doc.to_array([ORTH, POS, MORPH, LEMMA]).tolist())
        memo = self._memo
        for i, (orth, pos, morph, lemma) in enumerate(rows):
            if lemma:
                continue  # set by the attribute rules: the lemmatizer keeps it
            key = (orth, pos, morph)
            known = memo.get(key)
            token = doc[i]
            if known is None:
                known = self.lemmatizer.lemmatize(token)[0]
                if pos:  # no part of speech: spaCy warns each time; keep asking it
                    if len(memo) >= _MEMO_LIMIT:
                        memo.clear()
                    memo[key] = known
            token.lemma_ = known
        return doc


def fast_lemmas(lemmatizer: Lemmatizer) -> FastLemmas | None:
    """The remembering equivalent of `lemmatizer`, or None when it is not one it covers."""
    if lemmatizer.mode != "rule" or lemmatizer.overwrite:
        return None
    return FastLemmas(lemmatizer)

