"""The event taxonomy: event types, their trigger patterns, quantity roles and status cues.

Loaded from rules/taxonomy/event_types.yaml, which analysts extend without code. Loading
checks the structure and names file, line and field for anything wrong; the patterns
themselves are compiled (and checked again by spaCy) in streams/extract/nlp.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from streams.core.errors import ConfigError
from streams.core.records import STATUSES
from streams.core.rule_yaml import YamlLimitError, read_bounded_yaml

# Token attributes a Matcher pattern may use (spaCy's names); anything else is a typo.
_TOKEN_KEYS = frozenset(
    "ORTH TEXT LOWER NORM LEMMA POS TAG MORPH DEP ENT_TYPE ENT_IOB ENT_ID SHAPE LENGTH OP "
    "IS_ALPHA IS_ASCII IS_DIGIT IS_LOWER IS_UPPER IS_TITLE IS_PUNCT IS_SPACE IS_STOP "
    "IS_SENT_START LIKE_NUM LIKE_URL LIKE_EMAIL SENT_START SPACY _".split()
)
_TYPE_KEYS = frozenset({"description", "patterns", "not", "parties", "easing"})


class TaxonomyError(ConfigError):
    """The taxonomy file is invalid; the message names file, line and field."""


@dataclass(frozen=True)
class EventType:
    """One event type: its trigger patterns and the look-alikes that are not it."""

    name: str
    description: str
    patterns: tuple[tuple[dict[str, Any], ...], ...]
    not_patterns: tuple[tuple[dict[str, Any], ...], ...] = ()
    parties: int = 0  # 2 = two-sided: complete the other side from the article
    easing: bool = False  # can be eased (sanctions waived, lifted): status "eased"
    line: int = 0  # where it is defined, for error messages


@dataclass(frozen=True)
class QuantityRole:
    """A role a number can have ('killed'): by the verb it goes with or the noun it counts."""

    name: str
    verbs: frozenset[str] = frozenset()
    nouns: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Taxonomy:
    """Everything event_types.yaml defines, frozen."""

    path: Path
    event_types: Mapping[str, EventType]
    roles: tuple[QuantityRole, ...] = ()
    status_cues: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def types(self) -> frozenset[str]:
        """The event type names rules may refer to."""
        return frozenset(self.event_types)

    @property
    def eased_types(self) -> frozenset[str]:
        """The types whose easing (a waiver, a lifting) is status "eased", not "cancelled"."""
        return frozenset(t.name for t in self.event_types.values() if t.easing)

    def cues(self, status: str) -> frozenset[str]:
        """The cue lemmas for a status ('proposed'), empty if none are defined."""
        return self.status_cues.get(status, frozenset())

    @classmethod
    def load(cls, path: Path | str) -> Taxonomy:
        """Read and check the YAML file; raise TaxonomyError naming file, line and field."""
        path = Path(path)
        try:
            text = read_bounded_yaml(path)  # no anchors or aliases, at most 1 MiB
            root = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except YamlLimitError as exc:
            raise TaxonomyError(f"{path}:{exc.line}: {exc.message}") from exc
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise TaxonomyError(f"{path}: {exc}") from exc
        lines = _key_lines(root)
        if not isinstance(data, dict) or not isinstance(data.get("types"), dict):
            raise TaxonomyError(f"{path}:1: field 'types': a mapping of event types is required")
        types = {
            name: _event_type(path, lines, str(name), raw) for name, raw in data["types"].items()
        }
        roles = _roles(path, lines, data.get("quantities") or {})
        cues = _status_cues(path, lines, data.get("status") or {})
        return cls(path=path, event_types=types, roles=roles, status_cues=cues)


def _fail(path: Path, lines: dict[tuple[str, ...], int], where: tuple[str, ...], msg: str) -> None:
    line = next((lines[where[:n]] for n in range(len(where), 0, -1) if where[:n] in lines), 1)
    raise TaxonomyError(f"{path}:{line}: field '{'.'.join(where)}': {msg}")


def _event_type(path: Path, lines: dict, name: str, raw: Any) -> EventType:
    where = ("types", name)
    if not name.isidentifier():
        _fail(path, lines, where, "a type name is a lower-case identifier (prisoner_exchange)")
    if not isinstance(raw, dict):
        _fail(path, lines, where, "expected a mapping with 'patterns'")
    unknown = set(raw) - _TYPE_KEYS
    if unknown:
        _fail(path, lines, where, f"unknown key(s) {sorted(unknown)}; allowed {sorted(_TYPE_KEYS)}")
    patterns = _patterns(path, lines, (*where, "patterns"), raw.get("patterns"), required=True)
    not_patterns = _patterns(path, lines, (*where, "not"), raw.get("not"), required=False)
    parties = raw.get("parties", 0)
    if parties not in (0, 1, 2):
        _fail(path, lines, (*where, "parties"), "must be 2 (two-sided) or omitted")
    return EventType(
        name=name,
        description=str(raw.get("description") or ""),
        patterns=patterns,
        not_patterns=not_patterns,
        parties=int(parties),
        easing=bool(raw.get("easing", False)),
        line=lines.get(where, 0),
    )


def _patterns(
    path: Path, lines: dict, where: tuple[str, ...], raw: Any, required: bool
) -> tuple[tuple[dict[str, Any], ...], ...]:
    if raw is None and not required:
        return ()
    if not isinstance(raw, list) or not raw:
        _fail(path, lines, where, "a list of token patterns (each a list of token dicts)")
    out = []
    for n, pattern in enumerate(raw, 1):
        if not isinstance(pattern, list) or not pattern:
            _fail(path, lines, where, f"pattern {n} must be a non-empty list of token dicts")
        for token in pattern:
            if not isinstance(token, dict):
                _fail(path, lines, where, f"pattern {n}: {token!r} is not a token dict")
            bad = set(token) - _TOKEN_KEYS
            if bad:
                _fail(path, lines, where, f"pattern {n}: unknown token attribute(s) {sorted(bad)}")
        out.append(tuple(pattern))
    return tuple(out)


def _roles(path: Path, lines: dict, raw: Any) -> tuple[QuantityRole, ...]:
    if not isinstance(raw, dict):
        _fail(path, lines, ("quantities",), "a mapping of role -> {verbs, nouns}")
    roles = []
    for name, spec in raw.items():
        if not isinstance(spec, dict) or not set(spec) <= {"verbs", "nouns"}:
            _fail(path, lines, ("quantities", str(name)), "expected {verbs: [...], nouns: [...]}")
        roles.append(
            QuantityRole(
                name=str(name),
                verbs=frozenset(str(v).lower() for v in spec.get("verbs") or ()),
                nouns=frozenset(str(v).lower() for v in spec.get("nouns") or ()),
            )
        )
    return tuple(roles)


def _status_cues(path: Path, lines: dict, raw: Any) -> dict[str, frozenset[str]]:
    if not isinstance(raw, dict):
        _fail(path, lines, ("status",), "a mapping of status -> list of cue lemmas")
    out = {}
    for name, words in raw.items():
        if name not in STATUSES:
            _fail(path, lines, ("status", str(name)), f"unknown status; one of {STATUSES}")
        if not isinstance(words, list):
            _fail(path, lines, ("status", str(name)), "a list of cue lemmas")
        out[str(name)] = frozenset(str(w).lower() for w in words)
    return out


def _key_lines(node: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """(key path) -> 1-based line of every mapping key, for error messages."""
    out: dict[tuple[str, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            where = (*prefix, str(key.value))
            out[where] = key.start_mark.line + 1
            out.update(_key_lines(value, where))
    return out
