"""Loading rules/*.yaml into frozen, typed Rule objects and one compiled Rulebook.

Every mistake becomes a RuleError naming file, line and field; a duplicate id is refused; a
file's valid rules load even when another rule in it is broken. Nothing in YAML is ever
evaluated. The Rulebook holds the phrases of all rules in one automaton and indexes rules by
their most selective necessary condition, so an event is only tried against rules it could
meet (see rules/README.md for the language).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from streams.core.bulk_build import collector_paused
from streams.core.rule_yaml import (
    MAX_FILE_BYTES,
    Doc,
    Path_,
    RuleError,
    RuleSyntaxError,
    parse_duration,
    read_rule_file,
)
from streams.core.severities import SEVERITIES
from streams.deliver.routing import NAME as DESTINATION_NAME
from streams.evaluate.condition_compiler import ConditionCompiler, unknown_field
from streams.evaluate.conditions import Anchor, Condition, best_anchor
from streams.evaluate.event_view import EventView
from streams.evaluate.kinds import KINDS, parse_params
from streams.evaluate.message import TemplateProblem, compile_template
from streams.evaluate.phrases import PhraseMatcher
from streams.knowledge.gazetteer import Gazetteer

__all__ = ["LoadResult", "Rule", "RuleError", "Rulebook", "load_rule_file", "load_rulebook"]

# A rule that names no destinations is routed by its severity (streams.deliver.routing: the
# operator's NEWSWATCH_ROUTES, else console, jsonl, slack and email).
DEFAULT_DESTINATIONS: tuple[str, ...] = ()
THROTTLE_KEYS = ("rule", "story", "type", "actors", "location", "source")
COMMON_FIELDS = (
    "id", "name", "description", "kind", "severity", "enabled", "when", "destinations",
    "throttle", "group", "template",
)  # fmt: skip
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,199}$")


@dataclass(frozen=True)
class Throttle:
    """No more than one alert per key (rule, story, type, ...) per period (seconds)."""

    period: float
    key: str = "rule"


@dataclass(frozen=True)
class Group:
    """Digest: wait before the first alert of a group, then at most one per interval."""

    wait: float
    interval: float


@dataclass(frozen=True)
class Rule:
    """One rule, as loaded: frozen; the kind's parameters in a read-only mapping."""

    id: str
    name: str
    kind: str
    severity: str
    condition: Condition = field(repr=False)
    destinations: tuple[str, ...] = DEFAULT_DESTINATIONS
    throttle: Throttle | None = None
    group: Group | None = None
    template: str | None = None  # the Jinja2 source
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""
    enabled: bool = True
    file: str = ""
    line: int = 0
    compiled_template: Any = field(default=None, compare=False, repr=False)


class Rulebook:
    """The rules in force, compiled: one phrase automaton, and rules indexed by anchor."""

    def __init__(self, rules: Iterable[Rule], gazetteer: Gazetteer) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.gazetteer = gazetteer
        self.by_id = {r.id: r for r in self.rules}
        active = [r for r in self.rules if r.enabled]
        pairs = set().union(*(r.condition.phrase_keys() for r in active)) if active else set()
        self.matcher = PhraseMatcher(key for _scope, key in pairs)
        self._index: dict[tuple[str, ...], list[int]] = {}
        self._always: list[int] = []
        self._scopes: set[str] = set()  # scopes whose phrases anchor some rule
        self._order = {r.id: i for i, r in enumerate(active)}
        for i, rule in enumerate(active):
            self._add(i, best_anchor(rule.condition))
        self._active = active

    def _add(self, i: int, anchor: Anchor | None) -> None:
        if anchor is None:
            self._always.append(i)
            return
        for key in anchor.keys:
            self._index.setdefault(key, []).append(i)
            kind_at = 2 if key[0] == "type" and len(key) > 2 else 0  # after ('type', t)?
            if key[kind_at] == "phrase":
                self._scopes.add(key[kind_at + 1])

    def candidates(self, view: EventView) -> list[Rule]:
        """The enabled rules this event could meet, in file order."""
        hits = set(self._always)
        for key in view.keys(self._scopes):
            hits.update(self._index.get(key, ()))
        return [self._active[i] for i in sorted(hits)]

    def get(self, rule_id: str) -> Rule | None:
        return self.by_id.get(rule_id)

    def __len__(self) -> int:
        return len(self.rules)


@dataclass
class LoadResult:
    """A loaded folder: the rulebook, every mistake found, and the rules of each file."""

    rulebook: Rulebook
    errors: list[RuleError]
    files: dict[str, tuple[Rule, ...]] = field(default_factory=dict)
    event_types: Collection[str] | None = None


