"""Benchmark: 1,000 feeds on a loopback server polled in one cycle; CPU per feed when every
feed changed (200, parsed, new items) versus when none did (304 Not Modified).

The server runs in a child process, so the CPU measured (time.process_time, all threads of
this process: the event loop, feedparser's thread, the SQLite thread) is the poller's alone.
The baseline is the changed cycle measured in the same run; the bar: unchanged <= 0.1 x changed.
Run: .venv/bin/python tests/bench/bench_poll.py [FEEDS]
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from connectors.http import GuardedClient  # noqa: E402
from streams.runtime.polling import Schedule, poll_feeds  # noqa: E402
from streams.store import Store  # noqa: E402
from streams.store.items import record_item  # noqa: E402

ITEMS_PER_FEED = 30
CYCLES = 3
PER_HOST = 4  # requests in flight to the one host all feeds share (the default is 2)
SERVER = textwrap.dedent(
    """
    import hashlib, sys
    from aiohttp import web
    generation = [0]
    ITEMS = int(sys.argv[1])

    def body(n, g):
        items = "".join(
            f"<item><title>Feed {n} story {k}</title><link>http://news.example/{n}/{k}</link>"
            f"<guid>urn:{n}:{k}</guid><pubDate>Mon, 01 Dec 2025 10:{k % 60:02d}:00 GMT</pubDate>"
            f"<description>&lt;p&gt;Talks in Istanbul, story {k} of feed {n}. "
            + "Delegations met again to discuss an exchange of prisoners. " * 4
            + "&lt;/p&gt;</description></item>"
            for k in range(g, g + ITEMS)
        )
        return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Feed {n}</title>"
                f"<link>http://news.example/{n}</link>{items}</channel></rss>").encode()

    async def feed(request):
        n, g = request.match_info["n"], generation[0]
        etag = '"' + hashlib.md5(f"{n}:{g}".encode()).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body(n, g), headers={"ETag": etag},
                            content_type="application/rss+xml")

    async def bump(_request):
        generation[0] += 1
        return web.Response(text=str(generation[0]))

    async def main():
        app = web.Application()
        app.router.add_get("/feed/{n}.xml", feed)
        app.router.add_get("/bump", bump)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()

    import asyncio
    asyncio.run(main())
    """
)


async def cycle(client: GuardedClient, store: Store, urls: list[str]) -> tuple[float, int, int]:
    """Poll every feed once; CPU seconds used, items found, 304 answers."""
    start = time.process_time()
    results = await poll_feeds(client, store, urls, schedule=Schedule(), concurrency=32)
    cpu = time.process_time() - start
    for result in results:  # the pipeline records new entries; outside the poller's measure
        for item in result.items:
            await record_item(store, item)
    errors = [r.error for r in results if r.error]
    if errors:
        raise SystemExit(f"bench_poll: {len(errors)} polls failed, first: {errors[0]}")
    return cpu, sum(len(r.items) for r in results), sum(r.not_modified for r in results)


async def main(feeds: int) -> int:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(ITEMS_PER_FEED)], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        urls = [f"{base}/feed/{n}.xml" for n in range(feeds)]
        with tempfile.TemporaryDirectory() as tmp:
            store = await Store(f"sqlite+aiosqlite:///{tmp}/bench.db").open()
            allow = [f"127.0.0.1:{port}"]
            async with GuardedClient(allow=allow, per_host=PER_HOST, timeout=30) as c:
                await cycle(c, store, urls)  # first sight of every feed: warm-up
                changed, unchanged = [], []
                for _ in range(CYCLES):
                    await c.get(f"{base}/bump")
                    cpu, items, _ = await cycle(c, store, urls)
                    assert items == feeds, "each changed feed brings one new item"
                    changed.append(cpu / feeds)
                    cpu, items, not_modified = await cycle(c, store, urls)
                    assert items == 0 and not_modified == feeds
                    unchanged.append(cpu / feeds)
            await store.close()
    finally:
        server.kill()
        server.wait()
    ch, un = statistics.median(changed), statistics.median(unchanged)
    print(f"feeds per cycle: {feeds} ({ITEMS_PER_FEED} items each), median of {CYCLES} cycles")
    print(f"changed (200, parsed):   {ch * 1e3:7.3f} ms CPU per feed")
    print(f"unchanged (304):         {un * 1e3:7.3f} ms CPU per feed")
    print(f"unchanged / changed:     {un / ch:7.3f}  (bar: <= 0.100)")
    return 0 if un <= 0.1 * ch else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)))
