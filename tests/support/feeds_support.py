"""Loopback servers and helpers for the feed tests (poll, clean, hostile input, health)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from connectors.http import GuardedClient
from streams.store import Store

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Loopback:
    """An aiohttp server on 127.0.0.1, port chosen by the OS; routes added before start."""

    def __init__(self) -> None:
        self.app = web.Application()
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.hits: dict[str, int] = {}

    def route(self, path: str, handler: Handler) -> None:
        async def counted(request: web.Request) -> web.StreamResponse:
            self.hits[path] = self.hits.get(path, 0) + 1
            return await handler(request)

        self.app.router.add_get(path, counted)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    async def start(self) -> Loopback:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def client_for(server: Loopback | None = None, **caps: Any) -> GuardedClient:
    """A guarded client that may reach `server` (only that host:port) on loopback."""
    allow = [f"127.0.0.1:{server.port}"] if server is not None else []
    caps = {"timeout": 5.0, "follow_redirects": True, "max_redirects": 5, **caps}
    return GuardedClient(allow=allow, **caps)


async def open_store(tmp_path: Path) -> Store:
    return await Store(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}").open()


def rss(items: list[dict[str, str]], title: str = "Test feed", extra: str = "") -> bytes:
    """A small RSS 2.0 document; each item dict gives its child elements' text (raw XML)."""
    body = "".join(
        "<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</item>"
        for item in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.org/</link>{extra}{body}</channel></rss>"
    ).encode()


def at(seconds: float, start: dt.datetime | None = None) -> dt.datetime:
    """A fixed instant plus `seconds`, for tests that move the clock themselves."""
    start = start or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return start + dt.timedelta(seconds=seconds)
