"""One health model: /health, /ready, `feeds list`, /api/feeds and the metrics read the same
pure judgement (streams.runtime.health.assess), degraded with each reason: a feed failing (on
loopback), a destination failing (a Slack answering 500), no rules, lag beyond the limit, a
store that cannot be written; `db check` reports a corrupted SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from aiohttp import web
from click.testing import CliRunner
from delivery_support import make_alert
from feeds_support import Loopback, client_for
from prometheus_client import generate_latest
from slack_server import SlackServer

from streams.cli import main
from streams.config.settings import load_settings
from streams.core.clock import utcnow
from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert
from streams.deliver.retry_policy import RetryPolicy
from streams.deliver.sinks.registry import build_sinks
from streams.runtime.health import DEGRADED, OK, Facts, assess, feed_state
from streams.runtime.health_facts import gather_facts
from streams.runtime.metrics import Metrics
from streams.runtime.polling import Schedule, poll_feed
from streams.store import Store

FAST = RetryPolicy(max_attempts=8, base=0.0, cap=0.0)


def test_each_reason_degrades_health():
    assert assess(Facts(rules=3), 300).status == OK
    assert assess(Facts(rules=0), 300).reasons == ("no rules loaded",)
    lagging = assess(Facts(rules=3, lag=400), 300)
    assert lagging.status == DEGRADED and "lag 400s" in lagging.reasons[0]
    broken = assess(Facts(rules=3, store_error="OperationalError: database or disk is full"),
                    300)
    assert broken.status == DEGRADED and not broken.ready
    assert broken.reasons == ("store failing: OperationalError: database or disk is full",)
    assert not assess(Facts(started=False), 300).ready


def test_a_feed_that_never_succeeded_is_failing_everywhere():
    never = {"url": "http://a.example/feed", "failures": 2, "health": "ok", "error": "HTTP 500"}
    assert feed_state(never) == "failing"
    assert feed_state({"url": "u", "failures": 0, "health": "silent"}) == "silent"
    health = assess(Facts(rules=1, feeds=(never,)), 300)
    assert health.reasons == (
        "feed http://a.example/feed failing: 2 failures, last error: HTTP 500",)


async def _failing_feed(store: Store) -> str:
    server = Loopback()

    async def down(_request: web.Request) -> web.Response:
        return web.Response(status=500)

    server.route("/feed", down)
    await server.start()
    url = server.url("/feed")
    async with client_for(server) as client:
        for _ in range(2):
            await poll_feed(client, store, url, utcnow(), Schedule(backoff_base=60))
    await server.stop()
    return url


def test_a_failing_feed_degrades_health_and_every_view_says_failing(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSWATCH_DATA_DIR", str(tmp_path))
    settings = load_settings()

    async def observe() -> tuple[str, Facts, list[dict[str, object]]]:
        from streams.web.feeds import feed_health

        store = await Store(settings.database).open()
        try:
            url = await _failing_feed(store)
            facts = await gather_facts(store, settings, utcnow(), rules=5)
            return url, facts, await feed_health(store, utcnow())
        finally:
            await store.close()

    url, facts, api = asyncio.run(observe())
    health = assess(facts, settings.stall_after)
    assert health.status == DEGRADED
    assert health.reasons == (f"feed {url} failing: 2 failures, last error: HTTP 500",)
    assert [f["health"] for f in api] == ["failing"]  # /feeds and /api/feeds
    listed = CliRunner().invoke(main, ["feeds", "list"])
    assert listed.exit_code == 0, listed.output
    assert "failing (HTTP 500)" in listed.output.splitlines()[1]
    metrics = Metrics()
    metrics.show_health(health)
    text = generate_latest(metrics.registry).decode()
    assert "newswatch_healthy 0.0" in text and 'newswatch_feeds{state="failing"} 1.0' in text


async def test_a_slack_answering_500_degrades_health_and_deliveries_are_counted(
        store, tmp_path):
    slack = await SlackServer(answers=["500"] * 3).start()
    settings = load_settings(data_dir=tmp_path, console_alerts=False,
                             alerts_jsonl=tmp_path / "a.jsonl",
                             slack_webhook_url=slack.webhook_url, slack_min_interval=0)
    sinks = build_sinks(settings)
    metrics = Metrics()
    dispatcher = Dispatcher(store, sinks, policy=FAST, metrics=metrics)
    try:
        await record_alert(store, make_alert(destinations=("slack", "jsonl")), frozenset(sinks))
        for _ in range(3):
            await dispatcher.drain()
        facts = await gather_facts(store, settings, utcnow(), rules=5, destinations=list(sinks))
        failing = assess(facts, settings.stall_after)
        await dispatcher.drain()  # Slack answers again
        facts = await gather_facts(store, settings, utcnow(), rules=5, destinations=list(sinks))
        healed = assess(facts, settings.stall_after)
    finally:
        for sink in sinks.values():
            await sink.aclose()
        await slack.stop()
    assert failing.status == DEGRADED and failing.failing_destinations == ("slack",)
    assert failing.reasons[0].startswith("destination slack failing: last 3 attempts failed")
    assert healed.status == OK
    text = generate_latest(metrics.registry).decode()
    assert 'newswatch_deliveries_total{destination="slack",outcome="retry"} 3.0' in text
    assert 'newswatch_deliveries_total{destination="slack",outcome="sent"} 1.0' in text
    assert 'newswatch_deliveries_total{destination="jsonl",outcome="sent"} 1.0' in text


async def test_a_full_store_degrades_health(tmp_path):
    """The database cannot grow (as on a full disk): the write probe fails and /health and
    /ready say so."""
    from sqlalchemy import event

    settings = load_settings(data_dir=tmp_path)
    store = await Store(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}").open()
    try:
        def no_room(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.execute("PRAGMA max_page_count = 1")  # clamps to the current size
            cur.close()

        event.listen(store.engine.sync_engine, "connect", no_room)
        await store.engine.dispose()  # new connections, each with no room to grow
        facts = await gather_facts(store, settings, utcnow(), rules=5)
    finally:
        await store.close()
    health = assess(facts, settings.stall_after)
    assert health.status == DEGRADED and not health.ready
    assert health.reasons == ("store failing: OperationalError: (sqlite3.OperationalError) "
                              "database or disk is full",)


def _corrupt(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE filler (n INTEGER PRIMARY KEY, t TEXT)")
        db.executemany("INSERT INTO filler VALUES (?, ?)",
                       ((n, "x" * 200) for n in range(2000)))
        db.execute("CREATE INDEX filler_t ON filler (t, n)")
    data = bytearray(path.read_bytes())
    page = 4096
    pages = len(data) // page
    for p in range(pages // 2, pages // 2 + 4):  # scribble over pages of the table/index
        data[p * page + 8: p * page + 200] = b"\xa5" * 192
    path.write_bytes(bytes(data))


def test_db_check_reports_a_corrupted_sqlite_file(tmp_path):
    path = tmp_path / "var" / "newswatch.db"
    url = f"sqlite:///{path}"
    assert CliRunner().invoke(main, ["db", "upgrade", "--database", url]).exit_code == 0
    _corrupt(path)
    result = CliRunner().invoke(main, ["db", "check", "--database", url])
    assert result.exit_code == 1
    assert "is corrupted" in result.output and "PRAGMA integrity_check" in result.output
    assert "Traceback" not in result.output
