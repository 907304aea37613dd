"""Shared pytest fixtures. Each block names the module that holds its machinery."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# --- a Kafka-protocol broker (tests/broker.py) -------------------------------------------


@pytest.fixture
def kafka_broker(tmp_path: Path) -> Iterator[object]:
    """A fresh Tansu broker on a free loopback port, in-memory storage; stopped after."""
    from broker import TansuBroker

    with TansuBroker(tmp_path / "tansu.log") as broker:
        yield broker


@pytest.fixture
def group_id() -> str:
    """A consumer group id no other test uses."""
    return f"newswatch-test-{uuid.uuid4().hex[:12]}"
