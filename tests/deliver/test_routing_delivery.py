"""Routing by severity end to end, over real loopback servers: two named Slack destinations
(one incoming webhook, one bot token) and a named email desk (aiosmtpd with a login) each get
exactly the alerts their routes send them; a destination nobody configured is skipped with
one log line; and no secret ever reaches the logs or the store."""

from __future__ import annotations

import logging
import ssl
import uuid

import pytest
import sqlalchemy as sa
from delivery_support import make_alert
from slack_server import SlackServer
from smtp_server import Handler, LoopbackSmtp, self_signed

from streams.config.settings import load_settings
from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert
from streams.deliver.retry_policy import RetryPolicy
from streams.deliver.routing import route
from streams.deliver.sinks.registry import build_sinks
from streams.store.schema import attempts, deliveries

FAST = RetryPolicy(max_attempts=3, base=0.05, cap=0.1)
OPS_PATH = "/services/T9/B9/opsHookSeCrEt9f3a"
TOKEN = "xoxb-analystsTokenSeCrEt71c2"
PASSWORD = "deskPassSeCrEt55e1"


@pytest.fixture
async def ops():
    server = await SlackServer().start()
    yield server
    await server.stop()


@pytest.fixture
async def analysts():
    server = await SlackServer(token=TOKEN, channel="C-ANALYSTS").start()
    yield server
    await server.stop()


@pytest.fixture
def desk(tmp_path):
    """aiosmtpd requiring STARTTLS (a self-signed certificate) and a login."""
    cert, key = self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    handler = Handler()
    server = LoopbackSmtp(handler, starttls=server_ctx, login=("desk", PASSWORD))
    server.start()
    yield server, handler, cert
    server.stop()


@pytest.fixture
def settings(tmp_path, monkeypatch, ops, analysts, desk):
    monkeypatch.setenv("OPS_WEBHOOK", ops.url + OPS_PATH)
    monkeypatch.setenv("ANALYSTS_TOKEN", TOKEN)
    monkeypatch.setenv("DESK_PASSWORD", PASSWORD)
    destinations = {
        "slack-ops": {"kind": "slack", "webhook_url_env": "OPS_WEBHOOK", "min_interval": 0},
        "slack-analysts": {"kind": "slack", "bot_token_env": "ANALYSTS_TOKEN",
                           "channel": "C-ANALYSTS", "api_url": analysts.api_url,
                           "min_interval": 0},
        "email-desk": {"kind": "email", "host": "127.0.0.1", "port": desk[0].bound_port,
                       "security": "starttls", "ca_file": str(desk[2]),
                       "user": "desk", "password_env": "DESK_PASSWORD",
                       "from": "newswatch@example.org", "to": ["desk@example.org"]},
    }
    routes = {"critical": ["slack-ops", "slack-analysts"], "high": ["slack-analysts"],
              "default": ["email-desk"]}
    return load_settings(data_dir=tmp_path, console_alerts=False, alerts_jsonl="",
                         destinations=destinations, routes=routes)


async def deliver(store, settings, *alerts):
    """Route and record each (rule destinations, severity, story), then send everything."""
    sinks = build_sinks(settings)
    for rule_dests, severity, story in alerts:
        alert = make_alert(rule=f"rule-{story}", story=story, severity=severity,
                           title=f"Headline of {story}",
                           destinations=route(rule_dests, severity, settings))
        await record_alert(store, alert, frozenset(sinks))
    dispatcher = Dispatcher(store, sinks, policy=FAST)
    await dispatcher.settle()
    for sink in sinks.values():
        await sink.aclose()


async def rows(store, table):
    async with store.begin() as conn:
        return (await conn.execute(sa.select(table).order_by(table.c.id))).all()


def headlines(server: SlackServer) -> list[str]:
    return sorted(m["text"].split("Headline of ")[1].split()[0] for m in server.top_level())


async def test_each_named_slack_gets_the_alerts_of_its_severities(
        store, settings, ops, analysts, desk):
    await deliver(store, settings, ((), "critical", "s-crit"), ((), "high", "s-high"),
                  ((), "low", "s-low"), (("slack-ops",), "low", "s-ruled"))
    assert headlines(ops) == ["s-crit", "s-ruled"]  # the rule's own choice beats the route
    assert headlines(analysts) == ["s-crit", "s-high"]
    assert all(m["channel"] == "C-ANALYSTS" for m in analysts.messages)
    (rcpts, mail), = desk[1].received  # low has no route of its own: the default
    assert rcpts == ["desk@example.org"]
    assert "Headline of s-low" in mail.get_body(("plain",)).get_content()
    states = [r.state for r in await rows(store, deliveries)]
    assert states == ["sent"] * 5  # 2 critical + 1 high + 1 low + 1 the rule chose


async def test_an_unconfigured_destination_is_skipped_with_one_log_line(
        store, settings, ops, caplog):
    missing = f"pager-{uuid.uuid4().hex[:8]}"  # the one-line memory is per process
    await deliver(store, settings, (("slack-ops", missing), "high", "s1"),
                  ((missing,), "critical", "s2"))
    assert headlines(ops) == ["s1"]
    assert [r.destination for r in await rows(store, deliveries)] == ["slack-ops"]
    assert sum(missing in r.getMessage() for r in caplog.records) == 1


async def test_no_secret_reaches_the_logs_or_the_store(store, settings, ops, analysts, caplog):
    caplog.set_level(logging.DEBUG)
    ops.answers = ["500", "404"]  # a retry, then a dead delivery with its reason recorded
    await deliver(store, settings, ((), "critical", "s1"), ((), "low", "s2"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "HTTP Request: POST ***" in logged  # httpx logged each request, redacted
    stored = " ".join(f"{r.error}" for r in await rows(store, deliveries))
    stored += " ".join(f"{r.error}" for r in await rows(store, attempts))
    assert "channel_not_found" in stored
    for secret in (OPS_PATH, TOKEN, PASSWORD):
        assert secret not in logged and secret not in stored
