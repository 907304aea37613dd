"""The pipeline under at-least-once delivery: an entry processed again after a crash (its
article already saved, its events not yet) still yields its alerts, exactly once; the same
article reached through another entry is skipped."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from streams.config.settings import load_settings
from streams.core.errors import PageError
from streams.core.records import FeedItem
from streams.runtime.bootstrap import Runtime, build_runtime
from streams.store.items import count_items, get_item

ROOT = Path(__file__).resolve().parents[2]


async def _runtime(tmp_path: Path, extractor: Any) -> Runtime:
    """The runtime over a SQLite file of its own and the shipped rules, no delivery."""
    settings = load_settings(
        data_dir=tmp_path, database=f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
        rules_dir=ROOT / "rules", taxonomy_dir=ROOT / "rules" / "taxonomy",
        serve_seeds=False, feeds=[],
    )
    return await build_runtime(settings, deliver=False, extractor=extractor)


async def test_redelivered_entry_after_a_crash_still_alerts(tmp_path: Path, extractor) -> None:
    from connectors.seed_server import SeedServer

    runtime = await _runtime(tmp_path, extractor)
    try:
        async with SeedServer(ROOT / "seeds", port=0) as server:
            items = await runtime.pipeline.poll([server.feed_url])
            strike = next(i for i in items if "000_" in i.link)
            # first delivery: the article is saved, then the worker dies before extraction
            assert await runtime.pipeline.clean(strike) is not None
            # redelivery of the same entry: it must carry on, not be dropped as a duplicate
            again = await runtime.pipeline.clean(strike)
            assert again is not None
            alerts = []
            for batch in await runtime.pipeline.extract([again]):
                alerts += await runtime.pipeline.alert(batch)
            assert Counter(a.rule_id for a in alerts) == Counter(
                {"peace-talks-turkey": 1, "prisoner-exchange-new": 1, "mass-casualty-strike": 1}
            )
            # and a third time: nothing new (alerts are idempotent by rule and story)
            third = await runtime.pipeline.clean(strike)
            assert third is not None
            for batch in await runtime.pipeline.extract([third]):
                assert await runtime.pipeline.alert(batch) == []
            # the same article through another entry (another feed) is a duplicate
            other = FeedItem(
                feed="http://other.example/rss", guid="x", link=strike.link, title=strike.title,
                summary=strike.summary, published=strike.published, source="other",
            )
            assert await runtime.pipeline.clean(other) is None
        assert (await count_items(runtime.store)).get("done", 0) >= 1
    finally:
        await runtime.close()


async def test_a_bug_is_recorded_as_a_bug_and_a_bad_page_as_the_entrys_failure(
    tmp_path: Path, extractor, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The clean agent over the real pipeline and store: a stage raising KeyError (a bug) is
    logged with its traceback and the entry says "bug in newswatch"; a PageError is the
    entry's own failure ("permanent: PageError: <url>: ...")."""
    from dataclasses import replace

    from connectors.seed_server import SeedServer
    from streams.runtime import pipeline as pipeline_module
    from streams.runtime.agents import register_agents
    from streams.runtime.app import create_app, create_streams

    runtime = await _runtime(tmp_path, extractor)
    settings = runtime.pipeline.settings
    real_clean = pipeline_module.clean

    def clean(item: FeedItem, page: object) -> object:
        if item.link.endswith(buggy.link):
            return {}["a key the code forgot"]
        if item.link.endswith(bad.link):
            raise PageError(f"{item.link}: no article in this page")
        return real_clean(item, page)  # type: ignore[arg-type]

    class Service:
        def __init__(self) -> None:
            self.settings = settings

        async def ready(self):  # type: ignore[no-untyped-def]
            return runtime

    try:
        async with SeedServer(ROOT / "seeds", port=0) as server:
            items = await runtime.pipeline.poll([server.feed_url])
            buggy, bad, good = items[0], items[1], items[2]
            monkeypatch.setattr(pipeline_module, "clean", clean)
            app = create_app(settings)
            sent: list[object] = []

            class Articles:
                async def send(self, key: object = None, value: object = None) -> None:
                    sent.append(value)

            streams = replace(create_streams(app, settings), articles=Articles())
            agents = register_agents(app, streams, Service())  # type: ignore[arg-type]
            with caplog.at_level(logging.ERROR):
                async with agents["clean"].test_context() as agent:
                    for entry in (buggy, bad, good):
                        await agent.put(entry)
                    # put() returns once the agent has the entry; wait for it to be done
                    for _ in range(2400):
                        states = [(await get_item(runtime.store, k) or {}).get("state")
                                  for k in (buggy.key, bad.key)]
                        if sent and states == ["failed", "failed"]:
                            break
                        await asyncio.sleep(0.05)
            app.consumer._thread.thread_loop.close()
        rows = {key: await get_item(runtime.store, key) for key in (buggy.key, bad.key)}
        assert len(sent) == 1  # the good entry went on to extraction
        bug_row, bad_row = rows[buggy.key], rows[bad.key]
        assert bug_row is not None and bad_row is not None
        assert bug_row["state"] == "failed"
        assert "bug in newswatch" in bug_row["error"] and "KeyError" in bug_row["error"]
        assert bad_row["state"] == "failed"
        assert bad_row["error"] == f"permanent: PageError: {bad.link}: no article in this page"
        assert "bug in newswatch" not in bad_row["error"]
        traced = [r for r in caplog.records if r.exc_info and r.exc_info[0] is KeyError]
        assert len(traced) == 1 and "Traceback" in caplog.text
        assert not any(r.exc_info and r.exc_info[0] is PageError for r in caplog.records)
    finally:
        await runtime.close()


