"""Schema migrations, the same on SQLite and PostgreSQL: `newswatch db upgrade` builds the
schema from nothing, a second run changes nothing, and the migrated schema equals
streams/store/schema.py (so a schema edit without a migration fails here, loudly: write
one with `newswatch db revision -m "..."`). Two workers migrating one PostgreSQL database at
once both succeed, and a database made before migrations existed is adopted."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from alembic import command
from cli_support import an_alert
from click.testing import CliRunner
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from streams.cli import main
from streams.core.records import content_key
from streams.store import Store
from streams.store.alerts import insert_alert, insert_update, stories_told_by
from streams.store.migrate import alembic_config, head_revision
from streams.store.schema import metadata

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'var' / 'newswatch.db'}"
    return str(request.getfixturevalue("pg_url"))


def db(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["db", *args])
    return result.exit_code, result.output


def test_upgrade_builds_the_schema_of_schema_py(database: str) -> None:
    created = db("upgrade", "--database", database)
    assert created == (0, f"{database}: (empty) -> {head_revision()}\n")
    code, out = db("check", "--database", database)
    assert code == 0, f"the migrations do not build schema.py's tables:\n{out}"
    assert db("current", "--database", database)[1].split() == [
        "database:", str(head_revision()), "code:", str(head_revision())]


def test_upgrade_twice_changes_nothing(database: str) -> None:
    db("upgrade", "--database", database)
    again = db("upgrade", "--database", database)
    assert again == (0, f"{database}: already at {head_revision()}\n")


def test_check_names_what_differs_from_schema_py(database: str) -> None:
    code, out = db("check", "--database", database)  # never migrated: every table missing
    assert code == 1
    assert "add_table" in out and "difference(s): write a migration" in out


def test_two_workers_migrate_one_postgres_database_at_once(pg_url: str) -> None:
    argv = [sys.executable, "-m", "streams.cli", "db", "upgrade", "--database", pg_url]
    procs = [subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert sorted(o.split(": ", 1)[1].strip() for o in outputs) == [
        f"(empty) -> {head_revision()}", f"already at {head_revision()}"]
    assert db("check", "--database", pg_url)[0] == 0


def _create_all(database: str, drop_column: str | None = None) -> None:
    """Make the tables the way Store.open did before migrations (optionally one column short)."""

    async def run() -> None:
        store = Store(database)
        if store.is_sqlite:
            Path(store.url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(store.url)
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            if drop_column:
                await conn.execute(sa.text(f"ALTER TABLE {drop_column}"))
        await engine.dispose()

    asyncio.run(run())


def test_a_database_from_before_migrations_is_adopted(database: str) -> None:
    _create_all(database)
    code, out = db("upgrade", "--database", database)
    assert code == 0, out
    assert db("check", "--database", database)[0] == 0


def test_an_older_database_from_before_migrations_is_refused(database: str) -> None:
    _create_all(database, drop_column="alerts DROP COLUMN acked_by")
    code, out = db("upgrade", "--database", database)
    assert code == 1
    assert "made before migrations" in out and "acked_by" in out


BEFORE_STORY_ARTICLES = "9d3e5a1b7c20"
T0 = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)


def _run_sync(database: str, fn: Callable[[Connection], T]) -> T:
    """fn on a connection to the database, in one transaction."""

    async def go() -> T:
        engine = create_async_engine(Store(database).url)
        try:
            async with engine.begin() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _downgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)


def test_story_article_ids_move_to_their_own_table_and_back(database: str) -> None:
    """A store from before story_articles: the ids its summaries listed become rows (with
    the source and date of the articles it still has), and come back on a downgrade."""
    assert db("upgrade", "--database", database, BEFORE_STORY_ARTICLES)[0] == 0
    stories = sa.table("stories", *(sa.column(c) for c in (
        "id", "type", "anchor", "closes", "first_article", "articles")),
        *(sa.column(c, sa.JSON) for c in ("actors", "location", "sources", "summary")),
        *(sa.column(c, sa.DateTime(timezone=True)) for c in ("created", "updated")))
    articles = sa.table("articles", *(sa.column(c) for c in (
        "id", "url", "title", "source", "published", "text")),
        sa.column("created", sa.DateTime(timezone=True)))

    def fill(conn: Connection) -> None:
        conn.execute(sa.insert(articles), [
            {"id": "a2", "url": "u2", "title": "t", "source": "Wire B",
             "published": "2026-01-02T08:00:00+00:00", "text": "", "created": T0}])
        conn.execute(sa.insert(stories), [
            {"id": "s1", "type": "attack", "actors": [], "location": ["Kyiv"],
             "anchor": "2026-01-01", "closes": "2026-01-04", "first_article": "a1",
             "sources": ["Wire A", "Wire B"], "articles": 3, "created": T0, "updated": T0,
             "summary": {"article_ids": ["a1", "a3", "a2"], "opened": "2025-12-31",
                         "status": "occurred"}},
            {"id": "s2", "type": "meeting", "actors": [], "location": [], "anchor": "2026-01-05",
             "closes": "2026-01-15", "first_article": "a9", "sources": [], "articles": 1,
             "created": T0, "updated": T0, "summary": {}}])

    _run_sync(database, fill)
    assert db("upgrade", "--database", database)[0] == 0
    assert db("check", "--database", database)[0] == 0

    def read(conn: Connection) -> tuple[list[tuple], dict[str, tuple]]:
        told = conn.execute(sa.text(
            "SELECT story_id, article_id, source, published FROM story_articles "
            "ORDER BY story_id, added")).all()
        rows = conn.execute(sa.select(stories.c.id, stories.c.summary,
                                      sa.column("opened"))).all()
        return [tuple(r) for r in told], {r.id: (r.summary, r.opened) for r in rows}

    told, rows = _run_sync(database, read)
    assert told == [("s1", "a1", "", None), ("s1", "a3", "", None),
                    ("s1", "a2", "Wire B", "2026-01-02"), ("s2", "a9", "", None)]
    assert rows == {"s1": ({"opened": "2025-12-31", "status": "occurred"}, "2025-12-31"),
                    "s2": ({}, "2026-01-05")}

    _run_sync(database, lambda conn: _downgrade(conn, BEFORE_STORY_ARTICLES))

    def summaries(conn: Connection) -> dict[str, Any]:
        assert "story_articles" not in sa.inspect(conn).get_table_names()
        return {r.id: r.summary for r in conn.execute(sa.select(stories.c.id, stories.c.summary))}

    assert _run_sync(database, summaries) == {
        "s1": {"article_ids": ["a1", "a3", "a2"], "opened": "2025-12-31", "status": "occurred"},
        "s2": {"article_ids": ["a9"]}}


def test_stories_told_by_looks_up_the_articles_not_every_alert_of_the_rule(
    tmp_path: Path,
) -> None:
    """Recording an alert asks which stories of its rule the articles told already
    (stories_told_by, streams/deliver/record.py). On a migrated SQLite store each of its
    queries finds the alerts and updates by article id (or by key) in an index: none reads
    every alert, or every update, of the rule, a cost that would grow with the rule's age."""
    path = tmp_path / "newswatch.db"
    queries: list[tuple[str, Any]] = []

    async def told() -> set[str]:
        store = await Store(f"sqlite+aiosqlite:///{path}").open()
        try:
            first, second, elsewhere = an_alert(1), an_alert(2), an_alert(4)
            elsewhere.rule_id, elsewhere.id = "other", content_key("other", elsewhere.story_id)
            for alert in (first, second, elsewhere):
                await insert_alert(store, alert, "new")
            await insert_update(store, "u3", second.id, an_alert(3), [])  # a3 told story 2
            await insert_update(store, "u9", elsewhere.id, an_alert(9), [])  # another rule's
            event.listen(store.engine.sync_engine, "before_cursor_execute",
                         lambda _c, _cur, sql, params, *_: queries.append((sql, params)))
            return await stories_told_by(store, "ceasefire", ["a1", "a3", "a9"])
        finally:
            await store.close()

    assert asyncio.run(told()) == {an_alert(1).story_id, an_alert(2).story_id}
    selects = [(sql, params) for sql, params in queries if sql.lstrip().startswith("SELECT")]
    assert len(selects) == 2
    with closing(sqlite3.connect(path)) as conn:
        plans = [[row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
                 for sql, params in selects]
    steps = [step for plan in plans for step in plan]
    assert steps and all(
        step.startswith("SEARCH") and ("article_id=?" in step or "(id=?)" in step)
        for step in steps), plans
