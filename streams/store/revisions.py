"""The revisions in streams/migrations/versions, read from the files (parsed, never run),
so that a store can be found at the newest revision without loading Alembic or SQLAlchemy
(streams.store.migrate, streams.store.sqlite_read)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@functools.cache
def local_head() -> str | None:
    """The newest revision: the one no other revises (see `revisions`). None when that is
    not one revision (a branch, a merge, a file it cannot read): Alembic decides then."""
    found = revisions()
    if found is None or any(not (isinstance(d, str) or d is None) for d in found.values()):
        return None  # a merge revision has a tuple of parents
    heads = set(found) - set(found.values())
    return heads.pop() if len(heads) == 1 else None


def revisions() -> dict[str, object] | None:
    """revision -> down_revision of each file in streams/migrations/versions, parsed (not
    run, so without Alembic); None when a file does not say both."""
    out: dict[str, object] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        if path.name == "__init__.py":
            continue
        names = _assignments(path)
        if not isinstance(names.get("revision"), str) or "down_revision" not in names:
            return None
        out[str(names["revision"])] = names["down_revision"]
    return out


def _assignments(path: Path) -> dict[str, object]:
    """The literal values assigned at the top of a revision file ({} if it cannot be read)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError):
        return {}
    out: dict[str, object] = {}
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        if isinstance(target, ast.Name) and getattr(node, "value", None) is not None:
            try:
                out[target.id] = ast.literal_eval(node.value)  # type: ignore[attr-defined]
            except ValueError:
                continue
    return out
