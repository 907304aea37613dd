"""Service and backtest throughput against bare spaCy on every core, on the same articles.

    .venv/bin/python tests/bench/bench_service.py [ITEMS]     (make bench runs it; default 1000)

ITEMS articles recombined from seed sentences (as bench_extract.py makes them) are written as
a seeds-format folder. Measured in this run, on these texts:
- baseline: bare `nlp.pipe(n_process=N)` of the installed model, N = os.cpu_count(), art/s,
  measured before (a), between (a) and (b) and after (b), each run compared with the mean of
  the two around it (spaCy's defaults: its matrices multiplied by blis); printed beside it,
  for the overhead alone, the same with the matrices multiplied as newswatch's extraction
  does by default (numpy, one thread per process: streams/extract/matmul.py), measured right
  before each run;
- (a) `newswatch run` (embedded, SQLite, the default extraction processes) fed the folder at
  once by a feed server on loopback (RSS + pages, the real path): items/s from the store
  (last entry done - first entry recorded), the cores it kept busy (CPU time of the worker
  and its child processes over that window / wall time) and where the CPU went per article
  (the main process, the extraction processes, the cleaning processes);
- (b) the backtest over the same folder in this process (its seed server on loopback), the
  extraction processes started beforehand as `newswatch backtest` does before replaying;
  like the service's, counted from the moment it reads the feed (its runtime built) to the
  last article, its rate with the start (gazetteer, rules, store) printed too.
Target: each >= 0.9 x the baseline. The machine may be shared: the ratios are what counts.
"""

from __future__ import annotations

import os

# one BLAS thread per process, as newswatch's extraction processes run (before numpy loads)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_extract import articles, sentences  # noqa: E402
from cluster_support import FeedServer, WorkerProcess, newswatch_env  # noqa: E402
from procs import stat_fields  # noqa: E402

TARGET = 0.9
BATCH = 16


