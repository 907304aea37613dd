"""Benchmark: throughput of the whole pipeline (poll, clean, extract, evaluate, alert,
deliver) on the same generated articles, for one worker embedded (in-memory channels), one
worker on a Kafka-protocol broker (Tansu, four partitions per topic) and two workers on it.

Every run uses a fresh PostgreSQL database, so only the transport and the worker count
differ. Throughput = articles / (last item done - first item recorded), both read from the
store: worker start-up, model loading and group joining are not counted. The baseline is
the embedded worker, measured in the same run; the bar: one broker worker >= 0.9 x embedded.
The three are run in turn, ROUNDS times (best of each kept: the machine is shared).
Run: .venv/bin/python tests/bench/bench_cluster.py [ARTICLES [ROUNDS]]   (default 120 2)
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "support"))

from broker import TansuBroker  # noqa: E402
from cluster_support import (  # noqa: E402
    FeedServer,
    WorkerProcess,
    migrate,
    newswatch_env,
    pg_progress,
    pg_query,
)
from feedgen import write_feed  # noqa: E402
from pg import create_database, drop_database  # noqa: E402


def run(tmp: Path, feed: Path, n: int, broker_url: str | None, workers: int) -> float:
    """Articles per second for one configuration."""
    url = create_database()
    try:
        migrate(url)
        with FeedServer(feed, tmp, f"feed-{uuid.uuid4().hex[:6]}") as server:
            env = newswatch_env(broker_url or "memory://", url, f"bench-{uuid.uuid4().hex[:8]}",
                                [server.url], tmp / f"alerts-{uuid.uuid4().hex[:6]}.jsonl")
            argv = [sys.executable, "-m", "streams.cli", "run"]
            procs = [WorkerProcess(argv, tmp, f"w{i}-{uuid.uuid4().hex[:6]}", env).start()
                     for i in range(workers)]
            try:
                procs[0].wait_for(
                    lambda: (p := pg_progress(url)) and p.get("done", 0) + p.get("failed", 0) >= n,
                    3600, f"{n} articles")
            finally:
                for w in procs:
                    w.stop()
        failed = pg_query(url, "SELECT error FROM items WHERE state = 'failed' LIMIT 1")
        if failed:  # a broken pipeline is fast: refuse to report its speed
            raise SystemExit(f"articles failed, no figure: {failed[0][0]}")
        [(seconds,)] = pg_query(
            url, "SELECT EXTRACT(EPOCH FROM max(done) - min(recorded)) FROM items")
        return n / float(seconds)
    finally:
        drop_database(url)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 120
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    names = ("embedded, 1 worker", "broker, 1 worker", "broker, 2 workers")
    rates: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp_name:
        tmp = Path(tmp_name)
        feed = write_feed(tmp / "feed", n)
        started = time.monotonic()
        for r in range(rounds):  # interleaved, so a burst of load elsewhere hits all three
            rates[names[0]].append(run(tmp, feed, n, None, 1))
            for workers, name in ((1, names[1]), (2, names[2])):
                with TansuBroker(tmp / f"tansu-{r}-{workers}.log") as broker:
                    rates[name].append(run(tmp, feed, n, broker.url, workers))
    best = {name: max(values) for name, values in rates.items()}
    base = best[names[0]]
    print(f"{n} generated articles, PostgreSQL store, best of {rounds} interleaved rounds, "
          f"{time.monotonic() - started:.0f} s total")
    for name in names:
        runs = ", ".join(f"{v:.2f}" for v in rates[name])
        print(f"  {name:<20} {best[name]:6.2f} articles/s  {best[name] / base:5.2f} x embedded"
              f"   (runs: {runs})")
    ok = best[names[1]] >= 0.9 * base
    print(f"bar: one broker worker >= 0.9 x embedded: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
