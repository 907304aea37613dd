"""A two-stage Faust worker on newswatch's own app, streams and cluster settings, for
tests/runtime/test_cluster.py: FeedItems on the items topic become Articles on the articles topic,
and each Article read back is appended to $CLUSTER_OUT as "pid article-id".

Run: NEWSWATCH_BROKER=kafka://... CLUSTER_OUT=file python tests/support/cluster_app.py worker
"""

from __future__ import annotations

import os
from typing import Any

import faust

from streams.config.settings import load_settings
from streams.core.records import Article, FeedItem, content_key
from streams.runtime.app import Streams, create_app, create_streams


def article_of(item: FeedItem) -> Article:
    """A stand-in for the clean stage: the entry's summary as the article text."""
    return Article(
        id=content_key(item.link), url=item.link, title=item.title, text=item.summary,
        item_key=item.key, feed=item.feed,
    )


def build() -> tuple[faust.App, Streams]:
    """The app with its two agents."""
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # Faust's datadir lives in it
    app = create_app(settings)
    streams = create_streams(app, settings)
    out = os.environ["CLUSTER_OUT"]

    @app.agent(streams.items, name="to_article")
    async def to_article(stream: Any) -> None:
        async for item in stream:
            article = article_of(item)
            await streams.articles.send(key=article.id, value=article)

    @app.agent(streams.articles, name="record")
    async def record(stream: Any) -> None:
        async for article in stream:
            with open(out, "a", encoding="utf-8") as f:
                f.write(f"{os.getpid()} {article.id}\n")

    return app, streams


if __name__ == "__main__":
    build()[0].main()
