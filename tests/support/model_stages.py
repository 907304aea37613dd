"""A doc as it stands before one of the model's components: for tests comparing a cheaper
form of that component (streams/extract/attribute_rules.py, lemmas.py) with spaCy's own."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc


def doc_before(nlp: Language, text: str, component: str) -> Doc:
    """`text` through the model's components up to (not including) `component`."""
    doc = nlp.make_doc(text)
    for name, proc in nlp.pipeline:
        if name == component:
            return doc
        doc = proc(doc)
    raise AssertionError(f"the model has no {component}")
