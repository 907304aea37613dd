"""The Dispatcher: works the outbox until every delivery is sent, retrying or dead.

Each destination is worked by its own task so a slow Slack never holds up email; within a
destination deliveries go oldest first, paced by the sink's `min_interval`, and a 429 pauses
the whole destination for at least Retry-After. Each attempt is claimed in the store before
the request leaves and recorded after, so a crash leaves the row `sending` ("in doubt"):
`recover()` asks the sink whether the destination has it, else resends exactly once.

Run standalone over a store: `python -m streams.runtime.outbox STORE_URL` (settings from env).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from streams.core.clock import utcnow
from streams.deliver.delivery_health import dead_delivery_alert
from streams.deliver.dispatch_lock import SenderLock
from streams.deliver.record import record_alert
from streams.deliver.retry_policy import Message, Outcome, RetryPolicy, SendResult, Sink, State
from streams.store import deliveries as outbox
from streams.store.db import Store
from streams.store.deliveries import AttemptResult, Delivery

log = logging.getLogger(__name__)

IDLE_WAIT = 60.0  # seconds run() sleeps when nothing is open (a wake comes sooner)
# Seconds between two looks for deliveries to destinations not configured (made dead), when
# wakes come faster: this process queues only configured ones (Pipeline.destinations), so
# such rows come from elsewhere (a restart with fewer sinks, another process); a query on
# every alert recorded cost the main process a query per alert for nothing.
UNCONFIGURED_EVERY = 5.0
LINES_AT_ONCE = 100  # due deliveries a `lines` sink (console, JSONL) is handed at once


class Dispatcher:
    """Sends due deliveries through `sinks` (destination name -> Sink) and records outcomes.

    `policies` gives a destination its own retry policy (email retries for hours, Slack
    less: streams.deliver.sinks.registry.retry_policies); others use `policy`."""

    def __init__(
        self, store: Store, sinks: Mapping[str, Sink], clock: Callable[[], dt.datetime] = utcnow,
        policy: RetryPolicy | None = None, lease: float = 120.0, exclusive: bool = True,
        send_timeout: float = 60.0, policies: Mapping[str, RetryPolicy] | None = None,
        metrics: Any = None,
    ) -> None:
        self.store = store
        self.sinks = dict(sinks)
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.policies = dict(policies or {})
        self.lease = lease  # a `sending` row older than this is in doubt even if not exclusive
        self.exclusive = exclusive  # the only dispatcher on this store (embedded mode)
        self.send_timeout = send_timeout  # safety net over the sinks' own timeouts
        self.metrics = metrics  # runtime.metrics.Metrics: deliveries by destination, outcome
        self._last_send: dict[str, float] = {}
        self._paused_until: dict[str, dt.datetime] = {}
        self._recovered = False
        self._lock = SenderLock(store.url)
        self._kicks: dict[str, asyncio.Event] = {}  # run(): wakes each destination's task
        # answers the store could not take when they came (disk full, connection lost), by
        # destination: recorded before anything else of that destination is sent, so their
        # rows do not stay `sending` (in doubt) until a restart
        self._unrecorded: dict[str, list[tuple[Delivery, int | None, SendResult]]] = {}

    async def recover(self, destination: str | None = None) -> int:
        """Resolve deliveries a crashed sender left in flight; how many were in doubt."""
        if self.exclusive and not self._recovered and not self._lock.acquire():
            self.exclusive = False  # another live dispatcher on this store: leases decide
        rows = await outbox.in_doubt(self.store, self.clock(), force=self.exclusive,
                                     destination=destination)
        for d in rows:
            sink = self.sinks.get(d.destination)
            checked = await sink.reconcile(self._message(d, None)) if sink else None
            now = self.clock()
            if checked is not None and checked.outcome is Outcome.SENT:
                await outbox.mark_in_doubt(self.store, d, now, "in doubt after a crash")
                await outbox.finish(self.store, d.id, None, _attempt(checked), State.SENT, None,
                                    "found at destination after a crash", now)
            else:
                await outbox.mark_in_doubt(
                    self.store, d, now, "in doubt after a crash: sent again (at most once more)")
        if destination is None:
            self._recovered = True
        return len(rows)

    async def drain(self) -> int:
        """Send every due delivery once, the destinations side by side; how many attempted."""
        if not self._recovered or not self.exclusive:
            await self.recover()  # not exclusive: rows whose lease ran out on another worker
        counts = await asyncio.gather(
            self._drain_unconfigured(), *(self.drain_destination(dest) for dest in self.sinks))
        return sum(counts)

    async def drain_destination(self, dest: str) -> int:
        """Send one destination's due deliveries once; how many attempted."""
        await self._record_all(dest, self._unrecorded.pop(dest, []))
        rows = await self._with_groups(
            await outbox.due(self.store, self.clock(), destination=dest))
        return await self._work(dest, rows) if rows else 0

    async def _drain_unconfigured(self) -> int:
        """Deliveries to a destination no longer configured: dead, with the reason."""
        rows = await outbox.due(self.store, self.clock(), others_than=list(self.sinks))
        by_dest: dict[str, list[Delivery]] = defaultdict(list)
        for d in rows:
            by_dest[d.destination].append(d)
        return sum([await self._work(dest, ds) for dest, ds in by_dest.items()])

    async def run(self, wake: asyncio.Event) -> None:
        """Each destination drained by its own task, so a slow or hanging one (Slack at one
        message a second, an SMTP server that never answers) delays only itself; `wake`
        (an alert recorded) wakes them all, and (at most every UNCONFIGURED_EVERY seconds)
        makes the deliveries to destinations not configured dead. Forever."""
        while not self._recovered:
            try:
                await self.recover()
            except Exception:  # the store hiccuped: log, keep the service alive, try later
                log.exception("dispatcher: recovery failed; retrying in 5 s")
                await asyncio.sleep(5)
        kicks = self._kicks = {dest: asyncio.Event() for dest in self.sinks}
        async with asyncio.TaskGroup() as group:
            for dest, kick in kicks.items():
                group.create_task(self._destination_loop(dest, kick), name=f"dispatch {dest}")
            loop = asyncio.get_running_loop()
            unconfigured_at = -UNCONFIGURED_EVERY  # when they were last looked for
            while True:
                wake.clear()  # before passing it on, so an alert arriving meanwhile counts
                for kick in kicks.values():
                    kick.set()
                if loop.time() - unconfigured_at >= UNCONFIGURED_EVERY:
                    unconfigured_at = loop.time()
                    try:
                        await self._drain_unconfigured()
                    except Exception:
                        log.exception("dispatcher: unconfigured destinations: drain failed")
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel
                # that comes as the event is set, and the dispatcher (with its TaskGroup)
                # would run on after being stopped: `newswatch run` hung at Ctrl-C
                try:
                    async with asyncio.timeout(IDLE_WAIT):
                        await wake.wait()
                except TimeoutError:
                    unconfigured_at = -UNCONFIGURED_EVERY  # idle: look for them now

    async def _destination_loop(self, dest: str, kick: asyncio.Event) -> None:
        """Drain one destination, then sleep until kicked or its next delivery falls due."""
        while True:
            kick.clear()  # before draining, so an alert arriving meanwhile is not missed
            try:
                if not self.exclusive:
                    await self.recover(dest)  # rows whose lease ran out on another worker
                await self.drain_destination(dest)
                timeout = await self._until_next_due(dest)
            except Exception:  # the store hiccuped: log, keep the service alive, try later
                log.exception("dispatcher: %s: drain failed; retrying in 5 s", dest)
                await asyncio.sleep(5)
                continue
            with contextlib.suppress(TimeoutError):  # not wait_for: see run
                async with asyncio.timeout(timeout):
                    await kick.wait()

    async def settle(self) -> None:
        """Drain until nothing is open any more: every delivery sent, dead or held."""
        while True:
            await self.drain()
            if await outbox.next_due(self.store) is None:
                return
            await asyncio.sleep(await self._until_next_due())

    async def _until_next_due(self, dest: str | None = None) -> float:
        """Seconds until the next delivery (of `dest`) falls due, and its 429 pause is over."""
        nxt = await outbox.next_due(self.store, dest)
        if nxt is None:
            return IDLE_WAIT
        paused = self._paused_until.get(dest) if dest is not None else None
        if paused is not None:
            nxt = max(nxt, paused)
        return min(IDLE_WAIT, max(0.05, (nxt - self.clock()).total_seconds()))

    async def _work(self, dest: str, rows: list[Delivery]) -> int:
        sink = self.sinks.get(dest)
        if sink is None:
            for d in rows:
                await self._record(d, None, SendResult.dead(
                    f"destination {dest!r} is not configured"))
            return len(rows)
        flagged = (await outbox.flags(self.store)).get(dest)
        done = 0
        for batch in self._batches(sink, rows):
            if flagged:
                for d in batch:
                    await self._record(d, None, SendResult.dead(
                        f"destination {dest} is flagged: {flagged}"))
                done += len(batch)
                continue
            paused = self._paused_until.get(dest)
            if paused and paused > self.clock():
                break  # a 429 asked us to wait: leave the rest for the next drain
            result = await self._attempt(sink, batch)
            if result is None:
                continue
            done += len(batch)
            if result.flag_destination:
                flagged = result.error
            if result.retry_after:
                self._paused_until[dest] = self.clock() + dt.timedelta(seconds=result.retry_after)
        return done

    async def _with_groups(self, rows: list[Delivery]) -> list[Delivery]:
        """A due delivery of a rule's group brings every open one of its group and destination
        along, so a group that retry jitter spread out still leaves as one digest."""
        seen = {d.id for d in rows}
        out = list(rows)
        for dest, key in dict.fromkeys((d.destination, d.group_key) for d in rows if d.group_key):
            assert key is not None
            for d in await outbox.open_in_group(self.store, dest, key):
                if d.id not in seen:
                    seen.add(d.id)
                    out.append(d)
        return out

    def _batches(self, sink: Sink, rows: list[Delivery]) -> list[list[Delivery]]:
        """A rule's group (rows due together, held by record_alert until the group is due):
        one digest on a sink that `digests`, else one message each. Other rows: one message
        each, except a digest sink's alerts of one rule, once the window since the oldest of
        them has passed (younger ones wait for their window)."""
        by_group: dict[str, list[Delivery]] = defaultdict(list)
        for d in rows:
            if d.group_key and d.update is None:
                by_group[d.group_key].append(d)
        if by_group:
            rest = [d for d in rows if not (d.group_key and d.update is None)]
            held = list(by_group.values())
            digests = held if sink.digests else [[d] for group in held for d in group]
            return digests + self._batches(sink, rest)
        if sink.digest_window <= 0:
            if sink.lines:  # written together: one claim, one write, one record
                return [rows[i:i + LINES_AT_ONCE] for i in range(0, len(rows), LINES_AT_ONCE)]
            return [[d] for d in rows]
        out: list[list[Delivery]] = []
        groups: dict[str, list[Delivery]] = defaultdict(list)
        for d in rows:
            if d.update is not None:
                out.append([d])
            else:
                groups[d.alert.rule_id].append(d)
        now = self.clock()
        for group in groups.values():
            oldest = min(d.created for d in group)
            if (now - oldest).total_seconds() >= sink.digest_window:
                out.append(group)
        return out

    async def _attempt(self, sink: Sink, batch: list[Delivery]) -> SendResult | None:
        thread_ref = None
        if batch[0].update is not None and sink.threads:
            parent = await outbox.parent_of(self.store, batch[0])
            if parent is not None and parent.state not in (State.SENT, State.DEAD):
                # the reply waits for its thread to exist; a dead parent: reply top-level
                later = max(parent.next_attempt or self.clock(), self.clock())
                await outbox.postpone(self.store, batch[0].id, later + dt.timedelta(seconds=1))
                return None
            thread_ref = parent.ref if parent is not None else None
        await self._pace(sink)
        now = self.clock()
        claimed: list[tuple[Delivery, int]] = []
        async with self.store.transaction():  # the batch's claims: one commit, or none made
            for d in batch:
                attempt_id = await outbox.claim(self.store, d, now, self.lease)
                if attempt_id is not None:
                    claimed.append((d, attempt_id))
        if not claimed:
            return None
        messages = [self._message(d, thread_ref) for d, _ in claimed]
        try:
            async with asyncio.timeout(self.send_timeout):  # not wait_for: see run
                result = await sink.send(messages)
        except TimeoutError:
            result = SendResult.retry(f"{sink.name}: no answer within {self.send_timeout:g} s")
        except Exception as exc:  # a sink bug must not kill the dispatcher; keep the reason
            log.exception("sink %s raised", sink.name)
            result = SendResult.retry(f"{sink.name}: {type(exc).__name__}: {exc}")
        self._last_send[sink.name] = asyncio.get_running_loop().time()
        await self._record_all(sink.name, [(d, attempt_id, result) for d, attempt_id in claimed])
        return result

    async def _record_all(
        self, dest: str, outcomes: list[tuple[Delivery, int | None, SendResult]]
    ) -> None:
        """Record the answers in one transaction (one commit); if the store fails, keep them
        for the next drain of `dest` (and raise), so an answer that came is never lost to a
        store hiccup."""
        if not outcomes:
            return
        try:
            async with self.store.transaction():
                recorded = [await self._store_answer(d, attempt_id, result)
                            for d, attempt_id, result in outcomes]
        except Exception:
            self._unrecorded.setdefault(dest, []).extend(outcomes)
            raise
        for (d, _, result), (state, error, told) in zip(outcomes, recorded, strict=True):
            self._answered(d, result, state, error, told)

    async def _pace(self, sink: Sink) -> None:
        last = self._last_send.get(sink.name)
        if last is not None and sink.min_interval > 0:
            wait = last + sink.min_interval - asyncio.get_running_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)

    def _message(self, d: Delivery, thread_ref: str | None) -> Message:
        return Message(
            delivery_id=d.id, destination=d.destination, alert=d.alert, update=d.update,
            thread_ref=thread_ref, ref=d.ref, attempt=d.attempts + 1,
            in_doubt=bool(d.error and "in doubt" in d.error),
        )

    async def _record(self, d: Delivery, attempt_id: int | None, result: SendResult) -> None:
        async with self.store.transaction():
            state, error, told = await self._store_answer(d, attempt_id, result)
        self._answered(d, result, state, error, told)

    async def _store_answer(self, d: Delivery, attempt_id: int | None, result: SendResult
                            ) -> tuple[State, str, bool]:
        """The answer, the destination's flag and the operator's alert of a dead delivery,
        in the caller's transaction (a crash between them would leave a dead delivery nobody
        is told of): the delivery's new state, its error, whether an operator's alert was
        recorded."""
        now = self.clock()
        attempt = d.attempts + 1
        policy = self.policies.get(d.destination, self.policy)
        since = None
        if policy.horizon is not None and attempt_id is not None:
            since = await outbox.retrying_since(self.store, d.id, attempt)
        state, next_attempt, error = policy.next_state(result, attempt, now, since)
        await outbox.finish(self.store, d.id, attempt_id, _attempt(result), state,
                            next_attempt, error, now)
        if result.flag_destination:
            await outbox.flag_destination(self.store, d.destination, result.error)
        told = state is State.DEAD and await self._raise_dead(d, error, now)
        return state, error, told

    def _answered(self, d: Delivery, result: SendResult, state: State, error: str, told: bool
                  ) -> None:
        """Once the answer is committed: counted, a dead delivery logged, the other
        destinations woken for the operator's alert."""
        if self.metrics is not None:
            self.metrics.deliveries.labels(d.destination, result.outcome.value).inc()
        if state is State.DEAD:
            log.warning("delivery %s of alert %s to %s is dead: %s",
                        d.id, d.alert_id, d.destination, error)
        if told:  # committed: the other destinations' drains take it
            for kick in self._kicks.values():
                kick.set()

    async def _raise_dead(self, d: Delivery, error: str, now: dt.datetime) -> bool:
        """Record the operator's alert through the other destinations (once per destination
        and day); whether one was recorded."""
        others = [name for name in self.sinks if name != d.destination]
        alert = dead_delivery_alert(d.destination, d.alert, error, now, others)
        return alert is not None and await record_alert(self.store, alert, others)


def _attempt(result: SendResult) -> AttemptResult:
    """What the store keeps of a sink's answer."""
    return AttemptResult(result.outcome, result.status, result.error, result.ref)

