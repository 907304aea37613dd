"""Ids dated by the day their record belongs to (streams/core/records.py dated_key): the
store's indexes on events and stories take a day's new rows side by side."""

from __future__ import annotations

import datetime as dt
import random

from streams.core.records import content_key, dated_key


def test_a_dated_id_is_its_day_then_its_content_key() -> None:
    key = dated_key(dt.date(2030, 3, 7), "story", "e1")
    assert key == "20300307-" + content_key("story", "e1")
    assert len(key) <= 32  # the id columns' width
    assert dated_key(dt.date(2030, 3, 7), "story", "e1") == key  # deterministic
    assert dated_key(dt.date(2030, 3, 7), "story", "e2") != key


def test_an_undated_id_is_the_content_key_alone() -> None:
    assert dated_key(None, "story", "e1") == content_key("story", "e1")


def test_ids_sort_by_their_day_whatever_their_content() -> None:
    rng = random.Random(7)
    days = [dt.date(2030, 1, 1) + dt.timedelta(days=rng.randrange(400)) for _ in range(300)]
    keys = [dated_key(day, "event", str(i)) for i, day in enumerate(days)]
    by_key = sorted(zip(keys, days, strict=True))
    assert [day for _, day in by_key] == sorted(days)
