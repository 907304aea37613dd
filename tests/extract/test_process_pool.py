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


def _start_pool(batch_size: int | None = None, processes: int = 2) -> ProcessExtractor:
    """Workers on the installed model; the settings' batch size unless given."""
    settings = load_settings(taxonomy_dir=TAXONOMY)
    gazetteer = Gazetteer.load(TAXONOMY / "gazetteer.yaml")
    return ProcessExtractor(settings.spacy_model, TAXONOMY, batch_size or settings.batch_size,
                            processes, gazetteer).start()


def _held(pool: ProcessExtractor) -> dict[int, int]:
    """Batches each worker holds (taken, not yet answered), by process id."""
    with pool._lock:
        return {w.pid: w.load for w in pool._workers if w.load}


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
    wait_for(lambda: sum(_held(pool).values()) == 1, 30, "one worker to take the batch",
             every=0.01)
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
    (busy,) = _held(pool)
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


def test_a_worker_holds_its_next_batch_and_answers_each_call_its_own() -> None:
    """More calls at once than workers: a worker takes the next batch while it reads one
    (it waits in its pipe), and each call gets the events of its own batch, whichever
    answer came first."""
    pool = _start_pool(processes=1)
    try:
        batches = [_articles(n) for n in (40, 3, 5, 2)]
        alone = [pool.extract(batch) for batch in batches]
        results: dict[int, object] = {}

        def call(i: int) -> None:
            results[i] = pool.extract(batches[i])

        first = threading.Thread(target=call, args=(0,))
        first.start()
        wait_for(lambda: sum(_held(pool).values()) == 1, 30, "the first batch taken", every=0.01)
        others = [threading.Thread(target=call, args=(i,)) for i in (1, 2, 3)]
        for t in others:
            t.start()
        wait_for(lambda: sum(_held(pool).values()) == 4 or not first.is_alive(), 30,
                 "every batch handed to the worker", every=0.01)
        assert first.is_alive(), "the big batch was read before the others were handed over"
        assert list(_held(pool).values()) == [4]  # one worker holds them all
        for t in [first, *others]:
            t.join(120)
        assert [results[i] for i in range(4)] == alone
    finally:
        pool.close()


def test_a_worker_killed_holding_two_batches_fails_both_as_transient() -> None:
    pool = _start_pool(processes=1)
    try:
        failures: list[BaseException] = []

        def call(n: int) -> None:
            try:
                pool.extract(_articles(n))
            except BaseException as exc:
                failures.append(exc)

        calls = [threading.Thread(target=call, args=(n,)) for n in (400, 4)]
        for t in calls:
            t.start()
        wait_for(lambda: sum(_held(pool).values()) == 2, 30, "both batches taken", every=0.01)
        (busy,) = pool.pids()
        time.sleep(0.3)  # well inside the first batch
        os.kill(busy, signal.SIGKILL)
        for t in calls:
            t.join(60)
        assert not any(t.is_alive() for t in calls), "a batch hung after its worker died"
        assert len(failures) == 2
        assert all(isinstance(f, ExtractionWorkerDied) and is_transient(f) for f in failures)
        assert pool.extract(_articles(2)) is not None and busy not in pool.pids()
    finally:
        pool.close()


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
