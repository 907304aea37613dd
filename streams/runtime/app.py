"""The Faust app and its three streams: one App, embedded or on Kafka by settings.

Embedded (broker memory://): Kafka is disabled in the boot strategy and the streams are
in-memory channels inside one worker process. Cluster (broker kafka://): the same agents
read Kafka topics, keyed by content so a story's messages stay in order on one partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust
from faust.app.base import BootStrategy

from streams.config.settings import Settings
from streams.core.records import Article, ArticleEvents, FeedItem, Record
from streams.runtime.wire import codec

# topic names, one per stream (the cluster mode creates them with these names)
ITEMS_TOPIC = "newswatch-items"
ARTICLES_TOPIC = "newswatch-articles"
EVENTS_TOPIC = "newswatch-events"


class EmbeddedBoot(BootStrategy):
    """Start the worker without any Kafka producer, consumer, conductor or tables."""

    enable_kafka = False


class EmbeddedApp(faust.App):
    BootStrategy = EmbeddedBoot


@dataclass(frozen=True)
class Streams:
    """The app's three streams (channels when embedded, topics on Kafka); alerts leave them
    for the store's outbox (streams/deliver/record.py), which wakes the dispatcher."""

    items: faust.ChannelT[FeedItem]
    articles: faust.ChannelT[Article]
    events: faust.ChannelT[ArticleEvents]


def create_app(settings: Settings) -> faust.App:
    """The one Faust App for these settings."""
    common: dict[str, Any] = dict(
        web_host=settings.web_host,
        web_bind=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        datadir=str(settings.data_dir / "faust"),
        store="memory://",
        autodiscover=False,
        topic_partitions=4,
    )
    if settings.embedded:
        # the broker URL is never contacted: Kafka is off in EmbeddedBoot
        return EmbeddedApp(settings.app_id, broker="kafka://127.0.0.1:9", **common)
    from streams.runtime.cluster import cluster_options

    return faust.App(settings.app_id, broker=settings.broker, **common, **cluster_options(settings))


def create_streams(app: faust.App, settings: Settings) -> Streams:
    """Channels in embedded mode; Kafka topics with explicit partition counts in cluster.
    Channels pass the records themselves; topics carry them through streams.runtime.wire."""
    if settings.embedded:
        return Streams(
            items=app.channel(maxsize=10_000),
            articles=app.channel(maxsize=10_000),
            events=app.channel(maxsize=10_000),
        )

    def topic(name: str, record: type[Record]) -> Any:
        return app.topic(name, key_type=str, value_serializer=codec(record), partitions=4)

    return Streams(
        items=topic(ITEMS_TOPIC, FeedItem),
        articles=topic(ARTICLES_TOPIC, Article),
        events=topic(EVENTS_TOPIC, ArticleEvents),
    )
