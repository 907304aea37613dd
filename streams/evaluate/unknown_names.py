"""Names in rules that the gazetteer and the places data do not know: a rule naming
'Rusia' compiles, but can never fire. `rules check` prints these as warnings, with the
closest known name ('Rusia' -> Russia); a name read through an alternate spelling of the
places data ('Istambul' -> Istanbul) is said too, so the analyst sees how it is read.

Names with no close known name (most people's) pass silently: the gazetteer is not a
list of everyone a rule may name.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from streams.core.rule_yaml import Doc, Path_, RuleError, read_rule_file
from streams.knowledge.gazetteer import Gazetteer, fold

NAME_FIELDS = ("actors", "sides", "location")
_OPS = ("any", "all", "none")


def _names(data: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    """(path, name) of every name under an actors / sides / location field."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in NAME_FIELDS:
                yield from _values(value, (*path, key))
            else:
                yield from _names(value, (*path, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _names(item, (*path, i))


def _values(value: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                yield (*path, i), item
    elif isinstance(value, dict):
        for op in _OPS:
            if op in value:
                yield from _values(value[op], (*path, op))


class NameChecker:
    """Judges one name against the gazetteer file, then the world places data."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer

    @cached_property
    def _file_names(self) -> dict[str, str]:
        return {fold(alias): ent.name for alias, ent in self.gazetteer.aliases()}

    @cached_property
    def _world_names(self) -> dict[str, str]:
        world = self.gazetteer.world
        return dict(world.names) if world is not None else {}

    def closest(self, name: str) -> str | None:
        """The known name closest to an unknown one, if any is close."""
        key = fold(name)
        for names in (self._file_names, self._world_names):
            found = difflib.get_close_matches(key, names.keys(), n=1, cutoff=0.8)
            if found:
                return self.gazetteer.canonical(names[found[0]]) or names[found[0]]
        return None

    def warning(self, name: str) -> str | None:
        """What to tell the analyst about a name in a rule, or None when all is well."""
        canon = self.gazetteer.canonical(name)
        if canon is not None:
            if self.gazetteer.canonical(name, world=False) is None and fold(canon) != fold(name):
                return f"'{name}' is read as {canon} (an alternate name in the places data)"
            return None
        close = self.closest(name)
        if close is None:
            return None
        return f"'{name}' is not a known name; did you mean {close}?"


def name_warnings(files: list[Path], gazetteer: Gazetteer) -> list[RuleError]:
    """One warning per doubtful name in the rule files, with file, line and field."""
    checker = NameChecker(gazetteer)
    out: list[RuleError] = []
    for path in files:
        doc, _error = read_rule_file(path)
        if doc is None:
            continue
        out.extend(_doc_warnings(doc, checker))
    return out


def _doc_warnings(doc: Doc, checker: NameChecker) -> list[RuleError]:
    out = []
    for path, name in _names(doc.data, ()):
        message = checker.warning(name)
        if message:
            out.append(doc.error(path, message))
    return out
