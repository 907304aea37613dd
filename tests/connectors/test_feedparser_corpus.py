"""The ~2,200 test feeds of feedparser's own source distribution, served over loopback HTTP
and polled through the connector in one run: nothing escapes, every feed yields items or a
recorded error, and no script, on*= handler or javascript: URL reaches stored text.

The sdist is fetched at set-up (the Makefile's $(TEST_STAMP) recipe puts it in
.venv/share/feedparser-sdist); it is read in place, never extracted or committed. Its files are
feedparser's, under its BSD 2-clause licence (LICENSE inside the archive), used here as test
input only.
"""

from __future__ import annotations

import asyncio
import tarfile
from pathlib import Path

import lxml.html
import pytest
import sqlalchemy as sa
from aiohttp import web
from feeds_support import Loopback, client_for, open_store

from streams.clean.page import UNSAFE_TEXT, clean
from streams.runtime.polling import Schedule, poll_feed
from streams.store.articles import save_article
from streams.store.feeds import list_feeds
from streams.store.schema import articles

SDIST = (
    Path(__file__).resolve().parents[2]
    / ".venv/share/feedparser-sdist/feedparser-6.0.14.tar.gz"
)

pytestmark = pytest.mark.slow


def corpus() -> dict[str, bytes]:
    """Every test feed in the sdist, by its path under tests/."""
    with tarfile.open(SDIST) as tar:
        return {
            member.name.split("/tests/", 1)[1]: tar.extractfile(member).read()  # type: ignore[union-attr]
            for member in tar.getmembers()
            if member.isfile() and "/tests/" in member.name and member.name.endswith(".xml")
        }


def markup_is_safe(fragment: str) -> bool:
    """No script element, on*= attribute or javascript: URL in an HTML fragment."""
    if not fragment.strip() or "<" not in fragment:
        return True
    root = lxml.html.document_fromstring(f"<html><body><div>{fragment}</div></body></html>")
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag.lower() == "script":
            return False
        for name, value in el.attrib.items():
            if name.lower().startswith("on") or "javascript:" in value.replace(" ", "").lower():
                return False
    return True


@pytest.mark.skipif(not SDIST.exists(), reason=f"feedparser sdist absent ({SDIST}): `make setup`")
async def test_feedparser_corpus_polls_safely(tmp_path):
    files = corpus()
    assert len(files) > 2000
    server = Loopback()

    async def serve(request: web.Request) -> web.Response:
        body = files.get(request.match_info["path"])
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="application/xml")

    server.route("/{path:.*}", serve)
    await server.start()
    store = await open_store(tmp_path)
    gate = asyncio.Semaphore(16)

    async def poll(path: str):
        async with gate:
            return await poll_feed(client, store, server.url("/" + path), schedule=Schedule())

    try:
        async with client_for(server, per_host=16) as client:
            results = await asyncio.gather(*(poll(p) for p in files))  # any exception fails
        for result in results:
            # a recorded error, or every entry of the document became an item
            assert result.error or len(result.items) == result.entries, result.url
            for item in result.items:
                assert markup_is_safe(item.summary), (result.url, item.summary)
                assert markup_is_safe(item.title), (result.url, item.title)
                await save_article(store, clean(item, None))
        rows = await list_feeds(store)
        async with store.begin() as conn:
            stored = (await conn.execute(sa.select(articles.c.title, articles.c.text))).all()
    finally:
        await server.stop()
        await store.close()
    assert len(rows) == len(files)
    assert all(r["last_attempt"] is not None for r in rows)  # every poll was recorded
    failed = [r for r in rows if r["error"]]
    assert all(r["failures"] == 1 for r in failed)  # a recorded feed error, not a crash
    assert len(failed) < len(files) // 4  # the corpus is mostly well-formed
    assert sum(len(r.items) for r in results) > 1000
    assert sum(1 for r in results if r.items) > len(files) // 2
    unsafe = [t for title, text in stored for t in (title, text) if UNSAFE_TEXT.search(t)]
    assert unsafe == []
