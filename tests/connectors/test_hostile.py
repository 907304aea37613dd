"""Hostile input against loopback servers: SSRF, slow drip, size and compression bombs, XML
entity attacks, 429/503 with Retry-After, and a page that makes extraction hang."""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import zlib

import pytest
from aiohttp import web
from feeds_support import Loopback, at, client_for, rss

from connectors.fetch_page import fetch_page
from connectors.http import FetchError, fetch
from streams.clean.page import clean
from streams.core.records import FeedItem
from streams.runtime.polling import Schedule, poll_feed
from streams.store.feeds import get_feed


@pytest.fixture
async def server():
    srv = Loopback()
    yield srv
    await srv.stop()


def respond(body: bytes, **kw) -> web.Response:
    return web.Response(body=body, **kw)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/feed",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/feed",
        "http://localhost/feed",  # resolves to loopback: refused after DNS resolution
        "file:///etc/passwd",
    ],
)
async def test_private_addresses_and_other_schemes_are_refused(url):
    async with client_for() as client:
        with pytest.raises(FetchError) as err:
            await fetch(client, url)
    assert "SSRF" in err.value.reason or "scheme" in err.value.reason


async def test_redirect_to_a_private_address_is_refused(server):
    async def hop(_request: web.Request) -> web.Response:
        # the allowed server sends us to another loopback port that is not allowed
        raise web.HTTPFound(f"http://localhost:{server.port}/secret")

    server.route("/hop", hop)
    server.route("/secret", lambda _r: asyncio.sleep(0, respond(b"secret")))
    await server.start()
    async with client_for(server) as client:
        page = await fetch_page(client, server.url("/hop"))
    assert page.html is None and "SSRF" in page.error
    assert server.hits.get("/secret") is None


async def test_slow_drip_is_cut_off_by_the_overall_deadline(server):
    async def drip(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        for _ in range(100):  # one byte at a time, each well inside the read timeout
            await resp.write(b" ")
            await asyncio.sleep(0.2)
        return resp

    server.route("/drip", drip)
    await server.start()
    async with client_for(server, deadline=1.0) as client:
        with pytest.raises(FetchError) as err:
            await fetch(client, server.url("/drip"))
    assert "deadline" in err.value.reason


@pytest.mark.parametrize("encoding", ["identity", "gzip", "deflate", "chunked"])
async def test_oversized_and_compression_bomb_bodies_are_capped(server, encoding):
    big = b"<rss>" + b"A" * 3_000_000
    packed = {"gzip": gzip.compress(big), "deflate": zlib.compress(big)}.get(encoding, big)

    async def bomb(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": "application/rss+xml"}
        if encoding in ("gzip", "deflate"):
            headers["Content-Encoding"] = encoding
        resp = web.StreamResponse(headers=headers)
        if encoding != "identity":
            resp.enable_chunked_encoding()  # no Content-Length to refuse up front
        await resp.prepare(request)
        await resp.write(packed)
        return resp

    server.route("/bomb", bomb)
    await server.start()
    async with client_for(server, max_bytes=1_000_000) as client:
        with pytest.raises(FetchError) as err:
            await fetch(client, server.url("/bomb"))
        assert "byte cap" in err.value.reason
        assert len(packed) < 1_000_000 or encoding in ("identity", "chunked")


async def test_billion_laughs_and_xxe_parse_safely(server, store, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    laughs = "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )
    docs = {
        "/laughs": b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">'
        + laughs.encode() + b"]>" + rss([{"title": "&lol9;", "link": "http://e.example/1"}]),
        "/xxe": b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "'
        + secret.as_uri().encode() + b'">]>'
        + rss([{"title": "x &xxe; y", "link": "http://e.example/2"}]),
    }
    for path, body in docs.items():
        server.route(path, lambda _r, b=body: asyncio.sleep(0, respond(b, content_type="text/xml")))
    await server.start()
    async with client_for(server) as client:
        for path in docs:
            result = await poll_feed(client, store, server.url(path), at(0))
            text = " ".join(i.title + i.summary for i in result.items)
            assert "TOP-SECRET" not in text
            assert text.count("lol") < 100  # no expansion (1e9 'lol' if it were expanded)
            assert result.ok or result.error  # a result either way, never an exception


@pytest.mark.parametrize("form", ["seconds", "http-date", "too-long"])
async def test_429_and_503_honour_retry_after(server, store, form):
    now = at(0)
    value = {
        "seconds": "120",
        "http-date": email.utils.format_datetime(at(900), usegmt=True),
        "too-long": "999999",
    }[form]

    async def busy(_request: web.Request) -> web.Response:
        return web.Response(status=429 if form != "http-date" else 503,
                            headers={"Retry-After": value})

    server.route("/busy", busy)
    await server.start()
    schedule = Schedule(backoff_max=3600)
    async with client_for(server) as client:
        result = await poll_feed(client, store, server.url("/busy"), now, schedule)
    waited = (result.next_attempt - now).total_seconds()
    assert waited == {"seconds": 120, "http-date": 900, "too-long": 3600}[form]
    row = await get_feed(store, server.url("/busy"))
    assert row["next_attempt"] == result.next_attempt and row["failures"] == 1
    assert result.error in ("HTTP 429", "HTTP 503")


async def test_page_that_makes_extraction_hang_falls_back_to_the_summary(server):
    # 20,000 paragraphs take trafilatura seconds; the hard limit here is a twentieth of one
    paragraphs = "".join(f"<div><p>Paragraph {i} of a page built to be slow.</p></div>"
                         for i in range(20_000))
    html = f"<html><body>{paragraphs}</body></html>".encode()
    server.route("/slow.html", lambda _r: asyncio.sleep(0, respond(html, content_type="text/html")))
    await server.start()
    item = FeedItem(feed="f", guid="g", link=server.url("/slow.html"), title="T",
                    summary="<p>The feed's own summary.</p>")
    async with client_for(server) as client:
        page = await fetch_page(client, item.link)
    assert page.ok
    article = await asyncio.to_thread(clean, item, page, 0.05)
    assert article.fallback == "extraction exceeded 0.05 s"
    assert article.text == "The feed's own summary."
    fine = "<html><body><p>" + "Fine text. " * 30 + "</p></body></html>"
    quick = await asyncio.to_thread(
        clean, item, page.__class__(page.url, page.final_url, 200, fine), 30
    )
    assert not quick.fallback  # the killed worker was replaced


def test_allow_list_names_host_and_port():
    from connectors.http import GuardTransport

    allow = ["127.0.0.1:8080", "feeds.internal"]
    guard = GuardTransport(inner=None, allow=allow)  # type: ignore[arg-type]
    assert guard.allowed("127.0.0.1", 8080) and guard.allowed("feeds.internal", 443)
    assert not guard.allowed("127.0.0.1", 8081)

