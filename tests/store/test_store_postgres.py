"""The store keeps its idempotency guarantees on PostgreSQL exactly as on SQLite: an item,
an alert (rule + story) and a delivery (alert + update + destination) are written once
however often they are offered, and when two workers (two engines, two connections) race
for the same alert or the same delivery, the database picks exactly one winner."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from delivery_support import make_alert

from streams.core.clock import utcnow
from streams.core.records import FeedItem
from streams.deliver.record import record_alert
from streams.store import Store
from streams.store.deliveries import claim, due
from streams.store.items import count_items, record_item
from streams.store.schema import alerts, articles, deliveries, items

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same tests on both databases."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'nw.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def stores(store_url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one database: what two workers sharing PostgreSQL each hold."""
    first = await Store(store_url).open()
    second = await Store(store_url).open()
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def _count(store: Store, table: sa.Table) -> int:
    async with store.begin() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def _item(n: int = 1) -> FeedItem:
    return FeedItem(feed="https://example.org/rss", guid=f"g{n}", link=f"https://example.org/{n}")


async def test_postgres_url_is_served_by_asyncpg(pg_url: str) -> None:
    store = await Store(pg_url).open()
    try:
        assert store.url.startswith("postgresql+asyncpg://")
        assert not store.is_sqlite
        assert await record_item(store, _item())
    finally:
        await store.close()


async def test_an_item_is_recorded_once(stores: tuple[Store, Store]) -> None:
    store, _ = stores
    assert await record_item(store, _item()) is True
    assert await record_item(store, _item()) is False
    assert await count_items(store) == {"pending": 1}


async def test_an_alert_and_its_deliveries_are_recorded_once(stores: tuple[Store, Store]) -> None:
    store, other = stores
    alert = make_alert(destinations=("console", "jsonl"))
    assert await record_alert(store, alert) is True
    assert await record_alert(store, alert) is False
    assert await record_alert(other, alert) is False  # another worker, after a rebalance
    assert await _count(store, alerts) == 1
    assert await _count(store, deliveries) == 2


async def test_a_delivery_key_is_inserted_once(stores: tuple[Store, Store]) -> None:
    store, _ = stores
    await record_alert(store, make_alert(destinations=("console",)))
    row = {"alert_id": make_alert().id, "update_id": "", "destination": "console",
           "state": "pending", "created": sa.func.now()}
    async with store.begin() as conn:
        result = await conn.execute(store.insert_ignore(deliveries, row))
    assert result.rowcount == 0
    assert await _count(store, deliveries) == 1


async def test_uncommitted_insert_makes_the_other_connection_lose(
    stores: tuple[Store, Store],
) -> None:
    """Worker A inserts and has not committed when worker B inserts the same key: B waits for
    A's transaction and then finds the key taken (no read-then-write window)."""
    first, second = stores
    values = {"key": _item().key, "feed": "f", "guid": "g1", "link": "l", "state": "pending",
              "payload": {}, "recorded": sa.func.now()}

    async def insert_in(store: Store) -> int:
        async with store.begin() as conn:
            return int((await conn.execute(store.insert_ignore(items, values))).rowcount)

    async with first.begin() as conn:
        assert (await conn.execute(first.insert_ignore(items, values))).rowcount == 1
        racer = asyncio.create_task(insert_in(second))
        await asyncio.sleep(0.2)  # let B reach the database while A's row is uncommitted
    assert await racer == 0
    assert await _count(first, items) == 1


async def test_racing_workers_record_one_alert(stores: tuple[Store, Store]) -> None:
    first, second = stores
    alert = make_alert(destinations=("console", "jsonl", "email"))
    results = await asyncio.gather(
        *(record_alert(s, alert) for _ in range(10) for s in (first, second))
    )
    assert results.count(True) == 1
    assert await _count(first, alerts) == 1
    assert await _count(first, deliveries) == 3


async def test_racing_dispatchers_claim_a_delivery_once(stores: tuple[Store, Store]) -> None:
    first, second = stores
    await record_alert(first, make_alert(destinations=("console",)))
    now = utcnow()
    [delivery] = await due(first, now)
    claims = await asyncio.gather(
        *(claim(s, delivery, now, 60.0) for _ in range(5) for s in (first, second))
    )
    assert sum(c is not None for c in claims) == 1


async def test_an_article_is_saved_once_by_id_and_by_text(stores: tuple[Store, Store]) -> None:
    """The same URL, or the same text under another URL, is not saved again (one statement
    on either database); another text is, and the row keeps its values."""
    from streams.core.records import Article
    from streams.store.articles import get_article, save_article

    first, second = stores
    text = ("The lighthouse keeper logged three ships passing the northern cape before noon. "
            "By evening the wind had turned, and the supply boat stayed in the harbour. ") * 3
    one = Article(id="a1", url="https://example.org/a1", title="Cape log", text=text,
                  published="2025-06-01T06:00:00+00:00", source="Coast wire",
                  item_key="k1", feed="https://example.org/rss", fallback="page timed out")
    assert await save_article(first, one)
    assert not await save_article(second, one)  # its id
    moved = Article(id="a2", url="https://example.org/moved", title="Cape log (edited)",
                    text=text, published=one.published, source="Coast wire")
    assert not await save_article(second, moved)  # its text
    other = Article(id="a3", url="https://example.org/a3", title="Harbour",
                    text="Fog closed the harbour mouth until the tide turned at dusk. " * 5,
                    published=None, source="Coast wire")
    assert await save_article(second, other)
    assert await get_article(first, "a2") is None
    stored = await get_article(first, "a1")
    assert stored is not None and (stored.title, stored.item_key, stored.fallback) == (
        "Cape log", "k1", "page timed out")
    assert await _count(first, articles) == 2
