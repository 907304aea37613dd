"""The alerts the articles raise do not depend on the order they are processed in (issue 14):
a retried entry, or a feed out of step with another, is processed after newer articles, and
still the rules raise what they raise in order of publication. Real pipeline, real SQLite
store, the seed articles and invented ones."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from expected import SEED_ALERTS
from strike_reports import BOTH, OTHER, RULE, TOLL, report

from connectors.seed_server import SeedServer
from streams.config.settings import load_settings
from streams.core.records import Article
from streams.runtime.bootstrap import build_runtime

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


async def _runtime(tmp: Path, name: str, extractor: Any, rules: Path = ROOT / "rules") -> Any:
    settings = load_settings(
        data_dir=tmp, database=f"sqlite+aiosqlite:///{tmp / f'{name}.db'}", rules_dir=rules,
        taxonomy_dir=ROOT / "rules" / "taxonomy", serve_seeds=False, feeds=[],
    )
    return await build_runtime(settings, deliver=False, extractor=extractor)


async def _seed_articles(tmp: Path, extractor: Any) -> dict[str, Article]:
    """The seed articles by file name, cleaned as the service cleans them."""
    runtime = await _runtime(tmp, "seeds", extractor)
    try:
        async with SeedServer(SEEDS, port=0) as server:
            items = await runtime.pipeline.poll([server.feed_url])
            out = {}
            for item in items:
                article = await runtime.pipeline.clean(item)
                assert article is not None
                out[server.article_file(item.link)] = article
            return out
    finally:
        await runtime.close()


async def _alerts_by_rule(tmp: Path, name: str, extractor: Any, articles: list[Article],
                          rules: Path = ROOT / "rules") -> Counter[str]:
    """Each article processed on its own, in this order, on a store of its own."""
    runtime = await _runtime(tmp, name, extractor, rules)
    try:
        raised: Counter[str] = Counter()
        for article in articles:
            for batch in await runtime.pipeline.extract([article]):
                raised.update(a.rule_id for a in await runtime.pipeline.alert(batch))
        return raised
    finally:
        await runtime.close()


async def test_the_seeds_raise_the_same_alerts_in_any_order(tmp_path: Path, extractor) -> None:
    seeds = await _seed_articles(tmp_path, extractor)
    published = [seeds[n] for n in ("004_9f486ea33ae97183.txt", "002_b0e4fce43a16b728.txt",
                                    "003_af930ad4295694b6.txt", "000_65ee647f718d02d9.txt",
                                    "001_af8d176ac221e20d.txt")]  # seeds/feed.yaml's order
    assert await _alerts_by_rule(tmp_path, "published", extractor, published) == SEED_ALERTS
    # the newest first: 003 tells the ceasefire 004 told in May before 004 is processed
    backwards = published[::-1]
    assert await _alerts_by_rule(tmp_path, "backwards", extractor, backwards) == SEED_ALERTS
    # 003 retried after the rest, and 002 after it (the order the chaos test saw)
    late = [published[i] for i in (0, 3, 4, 2, 1)]
    assert await _alerts_by_rule(tmp_path, "late", extractor, late) == SEED_ALERTS


async def test_an_older_article_arriving_late_raises_no_second_alert(
    tmp_path: Path, extractor
) -> None:
    """In order of publication the report of both strikes raises one alert and the toll is
    an update. Processed after the toll (its entry retried), the older report finds the
    toll's alert on a strike it told first: that alert stands for its own, one alert in
    all. Its twin: an older article telling a strike no newer one told still alerts."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "strikes.yaml").write_text(RULE)
    both = report(1, BOTH, "2025-03-04T07:00:00+00:00")
    toll = report(2, TOLL, "2025-03-04T12:00:00+00:00")
    other = report(3, OTHER, "2025-02-25T06:00:00+00:00")  # the week before
    in_order = await _alerts_by_rule(tmp_path, "in-order", extractor, [both, toll], rules)
    assert in_order == Counter({"strikes": 1})
    late = await _alerts_by_rule(tmp_path, "late", extractor, [toll, both], rules)
    assert late == in_order
    twin = await _alerts_by_rule(tmp_path, "twin", extractor, [toll, other], rules)
    assert twin == Counter({"strikes": 2})
