"""Slack delivery against a loopback server answering as Slack documents: each answer
(ok, 429 + Retry-After, 400 invalid_payload, 404 channel_not_found, 500, a hang) leads to
the documented behaviour, and the store shows it."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import sqlalchemy as sa
from delivery_support import make_alert
from slack_server import SlackServer

from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert, record_story_update
from streams.deliver.retry_policy import RetryPolicy
from streams.deliver.sinks.slack import SlackSink
from streams.store import deliveries as outbox
from streams.store.schema import attempts, deliveries

FAST = RetryPolicy(max_attempts=3, base=0.05, cap=0.1)


def webhook_sink(server: SlackServer, timeout: float = 5.0) -> SlackSink:
    return SlackSink(webhook_url=server.webhook_url, timeout=timeout, min_interval=0)


def bot_sink(server: SlackServer) -> SlackSink:
    return SlackSink(bot_token=server.token, channel=server.channel, api_url=server.api_url,
                     timeout=5.0, min_interval=0)


async def rows(store, table):
    async with store.begin() as conn:
        return (await conn.execute(sa.select(table).order_by(table.c.id))).all()


async def deliver(store, sink, *alerts, policy=FAST, rounds=1):
    for a in alerts:
        await record_alert(store, make_alert(**a, destinations=["slack"]))
    dispatcher = Dispatcher(store, {"slack": sink}, policy=policy)
    for _ in range(rounds):
        await dispatcher.drain()
    await sink.aclose()
    return dispatcher


async def test_ok_is_sent(slack, store):
    await deliver(store, webhook_sink(slack), {})
    (row,) = await rows(store, deliveries)
    assert row.state == "sent" and len(slack.top_level()) == 1


async def test_429_waits_at_least_retry_after_then_sends(slack, store):
    slack.answers = ["429:2"]
    dispatcher = await deliver(store, webhook_sink(slack), {}, {"story": "s2"})
    first, second = await rows(store, deliveries)
    assert first.state == "retrying" and "429" in first.error
    (attempt,) = await rows(store, attempts)
    waited = outbox.aware(first.next_attempt) - outbox.aware(attempt.started)
    assert waited >= dt.timedelta(seconds=2)
    assert second.state == "pending"  # the whole destination pauses, not only that message
    assert slack.requests == 1
    assert await dispatcher.drain() == 0  # still inside Retry-After: nothing is sent


async def test_400_invalid_payload_is_dead_and_destination_still_usable(slack, store):
    slack.answers = ["400"]
    await deliver(store, webhook_sink(slack), {}, {"story": "s2"})
    first, second = await rows(store, deliveries)
    assert first.state == "dead" and "invalid_payload" in first.error
    assert second.state == "sent"


async def test_404_channel_not_found_is_dead_and_flags_the_destination(slack, store):
    slack.answers = ["404"]
    await deliver(store, webhook_sink(slack), {}, {"story": "s2"})
    first, second = await rows(store, deliveries)
    assert first.state == "dead" and "channel_not_found" in first.error
    assert second.state == "dead" and "flagged" in second.error
    assert slack.requests == 1  # the flagged destination is not hammered
    assert "slack" in await outbox.flags(store)
    assert await outbox.requeue(store, destination="slack") == 2  # `deliveries retry`
    assert await outbox.flags(store) == {}


async def test_500_retries_with_backoff_then_sends(slack, store):
    slack.answers = ["500", "500"]
    dispatcher = await deliver(store, webhook_sink(slack), {})
    (row,) = await rows(store, deliveries)
    assert row.state == "retrying"
    while row.state == "retrying":
        await asyncio.sleep(0.05)
        await dispatcher.drain()
        (row,) = await rows(store, deliveries)
    assert row.state == "sent"
    assert [a.outcome for a in await rows(store, attempts)] == ["retry", "retry", "sent"]


async def test_500_forever_is_dead_after_the_attempt_budget(slack, store):
    slack.answers = ["500"] * 10
    dispatcher = await deliver(store, webhook_sink(slack), {})
    (row,) = await rows(store, deliveries)
    while row.state == "retrying":
        await asyncio.sleep(0.05)
        await dispatcher.drain()
        (row,) = await rows(store, deliveries)
    assert row.state == "dead" and "gave up after 3 attempts" in row.error
    assert slack.requests == 3


async def test_a_hang_times_out_and_is_retried(slack, store):
    slack.answers = ["hang"]
    await deliver(store, webhook_sink(slack, timeout=0.3), {})
    (row,) = await rows(store, deliveries)
    assert row.state == "retrying" and "no answer" in row.error


async def test_200_without_ok_body_is_not_sent(slack, store):
    # a proxy page or a changed API: only "ok" proves Slack took it
    sink = SlackSink(webhook_url=slack.url + "/api/conversations.history", min_interval=0)
    await record_alert(store, make_alert(destinations=["slack"]))
    await Dispatcher(store, {"slack": sink}, policy=FAST).drain()
    await sink.aclose()
    (row,) = await rows(store, deliveries)
    assert row.state != "sent"


async def test_pacing_spaces_messages_to_one_destination(slack, store):
    sink = SlackSink(webhook_url=slack.webhook_url, min_interval=0.2)
    times = []
    original = sink._post_webhook

    async def timed(payload):
        times.append(asyncio.get_running_loop().time())
        return await original(payload)

    sink._post_webhook = timed  # type: ignore[method-assign]
    await deliver(store, sink, {}, {"story": "s2"}, {"story": "s3"})
    assert len(times) == 3
    assert all(b - a >= 0.19 for a, b in zip(times, times[1:], strict=False))


async def test_story_told_by_three_sources_is_one_message_and_two_replies(slack, store):
    sink = bot_sink(slack)
    await record_alert(store, make_alert(destinations=["slack"]))
    await record_story_update(store, make_alert(article="a2", source="Reuters", killed=25))
    await record_story_update(store, make_alert(article="a3", source="AP", killed=26))
    await Dispatcher(store, {"slack": sink}, policy=FAST).drain()
    await sink.aclose()
    (top,) = slack.top_level()
    replies = slack.replies(top["ts"])
    assert len(replies) == 2
    assert "also reported by AP, killed now at least 26" in replies[1]["text"]
    assert {r.state for r in await rows(store, deliveries)} == {"sent"}


async def test_bot_404_channel_not_found_is_dead_and_flagged(slack, store):
    slack.answers = ["404"]
    await deliver(store, bot_sink(slack), {})
    (row,) = await rows(store, deliveries)
    assert row.state == "dead" and "channel_not_found" in row.error
    assert "slack" in await outbox.flags(store)


async def test_bot_retry_after_timeout_finds_the_landed_message_instead_of_reposting(
        slack, store):
    # the first post lands but its answer is lost (500 after Slack kept it)
    sink = bot_sink(slack)
    await record_alert(store, make_alert(destinations=["slack"]))
    original = sink._post_message

    async def lost_answer(payload, thread_ts):
        await original(payload, thread_ts)
        from streams.deliver.retry_policy import SendResult
        return SendResult.retry("slack: connection reset")

    sink._post_message = lost_answer  # type: ignore[method-assign]
    dispatcher = Dispatcher(store, {"slack": sink}, policy=FAST)
    await dispatcher.drain()
    sink._post_message = original  # type: ignore[method-assign]
    (row,) = await rows(store, deliveries)
    while row.state == "retrying":
        await asyncio.sleep(0.05)
        await dispatcher.drain()
        (row,) = await rows(store, deliveries)
    await sink.aclose()
    assert row.state == "sent" and len(slack.messages) == 1


async def test_headline_with_slack_control_sequences_arrives_escaped(slack, store):
    title = "Breaking <!channel> see <https://evil.example|x> & more\r\nBcc: victim@example.com"
    await deliver(store, webhook_sink(slack), {"title": title})
    (msg,) = slack.messages
    rendered = str(msg["blocks"]) + msg["text"]
    assert "<!channel>" not in rendered and "<https://evil" not in rendered
    assert "&lt;!channel&gt;" in rendered and "&amp; more" in rendered
    # the only link markup is our own headline link
    assert re.findall(r"<(?!https://news\.example/)", rendered) == []
    assert "\r" not in rendered and "\nBcc" not in rendered


async def test_a_dead_delivery_is_never_stored_without_its_operator_alert(slack, store,
                                                                        monkeypatch):
    """A refusal makes a delivery dead and tells the operator through the other
    destination in one transaction: when the operator's alert cannot be stored, the answer
    is not stored either (what a crash between the two would leave: a dead delivery nobody
    is told of); it is recorded, with the operator's alert, at the next drain."""
    import streams.deliver.dispatcher as dispatcher_module
    from streams.core.errors import StoreError

    slack.answers = ["400"]
    await record_alert(store, make_alert(destinations=["slack"]))
    recorded = dispatcher_module.record_alert
    failing = [True]

    async def record_or_fail(*args, **kwargs):
        if failing.pop() if failing else False:
            raise StoreError("disk I/O error")
        return await recorded(*args, **kwargs)

    monkeypatch.setattr(dispatcher_module, "record_alert", record_or_fail)
    sink, other = webhook_sink(slack), webhook_sink(slack)
    dispatcher = Dispatcher(store, {"slack": sink, "ops": other}, policy=FAST)
    try:
        await dispatcher.drain()
    except StoreError:
        pass
    states = [(r.destination, r.state) for r in await rows(store, deliveries)]
    assert ("slack", "dead") not in states and len(states) == 1
    await dispatcher.drain()
    await dispatcher.drain()
    states = sorted((r.destination, r.state) for r in await rows(store, deliveries))
    assert states == [("ops", "sent"), ("slack", "dead")]
    assert any("deliveries to slack are dead" in str(p) for p in slack.top_level())
    await sink.aclose()
    await other.aclose()
