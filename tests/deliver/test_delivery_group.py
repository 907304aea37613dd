"""A rule's `group` (digest, like Alertmanager's group_wait / group_interval) end to end over a
real SQLite store, the loopback Slack server and aiosmtpd: alerts are recorded at once, their
deliveries wait for the group, leave as one Slack message and one email, survive a restart of
the dispatcher, and the next digest keeps the interval."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import sqlalchemy as sa
from delivery_support import ScriptedSink, make_alert
from slack_server import SlackServer
from smtp_server import Handler, LoopbackSmtp

from streams.core.alert_json import alert_from_json, alert_to_json
from streams.core.records import Alert
from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert
from streams.deliver.retry_policy import RetryPolicy
from streams.deliver.sinks.slack import SlackSink
from streams.deliver.sinks.smtp import SmtpSink
from streams.store import Store
from streams.store import deliveries as outbox
from streams.store.alerts import list_alerts
from streams.store.schema import deliveries

FAST = RetryPolicy(max_attempts=4, base=0.05, cap=0.1)
WAIT = 1.0  # long enough that recording three alerts never outlasts it on a loaded machine
RULE = "mass-casualty-strike"


def grouped(alert: Alert, wait: float = WAIT, interval: float = 60.0) -> Alert:
    """The alert as the alert stage builds it for a rule with `group: {wait, interval}`."""
    return alert_from_json({**alert_to_json(alert), "group_wait": wait,
                            "group_interval": interval})


@pytest.fixture
def smtp():
    handler = Handler()
    server = LoopbackSmtp(handler)
    server.start()
    yield handler, server
    server.stop()


def slack_sink(server: SlackServer) -> SlackSink:
    return SlackSink(webhook_url=server.webhook_url, timeout=5.0, min_interval=0)


def bot_sink(server: SlackServer) -> SlackSink:
    return SlackSink(bot_token=server.token, channel=server.channel, api_url=server.api_url,
                     timeout=5.0, min_interval=0)


def email_sink(server: LoopbackSmtp) -> SmtpSink:
    return SmtpSink("127.0.0.1", server.bound_port, ["alice@example.org"],
                    "newswatch@example.org", timeout=5)


async def rows(store):
    async with store.begin() as conn:
        return (await conn.execute(sa.select(deliveries).order_by(deliveries.c.id))).all()


async def until_due(store):
    """Sleep until the latest open delivery is due."""
    latest = max(outbox.aware(r.next_attempt) for r in await rows(store)
                 if r.state in ("pending", "retrying"))
    await asyncio.sleep(max(0.0, (latest - dt.datetime.now(dt.UTC)).total_seconds()) + 0.05)


async def record_three(store, destinations, **group):
    titles = ["Strike on Kherson kills 24", "Strike on Odesa <!channel> kills 9",
              "Strike on Lviv <https://evil.example|x> kills 3"]
    for i, title in enumerate(titles):
        alert = make_alert(story=f"s{i}", article=f"a{i}", title=title,
                           destinations=destinations)
        assert await record_alert(store, grouped(alert, **group))


async def test_three_alerts_within_wait_give_one_slack_message_and_one_email(
    slack, smtp, store
):
    handler, smtp_server = smtp
    await record_three(store, ["slack", "email"])
    await record_alert(store, make_alert(rule="ceasefire", destinations=["slack", "email"]))
    assert len(await list_alerts(store)) == 4  # recorded at once; only delivery waits
    dispatcher = Dispatcher(store, {"slack": slack_sink(slack), "email": email_sink(smtp_server)},
                            policy=FAST)
    assert await dispatcher.drain() == 2  # the ungrouped rule is not held
    # the ungrouped alert's own message (its fallback text opens with rule and headline)
    [alone] = [m["text"] for m in slack.top_level()]
    assert alone.startswith("[high] ceasefire: Russian strike on Kherson kills at least 24")
    await until_due(store)
    assert await dispatcher.drain() == 6
    assert await dispatcher.drain() == 0
    digest = slack.top_level()[1]
    assert digest["text"] == f"[high] {RULE}: 3 alerts"
    lines = [b["text"]["text"] for b in digest["blocks"] if b["type"] == "section"][1:]
    assert len(lines) == 3
    assert lines[0].startswith("• <https://news.example/a0|Strike on Kherson kills 24>")
    body = str(digest["blocks"])
    assert "&lt;!channel&gt;" in body and "<!channel>" not in body
    assert "&lt;https://evil.example|x&gt;" in body and "<https://evil" not in body
    mails = [m for _, m in handler.received]
    assert len(mails) == 2
    (mail,) = [m for m in mails if "3 alerts" in m["Subject"]]
    text = mail.get_body(("plain",)).get_content()
    assert all(f"https://news.example/a{i}" in text for i in range(3))
    assert {r.state for r in await rows(store)} == {"sent"}


async def test_an_ungrouped_rule_is_sent_at_once_without_a_group_key(store):
    await record_alert(store, make_alert(destinations=["console"]))
    (row,) = await rows(store)
    assert row.group_key is None
    assert outbox.aware(row.next_attempt) <= dt.datetime.now(dt.UTC)
    sink = ScriptedSink("console")
    assert await Dispatcher(store, {"console": sink}).drain() == 1


async def test_a_restart_during_the_wait_still_sends_the_digest_once(slack, store, tmp_path):
    await record_three(store, ["slack"])
    first = Dispatcher(store, {"slack": bot_sink(slack)}, policy=FAST)
    assert await first.drain() == 0
    await store.close()  # the worker stops in the middle of the wait
    reopened = await Store(store.url).open()
    try:
        second = Dispatcher(reopened, {"slack": bot_sink(slack)}, policy=FAST)
        assert await second.drain() == 0
        await until_due(reopened)
        assert await second.drain() == 3
        assert await second.drain() == 0
        (digest,) = slack.top_level()
        assert digest["metadata"]["event_payload"]["keys"] == [r.alert_id
                                                                for r in await rows(reopened)]
        assert {r.state for r in await rows(reopened)} == {"sent"}
        assert len({r.ref for r in await rows(reopened)}) == 1  # one message: one ts
    finally:
        await reopened.close()


async def test_a_digest_in_doubt_after_a_crash_is_found_not_resent(slack, store):
    await record_three(store, ["slack"], wait=0.0)
    sink = bot_sink(slack)
    due = await outbox.due(store, dt.datetime.now(dt.UTC))
    for d in due:  # the crashed sender claimed the rows and its post landed
        assert await outbox.claim(store, d, dt.datetime.now(dt.UTC), lease=120) is not None
    crashed = Dispatcher(store, {"slack": sink})
    await sink.send([crashed._message(d, None) for d in due])
    assert await Dispatcher(store, {"slack": sink}, policy=FAST).drain() == 0
    assert len(slack.top_level()) == 1
    assert {r.state for r in await rows(store)} == {"sent"}


async def test_a_group_spread_by_retry_jitter_leaves_as_one_digest(slack, store):
    await record_three(store, ["slack"], wait=0.0)
    slack.answers = ["500"]
    dispatcher = Dispatcher(store, {"slack": slack_sink(slack)}, policy=FAST)
    assert await dispatcher.drain() == 3
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    async with store.begin() as conn:  # two of the three retry much later than the first
        await conn.execute(deliveries.update().where(deliveries.c.id > 1).values(
            next_attempt=later))
    await asyncio.sleep(0.15)
    assert await dispatcher.drain() == 3
    (digest,) = slack.top_level()
    assert digest["text"].endswith("3 alerts")


async def test_non_digest_sinks_get_one_message_per_alert_when_the_group_is_due(store):
    await record_three(store, ["jsonl"], wait=0.3)
    sink = ScriptedSink("jsonl")
    dispatcher = Dispatcher(store, {"jsonl": sink})
    assert await dispatcher.drain() == 0
    await until_due(store)
    assert await dispatcher.drain() == 3
    assert [len(batch) for batch in sink.got] == [1, 1, 1]


async def test_after_a_digest_the_next_waits_for_the_interval(slack, store):
    interval = 1.5
    alert = make_alert(story="s0", article="a0", destinations=["slack"])
    await record_alert(store, grouped(alert, wait=0.2, interval=interval))
    dispatcher = Dispatcher(store, {"slack": slack_sink(slack)}, policy=FAST)
    await until_due(store)
    assert await dispatcher.drain() == 1
    for i in (1, 2):  # two more right after the first digest
        alert = make_alert(story=f"s{i}", article=f"a{i}", destinations=["slack"])
        await record_alert(store, grouped(alert, wait=0.2, interval=interval))
    first, second, third = await rows(store)
    assert second.next_attempt == third.next_attempt  # they wait together
    gap = outbox.aware(second.next_attempt) - outbox.aware(first.sent)
    assert gap >= dt.timedelta(seconds=interval)
    await asyncio.sleep(0.3)  # past `wait`, not past `interval`
    assert await dispatcher.drain() == 0
    await until_due(store)
    assert await dispatcher.drain() == 2
    _, second, _ = await rows(store)
    assert outbox.aware(second.sent) - outbox.aware(first.sent) >= dt.timedelta(seconds=interval)
    texts = [m["text"].split(": ")[1] for m in slack.top_level()]
    assert texts[0].startswith("Russian strike on Kherson kills at least 24")
    assert texts[1] == "2 alerts"


async def test_grouping_works_the_same_on_postgresql(pg_url):
    pg = await Store(pg_url).open()
    try:
        await record_three(pg, ["slack", "console"], wait=0.3)
        due = {r.next_attempt for r in await rows(pg) if r.destination == "slack"}
        assert len(due) == 1  # the group's due time, shared
        chat, console = ScriptedSink("slack"), ScriptedSink("console")
        chat.digests = True
        dispatcher = Dispatcher(pg, {"slack": chat, "console": console})
        assert await dispatcher.drain() == 0
        await until_due(pg)
        assert await dispatcher.drain() == 6
        assert [len(batch) for batch in chat.got] == [3]
        assert [len(batch) for batch in console.got] == [1, 1, 1]
    finally:
        await pg.close()
