"""The CLI's light reader (streams/store/sqlite_read.py) reads what the store's own queries
read: the same alerts in the same order with the same fields, the same silencing facts."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from cli_support import an_alert

from streams.core.alert_status import COVERED
from streams.core.clock import utcnow
from streams.core.outbox import OutboxRow
from streams.store import Store, sqlite_read
from streams.store.alerts import ack_alert, insert_alert, list_alerts
from streams.store.schema import silences
from streams.store.silences import add_silence
from streams.store.views import silencing_facts

FIELDS = ("id", "rule_id", "story_id", "severity", "article_id", "status", "payload",
          "created", "acked", "acked_by")  # fmt: skip


def test_the_light_reader_reads_what_the_store_reads(tmp_path: Path) -> None:
    path = tmp_path / "newswatch.db"

    async def fill_and_read() -> tuple[list, tuple]:
        store = await Store(f"sqlite+aiosqlite:///{path}").open()
        try:
            for n in range(6):
                rows = [OutboxRow("console", "held", utcnow(), "silenced")] if n == 2 else []
                await insert_alert(store, an_alert(n), COVERED if n == 4 else "new", rows)
            await ack_alert(store, an_alert(1).id, "ana")
            await add_silence(store, dt.timedelta(hours=2), rule_id="ceasefire", reason="x")
            await add_silence(store, dt.timedelta(hours=1), actor="Aland")
            async with store.begin() as conn:  # that one is over
                await conn.execute(silences.update().where(silences.c.actor == "Aland")
                                   .values(until=utcnow() - dt.timedelta(minutes=1)))
            return (await list_alerts(store, None, None, 4),
                    await silencing_facts(store))  # fmt: skip
        finally:
            await store.close()

    rows, (held, active) = asyncio.run(fill_and_read())
    conn = sqlite_read.connect(path)
    assert conn is not None
    light = sqlite_read.list_alerts(conn, None, 4)
    assert [[getattr(r, f) for f in FIELDS] for r in light] == [
        [getattr(r, f) for f in FIELDS] for r in rows]
    assert len(light) == 4 and an_alert(4).id not in {r.id for r in light}  # covered: out
    light_held, light_active = sqlite_read.silencing_facts(conn)
    assert light_held == held == {an_alert(2).id}
    assert [s.id for s in light_active] == [s.id for s in active] and len(active) == 1
    assert sqlite_read.list_alerts(conn, "no-such-rule", 4) == []


def test_a_store_not_at_the_newest_revision_is_not_read(tmp_path: Path) -> None:
    import sqlite3

    assert sqlite_read.connect(tmp_path / "none.db") is None
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
        db.execute("INSERT INTO alembic_version VALUES ('e5587b747f8f')")
    assert sqlite_read.connect(tmp_path / "old.db") is None
    (tmp_path / "junk.db").write_text("not a database")
    assert sqlite_read.connect(tmp_path / "junk.db") is None
