"""`newswatch db upgrade | current | check | revision`: the store's schema migrations."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

T = TypeVar("T")


def _database_url(database: str | None) -> str:
    from streams.config.settings import SettingsError
    from streams.runtime.bootstrap import settings_for_command

    if database:
        return database
    try:
        return settings_for_command().database
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _on_database(url: str, fn: Callable[[Any], T], *, write: bool) -> T:
    """Run fn(sync connection) on the database, in one committed transaction when writing."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from streams.store import Store
    from streams.store.migrate import MigrationError

    async_url = Store(url).url  # postgresql:// -> postgresql+asyncpg://, sqlite -> aiosqlite
    if async_url.startswith("sqlite") and ":memory:" not in async_url:
        Path(async_url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)

    async def go() -> T:
        engine = create_async_engine(async_url, poolclass=NullPool)
        try:
            async with engine.begin() if write else engine.connect() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except (SQLAlchemyError, OSError, MigrationError) as exc:
        raise click.ClickException(f"database {url}: {exc}") from exc


_database_option = click.option(
    "--database", metavar="URL", help="SQLAlchemy URL (default: NEWSWATCH_DATABASE)."
)


@click.group("db")
def db() -> None:
    """The store's schema: migrate it, show its revision, check it against the code."""


@db.command("upgrade")
@_database_option
@click.argument("revision", default="head")
def db_upgrade(database: str | None, revision: str) -> None:
    """Migrate the database to REVISION (default: the newest). Safe to run twice."""
    from streams.store.migrate import current_revision, upgrade

    url = _database_url(database)

    def run(conn: Any) -> tuple[str | None, str | None]:
        before = upgrade(conn, revision)
        return before, current_revision(conn)

    before, after = _on_database(url, run, write=True)
    if before == after:
        click.echo(f"{url}: already at {after}")
    else:
        click.echo(f"{url}: {before or '(empty)'} -> {after}")


@db.command("current")
@_database_option
def db_current(database: str | None) -> None:
    """Print the database's revision and the newest one the code has."""
    from streams.store.migrate import current_revision, head_revision

    rev = _on_database(_database_url(database), current_revision, write=False)
    click.echo(f"database: {rev or '(not migrated)'}\ncode:     {head_revision()}")


@db.command("check")
@_database_option
def db_check(database: str | None) -> None:
    """Exit 1 when the database is damaged (SQLite's integrity check) or its tables differ
    from streams/store/schema.py."""
    from streams.store.migrate import drift

    url = _database_url(database)
    problems = _on_database(url, integrity, write=False)
    for problem in problems[:20]:
        click.echo(f"  {problem}")
    if problems:
        raise click.ClickException(
            f"database {url} is corrupted ({len(problems)} problem(s) found by "
            "PRAGMA integrity_check): restore it from a backup")
    diffs = _on_database(url, drift, write=False)
    for diff in diffs:
        click.echo(f"  {diff}")
    if diffs:
        raise click.ClickException(f"{len(diffs)} difference(s): write a migration")
    click.echo("integrity ok; schema matches streams/store/schema.py")


def integrity(conn: Any) -> list[str]:
    """SQLite's PRAGMA integrity_check: what it found wrong ([] when ok; other databases
    check themselves)."""
    if conn.dialect.name != "sqlite":
        return []
    from sqlalchemy import text

    rows = [str(r[0]) for r in conn.execute(text("PRAGMA integrity_check")).all()]
    return [] if rows == ["ok"] else rows


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the revision changes.")
def db_revision(message: str) -> None:
    """Write a new revision from what schema.py adds since the newest one (for developers)."""
    from alembic import command

    from streams.store.migrate import alembic_config, upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.db'}"
        _on_database(url, upgrade, write=True)
        cfg = alembic_config(url)
        script = command.revision(cfg, message=message, autogenerate=True)
    path = getattr(script, "path", script)
    click.echo(f"wrote {path}: review it, then run `newswatch db upgrade`")
