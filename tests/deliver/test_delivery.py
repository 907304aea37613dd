"""The outbox end to end over a real SQLite store: record_alert, updates, the Dispatcher,
and the console / JSONL sinks."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from delivery_support import ScriptedSink, make_alert, open_store

from streams.config.settings import load_settings
from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert, record_story_update
from streams.deliver.retry_policy import RetryPolicy, SendResult
from streams.deliver.sinks.console import ConsoleSink
from streams.deliver.sinks.jsonl import JsonlSink
from streams.deliver.sinks.registry import build_sinks
from streams.store import deliveries as outbox
from streams.store.schema import alerts, attempts, deliveries


async def _rows(store, table):
    async with store.begin() as conn:
        return (await conn.execute(sa.select(table))).all()


async def test_record_alert_writes_alert_and_one_delivery_per_destination(tmp_path):
    store = await open_store(tmp_path)
    alert = make_alert(destinations=["console", "jsonl", "console"])
    assert await record_alert(store, alert) is True
    assert await record_alert(store, make_alert(article="art2")) is False  # same rule+story
    assert len(await _rows(store, alerts)) == 1
    rows = await _rows(store, deliveries)
    assert sorted((r.destination, r.state) for r in rows) == [
        ("console", "pending"), ("jsonl", "pending")]
    await store.close()


async def test_unconfigured_destination_is_skipped_with_one_log_line(tmp_path, caplog):
    store = await open_store(tmp_path)
    await record_alert(store, make_alert(destinations=["console", "pager-xyz"]), {"console"})
    await record_alert(store, make_alert(story="s2", destinations=["pager-xyz"]), {"console"})
    assert [r.destination for r in await _rows(store, deliveries)] == ["console"]
    assert sum("pager-xyz" in r.getMessage() for r in caplog.records) == 1
    await store.close()


async def test_dispatcher_delivers_to_console_and_jsonl_once(tmp_path, capsys):
    store = await open_store(tmp_path)
    path = tmp_path / "alerts.jsonl"
    sinks = {"console": ConsoleSink(), "jsonl": JsonlSink(path)}
    await record_alert(store, make_alert())
    dispatcher = Dispatcher(store, sinks)
    assert await dispatcher.drain() == 2
    assert await dispatcher.drain() == 0  # nothing left
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert "mass-casualty-strike" in out[0] and "Kherson kills at least 24" in out[0]
    assert "attack" in out[0]
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["alert"]["rule_id"] == "mass-casualty-strike"
    assert {r.state for r in await _rows(store, deliveries)} == {"sent"}
    assert [r.outcome for r in await _rows(store, attempts)] == ["sent", "sent"]
    await store.close()


async def test_jsonl_resend_after_crash_does_not_duplicate_the_line(tmp_path):
    store = await open_store(tmp_path)
    path = tmp_path / "alerts.jsonl"
    await record_alert(store, make_alert(destinations=["jsonl"]))
    d = (await outbox.due(store, dt.datetime.now(dt.UTC)))[0]
    # a sender wrote the line, then died before recording it: the row is left "sending"
    await outbox.claim(store, d, dt.datetime.now(dt.UTC), lease=120)
    await JsonlSink(path).send([Dispatcher(store, {})._message(d, None)])
    with path.open("a") as fh:
        fh.write('{"key": "torn')  # and the crash tore a half-written line after it
    dispatcher = Dispatcher(store, {"jsonl": JsonlSink(path)})
    await dispatcher.drain()
    await dispatcher.drain()
    keys = []
    for line in path.read_text().splitlines():
        try:
            keys.append(json.loads(line)["key"])
        except ValueError:
            continue
    assert keys == [make_alert().id]
    assert [r.outcome for r in await _rows(store, attempts)] == ["in_doubt", "sent"]
    await store.close()


async def test_retry_then_dead_keeps_every_attempt(tmp_path):
    store = await open_store(tmp_path)
    await record_alert(store, make_alert(destinations=["slack"]))
    sink = ScriptedSink("slack", [SendResult.retry("HTTP 500", status=500)])
    clock_now = [dt.datetime.now(dt.UTC)]
    dispatcher = Dispatcher(store, {"slack": sink}, clock=lambda: clock_now[0],
                            policy=RetryPolicy(max_attempts=3, base=1.0))
    for _ in range(5):
        await dispatcher.drain()
        clock_now[0] += dt.timedelta(minutes=5)
    (row,) = await _rows(store, deliveries)
    assert row.state == "dead" and "gave up after 3 attempts" in row.error
    assert [(a.outcome, a.status) for a in await _rows(store, attempts)] == [
        ("retry", 500), ("retry", 500), ("retry", 500)]
    await store.close()


async def test_story_update_is_idempotent_and_queued_per_destination(tmp_path):
    store = await open_store(tmp_path)
    first = make_alert()
    await record_alert(store, first)
    later = make_alert(article="art2", source="Reuters", killed=26)
    assert await record_story_update(store, later) is True
    assert await record_story_update(store, later) is False
    assert await record_story_update(store, first) is False  # the first article itself
    rows = await _rows(store, deliveries)
    assert len(rows) == 4 and sum(1 for r in rows if r.update_id) == 2
    sink = ScriptedSink("console")
    await Dispatcher(store, {"console": sink, "jsonl": ScriptedSink("jsonl")}).drain()
    assert [m[0].is_update for m in sink.got] == [False, True]
    await store.close()


def test_build_sinks_has_only_what_is_configured(tmp_path):
    settings = load_settings(data_dir=tmp_path, console_alerts=False, alerts_jsonl="")
    assert build_sinks(settings) == {}
    settings = load_settings(data_dir=tmp_path)
    assert sorted(build_sinks(settings)) == ["console", "jsonl"]
