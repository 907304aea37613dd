"""One article raises at most one alert per rule (GUIDELINES §1): when it is the first to
tell several stories the rule matches, one alert is sent; the other stories are recorded
with it ("covered"), so their later articles are updates, not alerts. A story it does not
tell still alerts on its own first article."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from strike_reports import BOTH, OTHER, RULE, TOLL, report

from streams.config.settings import load_settings
from streams.core.records import Article
from streams.runtime.bootstrap import build_runtime
from streams.store.schema import alerts as alerts_table

ROOT = Path(__file__).resolve().parents[2]


async def _alerts(runtime: Any, article: Article) -> list[Any]:
    out = []
    for batch in await runtime.pipeline.extract([article]):
        out += await runtime.pipeline.alert(batch)
    return out


async def test_an_article_telling_two_stories_raises_one_alert(tmp_path: Path, extractor) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "strikes.yaml").write_text(RULE)
    settings = load_settings(
        data_dir=tmp_path, database=f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
        rules_dir=rules, taxonomy_dir=ROOT / "rules" / "taxonomy", serve_seeds=False, feeds=[],
    )
    runtime = await build_runtime(settings, deliver=False, extractor=extractor)
    try:
        first = await _alerts(runtime, report(1, BOTH, "2025-03-04T07:00:00+00:00"))
        assert [a.rule_id for a in first] == ["strikes"]
        async with runtime.store.begin() as conn:
            rows = (await conn.execute(sa.select(alerts_table.c.status))).scalars().all()
        assert sorted(rows) == ["covered", "new"]  # both strikes known, one alert sent
        # the second strike's later article is an update of the covered story: no alert
        assert await _alerts(runtime, report(2, TOLL, "2025-03-04T12:00:00+00:00")) == []
        # twin: a strike the first article did not tell alerts on its own
        other = await _alerts(runtime, report(3, OTHER, "2025-03-04T18:00:00+00:00"))
        assert [a.rule_id for a in other] == ["strikes"]
    finally:
        await runtime.close()
