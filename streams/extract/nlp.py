"""The spaCy pipeline extraction runs: the installed statistical model, an entity ruler holding
the gazetteer (before "ner", so the model's mistakes on the domain are corrected) and an
event matcher that marks trigger spans from the taxonomy in doc.spans["events"].

Nothing is downloaded: the model is an installed package (or a path).
"""

from __future__ import annotations

from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span, SpanGroup

from streams.core.errors import ConfigError
from streams.extract.attribute_rules import fast_rules
from streams.extract.lemmas import fast_lemmas
from streams.extract.matmul import building_with, one_thread_here
from streams.extract.pipe_step import add_step_last, replace_by_step
from streams.extract.trigger_windows import TriggerWindows
from streams.knowledge.gazetteer import Gazetteer, fold
from streams.knowledge.taxonomy import Taxonomy, TaxonomyError

EVENTS_KEY = "events"  # doc.spans key of the trigger spans; span.label_ = event type
_NOT = "not:"  # matcher label prefix of a type's look-alikes
# Components extraction uses; anything else the model ships is excluded (never run).
NEEDED = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner")
_LABELS = {
    "person": "PERSON",
    "country": "GPE",
    "city": "GPE",
    "region": "LOC",
    "site": "FAC",
    "organisation": "ORG",
}
# Holidays the model labels EVENT or misses; they are dates ("a New Year's drone strike").
_HOLIDAYS: list[list[dict[str, Any]]] = [
    [
        {"LOWER": "new"},
        {"LOWER": "year"},
        {"LOWER": {"IN": ["'s", "’s"]}, "OP": "?"},
        {"LOWER": {"IN": ["day", "eve"]}, "OP": "?"},
    ],
    [
        {"LOWER": "orthodox", "OP": "?"},
        {"LOWER": "christmas"},
        {"LOWER": {"IN": ["day", "eve"]}, "OP": "?"},
    ],
]


class NlpError(ConfigError):
    """The model cannot be loaded or a taxonomy pattern is invalid; the message says which."""


def load_nlp(model: str, gazetteer: Gazetteer, taxonomy: Taxonomy, matmul: str = "numpy"
             ) -> Language:
    """Load the installed model by name (or path), its matrices multiplied by `matmul`
    (streams/extract/matmul.py), and add the gazetteer ruler and the matcher."""
    try:
        with building_with(matmul):
            nlp = spacy.load(model)
        if matmul == "numpy":
            one_thread_here()
    except OSError as exc:
        raise NlpError(f"spaCy model {model!r} is not installed: {exc}") from exc
    for name in list(nlp.pipe_names):
        if name not in NEEDED:  # never run what extraction does not read
            nlp.remove_pipe(name)
    if "attribute_ruler" in nlp.pipe_names:
        # the same rules by table look-up: spaCy's matcher over them costs more than the
        # tagger and parser together (make bench: extraction vs bare nlp.pipe)
        rules = fast_rules(nlp.get_pipe("attribute_ruler"))  # type: ignore[arg-type]
        if rules is not None:
            replace_by_step(nlp, "attribute_ruler", rules)
    if "lemmatizer" in nlp.pipe_names:
        lemmas = fast_lemmas(nlp.get_pipe("lemmatizer"))  # type: ignore[arg-type]
        if lemmas is not None:  # the same lemmas, each worked out once
            replace_by_step(nlp, "lemmatizer", lemmas)
    ruler = nlp.add_pipe(
        "entity_ruler",
        name="gazetteer",
        before="ner" if "ner" in nlp.pipe_names else None,
        # phrase patterns on LOWER go through the PhraseMatcher, several times faster than
        # one token pattern per alias (make bench: extraction vs bare nlp.pipe)
        config={"phrase_matcher_attr": "LOWER"},
    )
    ruler.add_patterns(_ruler_patterns(nlp, gazetteer))  # type: ignore[attr-defined]
    add_step_last(nlp, "newswatch_events", EventMatcher(nlp, taxonomy))
    return nlp


def _ruler_patterns(nlp: Language, gazetteer: Gazetteer) -> list[dict[str, Any]]:
    """One token pattern per alias (and its accent-free spelling), id = canonical name."""
    patterns: list[dict[str, Any]] = [{"label": "DATE", "pattern": p} for p in _HOLIDAYS]
    seen: set[tuple[str, str]] = set()
    for alias, entity in gazetteer.aliases():
        for spelling in {alias, fold(alias)} if not alias.isupper() else {alias}:
            tokens = [t.text for t in nlp.tokenizer(spelling)]
            key = (entity.name, " ".join(tokens).lower())
            if key in seen:
                continue
            seen.add(key)
            label = _LABELS[entity.kind]
            if alias.isupper():
                # all-capital aliases (US, EU) match only in capitals: "us" is a pronoun
                orth = [{"ORTH": t} for t in tokens]
                patterns.append({"label": label, "pattern": orth, "id": entity.name})
            else:
                phrase = " ".join(tokens).lower()
                patterns.append({"label": label, "pattern": phrase, "id": entity.name})
    return patterns


class EventMatcher:
    """Marks trigger spans of every event type; drops those inside a 'not' look-alike."""

    def __init__(self, nlp: Language, taxonomy: Taxonomy) -> None:
        # one matcher for triggers and look-alikes: one pass over the doc, one cache of
        # token predicates (make bench: extraction vs bare nlp.pipe)
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.windows = TriggerWindows.of(
            [p for t in taxonomy.event_types.values() for p in (*t.patterns, *t.not_patterns)]
        )
        for etype in taxonomy.event_types.values():
            try:
                self.matcher.add(etype.name, [list(p) for p in etype.patterns])
                if etype.not_patterns:
                    self.matcher.add(_NOT + etype.name, [list(p) for p in etype.not_patterns])
            except (ValueError, KeyError, TypeError) as exc:
                raise TaxonomyError(
                    f"{taxonomy.path}:{etype.line}: field 'types.{etype.name}': "
                    f"invalid pattern: {exc}"
                ) from exc

    def __call__(self, doc: Doc) -> Doc:
        vetoed: set[tuple[str, int]] = set()  # (type, token index) inside a look-alike
        found = []
        for match_id, start, end in self._matches(doc):
            label = doc.vocab.strings[match_id]
            if label.startswith(_NOT):
                vetoed.update((label[len(_NOT) :], i) for i in range(start, end))
            else:
                found.append((label, start, end))
        spans: list[Span] = []
        seen: set[tuple[str, int]] = set()
        for label, start, end in found:
            span = Span(doc, start, end, label=label)
            root = span.root.i
            if (label, root) in vetoed or (label, root) in seen:
                continue
            seen.add((label, root))
            spans.append(span)
        doc.spans[EVENTS_KEY] = SpanGroup(doc, name=EVENTS_KEY, spans=spans)
        return doc

    def _matches(self, doc: Doc) -> list[tuple[int, int, int]]:
        """The matcher's matches over the doc, in its order; read only around the words a
        match must contain when the patterns allow (see TriggerWindows)."""
        if self.windows is None:
            return list(self.matcher(doc))
        out: list[tuple[int, int, int]] = []
        for start, end in self.windows.around(doc):
            out += [(m, start + s, start + e) for m, s, e in self.matcher(doc[start:end])]
        return out

