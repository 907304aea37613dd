"""The model's rule lemmatizer with its answers remembered (streams/extract/lemmas.py) gives
every token exactly the lemma spaCy's own lemmatizer gives it."""

from __future__ import annotations

import spacy
from model_stages import doc_before
from spacy.language import Language
from spacy.pipeline import Lemmatizer

from streams.extract.extractor import Extractor
from streams.extract.lemmas import FastLemmas, fast_lemmas

# invented sentences: the same words in other parts of speech and forms, said twice so the
# second time comes from memory; a lemma the attribute rules set ("ai" -> "be")
SENTENCES = [
    "The envoys met; the envoy meets them again and meeting them was easier.",
    "Strikes struck the depots and the depot was struck, the strikers said.",
    "The envoys met; the envoy meets them again and meeting them was easier.",
    "It ain't over: the talks were better, the best yet, and the truce is holding.",
]


def test_model_lemmas_are_spacys(model: Language) -> None:
    lemmatizer = model.get_pipe("lemmatizer")
    assert isinstance(lemmatizer, Lemmatizer)
    lemmas = fast_lemmas(lemmatizer)
    assert lemmas is not None
    for text in SENTENCES:
        doc = doc_before(model, text, "lemmatizer")
        theirs, mine = lemmatizer(doc.copy()), lemmas(doc.copy())
        assert [t.lemma_ for t in mine] == [t.lemma_ for t in theirs], text
    ruled = lemmas(doc_before(model, SENTENCES[3], "lemmatizer"))
    assert [t.lemma_ for t in ruled][1:3] == ["be", "not"]  # kept from the attribute rules


def test_extraction_runs_the_remembering_lemmatizer(extractor: Extractor) -> None:
    component = extractor.nlp.get_pipe("lemmatizer")
    assert isinstance(getattr(component, "run", None), FastLemmas)
    assert [t.lemma_ for t in extractor.nlp("Delegations were meeting.")] == [
        "delegation", "be", "meet", "."
    ]


def test_other_lemmatizers_are_left_as_they_are() -> None:
    nlp = spacy.blank("en")
    lookup = nlp.add_pipe("lemmatizer", name="lookup", config={"mode": "lookup"})
    overwriting = nlp.add_pipe("lemmatizer", config={"mode": "rule", "overwrite": True})
    assert isinstance(lookup, Lemmatizer) and isinstance(overwriting, Lemmatizer)
    assert fast_lemmas(lookup) is None and fast_lemmas(overwriting) is None
