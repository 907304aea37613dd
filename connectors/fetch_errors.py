"""What a fetch through the one HTTP client raises (connectors/http.py, connectors/guard.py)."""

from __future__ import annotations

from streams.core.errors import SourceError


class FetchError(SourceError):
    """A URL could not be fetched; `reason` is one line naming what went wrong."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status


class UnsafeURLError(FetchError):
    """The SSRF guard refused a URL (scheme, or an address that is not public)."""
