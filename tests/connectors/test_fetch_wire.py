"""The GET under every poll and page (connectors/http.py `fetch`, over aiohttp): redirects
followed hop by hop within the client's limit, each hop and each resolved address vetted by
the SSRF guard, the client's headers sent, its timeouts told apart from the deadline."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver
from feeds_support import Loopback, client_for

from connectors.guard import GuardResolver
from connectors.http import FetchError, UnsafeURLError, fetch


@pytest.fixture
async def server():
    srv = Loopback()
    yield srv
    await srv.stop()


def _to(location: str, status: int = 302):
    async def hop(_request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": location})
    return hop


async def test_redirects_are_followed_hop_by_hop_with_the_clients_headers(server):
    seen: dict[str, str] = {}

    async def last(request: web.Request) -> web.Response:
        seen.update(request.headers)
        return web.Response(text="<html>the page</html>", content_type="text/html")

    server.route("/first", _to("/second", 301))  # relative
    server.route("/second", lambda r: _to(server.url("/third"), 307)(r))  # absolute
    server.route("/third", last)
    await server.start()
    async with client_for(server, headers={"User-Agent": "newswatch-test/1"}) as client:
        got = await fetch(client, server.url("/first"), {"Accept": "text/html"})
    assert got.status == 200 and got.content == b"<html>the page</html>"
    assert got.url == server.url("/first") and got.final_url == server.url("/third")
    assert seen["User-Agent"] == "newswatch-test/1" and seen["Accept"] == "text/html"
    assert server.hits == {"/first": 1, "/second": 1, "/third": 1}


async def test_a_redirect_loop_stops_at_the_clients_limit(server):
    server.route("/loop", _to("/loop"))
    await server.start()
    async with client_for(server) as client:  # max_redirects=5
        with pytest.raises(FetchError) as err:
            await fetch(client, server.url("/loop"))
    assert err.value.reason == "too many redirects" and err.value.url == server.url("/loop")
    assert server.hits["/loop"] == 6  # the first request and five hops


async def test_without_following_the_redirect_itself_comes_back(server):
    server.route("/moved", _to("/elsewhere", 301))
    await server.start()
    async with client_for(server, follow_redirects=False) as client:
        got = await fetch(client, server.url("/moved"))
    assert got.status == 301 and got.headers["location"] == "/elsewhere"


@pytest.mark.parametrize("location, words", [
    ("file:///etc/passwd", "scheme 'file' refused"),
    ("http://10.0.0.1/latest", "address 10.0.0.1 is not public"),  # never connected to
    ("http://[fd00::1]/", "address fd00::1 is not public"),
])
async def test_a_redirect_out_of_bounds_is_refused_before_any_connection(server, location, words):
    server.route("/out", _to(location))
    await server.start()
    async with client_for(server) as client:
        with pytest.raises(UnsafeURLError) as err:
            await asyncio.wait_for(fetch(client, server.url("/out")), 5)
    assert words in err.value.reason and err.value.url == server.url("/out")


class _Answers(AbstractResolver):
    """A DNS answer chosen by the test (no name server here answers what a test needs)."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(self, host, port=0, family=socket.AF_INET):
        return [{"hostname": host, "host": a, "port": port, "family": family, "proto": 0,
                 "flags": 0} for a in self.addresses]

    async def close(self) -> None:
        pass


async def test_every_address_a_name_resolves_to_is_vetted_and_only_those_are_used():
    mixed = GuardResolver(_Answers("93.184.216.34", "192.168.1.7"), set())
    with pytest.raises(UnsafeURLError) as err:
        await mixed.resolve("news.example.", 443)
    assert "192.168.1.7 of news.example is not public" in err.value.reason
    public = GuardResolver(_Answers("93.184.216.34"), set())
    assert [a["host"] for a in await public.resolve("news.example", 443)] == ["93.184.216.34"]
    allowed = GuardResolver(_Answers("127.0.0.1"), {"intranet.example"})
    assert [a["host"] for a in await allowed.resolve("intranet.example.", 80)] == ["127.0.0.1"]


async def test_a_name_without_addresses_is_named_in_the_error():
    with pytest.raises(FetchError) as err:
        await GuardResolver(_Answers(), set()).resolve("nowhere.example", 80)
    assert "cannot resolve nowhere.example" in err.value.reason


async def test_a_silent_server_times_out_within_the_read_timeout_not_the_deadline(server):
    async def silent(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        await resp.prepare(request)
        await asyncio.sleep(3)  # six read timeouts
        return resp

    server.route("/silent", silent)
    await server.start()
    async with client_for(server, timeout=0.5, deadline=20) as client:
        with pytest.raises(FetchError) as err:
            await fetch(client, server.url("/silent"))
    assert err.value.reason.startswith("timed out") and "deadline" not in err.value.reason


async def test_long_response_headers_are_read(server):
    cookie = "consent=" + "x" * 20_000  # more than aiohttp's 8 KiB default line

    async def heavy(_request: web.Request) -> web.Response:
        return web.Response(text="<p>page</p>", content_type="text/html",
                            headers={"Set-Cookie": cookie})

    server.route("/heavy", heavy)
    await server.start()
    async with client_for(server) as client:
        got = await fetch(client, server.url("/heavy"))
    assert got.status == 200 and got.content == b"<p>page</p>"
