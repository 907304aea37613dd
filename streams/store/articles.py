"""The articles table: one row per real article, whichever feed or GUID brought it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from streams.core.canonical import fingerprint
from streams.core.clock import utcnow
from streams.core.records import Article
from streams.store.db import Store
from streams.store.schema import articles

# built once (a statement built per call costs about as much as running it)
_BY_ID = sa.select(articles).where(articles.c.id == sa.bindparam("id"))
_COLUMNS = ("id", "url", "title", "source", "published", "language", "text", "fingerprint",
            "created", "feed", "item_key", "fallback")
# the row unless its text is stored already (a NULL fingerprint matches nothing), and
# unless its id is: one statement for the article's every step, by dialect
_SAVE: dict[bool, Any] = {}


def _save_statement(sqlite: bool) -> Any:
    statement = _SAVE.get(sqlite)
    if statement is None:
        twin = sa.exists().where(articles.c.fingerprint == sa.bindparam("fingerprint_of"))
        values: list[Any] = [sa.bindparam(name, type_=articles.c[name].type) for name in _COLUMNS]
        if not sqlite:  # PostgreSQL types a SELECT's parameters by a cast, not by the target
            values = [sa.cast(value, value.type) for value in values]
        row = sa.select(*values)
        dialect_insert = sqlite_insert if sqlite else postgresql_insert
        statement = (dialect_insert(articles)
                     .from_select(list(_COLUMNS), row.where(~twin))
                     .on_conflict_do_nothing())
        _SAVE[sqlite] = statement
    return statement


async def save_article(store: Store, article: Article) -> bool:
    """Store the article; False when it is already stored: the same canonical URL (its id),
    or the same text under another URL (another feed, a changed GUID, an edited title)."""
    print_ = fingerprint(article.text)
    values = _values(article, print_)
    values["fingerprint_of"] = print_
    async with store.begin() as conn:
        result = await conn.execute(_save_statement(store.is_sqlite), values)
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
