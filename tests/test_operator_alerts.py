"""Operator alerts travel the one alert path: a feed failing for longer than
NEWSWATCH_FEED_FAILING_AFTER reaches the configured destinations (a JSONL file and the
loopback Slack server) like any alert, and so does a recovery; `operator_alert` is routed by
its severity."""

from __future__ import annotations

import json

from aiohttp import web
from feeds_support import Loopback, at, client_for, rss
from slack_server import SlackServer

from streams.config.settings import load_settings
from streams.deliver.dispatcher import Dispatcher
from streams.deliver.feed_health import check_feed_health
from streams.deliver.operator_alerts import operator_alert, record_operator_alert
from streams.deliver.retry_policy import RetryPolicy
from streams.deliver.sinks.registry import build_sinks
from streams.runtime.polling import Schedule, poll_feed

FAST = RetryPolicy(max_attempts=3, base=0.05, cap=0.1)


async def test_a_failing_feeds_alert_reaches_jsonl_and_slack(store, tmp_path):
    up = {"ok": True}
    feeds = Loopback()

    async def feed(_request: web.Request) -> web.Response:
        if not up["ok"]:
            return web.Response(status=500)
        return web.Response(body=rss([{"title": "A", "link": "http://e.example/a"}]))

    feeds.route("/feed", feed)
    await feeds.start()
    slack = await SlackServer().start()
    jsonl = tmp_path / "alerts.jsonl"
    settings = load_settings(
        data_dir=tmp_path, feed_failing_after=600, console_alerts=True, alerts_jsonl=jsonl,
        slack_webhook_url=slack.webhook_url, slack_min_interval=0)
    sinks = build_sinks(settings)
    url = feeds.url("/feed")
    schedule = Schedule(backoff_base=60, backoff_max=3600)
    sent = []
    try:
        async with client_for(feeds) as client:
            await poll_feed(client, store, url, at(0), schedule)
            up["ok"] = False
            t = 0.0
            for _ in range(8):
                t += 120
                await poll_feed(client, store, url, at(t), schedule)
                for alert in await check_feed_health(store, at(t), settings):
                    sent.append(await record_operator_alert(store, alert, frozenset(sinks)))
            up["ok"] = True
            t += 60
            await poll_feed(client, store, url, at(t), schedule)
            for alert in await check_feed_health(store, at(t), settings):
                sent.append(await record_operator_alert(store, alert, frozenset(sinks)))
        await Dispatcher(store, sinks, policy=FAST).settle()
    finally:
        for sink in sinks.values():
            await sink.aclose()
        await slack.stop()
        await feeds.stop()
    assert sent == [True, True]
    lines = [json.loads(line)["alert"] for line in jsonl.read_text().splitlines()]
    assert [line["rule_id"] for line in lines] == ["feed-failing", "feed-recovered"]
    assert url in lines[0]["message"] and "500" in lines[0]["message"]
    texts = [m["text"] for m in slack.top_level()]
    assert len(texts) == 2 and "failing since" in texts[0] and "recovered" in texts[1]


def test_operator_alerts_are_routed_by_severity(tmp_path):
    settings = load_settings(data_dir=tmp_path, routes={"high": ["console"], "default": []})
    dead = operator_alert("deliveries-dead", "slack", "3 deliveries to slack are dead",
                          settings=settings, episode="2026-01-01T10:00")
    assert dead.destinations == ["console"] and dead.rule_id == "deliveries-dead"
    assert dead.message == "3 deliveries to slack are dead"
    again = operator_alert("deliveries-dead", "slack", "4 deliveries to slack are dead",
                           settings=settings, episode="2026-01-01T10:00")
    assert again.id == dead.id  # one alert per episode
    quiet = operator_alert("rules-missing", "rules/", "the rules folder is gone",
                           severity="info", settings=settings)
    assert quiet.destinations == []
    # no route at all: the configured fallback destinations (console and JSONL here)
    assert operator_alert("x", "y", "z", settings=load_settings(data_dir=tmp_path)
                          ).destinations == ["console", "jsonl"]
