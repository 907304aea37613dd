"""The dashboard over a store, without the pipeline: a real aiohttp server (the same Faust
views the worker serves) on a loopback port, in a thread with its own event loop.

Used by the tests to render pages over rows they write themselves, and handy to look at a
copy of a store: `DashboardServer(settings).start()` then open `server.url`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web as aioweb

from streams.config.settings import Settings
from streams.store import Store
from streams.web import register_web

T = TypeVar("T")


@dataclass
class StaticRules:
    """A stand-in for RulebookHolder: loaded rules and the last load errors."""

    rules: list[Any] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)

    @property
    def rulebook(self) -> Any:
        return self


@dataclass
class StoreRuntime:
    """What the dashboard reads of a worker's runtime."""

    settings: Settings
    store: Store
    rules: Any
    feeds: list[str] = field(default_factory=list)
    pipeline: Any = None


@dataclass
class StoreService:
    settings: Settings
    runtime: StoreRuntime | None = None


class DashboardServer:
    """Serve the dashboard of `settings.database` on settings.web_host:web_port."""

    def __init__(
        self, settings: Settings, rules: Any = None, poll_ms: int = 5000, bind: str = ""
    ) -> None:
        self.settings = settings
        self.bind = bind or settings.web_host  # tests bind loopback while web_host says not
        self.rules = rules if rules is not None else StaticRules()
        self.poll_ms = poll_ms
        self.loop = asyncio.new_event_loop()
        self.store = Store(settings.database)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._runner: aioweb.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.bind}:{self.settings.web_port}"

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop (to write rows into its store)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def call(self, fn: Callable[[Store], Awaitable[T]]) -> T:
        """fn(store) on the server's loop."""
        async def _call() -> T:
            return await fn(self.store)
        return self.run(_call())

    def start(self) -> DashboardServer:
        self._thread.start()
        self.run(self._start())
        return self

    async def _start(self) -> None:
        from streams.runtime.app import create_app

        await self.store.open()
        service = StoreService(self.settings)
        service.runtime = StoreRuntime(self.settings, self.store, self.rules)
        app = create_app(self.settings)
        register_web(app, service, poll_ms=self.poll_ms)
        app.web.init_server()  # Faust's own routes too, as in the worker (/, /router, ...)
        web_app = app.web.web_app  # type: ignore[attr-defined]  # the aiohttp driver's
        self._runner = aioweb.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = aioweb.TCPSite(self._runner, self.bind, self.settings.web_port)
        await site.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self.run(self._stop())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
        self.loop.close()

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        await self.store.close()
