"""Benchmark: story assignment over a simulated year stays flat.

20,000 articles published over 365 days (about 55 a day, in order of publication), each with
one to four invented events recombined from pools of types, parties (Ukraine, Russia and
Turkey come back again and again), people, places, dates, statuses, scopes and packages;
about one event in ten recalls an earlier happening (dated or not). They go through the real
`assign_batch` (streams/runtime/stories.py) on a real SQLite file, with the shipped
gazetteer, from pre-built events (no spaCy), in batches of the service's batch size (one
transaction and commit a batch, as the service and the backtest assign them; `--each`: a
transaction an article, as `newswatch extract` does). The baseline is the first 1,000 articles
into an empty store, measured in the same run in turns of 50 articles with the last 1,000
going into the store of the year before them (so that both see the machine at one pace; the
first thousand as timed when the year began is printed too); the bars: the last 1,000 cost
<= 1.1 x the first 1,000 (ms of this process's CPU per article, its SQLite thread included:
wall-clock time, printed too, swings with whatever else the machine runs), and the peak RSS
at the end <= 1.2 x the peak after the first 1,000 of the year. Candidates per article
(the stories loaded) are printed early and late.
Run: .venv/bin/python tests/bench/bench_stories.py [ARTICLES] [--each]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from streams.config.settings import Settings  # noqa: E402
from streams.core.records import Article, Event, content_key, dated_key  # noqa: E402
from streams.knowledge.gazetteer import Gazetteer  # noqa: E402
from streams.runtime.stories import assign_batch  # noqa: E402
from streams.store import Store  # noqa: E402
from streams.store.stories import Found, StoryBatch  # noqa: E402

ARTICLES = 20_000
DAYS = 365
WINDOW = 1_000
TURN = 50  # articles per turn when the first and the last thousand are measured in turns
BATCH = Settings.model_fields["batch_size"].default  # articles a transaction, as the service
TIME_BAR, RSS_BAR = 1.1, 1.2
START = dt.date(2030, 1, 1)

PARTIES = [("Ukraine", "Russia")] * 6 + [
    ("United States", "Russia"), ("Ukraine", "United States"), ("Turkey", "Ukraine"),
    ("Turkey", "Russia"), ("European Union", "Ukraine"), ("Ukraine", "Russia", "Turkey"),
    ("United Kingdom", "Ukraine"), ("France", "Ukraine"), ("Qatar", "Russia"),
]
PEOPLE = ["Volodymyr Zelensky", "Vladimir Putin", "Recep Tayyip Erdoğan", "Marco Rubio",
          "Steve Witkoff", "Rustem Umerov", "Vladimir Medinski", "Hakan Fidan",
          "Sergei Lavrov", "Kirill Dmitriev", "Emmanuel Macron", "Keir Starmer"]
VENUES = ["Istanbul", "Ankara", "Geneva", "Riyadh", "Jeddah", "Doha", "Abu Dhabi", "Paris",
          "London", "Washington", "Moscow", "Kyiv", "Alaska", "Berlin", "Budapest"]
CITIES = ["Kyiv", "Odesa", "Kharkiv", "Zaporizhzhia", "Dnipro", "Lviv", "Sumy", "Mykolaiv",
          "Kherson", "Chernihiv", "Kramatorsk", "Pokrovsk", "Donetsk", "Belgorod", "Kursk",
          "Volyn", "Poltava", "Vinnytsia", "Cherkasy", "Kropyvnytskyi"]
SCOPES = ["energy", "black sea", "easter", "full", "victory day", "local"]
AUTHORITIES = ["European Union", "United States", "United Kingdom", "Canada", "Japan"]
TYPES = ["attack"] * 6 + ["meeting"] * 5 + ["sanctions"] * 2 + [
    "ceasefire", "ceasefire", "prisoner_exchange", "infrastructure_damage",
    "military_advance", "agreement"]


def _q(value: int) -> dict[str, Any]:
    return {"value": value, "qualifier": None, "text": str(value)}


def _date(rng: random.Random, published: dt.date) -> tuple[str | None, bool]:
    """An event's date and background flag: undated, the day, the day before, a day ahead
    (scheduled), or (one in ten) a recall, dated weeks back or not at all."""
    roll = rng.random()
    if roll < 0.05:
        return None, True
    if roll < 0.10:
        return (published - dt.timedelta(days=rng.randint(12, 90))).isoformat(), False
    if roll < 0.40:
        return None, False
    if roll < 0.85:
        return (published - dt.timedelta(days=rng.randint(0, 1))).isoformat(), False
    return (published + dt.timedelta(days=rng.randint(1, 14))).isoformat(), False


def invent(rng: random.Random, type_: str, published: dt.date, month: int) -> dict[str, Any]:
    """The fields of one invented event of a type."""
    date, background = _date(rng, published)
    sides = list(rng.choice(PARTIES))
    fields: dict[str, Any] = {"actors": sides + rng.sample(PEOPLE, rng.randint(0, 2)),
                              "sides": sides, "date": date, "background": background}
    if type_ == "attack":
        fields.update(actors=["Russia", "Ukraine"], sides=["Russia", "Ukraine"],
                      location=[rng.choice(CITIES)], quantities={"killed": _q(rng.randint(1, 40))},
                      roles={"attacker": ["Russia"], "attacked": ["Ukraine"]})
    elif type_ == "meeting":
        fields.update(location=[rng.choice(VENUES)] if rng.random() < 0.7 else [],
                      status="scheduled" if date and date > published.isoformat() else "occurred",
                      topic=["war"] if rng.random() < 0.5 else [])
    elif type_ == "ceasefire":
        fields.update(topic=[rng.choice(SCOPES)] if rng.random() < 0.6 else [],
                      quantities={"hours": _q(rng.choice([30, 72, 720]))},
                      status=rng.choice(["proposed", "occurred"]))
    elif type_ == "sanctions":
        authority = rng.choice(AUTHORITIES)
        fields.update(actors=[authority, "Russia"], sides=[authority, "Russia"],
                      roles={"authority": [authority], "target": ["Russia"]},
                      topic=[f"package {16 + month // 2}"] if rng.random() < 0.5 else [],
                      status=rng.choice(["proposed", "occurred"]))
    elif type_ == "prisoner_exchange":
        fields.update(actors=["Ukraine", "Russia", rng.choice(["United Arab Emirates", "Turkey"])],
                      sides=["Ukraine", "Russia"],
                      quantities={"prisoners": _q(rng.choice([84, 150, 246, 390, 1000]))},
                      status=rng.choice(["occurred", "proposed"]))
    else:
        fields.update(location=[rng.choice(CITIES)])
    return fields


def simulated_year(n: int, seed: int = 16) -> Iterator[tuple[Article, list[Event]]]:
    """n articles over DAYS days in order of publication, with their events."""
    rng = random.Random(seed)
    days = sorted(rng.randrange(DAYS) for _ in range(n))
    for i, offset in enumerate(days):
        published = START + dt.timedelta(days=offset)
        article = Article(id=content_key("bench article", str(i)), url=f"http://127.0.0.1/{i}",
                          title=f"article {i}", text="", published=published.isoformat(),
                          source=f"outlet {rng.randrange(60)}")
        events = []
        for j in range(rng.choice([1, 1, 2, 2, 3, 4])):
            type_ = rng.choice(TYPES)
            f = invent(rng, type_, published, offset // 30)
            events.append(Event(  # (its id dated by its article, as the extractor's)
                id=dated_key(published, "bench event", str(i), str(j)), article_id=article.id,
                type=type_, actors=f["actors"], location=f.get("location", []),
                quantities=f.get("quantities", {}), date=f["date"],
                status=f.get("status", "occurred"), sides=f["sides"], roles=f.get("roles", {}),
                topic=f.get("topic", []), background=f["background"], evidence=f"sentence {j}",
            ))
        yield article, events


class Counted:
    """Counts the candidate stories the store loads for each article, by store."""

    def __init__(self) -> None:
        self.loaded: dict[str, list[int]] = {}
        original = StoryBatch.candidates

        async def candidates(batch: StoryBatch, *args: Any) -> list[Found]:
            rows = await original(batch, *args)
            self.loaded.setdefault(batch.store.url, []).append(len(rows))
            return rows

        StoryBatch.candidates = candidates  # type: ignore[method-assign]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


Year = Iterator[tuple[Article, list[Event]]]


class Costs:
    """CPU and wall-clock seconds of each article assigned (a batch's, shared)."""

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.cpu: list[float] = []
        self.wall: list[float] = []

    async def assign(self, store: Store, year: Year, n: int, gazetteer: Gazetteer) -> None:
        """The next n articles of the year, in batches."""
        while n > 0:
            batch = list(itertools.islice(year, min(self.batch, n)))
            if not batch:
                return
            n -= len(batch)
            start, start_cpu = time.perf_counter(), time.process_time()
            await assign_batch(store, batch, gazetteer)
            wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            self.wall.extend([wall / len(batch)] * len(batch))
            self.cpu.extend([cpu / len(batch)] * len(batch))

    @staticmethod
    def ms(values: list[float]) -> float:
        return sum(values) / len(values) * 1000


async def run(n: int, batch: int) -> int:
    gazetteer = Gazetteer.load(ROOT / "rules" / "taxonomy" / "gazetteer.yaml")
    counted = Counted()
    window = min(WINDOW, n // 4)
    year = simulated_year(n)
    began, first, last = Costs(batch), Costs(batch), Costs(batch)
    with tempfile.TemporaryDirectory() as tmp:
        aged = await Store(f"sqlite+aiosqlite:///{tmp}/year.db").open()
        young = await Store(f"sqlite+aiosqlite:///{tmp}/first.db").open()
        try:
            # the year up to its last `window` articles, in order (the first `window` timed:
            # the figure in sequence, and the memory after them)
            await began.assign(aged, year, window, gazetteer)
            rss_early = peak_rss_mib()
            await Costs(batch).assign(aged, year, n - 2 * window, gazetteer)
            # then, in turns of TURN articles, the first `window` again into an empty store
            # and the year's last `window` into the store of the year before them: both
            # measured under the same conditions (this machine's pace moves by up to 2x
            # from one minute to the next)
            again = simulated_year(n)
            for _ in range(0, window, TURN):
                await first.assign(young, again, TURN, gazetteer)
                await last.assign(aged, year, TURN, gazetteer)
        finally:
            await aged.close()
            await young.close()

    ms = Costs.ms
    early = counted.loaded[young.url]
    late = counted.loaded[aged.url][-window:]
    rss_late = peak_rss_mib()
    ratio, rss_ratio = ms(last.cpu) / ms(first.cpu), rss_late / rss_early
    print(f"{n} articles over {DAYS} days, in turns of {TURN}, {batch} a transaction: "
          f"CPU {ms(first.cpu):.2f} ms/article for the first {window} (into an empty store), "
          f"{ms(last.cpu):.2f} for the last {window} (into the store of the year before "
          f"them); wall clock {ms(first.wall):.2f} and {ms(last.wall):.2f}; candidates per "
          f"article {sum(early) / len(early):.1f} early, {sum(late) / len(late):.1f} late")
    then = ms(began.cpu)
    print(f"in sequence, as the year ran: the first {window} {then:.2f} ms/article, a minute "
          f"or more before the last ({ms(last.cpu) / then:.2f}x)")
    print(f"peak RSS {rss_early:.0f} MiB after the first {window}, {rss_late:.0f} MiB at the end")
    print(f"story assignment last/first {window}: {ratio:.2f}x (target <= {TIME_BAR}x); "
          f"peak RSS end/early: {rss_ratio:.2f}x (target <= {RSS_BAR}x)")
    return 0 if ratio <= TIME_BAR and rss_ratio <= RSS_BAR else 1

if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--each"]
    sys.exit(asyncio.run(run(int(args[0]) if args else ARTICLES,
                             1 if "--each" in sys.argv else BATCH)))
