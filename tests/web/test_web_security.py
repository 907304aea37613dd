"""The dashboard's guards as pure functions: loopback detection, safe links, tokens, CSRF."""

from __future__ import annotations

import pytest

from streams.web.security import CSP, Guard, host_name, is_loopback, safe_url, same_origin


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("127.0.0.2", True), ("0.0.0.0", False), ("10.1.2.3", False), ("news.example", False),
])
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_host_name_drops_the_port() -> None:
    assert host_name("127.0.0.1:6066") == "127.0.0.1"
    assert host_name("[::1]:6066") == "[::1]"
    assert host_name("localhost") == "localhost"


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:x",
    "data:text/html,<script>alert(1)</script>", "vbscript:x", "//evil.example/x",
    "/relative", "https://", "http://exa mple.com", None, 42,
])
def test_unsafe_links_are_not_links(url: object) -> None:
    assert safe_url(url) is None


def test_http_links_stay() -> None:
    assert safe_url("https://news.example/a?b=1") == "https://news.example/a?b=1"
    assert safe_url("HTTP://news.example/") == "HTTP://news.example/"


def test_csp_has_no_inline_script_or_style() -> None:
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    assert "script-src 'self'" in CSP and "frame-ancestors 'none'" in CSP


def test_token_needed_only_off_loopback() -> None:
    local = Guard(web_host="127.0.0.1")
    assert not local.needs_token and local.token_ok("", None, None)
    public = Guard(web_host="0.0.0.0", token="t0ken")
    assert public.needs_token and not public.locked
    assert not public.token_ok("", None, None)
    assert not public.token_ok("Bearer nope", "nope", "nope")
    assert public.token_ok("Bearer t0ken", None, None)
    assert public.token_ok("", "t0ken", None) and public.token_ok("", None, "t0ken")
    assert Guard(web_host="0.0.0.0").locked


def test_host_check_only_on_loopback() -> None:
    assert Guard(web_host="127.0.0.1").host_ok("localhost:6066")
    assert not Guard(web_host="127.0.0.1").host_ok("attacker.example:6066")
    assert Guard(web_host="0.0.0.0", token="t").host_ok("dashboard.example")


def test_csrf_token_belongs_to_one_cookie_and_one_worker() -> None:
    guard = Guard(web_host="127.0.0.1")
    token = guard.csrf_token("cookie-a")
    assert guard.csrf_ok("cookie-a", token)
    assert not guard.csrf_ok("cookie-b", token)
    assert not guard.csrf_ok(None, token) and not guard.csrf_ok("cookie-a", None)
    assert not Guard(web_host="127.0.0.1").csrf_ok("cookie-a", token)  # another secret


def test_same_origin() -> None:
    assert same_origin(None, "127.0.0.1:6066")  # non-browser clients send none
    assert same_origin("http://127.0.0.1:6066", "127.0.0.1:6066")
    assert not same_origin("http://evil.example", "127.0.0.1:6066")
    assert not same_origin("null", "127.0.0.1:6066")
