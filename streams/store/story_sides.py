"""A story's sides as the stories table keeps them, and the test of whether a story shares
enough of them with an event to be its candidate (streams/stories/match.py `choose`:
enough sides), pure.

The `sides` column holds a story's folded sides as "|a|b|" ("|" with none). The candidates
(streams/store/stories.py) take the sides of each story of their windows from the store's
index of the stories (streams/store/story_index.py, read from the candidates' index) and ask
`meets` of them here: the same test on SQLite and PostgreSQL.
(Weighed in SQL instead, one LIKE per side and need padded to a few query shapes, the
query cost 1.1 to 1.3 ms an article in tests/bench/bench_stories.py, against 0.6 to 1.0
so, and its larger shapes, for articles of many sides, took milliseconds each to build.)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

MARK = "|"

Needs = tuple[tuple[frozenset[str], int], ...]  # a type's needs: (sides, shared) each


def sides_column(sides: Iterable[str]) -> str:
    """The sides column's value for a story's sides."""
    return MARK + "".join(side_text(s) + MARK for s in sides)


def side_text(side: str) -> str:
    """A side as the column writes it (a mark inside a name would miscount)."""
    return side.replace(MARK, "/")


def needs_of(needs: Iterable[tuple[Iterable[str], int]]) -> Needs:
    """A type's needs ((sides, shared) each), their sides as the column writes them."""
    return tuple((frozenset(side_text(s) for s in sides), shared) for sides, shared in needs)


@functools.lru_cache(maxsize=8192)
def meets(column: str | None, needs: Needs) -> bool:
    """A story (its sides column) meets one of the needs: at least `shared` of their sides
    in common, or all of its own (one at least) when it has fewer. Remembered: the same few
    sides and needs come back story after story, article after article."""
    own = column.split(MARK)[1:-1] if column else []
    for sides, shared in needs:
        common = len(sides.intersection(own))
        if common >= shared or (1 <= len(own) < shared and common == len(own)):
            return True
    return False
