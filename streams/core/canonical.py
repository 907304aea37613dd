"""Canonical URLs and content fingerprints: one article per real article, whichever feed,
GUID, tracking parameters or edited title it arrives with."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from streams.core.records import content_key

# Query parameters that only say where a click came from, never which page it is.
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|igshid|"
    r"_ga|_gl|ref|ref_src|cmpid|ocid|smid|sr_share|at_medium|at_campaign|ito|__twitter_impression)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
MIN_FINGERPRINT_CHARS = 200  # shorter texts (bare summaries) are too alike to compare


def canonical_url(url: str, page_canonical: str | None = None) -> str:
    """The URL that names this article: the page's declared canonical link when it is an
    http(s) URL on the same site, else the URL itself; tracking parameters, fragments,
    default ports and letter case of scheme and host normalised away."""
    chosen = url
    if page_canonical and _same_site(url, page_canonical):
        chosen = page_canonical
    return normalise_url(chosen)


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and _DEFAULT_PORTS.get(scheme) != parts.port:
        host = f"{host}:{parts.port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING.match(k)]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def _same_site(url: str, other: str) -> bool:
    # a page may only claim a canonical on its own site: otherwise a hostile page could make
    # itself a duplicate of (and so suppress) an article it is not
    a, b = urlsplit(url), urlsplit(other)
    if b.scheme.lower() not in ("http", "https") or not b.hostname:
        return False
    return _site(a.hostname or "") == _site(b.hostname)


def _site(host: str) -> str:
    labels = host.lower().removeprefix("www.").split(".")
    # news.bbc.co.uk -> bbc.co.uk: keep three labels under a two-letter country suffix
    keep = 3 if len(labels) > 2 and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


def fingerprint(text: str) -> str | None:
    """A hash of the article text ignoring case, punctuation and spacing; None when the
    text is too short to tell articles apart."""
    norm = unicodedata.normalize("NFKC", text).casefold()
    words = re.findall(r"\w+", norm)
    joined = " ".join(words)
    if len(joined) < MIN_FINGERPRINT_CHARS:
        return None
    return content_key("text", joined)
