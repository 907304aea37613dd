"""The clean stage: FeedItem (+ its already fetched page) -> Article.

The runtime fetches the page (connectors.fetch_page, in streams/runtime/pipeline.py) and
hands its result in; this module never touches the network: any object with the fields of
`FetchedPage` will do.

trafilatura extracts the text and metadata of the page, in a worker process under a hard time
limit; when the page could not be fetched, yields no text, or extraction overruns, the entry's
own content or summary is used and Article.fallback says why. Text is never truncated, and no
script, on*= handler or javascript: URL survives into it.
"""

from __future__ import annotations

import re
from typing import Protocol

import lxml.etree
import lxml.html

from streams.clean.trafilatura_pool import POOL, Extracted, ExtractionFailed, ExtractionTimeout
from streams.core.canonical import canonical_url
from streams.core.records import Article, FeedItem, content_key

# What must never reach stored text, even as the literal words of a sloppy feed that escaped
# its markup twice (the sanitiser removes live markup; this catches the text that looks like it).
UNSAFE_TEXT = re.compile(r"<\s*/?\s*script\b[^>]*>?|javascript\s*:|\bon[a-z]{3,}\s*=", re.I)
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][\w:-]*(\s[^<>]*)?/?>")
_BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr",
           "section", "article", "pre", "ul", "ol", "table", "dd", "dt", "figcaption"}


class FetchedPage(Protocol):
    """What clean reads of a page fetch (connectors.fetch_page.PageResult is one)."""

    @property
    def final_url(self) -> str: ...  # where the page was found, after redirects
    @property
    def html(self) -> str | None: ...  # its decoded text, when the fetch worked
    @property
    def error(self) -> str | None: ...  # why it did not
    @property
    def ok(self) -> bool: ...  # no error and a body


def clean(item: FeedItem, page: FetchedPage | None, time_limit: float = 10) -> Article:
    """Build the Article for one entry from its fetched page (None: not fetched), else from
    the entry itself."""
    extracted: Extracted | None = None
    fallback = ""
    if page is None:
        fallback = "page not fetched"
    elif not page.ok:
        fallback = f"page unavailable: {page.error or 'empty body'}"
    else:
        try:
            extracted = POOL.extract(page.html or "", page.final_url, time_limit)
        except ExtractionTimeout as exc:
            fallback = str(exc)
        except ExtractionFailed as exc:
            fallback = f"extraction failed: {exc}"
        else:
            if not extracted.text.strip():
                fallback, extracted = "page yielded no text", None
    text = extracted.text if extracted else html_to_text(item.summary)
    url = page.final_url if page is not None and page.final_url else item.link
    canonical = canonical_url(url, extracted.url if extracted else None) if url else ""
    page_title = (extracted.title if extracted else None) or ""
    language = (extracted.language if extracted else None) or "en"
    return Article(
        id=content_key(canonical or item.key),
        url=canonical or item.link,
        title=scrub(page_title or html_to_text(item.title)),
        text=scrub(text),
        published=item.published or (extracted.date if extracted else None),
        source=item.source or ((extracted.sitename if extracted else None) or ""),
        language=language[:2].lower() if len(language) >= 2 else "en",
        item_key=item.key,
        feed=item.feed,
        fallback=fallback,
    )


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (a feed summary), one line per block."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment and "&" not in fragment:
        return fragment.strip()
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return _TAG.sub(" ", fragment).strip()
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCKS:
            el.tail = "\n" + (el.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def scrub(text: str) -> str:
    """Remove tag-like text and script/handler/javascript: look-alikes from plain text."""
    text = _TAG.sub(" ", text)
    while UNSAFE_TEXT.search(text):
        text = UNSAFE_TEXT.sub(" ", text)
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
