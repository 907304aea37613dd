"""Text folding: the case- and accent-insensitive key every name lookup compares by.

Its own module so that the gazetteer and the world index (streams/knowledge/places.py),
which import each other's users, both take it from here without an import cycle.
streams.knowledge.gazetteer re-exports it for the stages that already import it from there.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=65_536)  # names recur article after article; the cache stays bounded
def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Türkiye' -> 'turkiye', 'İbrahim' -> 'ibrahim'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())
