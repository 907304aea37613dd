"""The seed replay server: the seeds as a real RSS 2.0 feed with HTML pages over loopback."""

from __future__ import annotations

import datetime as dt
import email.utils
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from connectors.seed_folder import read_seed_folder
from connectors.seed_server import SeedServer

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture
async def server():
    srv = SeedServer(SEEDS)
    await srv.start()
    yield srv
    await srv.stop()


async def test_feed_lists_every_seed_with_its_page_date_and_source(server):
    seeds = read_seed_folder(SEEDS)
    async with httpx.AsyncClient() as client:
        resp = await client.get(server.feed_url)
    assert resp.status_code == 200
    items = ET.fromstring(resp.content).findall("./channel/item")
    assert len(items) == len(seeds.articles)
    for item, seed in zip(items, seeds.articles, strict=True):
        link = item.findtext("link")
        assert link.startswith(server.base_url + "/articles/")
        assert server.article_file(link) == seed.file
        assert item.findtext("title") == seed.title
        assert item.findtext("source") == seed.source
        assert item.findtext("description") == seed.paragraphs[0]
        assert seed.file in item.findtext("guid")
        published = email.utils.parsedate_to_datetime(item.findtext("pubDate"))
        assert published.date() == dt.date.fromisoformat(seed.published)


async def test_each_page_carries_the_whole_article(server):
    seed = read_seed_folder(SEEDS).articles[0]
    async with httpx.AsyncClient() as client:
        resp = await client.get(server.page_url(seed.file))
    assert resp.status_code == 200
    assert "text/html" in resp.headers["content-type"]
    for paragraph in seed.paragraphs:
        assert paragraph.split()[0] in resp.text
    assert server.article_file(server.base_url + "/nowhere.html") is None


async def test_conditional_get_is_answered_304(server):
    async with httpx.AsyncClient() as client:
        first = await client.get(server.feed_url)
        etag = first.headers["etag"]
        by_etag = await client.get(server.feed_url, headers={"If-None-Match": etag})
        by_date = await client.get(
            server.feed_url, headers={"If-Modified-Since": first.headers["last-modified"]}
        )
        stale = await client.get(server.feed_url, headers={"If-None-Match": '"other"'})
    assert (by_etag.status_code, by_date.status_code, stale.status_code) == (304, 304, 200)
    assert by_etag.content == b""


async def test_unknown_page_is_404(server):
    async with httpx.AsyncClient() as client:
        resp = await client.get(server.base_url + "/articles/missing.html")
    assert resp.status_code == 404
