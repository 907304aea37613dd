"""Reading a SQLite store with the standard library alone, for the CLI's read-only
commands: SQLAlchemy takes about half of `import spacy`'s time to import, a query here a
millisecond. Only a store at the newest revision is read so (`connect` says None for
anything else, and the caller opens Store, which migrates); the queries are the store's
own (streams.store.alerts, streams.store.views) and give rows of the same fields and types.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from streams.core.alert_status import COVERED
from streams.core.clock import moment, utcnow
from streams.store.revisions import local_head

_DATETIMES = frozenset({"created", "acked", "until"})


def connect(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to the store at path, or None when it is not a store at the
    newest revision (missing, older, unreadable)."""
    head = local_head()
    if head is None or not Path(path).is_file():
        return None
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        found = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        return None
    if found != [(head,)]:
        conn.close()
        return None
    conn.row_factory = _row
    return conn


def _row(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> SimpleNamespace:
    out = {}
    for (name, *_), value in zip(cursor.description, values, strict=True):
        if name == "payload" and isinstance(value, str):
            value = json.loads(value)
        elif name in _DATETIMES and isinstance(value, str):
            value = dt.datetime.fromisoformat(value)  # stored naive, in UTC, as SQLAlchemy does
        out[name] = value
    return SimpleNamespace(**out)


def list_alerts(conn: sqlite3.Connection, rule_id: str | None, limit: int) -> list[Any]:
    """streams.store.alerts.list_alerts (any status): newest first, covered ones left out."""
    where, args = "status != ?", [COVERED]
    if rule_id:
        where, args = f"{where} AND rule_id = ?", [*args, rule_id]
    return conn.execute(f"SELECT * FROM alerts WHERE {where} ORDER BY created DESC, id "
                        "LIMIT ?", (*args, limit)).fetchall()  # fmt: skip


def silencing_facts(conn: sqlite3.Connection) -> tuple[set[str], list[Any]]:
    """streams.store.views.silencing_facts: alerts with a held delivery, silences active now."""
    held = {r.alert_id for r in conn.execute(
        "SELECT DISTINCT alert_id FROM deliveries WHERE state = 'held'")}  # fmt: skip
    now = utcnow()
    active = [s for s in conn.execute("SELECT * FROM silences")
              if (moment(s.until) or now) > now]  # fmt: skip
    return held, active
