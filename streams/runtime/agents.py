"""Thin Faust agents: each reads one stream, calls one pipeline stage, sends on, and records
the failures it expects. All the work is in streams/runtime/pipeline.py. The last stage
records its alerts in the outbox, and recording wakes the dispatcher
(streams/deliver/record.py): no agent stands between an alert and its delivery."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import faust

from streams.runtime.app import Streams

if TYPE_CHECKING:
    from streams.runtime.worker import RuntimeService

log = logging.getLogger(__name__)


def register_agents(app: faust.App, streams: Streams, service: RuntimeService) -> dict[str, Any]:
    """Attach the clean, extract and alert agents to the app."""
    settings = service.settings

    @app.agent(streams.items, name="clean", concurrency=4)
    async def clean_agent(stream: Any) -> None:
        runtime = await service.ready()
        async for item in stream:
            try:
                article = await runtime.pipeline.clean(item)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a page we cannot handle: record, keep going
                await runtime.pipeline.fail(item.key, exc)
                continue
            if article is not None:
                await streams.articles.send(key=article.id, value=article)

    @app.agent(streams.articles, name="extract")
    async def extract_agent(stream: Any) -> None:
        runtime = await service.ready()
        async for batch in stream.take(settings.batch_size, within=settings.batch_within):
            try:
                results = await runtime.pipeline.extract(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                for article in batch:
                    await runtime.pipeline.fail(article.item_key, exc)
                continue
            for result in results:
                await streams.events.send(key=result.article.id, value=result)

    @app.agent(streams.events, name="alert")
    async def alert_agent(stream: Any) -> None:
        runtime = await service.ready()
        async for batch in stream:
            try:  # records the new alerts with their outbox rows and wakes the dispatcher
                await runtime.pipeline.alert(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await runtime.pipeline.fail(batch.article.item_key, exc)

    return {
        "clean": clean_agent,
        "extract": extract_agent,
        "alert": alert_agent,
    }
