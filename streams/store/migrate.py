"""Schema migrations (Alembic, streams/migrations/) for SQLite and PostgreSQL alike.

`migrate(conn)` brings a database to the newest revision inside the caller's transaction;
Store.open() and `newswatch db upgrade` use it. Two workers starting at once on one
PostgreSQL server take turns (an advisory lock held until the transaction ends), so the
second finds the schema done. A database made by the old `metadata.create_all` (tables,
no alembic_version) is adopted when it matches schema.py, refused (MigrationError) if not.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from streams.core.errors import StoreError
from streams.store.revisions import MIGRATIONS, local_head
from streams.store.schema import metadata

# Alembic is imported where it works: a store already at the newest revision opens without
# it (the CLI's read-only commands stay light; see `at_head`).
if TYPE_CHECKING:
    from alembic.config import Config

_PG_LOCK_KEY = 0x6E657773  # "news": any constant; one migrator per database at a time

# Alembic keeps the running migration in module globals (alembic.context, alembic.op), so two
# migrations interleaved on one event loop would mix up; one at a time per loop.
_loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


class MigrationError(StoreError, RuntimeError):
    """The database cannot be migrated safely; the message says why."""


def alembic_config(url: str = "") -> Config:
    """The Alembic configuration, built in code (no alembic.ini to keep in step)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str | None:
    """The newest revision in streams/migrations/versions (as Alembic reads it)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision this database is at; None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, revision: str = "head") -> str | None:
    """Migrate the database on this (sync) connection to `revision`, in its transaction;
    the revision it was at (read once no other migrator can run)."""
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    before = current_revision(connection)
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    if before is None and _is_legacy(connection):
        _adopt(connection, cfg)
    command.upgrade(cfg, revision)
    return before


def drift(connection: Connection) -> list[Any]:
    """How the database differs from schema.py (Alembic's compare_metadata); [] when equal."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def migrate(conn: AsyncConnection, revision: str = "head") -> None:
    """Store.open's hook: upgrade the database behind this async connection (nothing to
    do, and Alembic not even loaded, when it is at the newest revision already)."""
    if revision == "head" and await conn.run_sync(at_head):
        return
    loop = asyncio.get_running_loop()
    lock = _loop_locks.setdefault(loop, asyncio.Lock())
    async with lock:
        await conn.run_sync(upgrade, revision)


def at_head(connection: Connection) -> bool:
    """Is the database at the newest revision of streams/migrations/versions? Read with
    one query, without Alembic; False whenever unsure (the caller then runs Alembic)."""
    head = local_head()
    if head is None or not sa.inspect(connection).has_table("alembic_version"):
        return False
    found = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
    return list(found) == [head]


def _is_legacy(connection: Connection) -> bool:
    names = set(sa.inspect(connection).get_table_names())
    return "alembic_version" not in names and "items" in names


def _adopt(connection: Connection, cfg: Config) -> None:
    """Stamp a database made by create_all at the newest revision, if it matches schema.py."""
    from alembic import command

    diffs = drift(connection)
    if diffs:
        listed = "\n  ".join(str(d) for d in diffs[:10])
        raise MigrationError(
            "this database was made before migrations existed and differs from "
            f"streams/store/schema.py; migrate it by hand or start from an empty one:\n  {listed}"
        )
    command.stamp(cfg, "head")
