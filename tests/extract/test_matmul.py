"""The library multiplying the model's matrices (streams/extract/matmul.py): numpy by default,
blis when set; either reads the same texts the same way, the setting is checked, and a
process that loads the model (an extraction process, or the service extracting in its own
thread) multiplies on one thread unless the operator set a count."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.config.settings import SettingsError, load_settings
from streams.extract.nlp import load_nlp
from streams.knowledge.gazetteer import Gazetteer
from streams.knowledge.taxonomy import Taxonomy

ROOT = Path(__file__).resolve().parents[2]
TAXONOMY = ROOT / "rules" / "taxonomy"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

# invented sentences: long and short, names, numbers, dates, clauses, quotes
TEXTS = [
    "Delegations from the two countries met in Istanbul on Thursday and agreed to swap 84 "
    "detainees each before the end of the month, a mediator told reporters.",
    "Artillery fire overnight damaged a grain terminal outside Mykolaiv; nobody was hurt.",
    "\"We are ready to talk,\" the envoy said, adding that a 30-day truce could start at dawn.",
    "The council voted to renew its restrictions on shipping insurers for another six months.",
    "Rain.",
    "Officials from Ankara, Kyiv and Moscow will hold a third round of talks in Geneva next "
    "week, according to a statement released on 12 March 2026 by the host government.",
]


def read(nlp: object, texts: list[str]) -> list[list[tuple[str, ...]]]:
    """Every annotation extraction reads, token by token."""
    docs = list(nlp.pipe(texts))  # type: ignore[attr-defined]
    return [[(t.text, t.tag_, t.pos_, t.lemma_, t.dep_, str(t.head.i), t.ent_iob_, t.ent_type_,
              str(t.is_sent_start)) for t in doc] for doc in docs]


@pytest.fixture(scope="module")
def knowledge() -> tuple[Gazetteer, Taxonomy]:
    return (Gazetteer.load(TAXONOMY / "gazetteer.yaml"),
            Taxonomy.load(TAXONOMY / "event_types.yaml"))


@pytest.fixture(scope="module")
def both(knowledge: tuple[Gazetteer, Taxonomy]) -> Iterator[dict[str, object]]:
    model = load_settings().spacy_model
    yield {kind: load_nlp(model, *knowledge, matmul=kind) for kind in ("numpy", "blis")}


def test_numpy_is_the_default_and_blis_can_be_chosen(both: dict[str, object]) -> None:
    assert load_settings().nlp_matmul == "numpy"
    for kind, nlp in both.items():
        for name in ("tok2vec", "parser", "ner"):
            ops = nlp.get_pipe(name).model.ops  # type: ignore[attr-defined]
            assert ops.use_blis is (kind == "blis"), (kind, name)


def test_either_library_reads_every_sentence_the_same_way(both: dict[str, object]) -> None:
    numpy_reading, blis_reading = read(both["numpy"], TEXTS), read(both["blis"], TEXTS)
    assert numpy_reading == blis_reading
    # and it is a reading: the parse and the entities are there
    assert any(t[4] == "nsubj" for sentence in numpy_reading for t in sentence)
    assert any(t[7] == "GPE" for sentence in numpy_reading for t in sentence)


def test_loading_a_model_leaves_the_process_default_alone(
    knowledge: tuple[Gazetteer, Taxonomy],
) -> None:
    from thinc.api import get_current_ops

    before = type(get_current_ops()), getattr(get_current_ops(), "use_blis", None)
    load_nlp(load_settings().spacy_model, *knowledge, matmul="numpy")
    assert (type(get_current_ops()), getattr(get_current_ops(), "use_blis", None)) == before


def test_an_unknown_library_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSWATCH_NLP_MATMUL", "mkl")
    with pytest.raises(SettingsError, match="NEWSWATCH_NLP_MATMUL: .*'numpy' or 'blis'"):
        load_settings()


@pytest.mark.parametrize("operator", [None, "2"])
def test_a_process_loading_the_model_multiplies_on_one_thread_unless_told(
    operator: str | None,
) -> None:
    """What an extraction process runs at start (extractor_for), in a fresh interpreter:
    OpenBLAS would otherwise start a thread per core, whose spinning costs CPU for nothing."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS",
                                                            "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    if operator:
        env["OPENBLAS_NUM_THREADS"] = operator
    script = (
        "import json; from pathlib import Path; from threadpoolctl import threadpool_info\n"
        "from streams.extract.extractor import extractor_for\n"
        f"extractor_for('{load_settings().spacy_model}', Path('{TAXONOMY}'), 16, 'numpy')\n"
        "print(json.dumps([p['num_threads'] for p in threadpool_info()"
        " if p['user_api'] == 'blas']))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=120).stdout
    counts = json.loads(out.strip().splitlines()[-1])
    assert counts, "no BLAS library found in the process"
    assert set(counts) == {int(operator or 1)}
