"""`newswatch extract PATH --format jsonl`: the events of a seed-format folder (or one .txt
file), one JSON object per event, with stories assigned over the folder in publication order
in a throwaway SQLite store."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # imported when the command runs: Faust's models take a second to load
    from streams.records import Article, Event


@click.command("extract")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
def extract(path: Path, fmt: str) -> None:
    """Print the events extracted from PATH (a seed-format folder or one .txt article)."""
    from streams.extract import build_extractor
    from streams.settings import load_settings

    articles = read_articles(path)
    extractor = build_extractor(load_settings())
    for line in asyncio.run(extract_lines(extractor, articles)):
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


def read_articles(path: Path) -> list[Article]:
    """Articles of a folder (feed.yaml order, then sorted by publication) or of one file."""
    from connectors.seed_folder import SeedFolderError, read_seed_folder
    from streams.records import Article, content_key

    try:
        if path.is_dir():
            seeds = list(read_seed_folder(path).articles)
        else:
            seeds = list(read_seed_folder_file(path))
    except SeedFolderError as exc:
        raise click.ClickException(str(exc)) from exc
    seeds.sort(key=lambda s: s.published or "")  # stable: feed.yaml order within a day
    return [
        Article(
            id=content_key(s.file),
            url=s.file,
            title=s.title,
            text=s.body,
            published=s.published,
            source=s.source,
        )
        for s in seeds
    ]


def read_seed_folder_file(path: Path) -> list[Any]:
    """One .txt article: its folder's feed.yaml gives its date when it lists it."""
    from connectors.seed_folder import SeedFolderError, read_seed_folder

    if path.suffix != ".txt":
        raise SeedFolderError(f"{path}: expected a folder or a .txt article")
    folder = read_seed_folder(path.parent)
    return [a for a in folder.articles if a.file == path.name]


async def extract_lines(extractor: Any, articles: list[Article]) -> list[dict[str, Any]]:
    """Extract, assign stories in a temporary store, and shape one dict per event."""
    from streams.store import Store
    from streams.store.stories import assign_stories

    results = extractor.extract(articles)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store("sqlite+aiosqlite:///" + str(Path(tmp) / "extract.db")).open()
        try:
            for article, events in zip(articles, results, strict=True):
                for event in await assign_stories(store, article, events):
                    out.append(event_line(article, event))
        finally:
            await store.close()
    return out


def event_line(article: Article, event: Event) -> dict[str, Any]:
    """The JSON shape of one event for `newswatch extract`."""
    return {
        "article": article.url,
        "type": event.type,
        "actors": event.actors,
        "location": event.location,
        "date": event.date,
        "status": event.status,
        "quantities": event.quantities,
        "attribution": event.attribution,
        "evidence": event.evidence,
        "story": event.story_id,
    }