def write_folder(folder: Path, n: int) -> list[str]:
    """n recombined articles in the seeds' format (headline line, then the body); the texts
    the service reads (headline + body), for the baseline."""
    folder.mkdir(parents=True, exist_ok=True)
    texts, items = [], []
    for i, article in enumerate(articles(n, sentences(), random.Random(7))):
        title = f"Dispatch {i + 1} of the newswatch bench feed"
        body = f"{title}\n{article.text}"
        name = f"bench_{i:05d}.txt"
        (folder / name).write_text(body + "\n", encoding="utf-8")
        published = f"2025-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00+00:00"
        items.append({"file": name, "published": published, "source": "Bench wire"})
        texts.append(body)
    meta = {"title": f"Bench feed ({n} articles)", "items": items}
    (folder / "feed.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return texts


def baseline(texts: list[str], model: str, processes: int, matmul: str = "blis") -> float:
    """Articles/s of bare nlp.pipe over every core (the model loaded beforehand), its
    matrices multiplied by `matmul` (blis: spaCy's default)."""
    import spacy

    from streams.extract.matmul import building_with

    with building_with(matmul):
        bare = spacy.load(model)
    list(bare.pipe(texts[:32], batch_size=BATCH))
    started = time.perf_counter()
    for _doc in bare.pipe(texts, batch_size=BATCH, n_process=processes):
        pass
    return len(texts) / (time.perf_counter() - started)


KINDS = {b"streams.extract.process_pool": "extraction",
         b"streams.clean.trafilatura_pool": "cleaning"}


def tree_cpu(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of a process and its live descendants (Linux /proc), by
    kind: "main" (the process itself and anything else), "extraction", "cleaning"."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = stat_fields(entry.name)
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        kind = next((k for marker, k in KINDS.items() if marker in argv), "main")
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, kind)
    total: dict[str, float] = {"main": 0.0, "extraction": 0.0, "cleaning": 0.0}
    todo = [pid]
    while todo:
        p = todo.pop()
        if p in stats:
            total[stats[p][2]] += stats[p][1]
        todo += [child for child, (parent, _, _) in stats.items() if parent == p]
    return total


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {kind: after[kind] - before[kind] for kind in after}


def bare_cpu(texts: list[str], model: str) -> float:
    """CPU seconds per article of bare nlp.pipe in one process (the cost every core pays)."""
    import spacy

    bare = spacy.load(model)
    list(bare.pipe(texts[:32], batch_size=BATCH))
    started = time.process_time()
    for _doc in bare.pipe(texts, batch_size=BATCH):
        pass
    return (time.process_time() - started) / len(texts)


def progress(db: Path) -> tuple[int, int]:
    """(entries recorded, entries done or failed) in the service's SQLite store."""
    if not db.exists():
        return 0, 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            rows = conn.execute("SELECT state, count(*) FROM items GROUP BY state").fetchall()
    except sqlite3.OperationalError:  # not migrated yet, or busy
        return 0, 0
    counts = dict(rows)
    return sum(counts.values()), counts.get("done", 0) + counts.get("failed", 0)


def service(tmp: Path, folder: Path, n: int) -> tuple[float, dict[str, float], float]:
    """(items/s, CPU seconds by kind, wall seconds) of `newswatch run` working through the
    folder's feed."""
    db = tmp / "svc" / "newswatch.db"
    with FeedServer(folder, tmp, "feed") as server:
        env = newswatch_env("memory://", f"sqlite+aiosqlite:///{db}", "bench-service",
                            [server.url], tmp / "alerts.jsonl")
        worker = WorkerProcess([sys.executable, "-m", "streams.cli", "run"], tmp, "svc", env)
        worker.env.pop("NEWSWATCH_NLP_PROCESSES", None)  # the default: one per core
        worker.start()
        assert worker.proc is not None
        try:
            worker.wait_for(lambda: progress(db)[0] > 0, 600, "the first entry")
            cpu0, t0 = tree_cpu(worker.proc.pid), time.monotonic()
            worker.wait_for(lambda: progress(db)[1] >= n, 3600, f"{n} entries")
            cpu1, t1 = tree_cpu(worker.proc.pid), time.monotonic()
        finally:
            worker.stop()
    if worker.proc.returncode != 0 or "Traceback" in worker.tail(10**6):
        raise SystemExit(f"the service failed, no figure:\n{worker.tail()}")
    with sqlite3.connect(db) as conn:
        failed = conn.execute("SELECT error FROM items WHERE state='failed' LIMIT 1").fetchall()
        if failed:  # a broken pipeline is fast: refuse to report its speed
            raise SystemExit(f"entries failed, no figure: {failed[0][0]}")
        [(seconds,)] = conn.execute(
            "SELECT (julianday(max(done)) - julianday(min(recorded))) * 86400 FROM items")
    return n / float(seconds), spent(cpu0, cpu1), t1 - t0


def backtest_rate(tmp: Path, folder: Path, n: int
                  ) -> tuple[float, dict[str, float], float, int, float]:
    """(articles/s, CPU seconds by kind, wall seconds, alerts, articles/s with the start) of
    the backtest over the folder, extraction processes already started; CPU of this process
    and its children. Like the service's, its rate and CPU are counted from the moment it
    reads the feed (its runtime built: gazetteer, rules, store) to the last article; the
    rate from the call, startup included, is returned too."""
    from streams.config.settings import load_settings
    from streams.runtime import backtest as module
    from streams.runtime.bootstrap import make_extractor

    settings = load_settings(data_dir=tmp / "bt", nlp_processes=None)
    extractor = make_extractor(settings)
    replay, began = module._replay, dict[str, Any]()

    async def timed(*args: Any, **kwargs: Any) -> Any:
        began["cpu"], began["t"] = tree_cpu(os.getpid()), time.monotonic()
        return await replay(*args, **kwargs)

    module._replay = timed  # type: ignore[assignment]
    try:
        t_call = time.monotonic()
        alerts = asyncio.run(module.backtest(str(folder), settings, extractor=extractor))
        cpu1, t1 = tree_cpu(os.getpid()), time.monotonic()
    finally:
        module._replay = replay  # type: ignore[assignment]
        if hasattr(extractor, "close"):
            extractor.close()
    wall = t1 - began["t"]
    return n / wall, spent(began["cpu"], cpu1), wall, len(alerts), n / (t1 - t_call)


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    os.chdir(ROOT)  # the settings' folders (rules, taxonomy) are relative to the repository
    os.environ.pop("NEWSWATCH_NLP_PROCESSES", None)
    from streams.config.settings import load_settings

    cores = os.cpu_count() or 1
    model = load_settings().spacy_model
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp_name:
        tmp = Path(tmp_name)
        texts = write_folder(tmp / "feed", n)
        # each run bracketed by baselines, compared with their mean: on a shared machine the
        # pace drifts from one minute to the next (42 to 80 art/s between runs); the numpy
        # one (printed only) right before each run
        bases = [baseline(texts, model, cores)]
        sames = [baseline(texts, model, cores, "numpy")]
        svc, svc_cpu, svc_wall = service(tmp, tmp / "feed", n)
        bases.append(baseline(texts, model, cores))
        sames.append(baseline(texts, model, cores, "numpy"))
        bt, bt_cpu, bt_wall, alerts, bt_whole = backtest_rate(tmp, tmp / "feed", n)
        bases.append(baseline(texts, model, cores))
        per_bare = bare_cpu(texts[:200], model)
    print(f"{n} articles, {cores} cores, load average {os.getloadavg()[0]:.1f}; "
          f"bare nlp.pipe(n_process={cores}) {bases[0]:.1f}, {bases[1]:.1f} and {bases[2]:.1f} "
          f"art/s (before the service, between, after the backtest), "
          f"{per_bare * 1000:.0f} ms CPU per article in one "
          f"process; with numpy's matrices (as extraction) {sames[0]:.1f} and {sames[1]:.1f}")
    ok = True
    runs = (("service (embedded, SQLite)", svc, svc_cpu, svc_wall, (bases[0] + bases[1]) / 2,
             sames[0]),
            ("backtest", bt, bt_cpu, bt_wall, (bases[1] + bases[2]) / 2, sames[1]))
    for name, rate, cpu, wall, base, same in runs:
        ratio = rate / base
        ok = ok and ratio >= TARGET
        per = {kind: cpu[kind] / n * 1000 for kind in cpu}
        # where the CPU goes per article: spaCy in the extraction processes, trafilatura in
        # the cleaning ones, and the main process (store work, event loop, HTTP) whose GIL
        # is one core at most: the rate it allows alone is 1000 / its ms
        print(f"  {name}: CPU ms per article: main {per['main']:.0f}, extraction "
              f"{per['extraction']:.0f}, cleaning {per['cleaning']:.0f} (bare nlp.pipe "
              f"{per_bare * 1000:.0f}); {sum(cpu.values()) / wall:.2f} cores busy")
        print(f"{name}: {rate:.1f} art/s -> ratio {ratio:.2f} x nlp.pipe(n_process={cores}) "
              f"(the mean of the two around it, {base:.1f} art/s; target >= {TARGET}); "
              f"{rate / same:.2f} x the same with numpy's matrices")
    print(f"backtest with its start (the runtime built: gazetteer, rules, store): "
          f"{bt_whole:.1f} art/s ({bt_whole / ((bases[1] + bases[2]) / 2):.2f}x)")
    print(json.dumps({"baseline_art_s": [round(b, 2) for b in bases],
                      "numpy_baseline_art_s": [round(b, 2) for b in sames],
                      "service_items_s": round(svc, 2),
                      "backtest_art_s": round(bt, 2), "backtest_alerts": alerts,
                      "backtest_with_start_art_s": round(bt_whole, 2),
                      "bare_cpu_ms": round(per_bare * 1000, 1),
                      "service_cpu_s": {k: round(v, 1) for k, v in svc_cpu.items()},
                      "backtest_cpu_s": {k: round(v, 1) for k, v in bt_cpu.items()}}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
