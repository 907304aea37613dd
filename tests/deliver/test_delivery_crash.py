"""Crash test: the dispatcher process is SIGKILLed at random points while 200 alerts go to
Slack (bot mode) and email, and restarted until the outbox is settled. In the end every
alert is delivered once to each destination or is dead with its reason."""

from __future__ import annotations

import asyncio
import collections
import os
import random
import signal
import sys

import pytest
import sqlalchemy as sa
from delivery_support import make_alert, open_store
from slack_server import SlackServer
from smtp_server import Handler, LoopbackSmtp

from streams.deliver.record import record_alert
from streams.store.schema import attempts, deliveries

ALERTS = 200
MAX_KILLS = 12

pytestmark = pytest.mark.slow


async def _run_dispatcher(url: str, env: dict[str, str], kill_after: float | None) -> int:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "streams.runtime.outbox", url, "--once", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        return await asyncio.wait_for(proc.wait(), kill_after)
    except TimeoutError:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        return -9


async def test_sigkill_at_random_points_never_loses_or_doubles(tmp_path):
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    # one transient 500 (retried) and one invalid_blocks refusal (dead, channel still usable)
    slack = await SlackServer(answers=["ok"] * 40 + ["500"] + ["ok"] * 40 + ["400"]).start()
    handler = Handler(refuse={"ops@example.org": ["450 try later"]})
    smtp = LoopbackSmtp(handler)
    smtp.start()
    store = await open_store(tmp_path)
    url = store.url
    try:
        for i in range(ALERTS):
            await record_alert(store, make_alert(story=f"story{i}", article=f"art{i}",
                                                 destinations=["slack", "email"]))
        env = dict(os.environ,
                   NEWSWATCH_DATA_DIR=str(tmp_path), NEWSWATCH_CONSOLE_ALERTS="false",
                   NEWSWATCH_ALERTS_JSONL="", NEWSWATCH_SLACK_BOT_TOKEN=slack.token,
                   NEWSWATCH_SLACK_CHANNEL=slack.channel, NEWSWATCH_SLACK_API_URL=slack.api_url,
                   NEWSWATCH_SLACK_MIN_INTERVAL="0", NEWSWATCH_SMTP_HOST="127.0.0.1",
                   NEWSWATCH_SMTP_PORT=str(smtp.bound_port),
                   NEWSWATCH_SMTP_TO='["ops@example.org"]', NEWSWATCH_DELIVERY_TIMEOUT="5")
        kills = 0
        while kills < MAX_KILLS:
            if await _run_dispatcher(url, env, rng.uniform(0.3, 2.5)) != -9:
                break
            kills += 1
        else:
            assert await _run_dispatcher(url, env, None) == 0
        assert kills > 0, "the dispatcher finished before it could be killed"

        async with store.begin() as conn:
            rows = (await conn.execute(sa.select(deliveries))).all()
            tries = (await conn.execute(sa.select(attempts))).all()
        # the dead Slack delivery told the operator by email, once (streams/delivery_health)
        ours = {make_alert(story=f"story{i}", article=f"art{i}").id for i in range(ALERTS)}
        # (killed between the dead delivery and its operator alert, it was once lost)
        told = [r for r in rows if r.alert_id not in ours]
        assert len(told) == 1, (seed, told)
        (ops,) = told
        assert (ops.destination, ops.state) == ("email", "sent")
        rows = [r for r in rows if r.alert_id in ours]
        ops_mail = [m for _, m in handler.received if m["X-Newswatch-Alert"] == ops.alert_id]
        assert len(ops_mail) >= 1 and "deliveries to slack are dead" in ops_mail[0]["Subject"]
        handler.received = [(to, m) for to, m in handler.received
                            if m["X-Newswatch-Alert"] != ops.alert_id]
        by_state = collections.Counter((r.destination, r.state) for r in rows)
        assert sum(by_state.values()) == 2 * ALERTS
        assert {s for _, s in by_state} <= {"sent", "dead"}, (seed, by_state)
        dead = [r for r in rows if r.state == "dead"]
        assert all(r.error for r in dead)
        assert by_state[("slack", "dead")] == 1  # the scripted invalid_blocks refusal

        # Slack: one message per delivered alert, never two (in-doubt posts are found by
        # their metadata key before any resend)
        posted = collections.Counter(
            m["metadata"]["event_payload"]["key"] for m in slack.messages)
        slack_sent = {r.alert_id for r in rows if r.destination == "slack" and r.state == "sent"}
        assert set(posted) == slack_sent and set(posted.values()) == {1}, (seed, posted)

        # email: every sent alert arrived; a resend is only possible for an attempt that was
        # in doubt, and carries the same Message-ID so the mailbox can tell
        ids = collections.Counter(m["Message-ID"] for _, m in handler.received)
        email_sent = {r.alert_id for r in rows if r.destination == "email" and r.state == "sent"}
        assert {i.strip("<>").split("@")[0] for i in ids} == email_sent
        assert len(email_sent) == ALERTS  # the 450 was retried, nothing is dead
        email_ids = {r.id for r in rows if r.destination == "email"}
        in_doubt = sum(1 for t in tries if t.delivery_id in email_ids and t.outcome == "in_doubt")
        assert sum(ids.values()) - len(ids) <= in_doubt, (seed, kills, in_doubt)
    finally:
        await store.close()
        smtp.stop()
        await slack.stop()
