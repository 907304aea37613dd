"""Where the `newswatch` command finds its project (the folder with rules/, seeds/ and the
store in var/), wherever it is run from.

In order: NEWSWATCH_HOME; the current folder when it is a project; the folder above the
store NEWSWATCH_DATA_DIR or NEWSWATCH_DATABASE points at, when that is a project; the
checkout the command is installed from. The settings that default to paths relative to the
project (data, rules, taxonomy, seeds) are then pointed at it, unless they are set.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path

import streams
from streams.core.errors import ConfigError

HOME_VARIABLE = "NEWSWATCH_HOME"
# settings whose default is a path inside the project
PROJECT_PATHS = {
    "NEWSWATCH_DATA_DIR": "var",
    "NEWSWATCH_RULES_DIR": "rules",
    "NEWSWATCH_TAXONOMY_DIR": "rules/taxonomy",
    "NEWSWATCH_SEEDS_DIR": "seeds",
}


class HomeError(ConfigError):
    """No project found, or NEWSWATCH_HOME names something that is not one."""


NO_HOME = (
    "no newswatch project here ({cwd} has no rules/taxonomy folder): run it from the "
    "newswatch checkout, or set NEWSWATCH_HOME to that folder"
)


def is_project(folder: Path) -> bool:
    """A folder newswatch can run in: it has the rules and their taxonomy."""
    return (folder / "rules" / "taxonomy").is_dir()


def _store_folder(environ: MutableMapping[str, str]) -> Path | None:
    """The folder above the store the environment points at (var/ sits in the project)."""
    url = environ.get("NEWSWATCH_DATABASE", "")
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            return Path(path).resolve().parent.parent
    data = environ.get("NEWSWATCH_DATA_DIR")
    return Path(data).resolve().parent if data else None


def find_home(environ: MutableMapping[str, str], cwd: Path) -> Path | None:
    """The project folder, or None when there is none; HomeError for a bad NEWSWATCH_HOME."""
    named = environ.get(HOME_VARIABLE)
    if named:
        home = Path(named).expanduser().resolve()
        if not home.is_dir():
            raise HomeError(f"{HOME_VARIABLE}={named}: no such folder")
        if not is_project(home):
            raise HomeError(f"{HOME_VARIABLE}={named}: not a newswatch project "
                            "(no rules/taxonomy folder in it)")
        return home
    candidates = [cwd, _store_folder(environ), Path(streams.__file__).resolve().parents[1]]
    for folder in candidates:
        if folder is not None and is_project(folder):
            return folder.resolve()
    return None


def use_home(environ: MutableMapping[str, str], cwd: Path) -> Path:
    """Find the project and point the unset path settings at it; HomeError when none."""
    home = find_home(environ, cwd)
    if home is None:
        raise HomeError(NO_HOME.format(cwd=cwd))
    if home != cwd.resolve():
        for name, default in PROJECT_PATHS.items():
            environ.setdefault(name, str(home / default))
    return home
