"""Date expressions resolved against the publication date (streams/extract/dates.py, pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from streams.extract.dates import resolve_date

THU = dt.date(2025, 5, 15)  # a Thursday
NEW_YEAR = dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    ("text", "published", "tense", "want"),
    [
        ("on Thursday", THU, "past", THU),
        ("this Friday", THU, "future", dt.date(2025, 5, 16)),
        ("on Friday", THU, "past", dt.date(2025, 5, 9)),
        ("next Thursday", THU, None, dt.date(2025, 5, 22)),
        ("last Thursday", THU, None, dt.date(2025, 5, 8)),
        ("Jan. 3", NEW_YEAR, None, dt.date(2026, 1, 3)),
        ("Dec. 28", NEW_YEAR, None, dt.date(2025, 12, 28)),
        ("19 November 2025", THU, None, dt.date(2025, 11, 19)),
        ("March 7, 2022", NEW_YEAR, None, dt.date(2022, 3, 7)),
        ("Thursday, January 1", NEW_YEAR, "past", NEW_YEAR),
        ("New Year’s", dt.date(2026, 1, 2), None, NEW_YEAR),
        ("yesterday", THU, None, dt.date(2025, 5, 14)),
        ("three days ago", THU, None, dt.date(2025, 5, 12)),
        # vague: no single day, so no date rather than a guess
        ("earlier this week", THU, None, None),
        ("July 2025", THU, None, None),
        ("2022", THU, None, None),
        ("the summer", THU, None, None),
        ("the new year", NEW_YEAR, None, None),
        ("February 30", THU, None, None),
    ],
)
def test_resolve(text: str, published: dt.date, tense: str | None, want: dt.date | None) -> None:
    assert resolve_date(text, published, tense=tense) == want  # type: ignore[arg-type]


def test_a_day_earlier_counts_from_the_date_last_mentioned() -> None:
    tuesday = dt.date(2025, 11, 18)
    assert resolve_date("A day earlier", dt.date(2025, 11, 20), tuesday) == dt.date(2025, 11, 17)
    assert resolve_date("the next day", dt.date(2025, 11, 20), tuesday) == dt.date(2025, 11, 19)
