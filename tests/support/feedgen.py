"""A generated feed for the cluster test and benchmark: N articles in the seeds' format,
each a seed article moved to its own date with a paragraph of its own, so every one is a
distinct article (its own fingerprint) while extraction finds the same kinds of events.

`write_feed(folder, n)` writes it; `python tests/support/feedgen.py serve FOLDER PORT` serves a
folder as RSS on 127.0.0.1:PORT (connectors.seed_server), for workers to share one feed URL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import signal
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


def write_feed(folder: Path, n: int) -> Path:
    """Write n generated articles plus feed.yaml into folder; the folder."""
    from connectors.seed_folder import read_seed_folder

    seeds = read_seed_folder(SEEDS).articles
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for k in range(n):
        seed = seeds[k % len(seeds)]
        base = dt.date.fromisoformat((seed.published or "2026-01-01")[:10])
        # 40 days apart per round: far enough that no two rounds tell the same story
        published = base + dt.timedelta(days=40 * (k // len(seeds)))
        name = f"gen_{k:04d}.txt"
        body = "\n".join(
            [seed.title, *seed.paragraphs,
             f"This is dispatch number {k + 1} of the generated newswatch test feed."]
        )
        (folder / name).write_text(body + "\n", encoding="utf-8")
        items.append({"file": name, "published": published.isoformat(),
                      "source": f"Generated wire {k % 7}"})
    meta = {"title": f"Generated feed ({n} articles)", "items": items}
    (folder / "feed.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return folder


def combine(folders: list[Path], dest: Path) -> Path:
    """One seeds-format folder holding the articles of several (file names must differ)."""
    dest.mkdir(parents=True, exist_ok=True)
    items: list[dict[str, str]] = []
    for folder in folders:
        meta = yaml.safe_load((folder / "feed.yaml").read_text(encoding="utf-8"))
        for item in meta["items"]:
            shutil.copy(folder / item["file"], dest / item["file"])
            items.append({**item, "published": str(item["published"])})
    meta = {"title": "Combined feed", "items": items}
    (dest / "feed.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return dest


async def serve(folder: Path, port: int) -> None:
    """Serve the folder as a feed until SIGTERM / SIGINT."""
    from connectors.seed_server import SeedServer

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = SeedServer(folder, port=port)
    await server.start()
    print(server.feed_url, flush=True)
    await stop.wait()
    await server.stop()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        asyncio.run(serve(Path(sys.argv[2]), int(sys.argv[3])))
    elif len(sys.argv) == 4 and sys.argv[1] == "write":
        print(write_feed(Path(sys.argv[2]), int(sys.argv[3])))
    else:
        sys.exit("usage: feedgen.py serve FOLDER PORT | write FOLDER N")
