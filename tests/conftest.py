"""Shared pytest fixtures. Each block names the module that holds its machinery."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

# tests mirror the package's folders; the code they share (loopback servers, fixtures'
# machinery, the import graph) is in tests/support/, importable by module name
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

# extraction in the worker's own thread (NEWSWATCH_NLP_PROCESSES=0) for every test and every
# `newswatch run` a test starts (they inherit the environment): one model load, not one per
# core; tests/extract/test_process_pool.py and tests/runtime/test_extract_processes.py run
# the worker processes for real
os.environ.setdefault("NEWSWATCH_NLP_PROCESSES", "0")

import pytest  # noqa: E402
from broker import TansuBroker  # noqa: E402
from pg import create_database, drop_database  # noqa: E402

# --- a Kafka-protocol broker (tests/support/broker.py) -----------------------------------


@pytest.fixture
def kafka_broker(tmp_path: Path) -> Iterator[TansuBroker]:
    """A fresh Tansu broker on a free loopback port, in-memory storage; stopped after."""
    with TansuBroker(tmp_path / "tansu.log") as broker:
        yield broker


@pytest.fixture
def group_id() -> str:
    """A consumer group id no other test uses."""
    return f"newswatch-test-{uuid.uuid4().hex[:12]}"


# --- PostgreSQL (tests/support/pg.py) -------------------------------------------------------------


@pytest.fixture
def pg_url() -> Iterator[str]:
    """postgresql://... of a fresh, empty database on the local server; dropped after."""
    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)


# --- the extractor (streams/extract/extractor.py): the spaCy model loads once per session --


@pytest.fixture(scope="session")
def extractor():  # type: ignore[no-untyped-def]
    """The extractor over the shipped taxonomy, gazetteer and the installed model."""
    from streams.config.settings import load_settings
    from streams.extract.extractor import build_extractor

    taxonomy = Path(__file__).parent.parent / "rules" / "taxonomy"
    return build_extractor(load_settings(taxonomy_dir=taxonomy))


# --- a fresh SQLite store, and a loopback Slack (tests/support/slack_server.py) ----------


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh SQLite store (migrated) in the test's tmp_path; closed after."""
    from streams.store import Store

    s = await Store(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}").open()
    yield s
    await s.close()


@pytest.fixture
async def slack():  # type: ignore[no-untyped-def]
    """A loopback HTTP server that answers as Slack documents (webhook + chat.postMessage)."""
    from slack_server import SlackServer

    server = await SlackServer().start()
    yield server
    await server.stop()
