"""Extraction benchmark: throughput against bare spaCy, and memory over a long run.

    .venv/bin/python tests/bench/bench_extract.py     (make bench runs it)

1. Throughput: words/s of Extractor.extract against bare nlp.pipe of the same installed
   model on the same texts, in this run; prints the ratio (target >= 0.8), and beside it the
   ratio against bare nlp.pipe with the matrices multiplied as extraction does by default
   (numpy, one thread: streams/extract/matmul.py), the overhead of extraction alone.
2. Memory: RSS after 5,000 articles against RSS after the first 500 (target <= 1.2x): the
   extractor frees each batch's docs (spaCy's memory_zone), so a worker stays flat.
Articles are made by recombining seed sentences (a fixed random seed), so the vocabulary
keeps growing a little, as live news does. Sizes: NEWSWATCH_BENCH_ARTICLES (default 5000).
"""

from __future__ import annotations

import os
import random
import re
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from connectors.seed_folder import read_seed_folder  # noqa: E402
from streams.core.records import Article, content_key  # noqa: E402

TOTAL = int(os.environ.get("NEWSWATCH_BENCH_ARTICLES", "5000"))
EARLY = TOTAL // 10
SPEED_ARTICLES = 200
BATCH = 16


def sentences() -> list[str]:
    out = []
    for seed in read_seed_folder(ROOT / "seeds").articles:
        for paragraph in seed.paragraphs:
            out += [s for s in re.split(r"(?<=[.!?])\s+", paragraph) if len(s.split()) > 4]
    return out


def articles(n: int, pool: list[str], rng: random.Random) -> list[Article]:
    out = []
    for i in range(n):
        picked = rng.sample(pool, 6)
        # a made-up name per article: new strings arrive as they do in live news
        picked[0] = picked[0].rstrip(".") + f", said analyst Ana Petrenko{i}."
        text = "\n".join([" ".join(picked[:3]), " ".join(picked[3:])])
        day = 1 + i % 28
        out.append(Article(id=content_key(str(i)), url=f"bench/{i}", title="", text=text,
                           published=f"2025-11-{day:02d}"))
    return out


def rss_mb() -> float:
    """Current resident set size (Linux /proc), else the peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def words(batch: list[Article]) -> int:
    return sum(len(a.text.split()) for a in batch)


def main() -> int:
    import spacy

    from streams.config.settings import load_settings
    from streams.extract.extractor import build_extractor
    from streams.extract.matmul import building_with

    settings = load_settings(taxonomy_dir=ROOT / "rules" / "taxonomy")
    extractor = build_extractor(settings)
    bare = spacy.load(settings.spacy_model)
    with building_with(settings.nlp_matmul):
        same = spacy.load(settings.spacy_model)
    pool = sentences()
    rng = random.Random(4)
    sample = articles(SPEED_ARTICLES, pool, rng)
    texts = [a.text for a in sample]
    n_words = words(sample)

    # warm both once, then alternate bare / extract three times and keep each one's best.
    # CPU time of this process, not wall time: other work on the machine (CI, parallel
    # tests) would otherwise swing the ratio by +-0.1 between runs of the same code.
    list(bare.pipe(texts[:32], batch_size=BATCH))
    list(same.pipe(texts[:32], batch_size=BATCH))
    extractor.extract(sample[:32])
    bare_s, same_s, extract_s = [], [], []
    for _ in range(3):
        for nlp, spent in ((bare, bare_s), (same, same_s)):
            t = time.process_time()
            with nlp.memory_zone():
                for _doc in nlp.pipe(texts, batch_size=BATCH):
                    pass
            spent.append(time.process_time() - t)
        t = time.process_time()
        for i in range(0, len(sample), BATCH):
            extractor.extract(sample[i : i + BATCH])
        extract_s.append(time.process_time() - t)
    bare_wps, extract_wps = n_words / min(bare_s), n_words / min(extract_s)
    ratio = extract_wps / bare_wps
    print(f"throughput: bare nlp.pipe {bare_wps:,.0f} words/CPU-s, "
          f"extract {extract_wps:,.0f} words/CPU-s")
    print(f"throughput ratio extract/bare = {ratio:.2f} (target >= 0.80); "
          f"{extract_wps / (n_words / min(same_s)):.2f} x bare nlp.pipe with the matrices "
          f"multiplied by {settings.nlp_matmul}, as extraction")

    del bare, same
    stream = articles(TOTAL, pool, random.Random(5))
    early = 0.0
    t = time.perf_counter()
    for i in range(0, TOTAL, BATCH):
        extractor.extract(stream[i : i + BATCH])
        if i + BATCH >= EARLY and not early:
            early = rss_mb()
    late = rss_mb()
    grown = late / early
    print(f"memory: RSS after {EARLY} articles {early:.0f} MB, after {TOTAL} {late:.0f} MB "
          f"-> {grown:.2f}x (target <= 1.20) in {time.perf_counter() - t:.0f}s")
    return 0 if ratio >= 0.8 and grown <= 1.2 else 1


if __name__ == "__main__":
    sys.exit(main())
