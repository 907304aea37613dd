"""The store fails while a delivery's answer is on its way (issue 14, found by
tests/e2e/test_chaos.py): the answer is recorded once the store works again, by the same running
dispatcher. Before, the row stayed `sending` until a restart: never retried when the answer
was a failure, and resent as "in doubt" after the restart when it had been sent."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from delivery_support import ScriptedSink, make_alert, open_store
from store_faults import FullDisk

from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert
from streams.deliver.retry_policy import Message, RetryPolicy, SendResult
from streams.store.schema import attempts, deliveries

TABLES = ("deliveries", "attempts", "alerts")


class DiskFillsDuringSend(ScriptedSink):
    """Answers from its script; the store's disk fills while the first answer is on its way."""

    def __init__(self, disk: FullDisk, results: Sequence[SendResult]) -> None:
        super().__init__("webhook", results)
        self.disk = disk

    async def send(self, messages: Sequence[Message]) -> SendResult:
        if not self.got:
            self.disk.fill()
        return await super().send(messages)


async def _rows(store):  # type: ignore[no-untyped-def]
    async with store.begin() as conn:
        (row,) = (await conn.execute(sa.select(deliveries))).all()
        tries = (await conn.execute(sa.select(attempts).order_by(attempts.c.id))).all()
    return row, [t.outcome for t in tries]


@pytest.mark.parametrize("answer", ["sent", "retry"])
async def test_an_answer_the_full_store_could_not_take_is_recorded_after(tmp_path, answer):
    store = await open_store(tmp_path)
    disk = FullDisk(tmp_path / "nw.db", TABLES)
    first = SendResult.sent() if answer == "sent" else SendResult.retry("webhook: 503", 503)
    sink = DiskFillsDuringSend(disk, [first, SendResult.sent()])
    try:
        await record_alert(store, make_alert(destinations=["webhook"]))
        dispatcher = Dispatcher(store, {"webhook": sink}, policy=RetryPolicy(8, 0.01, 0.01))
        with pytest.raises(sa.exc.DBAPIError, match="disk is full"):
            await dispatcher.drain_destination("webhook")
        assert (await _rows(store))[0].state == "sending"  # the answer came, not recorded
        with pytest.raises(sa.exc.DBAPIError):  # still full: still kept
            await dispatcher.drain_destination("webhook")
        disk.lift()

        await dispatcher.settle()  # the same dispatcher, no restart
        row, outcomes = await _rows(store)
        if answer == "sent":  # recorded as it was: sent once, nothing in doubt, no resend
            assert (row.state, outcomes, len(sink.got)) == ("sent", ["sent"], 1)
        else:  # the failure recorded, and the delivery retried
            assert (row.state, outcomes, len(sink.got)) == ("sent", ["retry", "sent"], 2)
    finally:
        await store.close()
