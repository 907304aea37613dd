"""Reading rule files: YAML into plain values plus the line of every field, and RuleError.

PyYAML's composer keeps the position of every node; we keep it too, keyed by the field's
path ('rules', 0, 'when', 'quantities'), so that an error names the line an analyst has to
fix. Only YAML's safe types are built: nothing in a rule file is ever executed.

Parsing costs at most about linear time in the file's size: a file over `max_bytes` is
refused before it is read, and anchors and aliases (`&x`, `*x`) are refused before anything
is built from them, since ten nested levels of aliases expand to billions of values (the
"alias bomb"); nesting deeper than MAX_DEPTH is refused while building. The taxonomy and
gazetteer readers use the same size and alias checks (`read_bounded_yaml`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from streams.core.bulk_build import collector_paused
from streams.core.durations import DurationError
from streams.core.durations import parse_duration as parse_timedelta
from streams.core.errors import RuleDefinitionError

Path_ = tuple[str | int, ...]
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_FILE_BYTES = 1 << 20  # default size limit of one rule file (setting rules_max_file_bytes)
MAX_DEPTH = 50  # nesting levels of mappings and lists; real rules use fewer than 15


_NO_ALIASES = "aliases are not allowed in rule files ({} here): write the value out"


class YamlLimitError(RuleDefinitionError):
    """A YAML file over the limits: `line` (1-based) is where the fault is."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def read_bounded_yaml(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of a YAML file, after checking its size and that it has no anchor or alias.

    Raises YamlLimitError (over a limit), OSError or UnicodeDecodeError (unreadable), or
    yaml.YAMLError (a syntax error met while scanning)."""
    with open(path, "rb") as fh:  # read at most one byte over: never a huge file into memory
        raw = fh.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise YamlLimitError(1, f"file larger than the limit of {max_bytes:,} bytes")
    text = raw.decode("utf-8")
    check_yaml_limits(text)
    return text


def check_yaml_limits(text: str) -> None:
    """Refuse anchors and aliases, from the parser's events (nothing is composed or built);
    a YAML syntax error is left for the reader to report with its line."""
    if "&" not in text and "*" not in text:
        return  # neither can be written without its sign: no scan (a quarter of a load)
    loader = _Loader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            line = event.start_mark.line + 1 if event.start_mark else 1
            if isinstance(event, yaml.AliasEvent):
                raise YamlLimitError(line, _NO_ALIASES.format(f"*{event.anchor}"))
            if getattr(event, "anchor", None) is not None:
                raise YamlLimitError(line, _NO_ALIASES.format(f"anchor &{event.anchor}"))
    except yaml.YAMLError:
        return
    finally:
        loader.dispose()


@dataclass(frozen=True)
class RuleError:
    """One mistake in a rule file: str() is 'rules/x.yaml:12: when.quantites: unknown ...'."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.file}:{self.line}: {where}{self.message}"


class RuleSyntaxError(RuleDefinitionError):
    """A rule field is wrong; carries the field path so the caller can name file and line."""

    def __init__(self, path: Path_, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.line = line  # when known better than the field's own line (inside a template)


@dataclass
class Doc:
    """A parsed rule file: its data and the line (1-based) of each field path."""

    file: str
    data: Any
    lines: dict[Path_, int]

    def line(self, path: Path_) -> int:
        """The line of a field, else of its nearest parent that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def error(self, path: Path_, message: str, base: Path_ = ()) -> RuleError:
        """A RuleError for a field path; `base` is left out of the printed field name."""
        shown = path[len(base) :] if path[: len(base)] == base else path
        return RuleError(self.file, self.line(path), field_name(shown), message)


def field_name(path: Path_) -> str:
    """'when.all[1].quantities' from ('when', 'all', 1, 'quantities')."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_rule_file(
    path: Path, shown: str | None = None, max_bytes: int = MAX_FILE_BYTES
) -> tuple[Doc | None, RuleError | None]:
    """Parse one YAML file; on a syntax error return a RuleError with the line of the fault."""
    name = shown or str(path)
    try:
        text = read_bounded_yaml(path, max_bytes)
    except YamlLimitError as exc:
        return None, RuleError(name, exc.line, "", exc.message)
    except (OSError, UnicodeDecodeError) as exc:
        return None, RuleError(name, 1, "", f"cannot read file: {exc}")
    # libyaml's loader keeps node positions too and composes ~10x faster (hot reload of a
    # 1,000-rule file); the pure-Python one is the fallback where libyaml is missing
    loader = _Loader(text)
    try:
        with collector_paused():  # a node tree and a line per field: linear time
            node = loader.get_single_node()
            lines: dict[Path_, int] = {}
            data = _build(loader, node, (), lines, name) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return None, RuleError(name, line, "", f"invalid YAML: {exc.problem or exc}")
    except _DuplicateKey as exc:
        return None, RuleError(name, exc.line, exc.field, "this field is given twice")
    except YamlLimitError as exc:
        return None, RuleError(name, exc.line, "", exc.message)
    except yaml.YAMLError as exc:
        return None, RuleError(name, 1, "", f"invalid YAML: {exc}")
    finally:
        loader.dispose()
    return Doc(name, data, lines), None


class _DuplicateKey(Exception):
    def __init__(self, line: int, field: str) -> None:
        super().__init__(field)
        self.line, self.field = line, field


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, lines: dict, name: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if len(path) > MAX_DEPTH:
        raise YamlLimitError(lines[path], f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                key = str(key)
            if key in out:  # PyYAML silently keeps the last one; an analyst would not notice
                raise _DuplicateKey(key_node.start_mark.line + 1, field_name((*path, str(key))))
            out[key] = _build(loader, value_node, (*path, str(key)), lines, name)
            lines[(*path, str(key))] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, n, (*path, i), lines, name) for i, n in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse_duration(value: Any, path: Path_, signed: bool = False) -> float:
    """Seconds from '90s', '15m', '24h', '7d', '2w' (and '-60d' when signed); the grammar is
    streams/core/durations.py's."""
    try:
        return parse_timedelta(value, signed=signed).total_seconds()
    except DurationError:
        example = "'-60d' or '+7d'" if signed else "'30m', '24h' or '7d'"
        raise RuleSyntaxError(path, f"{value!r} is not a duration; write e.g. {example}") from None
