"""The import rules of docs/ARCHITECTURE.md hold: stages pure, the store a store, connectors
edges, the web reading through store queries, no import cycle (tests/support/import_graph.py)."""

from __future__ import annotations

from pathlib import Path

import import_graph as graph


def test_every_import_rule_holds():
    found = graph.violations()
    assert not found, "imports that break the layout's rules:\n" + "\n".join(found)


def _write(root: Path, name: str, text: str) -> None:
    path = root / Path(*name.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        if str(parent) != ".":
            (root / parent / "__init__.py").touch()
    path.write_text(text)


def test_a_stage_importing_the_store_is_caught(tmp_path):
    _write(tmp_path, "streams.core.records", "import json\n")
    _write(tmp_path, "streams.store.db", "import sqlalchemy\n")
    _write(tmp_path, "streams.extract.helper", "from streams.store import db\n")
    _write(tmp_path, "streams.extract.extractor", "from streams.extract import helper\n")
    found = graph.violations(graph.load_graph(tmp_path))
    assert any("stage stays pure" in line and
               "streams.extract.extractor -> streams.extract.helper -> streams.store.db" in line
               for line in found), found


def test_a_lazy_import_cycle_is_caught_and_type_checking_is_not(tmp_path):
    _write(tmp_path, "streams.runtime.worker", "def f():\n    from streams.runtime import agents\n")
    _write(tmp_path, "streams.runtime.agents", "from streams.runtime import worker\n")
    _write(tmp_path, "streams.runtime.app", "from typing import TYPE_CHECKING\n"
           "if TYPE_CHECKING:\n    from streams.runtime import agents\n")
    _write(tmp_path, "streams.runtime.boot", "from streams.runtime import app\n")
    _write(tmp_path, "streams.runtime.agents2", "from streams.runtime import boot\n")
    found = graph.violations(graph.load_graph(tmp_path))
    assert "import cycle: streams.runtime.agents <-> streams.runtime.worker" in found
    assert not any("app" in line for line in found), found


def test_a_connector_reaching_into_streams_is_caught(tmp_path):
    _write(tmp_path, "streams.core.records", "")
    _write(tmp_path, "streams.deliver.render", "")
    _write(tmp_path, "connectors.feed", "from streams.core import records\n")
    _write(tmp_path, "connectors.sink", "from streams.deliver.render import x\n")
    found = graph.violations(graph.load_graph(tmp_path))
    assert found == ["a connector imports neither the store nor streams internals: "
                     "connectors.sink -> streams.deliver.render"], found
