"""Read a folder in the seeds' format: plain .txt articles (first line the headline) plus a
feed.yaml giving each file's publication date and source.

Used by the seed replay server (served as RSS over HTTP) and by `newswatch extract`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from streams.core.errors import ConfigError


class SeedFolderError(ConfigError):
    """The folder or its feed.yaml is not in the seeds' format; the message names the file."""


@dataclass(frozen=True)
class SeedArticle:
    """One seed article: file name, headline, body paragraphs and publication facts."""

    file: str
    title: str
    paragraphs: tuple[str, ...]
    published: str | None  # ISO date as feed.yaml gives it
    source: str

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass(frozen=True)
class SeedFolder:
    """A whole folder: its feed title and the articles in feed.yaml order."""

    path: Path
    title: str
    articles: tuple[SeedArticle, ...]


def read_seed_folder(path: Path | str) -> SeedFolder:
    """Read feed.yaml and every article it lists; files not listed are read too, undated."""
    folder = Path(path)
    if not folder.is_dir():
        raise SeedFolderError(f"{folder}: not a folder")
    meta_path = folder / "feed.yaml"
    meta: dict = {}
    if meta_path.exists():
        try:
            meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise SeedFolderError(f"{meta_path}: invalid YAML: {exc}") from exc
        if not isinstance(meta, dict):
            raise SeedFolderError(f"{meta_path}: expected a mapping with 'items'")
    listed: list[dict] = list(meta.get("items") or [])
    seen: set[str] = set()
    articles: list[SeedArticle] = []
    for n, entry in enumerate(listed, 1):
        if not isinstance(entry, dict) or "file" not in entry:
            raise SeedFolderError(f"{meta_path}: item {n} has no 'file'")
        name = str(entry["file"])
        seen.add(name)
        articles.append(_read_article(folder / name, entry, meta_path))
    for extra in sorted(folder.glob("*.txt")):
        if extra.name not in seen:
            articles.append(_read_article(extra, {}, meta_path))
    title = str(meta.get("title") or folder.name)
    return SeedFolder(path=folder, title=title, articles=tuple(articles))


def _read_article(path: Path, entry: dict, meta_path: Path) -> SeedArticle:
    if not path.exists():
        raise SeedFolderError(f"{meta_path}: lists {path.name}, which does not exist")
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        raise SeedFolderError(f"{path}: empty article")
    published = entry.get("published")
    if isinstance(published, dt.datetime | dt.date):
        published = published.isoformat()
    return SeedArticle(
        file=path.name,
        title=lines[0],
        paragraphs=tuple(lines[1:]),
        published=str(published) if published else None,
        source=str(entry.get("source") or ""),
    )
