"""Extraction in worker processes, for real: the same events as in this process, a worker
killed with SIGKILL under a batch fails that batch as transient and is replaced, a model that
will not load is an error naming it, and close() leaves no process behind."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from procs import alive
from waiting import wait_for

from streams.config.settings import load_settings
from streams.core.records import Article, content_key
from streams.extract.extractor import Extractor
from streams.extract.process_pool import ExtractionWorkerDied, ProcessExtractor
from streams.knowledge.gazetteer import Gazetteer
from streams.poll.retry import is_transient

ROOT = Path(__file__).resolve().parents[2]
TAXONOMY = ROOT / "rules" / "taxonomy"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

# invented reports, each with events of a kind the taxonomy knows
TEXTS = [
    "Russian drones struck a power plant near Odesa on Tuesday, killing three workers.",
    "The foreign ministers of Turkey and Ukraine met in Ankara on Monday to discuss a ceasefire.",
    "Ukraine and Russia exchanged 150 prisoners of war on Friday, Turkish officials said.",
    "Shelling hit a school in Kharkiv overnight; two teachers were wounded, the governor said.",
]


def _articles(n: int) -> list[Article]:
    return [
        Article(id=content_key("pool", str(i)), url=f"https://example.test/pool/{i}",
                title=f"Report {i}", text=TEXTS[i % len(TEXTS)] + f" Analyst Mira Holt{i} said.",
                published=f"2025-11-{1 + i % 28:02d}")
        for i in range(n)
    ]


def _start_pool(batch_size: int | None = None) -> ProcessExtractor:
    """Two workers on the installed model; the settings' batch size unless given."""
    settings = load_settings(taxonomy_dir=TAXONOMY)
    gazetteer = Gazetteer.load(TAXONOMY / "gazetteer.yaml")
    return ProcessExtractor(settings.spacy_model, TAXONOMY, batch_size or settings.batch_size,
                            2, gazetteer).start()


def _big_batch_taken(pool: ProcessExtractor) -> tuple[threading.Thread, list[BaseException]]:
    """A batch of 400 articles read in a thread, once one worker has taken it: the thread
    and what the batch raised (nothing yet)."""
    failure: list[BaseException] = []

    def big_batch() -> None:
        try:
            pool.extract(_articles(400))
        except BaseException as exc:
            failure.append(exc)

    reader = threading.Thread(target=big_batch)
    reader.start()
    wait_for(lambda: len(pool._idle) == 1, 30, "one worker to take the batch", every=0.01)
    return reader, failure


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessExtractor]:
    extractor = _start_pool()
    yield extractor
    extractor.close()


def test_workers_read_as_this_process_does(pool: ProcessExtractor, extractor: Extractor) -> None:
    articles = _articles(8)
    assert len(pool.pids()) == 2 and os.getpid() not in pool.pids()
    assert pool.extract(articles) == extractor.extract(articles)
    assert any(pool.extract(articles))  # the texts do hold events


def test_a_worker_killed_under_a_batch_fails_it_as_transient_and_is_replaced(
    pool: ProcessExtractor, extractor: Extractor
) -> None:
    before = set(pool.pids())
    reader, failure = _big_batch_taken(pool)
    (busy,) = before - {w.pid for w in pool._idle}
    time.sleep(0.3)  # well inside the batch
    os.kill(busy, signal.SIGKILL)
    reader.join(60)
    assert not reader.is_alive(), "the batch hung after its worker died"
    assert len(failure) == 1 and isinstance(failure[0], ExtractionWorkerDied)
    assert is_transient(failure[0]), "the retry path must try the entries again"
    assert str(busy) in str(failure[0])
    # the next batches are read, by the survivor and by a fresh worker in place of the dead
    articles = _articles(6)
    results = [pool.extract(articles), pool.extract(articles)]
    assert results == [extractor.extract(articles)] * 2
    threads = [threading.Thread(target=pool.extract, args=(articles,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    after = set(pool.pids())
    assert len(after) == 2 and busy not in after and len(after & before) == 1


def test_a_model_that_will_not_load_names_itself() -> None:
    gazetteer = Gazetteer.load(TAXONOMY / "gazetteer.yaml")
    broken = ProcessExtractor("no_such_spacy_model_xyz", TAXONOMY, 16, 1, gazetteer)
    with pytest.raises(Exception, match="no_such_spacy_model_xyz"):
        broken.start()
    assert broken.pids() == []


def test_close_stops_every_worker_even_a_busy_one() -> None:
    pool = _start_pool(batch_size=16)
    pids = pool.pids()
    reader, failure = _big_batch_taken(pool)
    assert pool.close() == 2
    reader.join(60)
    assert not reader.is_alive()
    assert len(failure) == 1 and is_transient(failure[0])  # retried after the restart
    wait_for(lambda: not any(alive(pid) for pid in pids), 10, "the workers gone")
    assert not any(alive(pid) for pid in pids)
    with pytest.raises(ExtractionWorkerDied):  # closed: no new worker is started
        pool.extract(_articles(1))
