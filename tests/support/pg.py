"""A fresh PostgreSQL database per test run on the local server (127.0.0.1:5432, user
postgres, trust auth; `.ci/run` starts it when it is down). NEWSWATCH_TEST_PG overrides
the server URL. The pytest fixture `pg_url` is in tests/conftest.py."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg

SERVER = os.environ.get("NEWSWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


class PostgresUnavailable(RuntimeError):
    """The test server does not answer; the message says how to start it."""


async def _admin(sql: str) -> None:
    try:
        conn = await asyncpg.connect(f"{SERVER}/postgres", timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise PostgresUnavailable(
            f"PostgreSQL at {SERVER} does not answer ({exc}); start it with "
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        ) from exc
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_database() -> str:
    """Create newswatch_test_<random>; its SQLAlchemy URL (postgresql://...)."""
    name = f"newswatch_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return f"{SERVER}/{name}"


def drop_database(url: str) -> None:
    """Drop a database made by create_database, disconnecting whoever is still in it."""
    name = url.rsplit("/", 1)[1]
    assert name.startswith("newswatch_test_"), name
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
