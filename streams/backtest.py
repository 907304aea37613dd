"""The backtest: replay a feed (a seeds-format folder served on loopback, or a feed URL)
through clean, extract, evaluate and alert deduplication, in order of publication, with an
empty store of its own and no delivery. What `newswatch backtest` prints."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from streams.bootstrap import build_runtime
from streams.records import Alert, FeedItem
from streams.settings import Settings


def alert_json(alert: Alert, article: str) -> dict[str, Any]:
    """One backtest line: the alert with the event that fired it."""
    ev = alert.event
    return {
        "rule": alert.rule_id,
        "article": article,
        "title": alert.title,
        "story": alert.story_id,
        "severity": alert.severity,
        "event": {
            "type": ev.type,
            "actors": list(ev.actors),
            "location": list(ev.location),
            "date": ev.date,
            "status": ev.status,
            "quantities": dict(ev.quantities),
            "attribution": ev.attribution,
            "evidence": ev.evidence,
        },
    }


def _publication_order(items: list[FeedItem]) -> list[FeedItem]:
    # stable: entries of the same date keep the feed's order
    return sorted(items, key=lambda it: it.published or "")


async def backtest(
    source: str, settings: Settings, rules_dir: Path | None = None, extractor: Any = None
) -> list[dict[str, Any]]:
    """Run the backtest of a folder or feed URL and return one dict per alert."""
    seed_server = None
    with tempfile.TemporaryDirectory(prefix="newswatch-backtest-") as tmp:
        if Path(source).is_dir():
            from connectors.seed_server import SeedServer

            seed_server = SeedServer(Path(source), port=0)
            await seed_server.start()
            feed_url = seed_server.feed_url
        else:
            feed_url = source
        own = settings.model_copy(
            update={
                "database": f"sqlite+aiosqlite:///{Path(tmp) / 'backtest.db'}",
                "feeds": [feed_url],
                "serve_seeds": False,
                "data_dir": Path(tmp),
            }
        )
        runtime = await build_runtime(own, deliver=False, rules_dir=rules_dir, extractor=extractor)
        try:
            out: list[dict[str, Any]] = []
            items = await runtime.pipeline.poll([feed_url])
            for item in _publication_order(items):
                article = await runtime.pipeline.clean(item)
                if article is None:
                    continue
                for batch in await runtime.pipeline.extract([article]):
                    for alert in await runtime.pipeline.alert(batch):
                        name = seed_server.article_file(alert.article_url) if seed_server else None
                        out.append(alert_json(alert, name or alert.article_url))
            return out
        finally:
            await runtime.close()
            if seed_server is not None:
                await seed_server.stop()
