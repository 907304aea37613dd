"""One composition root: streams/runtime/bootstrap.py is the only module that reads the
settings (calls load_settings or builds Settings); every other module receives them, or the
value it needs, as a parameter (issue 13). Read from the source with ast, as
tests/support/import_graph.py reads the imports."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROOT_MODULE = Path("streams/runtime/bootstrap.py")
DEFINED_IN = Path("streams/config/settings.py")  # load_settings builds Settings, once
READERS = ("load_settings", "Settings")


def settings_readers(source: str) -> list[tuple[int, str]]:
    """(line, name) of each call of load_settings or Settings in the source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else None)
        if name in READERS:
            found.append((node.lineno, name))
    return sorted(found)


def test_only_bootstrap_reads_the_settings() -> None:
    callers = []
    for package in ("streams", "connectors"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative in (ROOT_MODULE, DEFINED_IN):
                continue
            callers += [f"{relative}:{line}: {name}()"
                        for line, name in settings_readers(path.read_text("utf-8"))]
    assert callers == [], "settings read outside the composition root:\n" + "\n".join(callers)
    assert [name for _, name in settings_readers((ROOT / ROOT_MODULE).read_text("utf-8"))] == [
        "load_settings"]


def test_the_check_finds_a_call_wherever_it_hides() -> None:
    source = ("def f():\n    from streams.config import settings\n"
              "    return settings.load_settings().data_dir\n"
              "def g():\n    return Settings(data_dir='x')\n")
    assert settings_readers(source) == [(3, "load_settings"), (5, "Settings")]
