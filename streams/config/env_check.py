"""Unknown NEWSWATCH_ variables: a misspelt setting is otherwise silently ignored, so each
one is named with the closest known name."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

# NEWSWATCH_ variables that are not settings but are read by the command or the tests
OTHER_VARIABLES = frozenset(
    {"NEWSWATCH_HOME", "NEWSWATCH_TEST_PG", "NEWSWATCH_UPDATE_GOLDEN", "NEWSWATCH_BENCH_ARTICLES"}
)


def known_variables() -> set[str]:
    """Every NEWSWATCH_ variable newswatch reads."""
    from streams.config.settings import Settings

    return {f"NEWSWATCH_{name.upper()}" for name in Settings.model_fields} | OTHER_VARIABLES


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """One warning per NEWSWATCH_ variable nobody reads, with the closest known name."""
    known = known_variables()
    warnings = []
    for name in sorted(environ):
        if not name.startswith("NEWSWATCH_") or name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        hint = f", did you mean {close[0]}?" if close else " (see `newswatch config show`)"
        warnings.append(f"{name}: unknown setting{hint}")
    return warnings
