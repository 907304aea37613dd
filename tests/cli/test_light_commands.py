"""The commands that do not run the pipeline stay light: `python -m streams.cli` with
-X importtime shows every module each one imports, and none may import the pipeline's heavy
libraries (Faust, spaCy, trafilatura, aiohttp) nor Alembic (a store at the newest revision
opens without it); `alerts list` on a SQLite store not even SQLAlchemy. `db current` and
`db check` are left out: they are Alembic's own work (its revision graph, its schema
comparison). The timings are tests/bench/bench_cli.py's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import ROOT, an_alert, command_env, store_with_alerts

HEAVY = frozenset({"faust", "mode", "spacy", "thinc", "trafilatura", "aiohttp", "alembic"})
COMMANDS = (
    ("--help",),
    ("alerts", "list"),
    ("alerts", "show", an_alert(3).id),
    ("silence", "list"),
    ("deliveries", "list"),
    ("feeds", "list"),
    ("feeds", "export"),
    ("rules", "check"),
    ("rules", "status"),
    ("config", "show"),
)
_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", re.M)


def imported(args: tuple[str, ...], data_dir: Path) -> tuple[set[str], str]:
    """The top-level packages a command imports, and what it printed."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "streams.cli", *args],
                         cwd=ROOT, env=command_env(data_dir), capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return {m.split(".")[0] for m in _IMPORTED.findall(out.stderr)}, out.stdout


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("var")
    store_with_alerts(folder, 5)
    return folder


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_command_that_does_not_run_the_pipeline_imports_nothing_heavy(
    args: tuple[str, ...], data_dir: Path
) -> None:
    packages, printed = imported(args, data_dir)
    assert "click" in packages and "streams" in packages  # importtime did report
    assert not packages & HEAVY, f"newswatch {' '.join(args)} imports {sorted(packages & HEAVY)}"
    if args == ("alerts", "list"):  # read with sqlite3 alone (streams/store/sqlite_read.py)
        assert "sqlalchemy" not in packages
        assert printed.count("ceasefire") == 5  # it read the store, not an empty one


def test_a_store_not_at_the_newest_revision_is_still_migrated(tmp_path: Path) -> None:
    """The light path skips Alembic only when there is nothing to migrate: a store one
    revision behind is brought to the newest by the first command that opens it."""
    import sqlite3

    import sqlalchemy as sa

    from streams.store.migrate import upgrade
    from streams.store.revisions import local_head, revisions

    head = local_head()
    before = (revisions() or {}).get(head or "")
    assert isinstance(before, str)
    path = tmp_path / "newswatch.db"
    with sa.create_engine(f"sqlite:///{path}").begin() as conn:
        upgrade(conn, before)
    packages, printed = imported(("alerts", "list"), tmp_path)
    assert "alembic" in packages
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