async def test_a_batch_of_articles_whose_rules_fail_on_one_alerts_for_the_others(
    tmp_path: Path, extractor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The alert agent records a batch's alerts in one transaction; when one article's rules
    raise, nothing of the batch is kept, and each article is then recorded on its own: the
    others' alerts are stored and their entries done, the failing one's entry is retried."""
    from connectors.seed_server import SeedServer
    from streams.runtime import pipeline as pipeline_module
    from streams.runtime.agents import together_or_apart
    from streams.store.alerts import list_alerts

    runtime = await _runtime(tmp_path, extractor)
    try:
        async with SeedServer(ROOT / "seeds", port=0) as server:
            pipeline = runtime.pipeline
            items = await pipeline.poll([server.feed_url])
            articles = [a for a in [await pipeline.clean(it) for it in items[:3]] if a]
            batches = await pipeline.extract(articles)
            broken = batches[1].article.item_key
            evaluate = pipeline_module.evaluate

            async def failing(rulebook, batch, state):  # type: ignore[no-untyped-def]
                if batch.article.item_key == broken:
                    raise PageError("the rules could not read this article")
                return await evaluate(rulebook, batch, state)

            monkeypatch.setattr(pipeline_module, "evaluate", failing)
            with pytest.raises(PageError):  # together: all or nothing
                await pipeline.alert_all(batches)
            assert await list_alerts(runtime.store) == []
            assert [(await get_item(runtime.store, b.article.item_key))["state"]
                    for b in batches] == ["pending"] * 3
            out = await together_or_apart(pipeline.alert_all, batches,
                                          lambda b: b.article.item_key, pipeline.fail, "alert")
            assert out[1] is None and out[0] is not None and out[2] is not None
            states = [(await get_item(runtime.store, b.article.item_key))["state"]
                      for b in batches]
            assert states[0] == states[2] == "done"
            assert states[1] in ("pending", "failed")  # retried later, or failed for good
            # (besides the operator's alert about the failed entry, which names no article)
            stored = {a.article_id for a in await list_alerts(runtime.store) if a.article_id}
            assert stored == {a.article_id for fresh in (out[0], out[2]) for a in fresh}
            assert stored, "the seed articles raise alerts"
    finally:
        await runtime.close()
