"""Retry horizons per destination kind: an SMTP server refusing connections for ten minutes
(longer than the old give-up point of eight attempts) and then accepting gets the email;
past its horizon a delivery is dead with the reason and the operator is told through the
other destinations (once per destination and day); a requeue starts a fresh horizon.

The dispatcher's clock is a fake one moved to each retry's due time, so minutes of outage
take milliseconds; the SMTP server and the store are real."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from delivery_support import make_alert
from ports import free_port
from smtp_server import Handler, LoopbackSmtp

from streams.config.settings import load_settings
from streams.core.clock import utcnow
from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert
from streams.deliver.retry_policy import RetryPolicy
from streams.deliver.sinks.registry import build_sinks, retry_policies
from streams.store import deliveries as outbox
from streams.store.schema import attempts


def _closed_port() -> int:
    """A loopback port nothing listens on (connections are refused) until we start SMTP."""
    return free_port()


def _settings(tmp_path, port: int, **extra):
    options = dict(data_dir=tmp_path, console_alerts=False, alerts_jsonl="",
                   smtp_host="127.0.0.1", smtp_port=port, smtp_to=["ops@example.org"],
                   delivery_timeout=5)
    return load_settings(**(options | extra))


class Clock:
    def __init__(self) -> None:
        self.now = utcnow() + dt.timedelta(seconds=1)

    def __call__(self) -> dt.datetime:
        return self.now


async def _attempts(store) -> int:
    async with store.begin() as conn:
        return len((await conn.execute(sa.select(attempts))).all())


async def _email_rows(store) -> list[outbox.Delivery]:
    return [r for r in await outbox.list_deliveries(store) if r.destination == "email"]


async def _fail_for(dispatcher: Dispatcher, store, clock: Clock, seconds: float) -> None:
    """Let the dispatcher retry against the refusing server until `seconds` have passed."""
    end = clock.now + dt.timedelta(seconds=seconds)
    while clock.now < end:
        await dispatcher.drain()
        (row,) = await outbox.list_deliveries(store)
        assert row.state == "retrying", (row.state, row.error)
        assert "ConnectionRefused" in (row.error or "")
        assert row.next_attempt is not None
        clock.now = max(clock.now, row.next_attempt)


async def test_email_survives_an_outage_longer_than_the_old_give_up(store, tmp_path):
    port = _closed_port()
    settings = _settings(tmp_path, port)
    clock = Clock()
    dispatcher = Dispatcher(store, build_sinks(settings), clock=clock,
                            policy=RetryPolicy(settings.delivery_max_attempts),
                            policies=retry_policies(settings))
    await record_alert(store, make_alert(destinations=["email"]))

    old = RetryPolicy()  # before: 8 attempts, dead after at most 2+4+...+128 s of waiting
    assert old.max_attempts is not None
    old_give_up = sum(min(old.cap, old.base * 2 ** i) for i in range(old.max_attempts - 1))
    outage = 600.0
    assert outage > old_give_up and outage > 4 * 60

    await _fail_for(dispatcher, store, clock, outage)
    assert await _attempts(store) > old.max_attempts  # the old policy would have given up

    handler = Handler()
    smtp = LoopbackSmtp(handler, port=port)
    smtp.start()
    try:
        await dispatcher.drain()
    finally:
        smtp.stop()
    (row,) = await outbox.list_deliveries(store)
    assert row.state == "sent"
    assert len(handler.to("ops@example.org")) == 1


async def test_past_its_horizon_an_email_is_dead_with_the_reason_and_a_requeue_restarts_it(
    store, tmp_path
):
    port = _closed_port()
    jsonl = tmp_path / "ops.jsonl"
    settings = _settings(tmp_path, port, email_retry_horizon=60, email_retry_cap=10,
                         alerts_jsonl=str(jsonl))
    clock = Clock()
    dispatcher = Dispatcher(store, build_sinks(settings), clock=clock,
                            policies=retry_policies(settings))
    await record_alert(store, make_alert(destinations=["email"]))
    await record_alert(store, make_alert(story="s2", destinations=["email"]))
    started = clock.now
    for _ in range(50):  # bounded: 60 s of horizon at <= 10 s per retry
        await dispatcher.drain()
        row, _ = await _email_rows(store)
        if row.state == "dead":
            break
        assert row.next_attempt is not None
        clock.now = max(clock.now, row.next_attempt)
    assert row.state == "dead"
    assert row.error and "gave up after" in row.error and "1 min" in row.error
    assert "ConnectionRefused" in row.error
    assert clock.now - started >= dt.timedelta(seconds=60)  # the last try is at the horizon
    assert clock.now - started < dt.timedelta(seconds=71)

    # the operator hears of it through the other destination, once for both dead deliveries
    await dispatcher.drain()
    assert [r.state for r in await _email_rows(store)] == ["dead", "dead"]
    (ops,) = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert ops["alert"]["rule_id"] == "delivery-dead"
    assert "deliveries to email are dead" in ops["alert"]["title"]
    assert "ConnectionRefused" in ops["alert"]["message"]

    # `deliveries retry` (requeue) an hour later: a fresh horizon, not dead at once
    clock.now += dt.timedelta(hours=1)
    assert await outbox.requeue(store, [row.id]) == 1
    await dispatcher.drain()
    assert (await outbox.get(store, row.id)).state == "retrying"  # type: ignore[union-attr]


def test_each_kind_has_its_own_horizon(tmp_path):
    settings = _settings(tmp_path, 25, slack_webhook_url="https://hooks.slack.invalid/x/y/z",
                         destinations={"mail-desk": {"kind": "email", "host": "127.0.0.1",
                                                     "to": ["desk@example.org"]}})
    policies = retry_policies(settings)
    assert policies["email"].horizon == policies["mail-desk"].horizon == 24 * 3600
    assert policies["email"].cap == 900
    assert policies["slack"].horizon == 3600
    assert policies["email"].max_attempts is None
    assert "console" not in policies and "jsonl" not in policies  # attempt count, as before
