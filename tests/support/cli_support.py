"""A store with alerts for the CLI's read-only commands (tests/cli, tests/bench/bench_cli.py):
the checkout is the project, the store is a SQLite file in a folder of the caller's."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from streams.core.clock import utcnow
from streams.core.records import Alert, Event, content_key
from streams.store import Store
from streams.store.alerts import insert_alert

ROOT = Path(__file__).resolve().parents[2]


def an_alert(n: int) -> Alert:
    """Alert n: an invented ceasefire between two made-up parties."""
    story = content_key("story", str(n))
    event = Event(id=content_key("event", str(n)), article_id=f"a{n}", type="ceasefire",
                  actors=["Aland", "Borduria"], location=["Syldavia"], quantities={},
                  evidence=f"Aland and Borduria agreed a truce number {n}.", story_id=story)
    return Alert(id=content_key("rule-x", story), rule_id="ceasefire", severity="high",
                 story_id=story, title=f"Truce {n} agreed", article_url=f"http://127.0.0.1/{n}",
                 article_id=f"a{n}", source="wire", event=event,
                 message=f"Ceasefire: Aland and Borduria (truce {n})", created=utcnow().isoformat(),
                 destinations=["console"])  # fmt: skip


def store_with_alerts(data_dir: Path, count: int) -> Path:
    """A store at data_dir/newswatch.db (migrated) holding `count` alerts; its path."""
    path = Path(data_dir) / "newswatch.db"

    async def fill() -> None:
        store = await Store(f"sqlite+aiosqlite:///{path}").open()
        try:
            for n in range(count):
                await insert_alert(store, an_alert(n), "new")
        finally:
            await store.close()

    asyncio.run(fill())
    return path


def command_env(data_dir: Path) -> dict[str, str]:
    """The environment of a `python -m streams.cli` run on that store, in the checkout."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    return {**clean, "PYTHONPATH": str(ROOT), "NEWSWATCH_DATA_DIR": str(data_dir)}
