"""Clean: page text and metadata, fallbacks to the entry, canonical URLs, duplicate articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.fetch_page import PageResult, fetch_page
from connectors.http import make_client
from connectors.seed_folder import read_seed_folder
from connectors.seed_server import SeedServer
from streams.clean.page import UNSAFE_TEXT, clean, html_to_text
from streams.config.settings import load_settings
from streams.core.canonical import canonical_url, fingerprint
from streams.core.records import FeedItem, content_key
from streams.runtime.polling import poll_feed
from streams.store.articles import count_articles, save_article

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
BODY = " ".join(f"Sentence {n} of a long enough article body about talks." for n in range(20))


def item(link: str = "https://news.example/a/1", **kw: str) -> FeedItem:
    fields = {"feed": "https://news.example/feed", "guid": link, "link": link,
              "title": "Entry title", "summary": "<p>Summary <b>of</b> it.</p>",
              "published": "2026-01-01T08:00:00+00:00", "source": "Example News"}
    fields.update(kw)
    return FeedItem(**fields)


def page(html: str | None, url: str = "https://news.example/a/1", error: str | None = None):
    return PageResult(url=url, final_url=url, status=200 if html else None, html=html, error=error)


async def test_seed_articles_come_out_whole_with_entry_dates(store):
    seeds = {a.file: a for a in read_seed_folder(SEEDS).articles}
    async with SeedServer(SEEDS) as srv, make_client(load_settings()) as client:
        polled = await poll_feed(client, store, srv.feed_url)
        for entry in polled.items:
            result = await fetch_page(client, entry.link)
            article = clean(entry, result)
            seed = seeds[srv.article_file(entry.link)]
            assert not article.fallback
            assert article.title == seed.title
            assert article.text.splitlines()[-1] == seed.paragraphs[-1]
            assert sum(len(p) for p in seed.paragraphs) <= len(article.text)
            assert article.published == entry.published
            assert article.id == content_key(article.url) and article.item_key == entry.key
            assert await save_article(store, article)
    assert await count_articles(store) == 5


@pytest.mark.parametrize(
    ("result", "why"),
    [
        (None, "page not fetched"),
        (page(None, error="HTTP 503"), "page unavailable: HTTP 503"),
        (page("<html><head><title>x</title></head><body></body></html>"), "page yielded no text"),
    ],
)
def test_falls_back_to_the_entry_and_says_why(result, why):
    article = clean(item(), result)
    assert article.fallback == why
    assert article.text == "Summary of it."
    assert article.title == "Entry title" and article.source == "Example News"


def test_page_title_and_canonical_link_win():
    html = (
        '<html><head><title>Page title</title>'
        '<link rel="canonical" href="https://news.example/a/1?id=7"></head><body><article>'
        f"<h1>Page title</h1><p>{BODY}</p></article></body></html>"
    )
    tracked = "https://News.Example:443/a/1?utm_source=rss&utm_medium=feed&fbclid=x#top"
    article = clean(item(tracked), page(html, url=tracked))
    assert article.url == "https://news.example/a/1?id=7"
    assert article.title == "Page title"
    assert BODY in article.text


def test_canonical_url_drops_tracking_and_refuses_foreign_canonicals():
    assert canonical_url("HTTPS://a.example/x?utm_campaign=1&b=2#f") == "https://a.example/x?b=2"
    assert canonical_url("https://a.example/x", "https://evil.example/y") == "https://a.example/x"
    assert canonical_url("https://www.a.example/x", "https://a.example/y") == "https://a.example/y"
    assert fingerprint("too short") is None


async def test_same_article_through_other_feed_guid_or_title_is_stored_once(store):
    first = clean(item(summary=BODY), None)
    assert await save_article(store, first)
    other_feed = clean(item(feed="https://other.example/rss", guid="x-9", summary=BODY), None)
    tracked = clean(item("https://news.example/a/1?utm_source=tw", summary="<p>new</p>"), None)
    moved = clean(item("https://mirror.example/a1", title="Edited title", summary=BODY), None)
    other = clean(item("https://news.example/a/2", summary=BODY + " And a new fact."), None)
    assert not await save_article(store, other_feed)  # same canonical URL
    assert not await save_article(store, tracked)  # tracking parameters do not count
    assert not await save_article(store, moved)  # same text elsewhere, title edited
    assert await save_article(store, other)
    assert await count_articles(store) == 2


def test_no_script_handler_or_javascript_survives_into_text():
    hostile = (
        '<p onclick="steal()">Hello <script>alert(1)</script><a href="javascript:x()">y</a></p>'
        "<p>&lt;script&gt;alert(2)&lt;/script&gt; and &lt;img src=x onerror=alert(3)&gt;</p>"
    )
    article = clean(item(summary=hostile, title="<b onmouseover='x()'>T</b>"), None)
    assert "Hello" in article.text
    assert not UNSAFE_TEXT.search(article.text) and not UNSAFE_TEXT.search(article.title)


def test_long_text_is_not_truncated():
    long_body = "<p>" + " ".join(["word"] * 400_000) + "</p>"
    assert len(clean(item(summary=long_body), None).text) == len(" ".join(["word"] * 400_000))
    assert html_to_text("") == ""
