"""Silences, acknowledgement and the outbox commands, through the `newswatch` CLI over a
real SQLite store; and `config show` never printing a secret."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from click.testing import CliRunner
from delivery_support import ScriptedSink, make_alert

from streams.cli import main
from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert
from streams.store import Store
from streams.store import deliveries as outbox
from streams.store.silences import add_silence, remove_silence


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSWATCH_DATA_DIR", str(tmp_path))
    for var in ("SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "SMTP_HOST", "SMTP_PASSWORD"):
        monkeypatch.delenv(f"NEWSWATCH_{var}", raising=False)
    return f"sqlite+aiosqlite:///{tmp_path / 'newswatch.db'}"


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def with_store(url, work):
    async def run():
        store = await Store(url).open()
        try:
            return await work(store)
        finally:
            await store.close()
    return asyncio.run(run())


def test_silenced_alert_is_held_then_released(env):
    assert "silence #1" in cli("silence", "add", "--rule", "mass-casualty-strike", "--for", "2h",
                               "--reason", "known story")
    with_store(env, lambda s: record_alert(s, make_alert(destinations=["slack"])))
    with_store(env, lambda s: record_alert(s, make_alert(rule="ceasefire",
                                                         destinations=["slack"])))
    sink = ScriptedSink("slack")
    with_store(env, lambda s: Dispatcher(s, {"slack": sink}).drain())
    assert [m[0].alert.rule_id for m in sink.got] == ["ceasefire"]
    held = cli("deliveries", "list", "--held")
    assert "mass-casualty-strike" in held and "silenced by #1" in held and "known story" in held
    assert "requeued 1" in cli("deliveries", "retry", "--held")
    with_store(env, lambda s: Dispatcher(s, {"slack": sink}).drain())
    assert [m[0].alert.rule_id for m in sink.got] == ["ceasefire", "mass-casualty-strike"]


def test_a_silence_set_or_ended_within_a_batch_holds_what_is_recorded_after(env):
    """A batch's alerts are recorded in one transaction, which reads the silences once: one
    added inside it holds the alerts recorded after it, one ended inside it no longer does."""
    async def work(store):
        async with store.transaction():
            await record_alert(store, make_alert(rule="ceasefire", story="s1",
                                                 destinations=["slack"]))  # silences read
            sid = await add_silence(store, dt.timedelta(hours=1), rule_id="ceasefire")
            await record_alert(store, make_alert(rule="ceasefire", story="s2",
                                                 destinations=["slack"]))  # held
            await remove_silence(store, sid)
            await record_alert(store, make_alert(rule="ceasefire", story="s3",
                                                 destinations=["slack"]))
        sink = ScriptedSink("slack")
        await Dispatcher(store, {"slack": sink}).drain()
        return sorted(m[0].alert.story_id for m in sink.got)

    assert with_store(env, work) == ["s1", "s3"]


def test_silence_by_actor_and_removal(env):
    cli("silence", "add", "--actor", "belarus", "--for", "30m")
    with_store(env, lambda s: record_alert(s, make_alert(actors=("Belarus", "Russia"),
                                                         destinations=["slack"])))
    assert "#1" in cli("silence", "list")
    cli("silence", "remove", "1")
    assert cli("silence", "list") == ""
    with_store(env, lambda s: record_alert(s, make_alert(story="s2", actors=("Belarus",),
                                                         destinations=["slack"])))
    rows = with_store(env, lambda s: outbox.list_deliveries(s))
    assert sorted(d.state for d in rows) == ["held", "pending"]


def test_silence_needs_a_criterion_and_a_duration(env):
    result = CliRunner().invoke(main, ["silence", "add", "--for", "2h"])
    assert result.exit_code != 0 and "--rule, --story or --actor" in result.output
    result = CliRunner().invoke(main, ["silence", "add", "--rule", "ceasefire", "--for", "soon"])
    assert result.exit_code != 0 and "cannot read duration 'soon'" in result.output


def test_alerts_list_show_ack_and_dead_retry(env):
    alert = make_alert(destinations=["slack"])
    with_store(env, lambda s: record_alert(s, alert))
    from streams.deliver.retry_policy import SendResult
    sink = ScriptedSink("slack", [SendResult.dead("slack webhook: HTTP 400 invalid_payload", 400)])
    with_store(env, lambda s: Dispatcher(s, {"slack": sink}).drain())
    assert alert.id in cli("alerts", "list", "--status", "new")
    shown = cli("alerts", "show", alert.id[:6])
    assert "Kherson" in shown and "dead" in shown and "invalid_payload" in shown
    assert f"acknowledged {alert.id} by ana" in cli("alerts", "ack", alert.id, "--by", "ana")
    assert cli("alerts", "list", "--status", "new") == ""
    assert "invalid_payload" in cli("deliveries", "list", "--dead")
    assert "requeued 1" in cli("deliveries", "retry", "--dead")
    assert cli("deliveries", "list", "--dead") == ""


def test_config_show_masks_secrets(env, monkeypatch):
    monkeypatch.setenv("NEWSWATCH_SLACK_WEBHOOK_URL", "https://hooks.example/T1/B2/SeCrEt123")
    monkeypatch.setenv("NEWSWATCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NEWSWATCH_SMTP_TO", '["ops@example.org"]')
    monkeypatch.setenv("NEWSWATCH_SMTP_PASSWORD", "hunter2-pw")
    out = cli("config", "show")
    assert "SeCrEt123" not in out and "hunter2-pw" not in out
    assert '"slack_webhook_url": "***"' in out
    assert '"slack"' in out and '"email"' in out  # the destinations it configures
