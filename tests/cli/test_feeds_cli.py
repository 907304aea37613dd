"""`newswatch feeds add` and `feeds import` run the poller's SSRF guard before storing a feed:
a private, loopback, link-local or metadata address is refused at once (one line naming the
URL and the reason, exit 1, nothing stored) instead of being listed as ok until the poller
refuses it; NEWSWATCH_ALLOW_HOSTS lets one through. Literal IPs and localhost only: no network.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from streams.cli import main

PRIVATE = [
    "http://10.1.2.3/feed",
    "http://169.254.169.254/latest/meta-data/",
    "http://localhost:8080/",
    "http://127.0.0.1/rss",
    "http://[::1]:8080/rss",
    "http://[::ffff:192.168.0.1]/rss",
    "http://100.64.0.1/rss",
    "http://2130706433/rss",  # 127.0.0.1 written as one number
]


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NEWSWATCH_ALLOW_HOSTS", raising=False)
    monkeypatch.delenv("NEWSWATCH_DATABASE", raising=False)
    return tmp_path


def newswatch(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def listed() -> str:
    result = newswatch("feeds", "list")
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("url", PRIVATE)
def test_feeds_add_refuses_a_private_address_and_stores_nothing(url: str) -> None:
    result = newswatch("feeds", "add", url)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"newswatch: refused {url}: ")
    assert "not public" in lines[0] and "NEWSWATCH_ALLOW_HOSTS" in lines[0]
    assert url not in listed()
    assert "no feeds yet" in listed()


def test_feeds_add_accepts_a_public_literal_ip_without_connecting() -> None:
    # Nothing listens there from this sandbox; the check resolves nothing and connects nowhere.
    result = newswatch("feeds", "add", "http://93.184.216.34/feed.xml")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "added: http://93.184.216.34/feed.xml"
    assert "http://93.184.216.34/feed.xml" in listed()


@pytest.mark.parametrize("allow", ['["10.1.2.3"]', '["10.1.2.3:80"]', '["*"]'])
def test_feeds_add_accepts_a_host_named_in_allow_hosts(
        allow: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_ALLOW_HOSTS", allow)
    result = newswatch("feeds", "add", "http://10.1.2.3/feed")
    assert result.exit_code == 0, result.output
    assert "http://10.1.2.3/feed" in listed()


def test_allow_hosts_is_per_port_when_it_names_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_ALLOW_HOSTS", '["localhost:9000"]')
    assert newswatch("feeds", "add", "http://localhost:9000/rss").exit_code == 0
    refused = newswatch("feeds", "add", "http://localhost:8080/rss")
    assert refused.exit_code == 1
    assert "refused http://localhost:8080/rss" in refused.stderr
    assert "localhost:8080" not in listed()


def test_feeds_import_skips_private_addresses_and_keeps_the_rest(tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        '<outline text="Public" xmlUrl="http://93.184.216.34/a.xml"/>'
        '<outline text="Metadata" xmlUrl="http://169.254.169.254/"/>'
        '<outline text="Intranet" xmlUrl="http://10.1.2.3/feed"/>'
        "</body></opml>", encoding="utf-8")
    result = newswatch("feeds", "import", str(opml))
    assert result.exit_code == 0, result.output
    assert "imported 1 new feed (" in result.stdout
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped: ")]
    assert len(skipped) == 2
    assert skipped[0].startswith("skipped: http://169.254.169.254/: ")
    assert skipped[1].startswith("skipped: http://10.1.2.3/feed: ")
    assert all("not public" in line for line in skipped)
    table = listed()
    assert "http://93.184.216.34/a.xml" in table
    assert "169.254.169.254" not in table and "10.1.2.3" not in table


@pytest.mark.parametrize(("url", "said"), [
    ("http://10.0.0.7/feed", "address 10.0.0.7 is not public"),
    ("http://[::1]:8080/rss", "address ::1 is not public"),
    ("http://localhost:8080/", "address 127.0.0.1 of localhost is not public"),
])
def test_a_refusal_names_the_address_once_when_the_host_is_one(url: str, said: str) -> None:
    result = newswatch("feeds", "add", url)
    assert result.exit_code == 1, result.output
    assert f"refused {url}: {said} (SSRF guard)" in result.stderr
