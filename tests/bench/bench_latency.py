"""Benchmark: publish-to-alert latency of the real `newswatch run`, for a feed that updates
every minute, polled by its rhythm (no WebSub), and for a feed whose WebSub hub pushes.

Time is scaled by SCALE = 10 for the polled feed, so the bench takes about two minutes: its
site publishes every 6 s (= 60 s / 10) and the scheduler's settings are divided by the same
factor (floor 15 s -> 1.5 s, default interval 300 s -> 30 s, the loop's 1 s tick -> 0.1 s;
the rhythm fraction, 1/4, and the phase margin, 1/20 of the gap, have no unit). The site
notes when it first serves each entry in a 200, which splits each latency in two: the wait
for the poll (W, scaled) and processing from that poll to the alert in the JSONL sink (P,
real time: fetching the page, cleaning, extraction, rules, delivery, never scaled).
Real-time latency = 10 x W + P; its median is held to <= 10 s. The WebSub feed needs no
scaling (publish -> push -> alert, all real time): median <= 2 s. The baseline is P alone
(processing, the floor of any latency), measured in the same run; the old fixed 300 s
interval waits 150 s on average before that.

Two things would be distorted by the scaling, so the bench keeps them at their real size
relative to the feed's cadence. An RSS date counts whole seconds: on a real minute's cadence
that is 1/60 of the gap, scaled it would be 1/6 (an entry visible up to 1 s, 10 s real,
after its date); so the site publishes on whole seconds and its dates are as exact as a
real feed's. And a feed publishing every minute has no silence of minutes before the
entries measured, but the start (loading spaCy, the WebSub handshake) lasts minutes in
scaled time; so the site first publishes entries on its cadence, not measured, WARMUP of
them or more, until two in a row were polled within half a gap (the silence term forgotten).
NEWSWATCH_POLL_PHASE=false in the environment measures polls at any phase (the interval
alone), for comparison in the same bench.
Run: .venv/bin/python tests/bench/bench_latency.py [ENTRIES]
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "support"))

from websub_hub import NewsSite  # noqa: E402
from worker_process import WorkerProcess  # noqa: E402

SCALE = 10.0
GAP = 60.0 / SCALE  # the polled feed publishes every minute, scaled
TARGET_POLLED = 10.0  # seconds, median, real time
TARGET_PUSHED = 2.0
OLD_DEFAULT_WAIT = 300.0 / 2  # the fixed 300 s interval: mean wait for the poll
WARMUP = 3  # entries the polled site publishes on its cadence before those measured...
WARMUP_MAX = 40  # ...or more, until its polls have caught up with the cadence


def alert_times(worker: WorkerProcess, seen: dict[str, float]) -> None:
    """First time each alert title appeared in the JSONL sink."""
    now = time.time()
    for line in worker.alerts():
        if line.get("kind") == "alert":
            seen.setdefault(line["alert"]["title"], now)


def main(entries: int = 14) -> int:
    polled = NewsSite(hub=False, first=100).start()
    pushed = NewsSite(hub=True, first=300).start()
    polled.backdate(5, GAP)  # its history: the rhythm is known from the first poll
    tmp = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    worker = WorkerProcess(
        tmp, [polled.feed_url, pushed.feed_url],
        allow_hosts=json.dumps([f"127.0.0.1:{polled.port}", f"127.0.0.1:{pushed.port}"]),
        poll_interval=str(300 / SCALE), poll_interval_min=str(15 / SCALE),
        poll_interval_max=str(21_600 / SCALE), poll_check_every=str(1 / SCALE),
        websub_check_every="0.5",
    )
    worker.env["NEWSWATCH_PUBLIC_URL"] = worker.url
    seen: dict[str, float] = {}
    try:
        worker.start()
        worker.wait_ready()
        deadline = time.time() + 60
        while not pushed.verified and time.time() < deadline:
            time.sleep(0.2)
        if not pushed.verified:
            print(f"the hub never verified a subscription; log: {worker.log}")
            return 1
        start = math.ceil(time.time())  # on whole seconds: the dates are exact (docstring)
        warmup = 0  # the history's alerts out of the way, the cadence resumed (docstring)
        while warmup < WARMUP_MAX and (warmup < WARMUP or not _on_cadence(polled)):
            _until(start + warmup * GAP, worker, seen)
            polled.publish()
            warmup += 1
        start += warmup * GAP
        for k in range(entries):  # the two sites take turns, half a gap apart
            _until(start + k * GAP, worker, seen)
            polled.publish()
            _until(start + k * GAP + GAP / 2, worker, seen)
            pushed.publish()
        _until(time.time() + 15, worker, seen, done=lambda: _all_seen(polled, pushed, seen))
    finally:
        worker.stop()
        polled.stop()
        pushed.stop()
    return report(polled, pushed, seen, entries)


def _until(when: float, worker: WorkerProcess, seen: dict[str, float],
           done: object = None) -> None:
    while time.time() < when:
        alert_times(worker, seen)
        if callable(done) and done():
            return
        time.sleep(0.05)


def _on_cadence(site: NewsSite) -> bool:
    """The two entries before the newest were each served within half a gap: the polls
    follow the cadence again, no longer the silence of the start."""
    before = site.entries[-3:-1]
    return len(before) == 2 and all(
        e.n in site.found and site.found[e.n] - e.at <= GAP / 2 for e in before)


def _all_seen(polled: NewsSite, pushed: NewsSite, seen: dict[str, float]) -> bool:
    return all(f"Sanctions package {e.n}" in seen for e in polled.entries + pushed.entries)


def report(polled: NewsSite, pushed: NewsSite, seen: dict[str, float], entries: int) -> int:
    mapped, processing, push = [], [], []
    for e in polled.entries[-entries:]:
        alert, found = seen.get(f"Sanctions package {e.n}"), polled.found.get(e.n)
        if alert is None or found is None:
            continue
        wait, proc = max(0.0, found - e.at), alert - found
        mapped.append(SCALE * wait + proc)
        processing.append(proc)
    for e in pushed.entries[-entries:]:
        alert = seen.get(f"Sanctions package {e.n}")
        if alert is not None:
            push.append(alert - e.at)
    missing = 2 * entries - len(mapped) - len(push)
    waits = [m - p for m, p in zip(mapped, processing, strict=True)]
    gaps = [b - a for a, b in zip(polled.poll_times, polled.poll_times[1:], strict=False)]
    first = polled.entries[-entries].at if len(polled.entries) >= entries else 0.0
    gaps = [g for g, t in zip(gaps, polled.poll_times[1:], strict=False) if t >= first]
    if not mapped or not push:
        print(f"no latency measured (alerts seen: {len(seen)})")
        return 1
    m_polled, m_push = statistics.median(mapped), statistics.median(push)
    m_proc = statistics.median(processing)
    print(f"polled every-minute feed (time x{SCALE:.0f}): median {m_polled:.2f} s real time "
          f"(target <= {TARGET_POLLED:.0f} s), of which processing {m_proc:.2f} s; "
          f"ratio to processing alone {m_polled / m_proc:.1f}x; the old fixed 300 s interval "
          f"would wait {OLD_DEFAULT_WAIT:.0f} s on average "
          f"({(OLD_DEFAULT_WAIT + m_proc) / m_polled:.0f}x this median)")
    print(f"WebSub feed: median {m_push:.2f} s (target <= {TARGET_PUSHED:.0f} s); ratio to "
          f"processing alone {m_push / m_proc:.2f}x; polled/pushed {m_polled / m_push:.1f}x")
    if waits and gaps:
        print(f"polled feed, real time: wait for the poll (W x{SCALE:.0f}) median "
              f"{statistics.median(waits):.2f} s, each {' '.join(f'{w:.1f}' for w in waits)}; "
              f"processing (P) each {' '.join(f'{p:.2f}' for p in processing)}; "
              f"between polls median {SCALE * statistics.median(gaps):.2f} s, "
              f"min {SCALE * min(gaps):.2f} s, max {SCALE * max(gaps):.2f} s")
    print(f"samples: {len(mapped)} polled, {len(push)} pushed, {missing} without an alert; "
          f"site polls {polled.polls} (polled feed), {pushed.polls} (WebSub feed)")
    ok = m_polled <= TARGET_POLLED and m_push <= TARGET_PUSHED and missing == 0
    print("latency: " + ("ok" if ok else "TARGET MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:2])))
