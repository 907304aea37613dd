"""The WebSub callback, `/websub/<id>`, on the worker's web port: a hub's verification GET
and its content POSTs (streams/runtime/websub.py). Hubs are not browsers: no dashboard
token, Host check or CSRF here; a request counts only if it matches a subscription we asked
for, and content only when signed with that subscription's secret."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp.web import Request
from faust.types import AppT
from faust.web import Response, View

from streams.core.clock import utcnow
from streams.poll.websub import WebSubPolicy
from streams.runtime.websub import receive, verify

log = logging.getLogger("newswatch.websub")

__all__ = ["register_websub"]


def register_websub(app: AppT, service: Any) -> None:
    """Add `/websub/{callback_id}` to the app; `service` gives the runtime and the feeder."""

    class WebSubCallback(View):
        async def get(self, request: Request, callback_id: str) -> Response:
            runtime = service.runtime
            if runtime is None:
                return self.text("starting", status=503)
            policy = WebSubPolicy.from_settings(service.settings)
            status, body = await verify(runtime.store, callback_id, request.query,
                                        utcnow(), policy)
            return self.text(body, status=status)

        async def post(self, request: Request, callback_id: str) -> Response:
            runtime = service.runtime
            if runtime is None:
                return self.text("starting", status=503)
            limit = service.settings.max_response_bytes
            if (request.content_length or 0) > limit:
                log.warning("websub callback %s: content refused: over %d bytes",
                            callback_id, limit)
                return self.text("too large", status=413)
            body = await _read(request, limit)
            if body is None:
                log.warning("websub callback %s: content refused: over %d bytes",
                            callback_id, limit)
                return self.text("too large", status=413)
            status, new = await receive(
                runtime.store, callback_id, request.headers.get("X-Hub-Signature"), body,
                request.headers.get("Content-Type", ""), utcnow(),
            )
            if new and service.feeder is not None:
                service.feeder.add(new)
            return self.text("", status=status)

    app.page("/websub/{callback_id}", name="websub.callback")(WebSubCallback)


async def _read(request: Request, limit: int) -> bytes | None:
    """The whole body, or None past `limit` bytes (chunked bodies say no length)."""
    chunks, size = [], 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
