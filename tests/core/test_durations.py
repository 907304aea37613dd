"""One duration grammar (streams/core/durations.py) for rules, silences and `backtest
--since`: every form one of the three old readers accepted still reads the same."""

from __future__ import annotations

import datetime as dt

import pytest

from streams.core.durations import DurationError, parse_duration, positive_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("15m", 900), ("24h", 86400), ("7d", 604800), ("2w", 1209600),  # rules
    ("1h30m", 5400), ("1.5h", 5400), ("2H", 7200), (" 30m ", 1800),  # silences
    ("90m", 5400),  # backtest --since
    ("0s", 0),  # a rule's `wait: 0s`
])
def test_every_old_form_reads_the_same(text: str, seconds: int) -> None:
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


def test_a_sign_only_where_the_caller_allows_it() -> None:
    assert parse_duration("-60d", signed=True) == -dt.timedelta(days=60)
    assert parse_duration("+7d", signed=True) == dt.timedelta(days=7)
    with pytest.raises(DurationError):
        parse_duration("-60d")


@pytest.mark.parametrize("text", ["soon", "", "7", "d", "1.2.3h", "7 d", "7x", 90, None])
def test_what_is_not_a_duration_is_refused_naming_it(text: object) -> None:
    with pytest.raises(DurationError, match="is not a duration"):
        parse_duration(text)


def test_a_silence_lasts_a_positive_time() -> None:
    assert positive_duration("2h") == dt.timedelta(hours=2)
    for text in ("0m", "soon"):
        with pytest.raises(DurationError, match=f"cannot read duration {text!r}"):
            positive_duration(text)
