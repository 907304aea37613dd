"""The gazetteer: canonical names of the domain's people, places and organisations.

Loaded from rules/taxonomy/gazetteer.yaml. Answers "what is the canonical name of this
mention", "what kind of entity is it" and "which country is it in / does it act for", which
both extraction (entity ruler, actor normalisation) and rules (location within Turkey) need.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

KINDS = ("person", "country", "city", "region", "site", "organisation")


class GazetteerError(Exception):
    """The gazetteer file is invalid; the message names the file and the entry."""


def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Türkiye' -> 'turkiye', 'İbrahim' -> 'ibrahim'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@dataclass(frozen=True)
class Entity:
    name: str
    kind: str
    country: str | None = None
    aliases: tuple[str, ...] = ()
    within: str | None = None  # the place that contains a site or city (palace -> Istanbul)
    capital: bool = False  # a capital city stands for its country as an actor


@dataclass
class Gazetteer:
    entities: dict[str, Entity] = field(default_factory=dict)  # canonical name -> entity
    _index: dict[str, str] = field(default_factory=dict)  # folded alias -> canonical name

    @classmethod
    def load(cls, path: Path | str) -> Gazetteer:
        """Read the YAML file; raise GazetteerError naming the file and the bad entry."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise GazetteerError(f"{path}: {exc}") from exc
        gaz = cls()
        for n, raw in enumerate(data.get("entities") or [], 1):
            if not isinstance(raw, dict) or "name" not in raw or raw.get("kind") not in KINDS:
                raise GazetteerError(f"{path}: entry {n} needs a name and a kind in {KINDS}")
            gaz.add(
                Entity(
                    name=str(raw["name"]),
                    kind=str(raw["kind"]),
                    country=raw.get("country"),
                    aliases=tuple(str(a) for a in raw.get("aliases") or ()),
                    within=raw.get("within"),
                    capital=bool(raw.get("capital", False)),
                )
            )
        return gaz

    def add(self, entity: Entity) -> None:
        self.entities[entity.name] = entity
        for alias in (entity.name, *entity.aliases):
            self._index.setdefault(fold(alias), entity.name)

    def canonical(self, mention: str) -> str | None:
        """The canonical name for a mention, or None when the gazetteer does not know it."""
        return self._index.get(fold(mention))

    def get(self, name: str) -> Entity | None:
        canon = self.canonical(name)
        return self.entities.get(canon) if canon else None

    def kind(self, name: str) -> str | None:
        ent = self.get(name)
        return ent.kind if ent else None

    def country_of(self, name: str) -> str | None:
        """The country a place is in or a person acts for; a country is its own country."""
        ent = self.get(name)
        if ent is None:
            return None
        if ent.kind == "country":
            return ent.name
        return ent.country

    def within(self, place: str, region: str) -> bool:
        """True when place is region itself or lies in it (Istanbul within Turkey)."""
        p, r = self.canonical(place) or place, self.canonical(region) or region
        return fold(r) in {fold(c) for c in self.containers(p)}

    def containers(self, place: str) -> list[str]:
        """The place itself, then each place containing it, outermost last (palace, Istanbul,
        Turkey). Follows `within` then `country`; stops on a cycle."""
        chain = [self.canonical(place) or place]
        while True:
            ent = self.entities.get(chain[-1])
            parent = (ent.within or ent.country) if ent and ent.kind != "country" else None
            if parent is None or parent in chain:
                return chain
            chain.append(self.canonical(parent) or parent)

    def aliases(self) -> Iterable[tuple[str, Entity]]:
        """Every (alias, entity) pair, canonical names included."""
        for ent in self.entities.values():
            for alias in (ent.name, *ent.aliases):
                yield alias, ent
