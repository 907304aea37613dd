"""Benchmark: the cost of evaluating one event against 10, 100 and 1,000 rules.

The rules are generated from the five shipped ones (rules/war-ukraine.yaml): the originals,
then copies about other pairs of countries, and one copy in ten about Russia and Ukraine
again with other thresholds and phrases (which the Russia-Ukraine event must be tried on).
They are written as YAML files and loaded by the real loader. The event is an attack in
Kherson from seed 000 (the whole article as its text), evaluated through `evaluate` with an
in-memory rule state (this measures the engine, not SQLite). The baseline is 10 rules,
measured in the same run; the bar: 1,000 rules <= 3 x 10 rules. For contrast, the same
conditions tried on every rule without the index ("scan") are timed too.
Run: .venv/bin/python tests/bench/bench_rules.py
"""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from streams.cli.rules import event_types  # noqa: E402
from streams.core.records import Article, ArticleEvents, Event  # noqa: E402
from streams.evaluate.event_view import EventView  # noqa: E402
from streams.evaluate.matcher import evaluate  # noqa: E402
from streams.evaluate.rule_state import MemoryRuleState  # noqa: E402
from streams.evaluate.rulebook import load_rulebook  # noqa: E402
from streams.knowledge.gazetteer import Gazetteer  # noqa: E402

SIZES = (10, 100, 1000)
REPEAT = 400
COUNTRIES = (
    "Armenia Azerbaijan Ethiopia Eritrea India Pakistan Israel Lebanon Serbia Kosovo Sudan "
    "Chad Morocco Algeria Venezuela Guyana China Taiwan Colombia Peru Yemen Oman Iran Iraq "
    "Mali Niger Somalia Kenya Georgia Moldova Libya Egypt Congo Rwanda Syria Jordan"
).split()


def shipped_rules() -> list[str]:
    text = (ROOT / "rules" / "war-ukraine.yaml").read_text(encoding="utf-8")
    body = text.split("rules:\n", 1)[1]
    return ["  - id:" + chunk for chunk in body.split("  - id:")[1:]]


def variant(rule: str, n: int) -> str:
    """Copy n of a shipped rule: another subject, or (one in ten) the same with other values
    (thresholds above the event's 24 killed: tried on it, not fired)."""
    out = re.sub(r"id: (\S+)", rf"id: \1-{n}", rule, count=1)
    if (n // 5) % 10 == 0:
        out = out.replace(">= 10", f">= {25 + n % 50}").replace(
            '"sanctions relief"', f'"relief {n}"'
        )
        return out
    a, b = COUNTRIES[n % len(COUNTRIES)], COUNTRIES[(n // len(COUNTRIES) + n + 1) % len(COUNTRIES)]
    return out.replace("Ukraine", a).replace("Russia", b).replace("Turkey", COUNTRIES[n % 7])


def write(folder: Path, size: int) -> None:
    originals = shipped_rules()
    rules = list(originals)
    n = 1
    while len(rules) < size:
        rules.append(variant(originals[n % len(originals)], n))
        n += 1
    folder.mkdir(parents=True)
    (folder / "rules.yaml").write_text("rules:\n" + "\n".join(rules[:size]), encoding="utf-8")


def the_event() -> ArticleEvents:
    seed = (ROOT / "seeds" / "000_65ee647f718d02d9.txt").read_text(encoding="utf-8")
    title, text = seed.split("\n", 1)
    article = Article(id="a0", url="http://127.0.0.1/000", title=title, text=text,
                      published="2026-01-01", source="seed")  # fmt: skip
    evidence = next(s for s in text.split("\n") if "killed at least 24" in s)
    event = Event(id="e0", article_id="a0", type="attack", actors=["Ukraine", "Russia"],
                  location=["Kherson"], quantities={"killed": {"value": 24, "qualifier": "at least",
                  "text": "at least 24"}}, date="2026-01-01", status="occurred",
                  evidence=evidence, story_id="s0", story_new=True)  # fmt: skip
    return ArticleEvents(article=article, events=[event])


async def per_event(book, batch: ArticleEvents) -> float:
    """Median seconds of one evaluation, over REPEAT runs (a fresh state for each)."""
    times = []
    for _ in range(REPEAT):
        state = MemoryRuleState()
        start = time.perf_counter()
        await evaluate(book, batch, state)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def scan(book, batch: ArticleEvents) -> float:
    """Median seconds to test every rule's conditions on the event, with no index."""
    times = []
    event, article = batch.events[0], batch.article
    for _ in range(REPEAT // 4):
        start = time.perf_counter()
        view = EventView(event, article, book.gazetteer, book.matcher, 0.0)
        [r for r in book.rules if r.condition.test(view)]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def main() -> int:
    gazetteer = Gazetteer.load(ROOT / "rules" / "taxonomy" / "gazetteer.yaml")
    types = event_types(ROOT / "rules" / "taxonomy")
    batch = the_event()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            folder = Path(tmp) / f"r{size}"
            write(folder, size)
            start = time.perf_counter()
            result = load_rulebook(folder, gazetteer, types)
            load = time.perf_counter() - start
            assert not result.errors, result.errors[:3]
            book = result.rulebook
            view = EventView(batch.events[0], batch.article, gazetteer, book.matcher, 0.0)
            fired = [m.rule.id for m in await evaluate(book, batch, MemoryRuleState())]
            results[size] = await per_event(book, batch)
            print(
                f"{size:>5} rules: {results[size] * 1e6:8.1f} us/event "
                f"(candidates {len(book.candidates(view)):>3}, fired {len(fired):>3}; "
                f"no-index scan {scan(book, batch) * 1e6:8.1f} us; load {load * 1e3:6.1f} ms)"
            )
    ratio = results[SIZES[-1]] / results[SIZES[0]]
    print(f"1000 rules / 10 rules = {ratio:.2f}x (bar: <= 3x) -> {'OK' if ratio <= 3 else 'FAIL'}")
    return 0 if ratio <= 3 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
