"""The pipeline under at-least-once delivery: an entry processed again after a crash (its
article already saved, its events not yet) still yields its alerts, exactly once; the same
article reached through another entry is skipped."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from streams.config.settings import load_settings
from streams.core.records import FeedItem
from streams.runtime.bootstrap import build_runtime
from streams.store.items import count_items

ROOT = Path(__file__).resolve().parents[1]


async def test_redelivered_entry_after_a_crash_still_alerts(tmp_path: Path, extractor) -> None:
    from connectors.seed_server import SeedServer

    settings = load_settings(
        data_dir=tmp_path, database=f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
        rules_dir=ROOT / "rules", taxonomy_dir=ROOT / "rules" / "taxonomy",
        serve_seeds=False, feeds=[],
    )
    runtime = await build_runtime(settings, deliver=False, extractor=extractor)
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
