"""Schema migrations, the same on SQLite and PostgreSQL: `newswatch db upgrade` builds the
schema from nothing, a second run changes nothing, and the migrated schema equals
streams/store/schema.py (so a schema edit without a migration fails here, loudly: write
one with `newswatch db revision -m "..."`). Two workers migrating one PostgreSQL database at
once both succeed, and a database made before migrations existed is adopted."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.ext.asyncio import create_async_engine

from streams.cli import main
from streams.store import Store
from streams.store.migrate import head_revision
from streams.store.schema import metadata

ROOT = Path(__file__).resolve().parents[2]

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
