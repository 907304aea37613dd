"""The one spaCy component the pipeline's own steps run in: a slot load_nlp fills.

spaCy makes a pipeline component from a registered factory and JSON-able config only; the
look-up attribute rules, the remembering lemmatizer and the event matcher are built from
the loaded model's own parts (and the taxonomy), so none of them can be config. Each is
placed as an empty PipeStep (replacing the spaCy component it stands for, or added) and
given its per-doc callable after; a step given none leaves the doc as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.language import Language
from spacy.tokens import Doc

Run = Callable[[Doc], Doc]


class PipeStep:
    """Pipeline adapter: runs `run` on each doc; `run` is attached after construction."""

    def __init__(self) -> None:
        self.run: Run | None = None

    def __call__(self, doc: Doc) -> Doc:
        return self.run(doc) if self.run is not None else doc


@Language.factory("newswatch_step")
def _make_step(nlp: Language, name: str) -> PipeStep:
    return PipeStep()


def replace_by_step(nlp: Language, name: str, run: Run) -> None:
    """Run `run` in the place (and under the name) of the component `name`."""
    step = nlp.replace_pipe(name, "newswatch_step")
    assert isinstance(step, PipeStep)
    step.run = run


def add_step_last(nlp: Language, name: str, run: Run) -> None:
    """Run `run` after every other component, as the component `name`."""
    step = nlp.add_pipe("newswatch_step", name=name, last=True, config={})
    assert isinstance(step, PipeStep)
    step.run = run
