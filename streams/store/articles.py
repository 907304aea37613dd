"""The articles table: one row per real article, whichever feed or GUID brought it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from streams.core.canonical import fingerprint
from streams.core.clock import utcnow
from streams.core.records import Article
from streams.store.db import Store
from streams.store.schema import articles

# built once (a statement built per call costs about as much as running it)
_TWIN = sa.select(articles.c.id).where(articles.c.fingerprint == sa.bindparam("print")).limit(1)
_BY_ID = sa.select(articles).where(articles.c.id == sa.bindparam("id"))


async def save_article(store: Store, article: Article) -> bool:
    """Store the article; False when it is already stored: the same canonical URL (its id),
    or the same text under another URL (another feed, a changed GUID, an edited title)."""
    print_ = fingerprint(article.text)
    async with store.begin() as conn:
        if print_ is not None:
            twin = await conn.scalar(_TWIN, {"print": print_})
            if twin is not None:
                return False
        result = await conn.execute(store.ignoring(articles), _values(article, print_))
    return bool(result.rowcount)


def _values(article: Article, print_: str | None) -> dict[str, Any]:
    return {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "source": article.source,
        "published": article.published,
        "language": article.language,
        "text": article.text,
        "fingerprint": print_,
        "created": utcnow(),
        "feed": article.feed,
        "item_key": article.item_key,
        "fallback": article.fallback,
    }


async def get_article(store: Store, article_id: str) -> Article | None:
    """A stored article by id, or None."""
    async with store.begin() as conn:
        row = (await conn.execute(_BY_ID, {"id": article_id})).first()
    if row is None:
        return None
    m = row._mapping
    return Article(
        id=m["id"], url=m["url"], title=m["title"], text=m["text"], published=m["published"],
        source=m["source"], language=m["language"], item_key=m["item_key"], feed=m["feed"],
        fallback=m["fallback"],
    )


async def count_articles(store: Store) -> int:
    """How many articles are stored."""
    async with store.begin() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(articles)) or 0)
