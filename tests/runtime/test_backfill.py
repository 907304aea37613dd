"""`newswatch rules backfill`: a rule saved after the articles came fires on them when
backfilled, recorded without sending by default, queued for delivery with --deliver."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from streams.config.settings import load_settings
from streams.runtime.backfill import BackfillError, backfill
from streams.runtime.bootstrap import build_runtime

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
WEEK = dt.timedelta(days=7)


@pytest.fixture()
async def served(tmp_path: Path, extractor):  # type: ignore[no-untyped-def]
    """A store filled as the service fills it: the seeds polled, cleaned, extracted and
    evaluated under the shipped rules; a rules folder to add a rule to afterwards."""
    from connectors.seed_server import SeedServer

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    settings = load_settings(
        data_dir=tmp_path / "var", rules_dir=rules, taxonomy_dir=ROOT / "rules" / "taxonomy",
        seeds_dir=SEEDS, serve_seeds=False, feeds=[],
    )
    runtime = await build_runtime(settings, deliver=False, extractor=extractor)
    try:
        async with SeedServer(SEEDS, port=0) as server:
            articles = [await runtime.pipeline.clean(it)
                        for it in await runtime.pipeline.poll([server.feed_url])]
            for batch in await runtime.pipeline.extract([a for a in articles if a]):
                await runtime.pipeline.alert(batch)
    finally:
        await runtime.close()
    return settings


def _rows(settings, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(settings.data_dir / "newswatch.db") as db:
        return db.execute(sql).fetchall()


async def test_a_new_rule_fires_on_stored_articles_without_sending(served) -> None:  # type: ignore[no-untyped-def]
    settings = served
    (settings.rules_dir / "zz-new.yaml").write_text(
        "id: any-sanctions\nseverity: low\nwhen:\n  type: sanctions\n")
    before = _rows(settings, "SELECT count(*) FROM deliveries")[0][0]
    assert _rows(settings, "SELECT * FROM alerts WHERE rule_id='any-sanctions'") == []

    result = await backfill(settings, "any-sanctions", WEEK)
    assert result.articles == 5
    assert [a.rule_id for a in result.alerts] == ["any-sanctions"]
    assert "003_af930ad4295694b6" in result.alerts[0].article_url
    assert _rows(settings, "SELECT status FROM alerts WHERE rule_id='any-sanctions'") == [
        ("backfilled",)]
    assert _rows(settings, "SELECT count(*) FROM deliveries")[0][0] == before  # not sent

    again = await backfill(settings, "any-sanctions", WEEK)  # idempotent
    assert again.alerts == [] and again.already == 1
    assert (await backfill(settings, "any-sanctions", dt.timedelta(0))).articles == 0

    with pytest.raises(BackfillError, match="no rule 'no-such'.*known rules: any-sanctions"):
        await backfill(settings, "no-such", WEEK)


async def test_the_command_delivers_with_deliver(served) -> None:  # type: ignore[no-untyped-def]
    settings = served
    (settings.rules_dir / "zz-new.yaml").write_text(
        "id: talks-anywhere\nseverity: info\ndestinations: [jsonl]\nwhen:\n  type: meeting\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    env.update(NEWSWATCH_DATA_DIR=str(settings.data_dir), NEWSWATCH_RULES_DIR=str(
        settings.rules_dir))
    out = subprocess.run(
        [sys.executable, "-m", "streams.cli", "rules", "backfill", "talks-anywhere",
         "--since", "2d", "--deliver"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    fired = out.stdout.splitlines()
    assert fired and all("talks-anywhere" in line for line in fired)
    assert (f"{len(fired)} alerts queued for delivery (the running service sends them), "
            "from 5 articles stored in the last 2d") in out.stderr
    queued = _rows(settings, "SELECT a.status, d.destination, d.state FROM alerts a JOIN "
                             "deliveries d ON d.alert_id = a.id WHERE a.rule_id='talks-anywhere'")
    assert sorted(set(queued)) == [("new", "jsonl", "pending")]
    assert len(queued) == len(fired)