def rule_files(folder: Path) -> list[Path]:
    """The rule files of a folder: *.yaml and *.yml directly in it (not sub-folders)."""
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def load_rulebook(
    folder: Path,
    gazetteer: Gazetteer,
    event_types: Collection[str] | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> LoadResult:
    """Load every rule file of a folder; a duplicate id is refused in the file that added it
    (the one changed last: a new file reusing a shipped rule's id is blamed, not the
    shipped file), and the other file's rule stays in force. Time linear in the rules."""
    with collector_paused():
        return _load_rulebook(Path(folder), gazetteer, event_types, max_bytes)


def _load_rulebook(
    folder: Path, gazetteer: Gazetteer, event_types: Collection[str] | None, max_bytes: int
) -> LoadResult:
    errors: list[RuleError] = []
    files: dict[str, tuple[Rule, ...]] = {}
    if not folder.is_dir():
        errors.append(RuleError(str(folder), 1, "", "no such rules folder"))
    loaded = [(path, *_load_rule_file(path, gazetteer, event_types, max_bytes))
              for path in (rule_files(folder) if folder.is_dir() else [])]
    earlier: dict[str, tuple[Rule, ...]] = {}  # files by last change, oldest first
    taken: dict[str, Rule] = {}  # the ids of the files in `earlier`, grown file by file
    for path, rules, file_errors in sorted(loaded, key=lambda f: (_changed(f[0]), f[0])):
        errors.extend(file_errors + _duplicates(rules, taken))
        earlier[str(path)] = tuple(r for r in rules if r.id not in taken)
        taken.update((r.id, r) for r in earlier[str(path)])
    files = {str(path): earlier[str(path)] for path, _r, _e in loaded}  # in name order
    in_force = [r for rs in files.values() for r in rs]
    return LoadResult(Rulebook(in_force, gazetteer), errors, files, event_types)


def _changed(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def duplicate_errors(
    rules: Iterable[Rule], others: Mapping[str, tuple[Rule, ...]]
) -> list[RuleError]:
    """Errors for rules whose id another file already uses."""
    return _duplicates(rules, {r.id: r for rs in others.values() for r in rs})


def _duplicates(rules: Iterable[Rule], seen: Mapping[str, Rule]) -> list[RuleError]:
    return [
        RuleError(
            r.file,
            r.line,
            "id",
            f"duplicate rule id '{r.id}' (also {seen[r.id].file}:{seen[r.id].line})",
        )  # fmt: skip
        for r in rules
        if r.id in seen
    ]


def load_rule_file(
    path: Path,
    gazetteer: Gazetteer,
    event_types: Collection[str] | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> tuple[tuple[Rule, ...], list[RuleError]]:
    """The valid rules of one file and the mistakes in it (a file over `max_bytes`, or with
    YAML anchors or aliases, is one mistake: see streams.core.rule_yaml)."""
    with collector_paused():  # hot reload calls this directly
        return _load_rule_file(Path(path), gazetteer, event_types, max_bytes)


def _load_rule_file(
    path: Path, gazetteer: Gazetteer, event_types: Collection[str] | None, max_bytes: int
) -> tuple[tuple[Rule, ...], list[RuleError]]:
    doc, error = read_rule_file(Path(path), max_bytes=max_bytes)
    if doc is None:
        return (), [error] if error else []
    items, base, errors = _rule_items(doc)
    rules: dict[str, Rule] = {}  # by id: a second rule with an id is refused in one look-up
    for i, raw in enumerate(items):
        path_i: Path_ = (*base, i)
        rule, rule_errors = _rule(doc, raw, path_i, gazetteer, event_types)
        errors.extend(rule_errors)
        if rule is not None:
            if rule.id in rules:
                errors.append(doc.error((*path_i, "id"), f"duplicate rule id '{rule.id}'", path_i))
            else:
                rules[rule.id] = rule
    return tuple(rules.values()), sorted(errors, key=lambda e: e.line)


def _rule_items(doc: Doc) -> tuple[list[Any], Path_, list[RuleError]]:
    data = doc.data
    if data is None:
        return [], (), []
    if isinstance(data, dict) and "rules" in data:
        extra = [k for k in data if k != "rules"]
        errors = [doc.error((str(k),), unknown_field(k, ("rules",))) for k in extra]
        if not isinstance(data["rules"], list):
            return [], ("rules",), [*errors, doc.error(("rules",), "expected a list of rules")]
        return data["rules"], ("rules",), errors
    if isinstance(data, dict):
        return [data], (), []  # a file holding one rule
    return [], (), [doc.error((), "expected `rules:` followed by a list of rules")]


def _rule(
    doc: Doc, raw: Any, path: Path_, gazetteer: Gazetteer, event_types: Collection[str] | None
) -> tuple[Rule | None, list[RuleError]]:
    if not isinstance(raw, dict):
        return None, [doc.error(path, "expected a rule: a mapping with id, kind and when")]
    problems: list[RuleSyntaxError] = []

    def take(name: str, check: Any, default: Any) -> Any:
        if name not in raw:
            return default
        try:
            return check(raw[name], (*path, name))
        except RuleSyntaxError as exc:
            problems.append(exc)
            return default

    rule_id = take("id", _check_id, None)
    if "id" not in raw:
        problems.append(RuleSyntaxError((*path, "id"), "every rule needs an id"))
    kind_name = take("kind", _choice(tuple(KINDS)), "match")
    kind = KINDS[kind_name]
    allowed = COMMON_FIELDS + tuple(kind.params)
    for name in raw:
        if name not in allowed:
            problems.append(RuleSyntaxError((*path, str(name)), unknown_field(name, allowed)))
    params, param_errors = parse_params(kind, raw, path)
    problems.extend(param_errors)
    compiler = ConditionCompiler(gazetteer, event_types)
    condition = compiler.compile(raw.get("when"), (*path, "when"))
    problems.extend(compiler.errors)
    if kind_name == "flatline" and params.get("feed") and "when" in raw:
        problems.append(RuleSyntaxError((*path, "when"), "a flatline on a feed counts its "
                                        "items; remove `when` or `feed`"))  # fmt: skip
    rule = Rule(
        id=rule_id or "",
        name=take("name", _text, rule_id or ""),
        kind=kind_name,
        severity=take("severity", _choice(SEVERITIES), "medium"),
        condition=condition,
        destinations=take("destinations", _destinations, DEFAULT_DESTINATIONS),
        throttle=take("throttle", _throttle, None),
        group=take("group", _group, None),
        template=take("template", _text, None),
        params=MappingProxyType(params),
        description=take("description", _text, ""),
        enabled=take("enabled", _bool, True),
        file=doc.file,
        line=doc.line(path),
    )
    if rule.template is not None:
        try:
            compiled = compile_template(rule.template, rule)
            object.__setattr__(rule, "compiled_template", compiled)  # frozen: set once here
        except TemplateProblem as exc:
            line = doc.line((*path, "template")) + (exc.line if _is_block(raw) else 0)
            problems.append(RuleSyntaxError((*path, "template"), str(exc), line))
    errors = [_located(doc, p, path) for p in problems]
    return (None if errors else rule), errors


def _is_block(raw: dict) -> bool:
    # a block scalar (template: |) starts on the next line: template line n is key line + n
    value = raw.get("template")
    return isinstance(value, str) and "\n" in value


def _located(doc: Doc, problem: RuleSyntaxError, base: Path_) -> RuleError:
    error = doc.error(problem.path, problem.message, base)
    if problem.line is None:
        return error
    return RuleError(error.file, problem.line, error.field, error.message)


def _check_id(value: Any, path: Path_) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise RuleSyntaxError(path, f"{value!r} is not a rule id: lower-case letters, digits, "
                              "'-', '_' or '.'")  # fmt: skip
    return value


def _choice(choices: tuple[str, ...]) -> Any:
    def check(value: Any, path: Path_) -> str:
        if value not in choices:
            raise RuleSyntaxError(path, f"{value!r} is not one of: {', '.join(choices)}")
        return str(value)

    return check


def _text(value: Any, path: Path_) -> str:
    if not isinstance(value, str):
        raise RuleSyntaxError(path, f"expected text, got {value!r}")
    return value


def _bool(value: Any, path: Path_) -> bool:
    if not isinstance(value, bool):
        raise RuleSyntaxError(path, f"expected true or false, got {value!r}")
    return value


def _destinations(value: Any, path: Path_) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        # any well-formed name: named destinations live in the settings, and a name the
        # settings do not configure is skipped at delivery with one log line
        if not isinstance(item, str) or not DESTINATION_NAME.match(item):
            raise RuleSyntaxError(
                path, f"bad destination name {item!r}: lowercase letters, digits, '.', '_', '-'"
            )
    return tuple(items)


def _throttle(value: Any, path: Path_) -> Throttle:
    if not isinstance(value, dict):
        return Throttle(parse_duration(value, path))
    for name in value:
        if name not in ("period", "key"):
            raise RuleSyntaxError((*path, str(name)), unknown_field(name, ("period", "key")))
    if "period" not in value:
        raise RuleSyntaxError(path, "a throttle needs a period, e.g. {period: 1h}")
    key = value.get("key", "rule")
    if key not in THROTTLE_KEYS:
        raise RuleSyntaxError((*path, "key"), f"expected one of: {', '.join(THROTTLE_KEYS)}")
    return Throttle(parse_duration(value["period"], (*path, "period")), key)


def _group(value: Any, path: Path_) -> Group:
    if not isinstance(value, dict):
        raise RuleSyntaxError(path, "expected {wait: 1m, interval: 15m}")
    for name in value:
        if name not in ("wait", "interval"):
            raise RuleSyntaxError((*path, str(name)), unknown_field(name, ("wait", "interval")))
    wait = parse_duration(value.get("wait", "0s"), (*path, "wait"))
    interval = parse_duration(value.get("interval", "15m"), (*path, "interval"))
    return Group(wait, interval)
