"""The model's attribute rules by table look-up (streams/extract/attribute_rules.py) give
every token exactly what spaCy's own AttributeRuler gives it."""

from __future__ import annotations

from typing import Any

import pytest
import spacy
from model_stages import doc_before
from spacy.language import Language
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc

from streams.extract.attribute_rules import FastAttributeRules, fast_rules
from streams.extract.extractor import Extractor

# invented sentences; the rule exceptions of the English model (ain't, gonna, let's, y'all,
# c'mon, existential "there is", got/gets) and spaces the tagger sees
SENTENCES = [
    "The envoy ain't gonna sign it, so let's wait, y'all.",
    "C'm on, there is a deal and there were talks in Vienna on Friday.",
    "She got the list and gets the rest tomorrow;  the  ministers  met\n\nat noon.",
    "Officials said 14 drones were shot down over the Larkspur region overnight.",
    "Whose ceasefire? Hers, not theirs -- and it's 5 p.m. already!",
]


def _annotations(doc: Doc) -> list[tuple[Any, ...]]:
    return [(t.text, t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_) for t in doc]


def test_model_rules_give_what_spacy_gives(model: Language) -> None:
    ruler = model.get_pipe("attribute_ruler")
    assert isinstance(ruler, AttributeRuler)
    rules = fast_rules(ruler)
    assert rules is not None, "the installed model's rules should be within the look-up"
    for text in SENTENCES:
        doc = doc_before(model, text, "attribute_ruler")
        theirs, mine = ruler(doc.copy()), rules(doc.copy())
        assert _annotations(mine) == _annotations(theirs), text


def test_extraction_runs_the_look_up(extractor: Extractor) -> None:
    component = extractor.nlp.get_pipe("attribute_ruler")
    assert isinstance(getattr(component, "run", None), FastAttributeRules)
    doc = extractor.nlp("The talks ain't over.")
    assert [t.lemma_ for t in doc][2] == "be"  # the two-token exception applied


def _ruler(patterns: list[dict[str, Any]]) -> tuple[Language, AttributeRuler]:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    assert isinstance(ruler, AttributeRuler)
    ruler.add_patterns(patterns)  # type: ignore[arg-type]
    return nlp, ruler


def test_later_rules_win_and_indices_count_from_either_end() -> None:
    nlp, ruler = _ruler([
        {"patterns": [[{"LOWER": "truce"}]], "attrs": {"LEMMA": "first", "POS": "NOUN"}},
        {"patterns": [[{"LOWER": {"IN": ["truce", "pause"]}}]], "attrs": {"LEMMA": "second"}},
        {"patterns": [[{"LOWER": "cease"}, {"LOWER": "fire"}]], "attrs": {"LEMMA": "end"},
         "index": -1},
        {"patterns": [[{"LOWER": {"REGEX": "^re"}}, {"LOWER": {"NOT_IN": ["talks"]}}]],
         "attrs": {"POS": "VERB"}},
    ])
    rules = fast_rules(ruler)
    assert rules is not None
    text = "A truce , a cease fire , a pause : resume fighting , resume talks"
    mine, theirs = rules(nlp.make_doc(text)), ruler(nlp.make_doc(text))
    assert _annotations(mine) == _annotations(theirs)
    assert [t.lemma_ for t in mine][1] == "second" and mine[1].pos_ == "NOUN"
    assert mine[5].lemma_ == "end" and mine[4].lemma_ == ""  # index -1: the last token
    assert mine[10].pos_ == "VERB" and mine[13].pos_ == ""  # "resume talks" is excluded


@pytest.mark.parametrize("pattern", [
    [{"LOWER": "cease"}, {"OP": "?"}],  # an operator: the length varies
    [{"POS": "NOUN"}],  # an attribute the look-up does not read
    [{"LOWER": {"FUZZY": "truce"}}],  # a predicate it does not reproduce
])
def test_patterns_beyond_the_look_up_keep_spacys_ruler(pattern: list[dict[str, Any]]) -> None:
    _nlp, ruler = _ruler([{"patterns": [pattern], "attrs": {"LEMMA": "x"}}])
    assert fast_rules(ruler) is None
