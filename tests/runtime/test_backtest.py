"""`newswatch backtest`: the seeds fire exactly the expected alerts; a changed rule folder
reports what it adds and removes; --since replays what the service stored."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from expected import SEED_ALERT_ARTICLES, SEED_ALERTS

from streams.config.settings import load_settings
from streams.runtime.backtest import backtest, compare
from streams.runtime.bootstrap import build_runtime
from streams.store import Store
from streams.store.schema import articles

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
EXPECTED = SEED_ALERTS


def _settings(tmp: Path, **extra):  # type: ignore[no-untyped-def]
    return load_settings(
        data_dir=tmp, rules_dir=ROOT / "rules", taxonomy_dir=ROOT / "rules" / "taxonomy",
        seeds_dir=SEEDS, **extra,
    )


async def test_seeds_fire_exactly_the_expected_alerts(tmp_path: Path, extractor) -> None:
    alerts = await backtest(str(SEEDS), _settings(tmp_path), extractor=extractor)
    assert Counter(a["rule"] for a in alerts) == EXPECTED
    # the articles the service raises them on (tests/e2e/test_end_to_end.py checks the service)
    assert Counter((a["rule"], a["article"]) for a in alerts) == SEED_ALERT_ARTICLES
    by_rule: dict[str, list[dict]] = {}
    for a in alerts:
        by_rule.setdefault(a["rule"], []).append(a)
    # the first article of each prisoner-exchange story fires it, never a later one
    assert sorted(a["article"] for a in by_rule["prisoner-exchange-new"]) == [
        "000_65ee647f718d02d9.txt",
        "002_b0e4fce43a16b728.txt",
    ]
    strike = by_rule["mass-casualty-strike"][0]
    assert strike["article"] == "000_65ee647f718d02d9.txt"
    assert strike["event"]["quantities"]["killed"]["value"] == 24
    assert "Kherson" in strike["event"]["location"]
    assert by_rule["sanctions-russia"][0]["article"] == "003_af930ad4295694b6.txt"
    assert "004_9f486ea33ae97183.txt" in {a["article"] for a in by_rule["ceasefire"]}
    # one alert per rule and story
    assert len({(a["rule"], a["story"]) for a in alerts}) == len(alerts)
    for a in alerts:
        assert set(a) >= {"rule", "article", "title", "story", "severity", "event"}
        assert set(a["event"]) >= {"type", "actors", "location", "date", "quantities", "evidence"}
        assert a["event"]["evidence"]


async def test_same_day_articles_take_one_order_in_service_and_backtest(
    tmp_path: Path, extractor
) -> None:
    """Two seed articles published the same day reach the service's extraction in either
    order (its cleaning runs concurrently); both it and the backtest take 002 first."""
    from connectors.seed_server import SeedServer
    from streams.runtime.backtest import _publication_order

    settings = _settings(tmp_path, serve_seeds=False, feeds=[])
    runtime = await build_runtime(settings, deliver=False, extractor=extractor)
    try:
        async with SeedServer(SEEDS, port=0) as server:
            items = await runtime.pipeline.poll([server.feed_url])
            same_day = [it for it in items if it.published.startswith("2025-11-18")]
            assert len(same_day) == 2
            for arrival in (same_day, same_day[::-1]):
                assert [server.article_file(it.link) for it in _publication_order(arrival)] == [
                    "002_b0e4fce43a16b728.txt", "003_af930ad4295694b6.txt"
                ]
            cleaned = [await runtime.pipeline.clean(it) for it in same_day[::-1]]
            batch = await runtime.pipeline.extract([a for a in cleaned if a is not None])
            assert [server.article_file(b.article.url) for b in batch] == [
                "002_b0e4fce43a16b728.txt", "003_af930ad4295694b6.txt"
            ]
    finally:
        await runtime.close()


async def test_changed_rules_report_added_and_removed(tmp_path: Path, extractor) -> None:
    changed = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", changed)
    text = (changed / "war-ukraine.yaml").read_text()
    assert 'killed: ">= 10"' in text
    (changed / "war-ukraine.yaml").write_text(text.replace('killed: ">= 10"', 'killed: ">= 30"'))
    added, removed = await compare(str(SEEDS), _settings(tmp_path), changed, extractor=extractor)
    assert added == []
    assert [a["rule"] for a in removed] == ["mass-casualty-strike"]
    same_added, same_removed = await compare(
        str(SEEDS), _settings(tmp_path), ROOT / "rules", extractor=extractor
    )
    assert same_added == same_removed == []


async def test_since_replays_the_stored_history(tmp_path: Path, extractor) -> None:
    """Articles the service stored are replayed; older ones than the period are not."""
    from connectors.seed_server import SeedServer

    database = f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"
    settings = _settings(tmp_path, database=database, serve_seeds=False, feeds=[])
    runtime = await build_runtime(settings, deliver=False, extractor=extractor)
    try:
        async with SeedServer(SEEDS, port=0) as server:
            for item in await runtime.pipeline.poll([server.feed_url]):
                assert await runtime.pipeline.clean(item) is not None
    finally:
        await runtime.close()

    week = dt.timedelta(days=7)
    recent = await backtest(None, settings, extractor=extractor, since=week)
    assert Counter(a["rule"] for a in recent) == EXPECTED

    store = await Store(database).open()
    async with store.begin() as conn:
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
        await conn.execute(sa.update(articles).values(created=old))
    await store.close()
    assert await backtest(None, settings, extractor=extractor, since=week) == []


def test_command_prints_one_json_object_per_alert() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "streams.cli", "backtest", "seeds", "--format", "jsonl"],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=True,
    )
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert Counter(a["rule"] for a in lines) == EXPECTED
