"""The store the story tests run on: a SQLite file, and the local PostgreSQL server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streams.store import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return "sqlite+aiosqlite:///" + str(tmp_path / "s.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def store(store_url: str) -> Any:
    store = await Store(store_url).open()
    yield store
    await store.close()
