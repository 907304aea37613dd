"""The gazetteer: canonical names of the domain's people, places and organisations.

Loaded from rules/taxonomy/gazetteer.yaml. Answers "what is the canonical name of this
mention", "what kind of entity is it" and "which country is it in / does it act for", which
both extraction (entity ruler, actor normalisation) and rules (location within Turkey) need.

Names the file lacks are looked up in the world index (streams/knowledge/places.py: every country,
its
other names and demonym, every city of 15,000 people or more), whose country names are
mapped to the file's ("Türkiye" is the file's Turkey). The file always wins.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from streams.core.errors import ConfigError
from streams.core.rule_yaml import YamlLimitError, read_bounded_yaml
from streams.knowledge.fold import fold  # also imported from here by the stages

if TYPE_CHECKING:
    from spacy.tokens import Span

    from streams.knowledge.places import Place, WorldPlaces

T = TypeVar("T")
MEMO_SIZE = 65_536  # answers remembered per gazetteer (`remembered`) before it starts over

KINDS = ("person", "country", "city", "region", "site", "organisation")
PLACE_KINDS = frozenset({"country", "city", "region", "site"})


class GazetteerError(ConfigError):
    """The gazetteer file is invalid; the message names the file and the entry."""


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
    world: WorldPlaces | None = None  # places the file lacks (streams/knowledge/places.py)
    _renamed: dict[str, str] = field(default_factory=dict)  # world name -> canonical name
    _world_entities: dict[str, Entity] = field(default_factory=dict)
    # answers derived from the entities alone, asked again and again (a story's parties, a
    # place's containers): see `remembered`; emptied whenever the entities change
    _memo: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path | str, world: bool = True) -> Gazetteer:
        """Read the YAML file; raise GazetteerError naming the file and the bad entry.
        world=False leaves out the world index (tests of the file alone)."""
        path = Path(path)
        try:
            data = yaml.safe_load(read_bounded_yaml(path)) or {}  # no aliases, at most 1 MiB
        except YamlLimitError as exc:
            raise GazetteerError(f"{path}:{exc.line}: {exc.message}") from exc
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
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
        if world:
            from streams.knowledge.places import world as world_places  # loaded on first use

            gaz.use_world(world_places())
        return gaz

    def use_world(self, index: WorldPlaces) -> None:
        """Consult index for names the file lacks; its places whose names the file knows
        (a country by any of its names, a city by its own) take the file's canonical name."""
        self.world = index
        self._memo.clear()
        self._renamed.clear()
        self._world_entities.clear()
        for name in index.places:
            canon = self._index.get(fold(name))
            if canon is not None and self.entities[canon].kind in PLACE_KINDS:
                self._renamed[name] = canon
        for key, name in index.names.items():
            canon = self._index.get(key)
            if canon and index.places[name].kind == self.entities[canon].kind == "country":
                self._renamed.setdefault(name, canon)

    def add(self, entity: Entity) -> None:
        self._memo.clear()
        self.entities[entity.name] = entity
        for alias in (entity.name, *entity.aliases):
            self._index.setdefault(fold(alias), entity.name)

    def canonical(self, mention: str, ent: Span | None = None, world: bool = True) -> str | None:
        """The canonical name for a mention, or None when the gazetteer does not know it.
        ent, the mention's entity in a document, lets the world index judge it by its NER
        label and how it is written (places.WorldPlaces.lookup); without it, the mention is
        taken as a name (a rule's, an event's). world=False asks the file alone."""
        canon = self._index.get(fold(mention))
        if canon is not None or self.world is None or not world:
            return canon
        place = self.world.lookup(mention, ent)
        return self._renamed.get(place.name, place.name) if place else None

    def get(self, name: str) -> Entity | None:
        canon = self.canonical(name)
        return self._entity(canon) if canon else None

    def _entity(self, canon: str) -> Entity | None:
        """The file's entity of that canonical name, else the world index's place."""
        ent = self.entities.get(canon)
        if ent is not None or self.world is None:
            return ent
        ent = self._world_entities.get(canon)
        if ent is None:
            place = self.world.get(canon)
            if place is None:
                return None
            ent = self._world_entities.setdefault(canon, self._as_entity(place))
        return ent

    def _as_entity(self, place: Place) -> Entity:
        country = self._renamed.get(place.country, place.country) if place.country else None
        return Entity(name=place.name, kind=place.kind, country=country, capital=place.capital)

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
        return self.remembered(("within", place, region), lambda: self._within(place, region))

    def _within(self, place: str, region: str) -> bool:
        p, r = self.canonical(place) or place, self.canonical(region) or region
        return fold(r) in {fold(c) for c in self.containers(p)}

    def remembered(self, key: Hashable, compute: Callable[[], T]) -> T:
        """compute()'s answer, kept under `key` for the next asker: for answers that depend
        on the gazetteer alone. Bounded: past MEMO_SIZE answers it starts over."""
        try:
            return self._memo[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        value = self._memo[key] = compute()
        return value

    def containers(self, place: str) -> list[str]:
        """The place itself, then each place containing it, outermost last (palace, Istanbul,
        Turkey). Follows `within` then `country`; stops on a cycle."""
        return list(self.remembered(("containers", place), lambda: tuple(self._chain(place))))

    def _chain(self, place: str) -> list[str]:
        chain = [self.canonical(place) or place]
        while True:
            ent = self._entity(chain[-1])
            parent = (ent.within or ent.country) if ent and ent.kind != "country" else None
            if parent is None or parent in chain:
                return chain
            chain.append(self.canonical(parent) or parent)

    def aliases(self) -> Iterable[tuple[str, Entity]]:
        """Every (alias, entity) pair, canonical names included."""
        for ent in self.entities.values():
            for alias in (ent.name, *ent.aliases):
                yield alias, ent
