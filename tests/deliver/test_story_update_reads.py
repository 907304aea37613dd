"""Recording a later article of an alerted story reads one row a story it tells, not the
story's updates: in order of publication (the rule) a story told daily for months would
otherwise cost every new article a read of thousands of updates. An article older than an
alert's teller still reads them all (streams/deliver/first_tellers.py needs them)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from delivery_support import make_alert

from streams.deliver.record import record_article_alerts
from streams.store.schema import alert_updates, alerts

UPDATES = 30


def _day(n: int) -> str:
    return (dt.datetime(2025, 12, 31, 8, tzinfo=dt.UTC) + dt.timedelta(days=n)).isoformat()


async def _long_story(store) -> None:  # type: ignore[no-untyped-def]
    """An alerted story (its alert from day 2) with UPDATES updates, a day each after."""
    assert await record_article_alerts(store, [make_alert(article="a0", published=_day(2))])
    for day in range(3, 3 + UPDATES):
        await record_article_alerts(store, [make_alert(article=f"a{day}", published=_day(day))])


async def _reads_of_updates(store, article: str, day: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(SELECTs reading alert_updates, updates the story has after) of recording one more
    article of the story, published on `day`."""
    selects: list[str] = []

    def seen(_conn, _cursor, sql, *_args):  # type: ignore[no-untyped-def]
        if sql.lstrip().startswith("SELECT"):
            selects.append(sql)

    sa.event.listen(store.engine.sync_engine, "before_cursor_execute", seen)
    try:
        assert await record_article_alerts(
            store, [make_alert(article=article, published=_day(day))]) == []
    finally:
        sa.event.remove(store.engine.sync_engine, "before_cursor_execute", seen)
    async with store.begin() as conn:
        count = (await conn.execute(sa.select(sa.func.count()).select_from(alert_updates))
                 ).scalar_one()
    return sum("alert_updates" in sql for sql in selects), count


async def test_a_newer_article_of_a_long_story_reads_none_of_its_updates(store) -> None:
    await _long_story(store)
    assert await _reads_of_updates(store, "later", 3 + UPDATES) == (0, UPDATES + 1)
    # between the alert's teller and the newest update: still after the alert's, still none
    assert await _reads_of_updates(store, "between", 10) == (0, UPDATES + 2)


async def test_an_article_older_than_the_alerts_teller_reads_them(store) -> None:
    await _long_story(store)
    reads, count = await _reads_of_updates(store, "older", 1)
    assert reads >= 1 and count == UPDATES + 1  # recorded as an update: the story's alert stands
    async with store.begin() as conn:
        count = (await conn.execute(sa.select(sa.func.count()).select_from(alerts))).scalar_one()
    assert count == 1
