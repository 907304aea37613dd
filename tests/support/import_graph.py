"""The project's import graph, read from the source (ast), and the rules its arrows must keep.

Every import counts, at module level or inside a function: a lazy import is still an arrow.
Imports under `if TYPE_CHECKING:` are left out (they never run). Run it as a script to print
the broken rules: `python tests/support/import_graph.py`.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("streams", "connectors")
# third-party modules that make a module I/O-bound or tie it to the runtime
IO_LIBRARIES = ("faust", "mode", "httpx", "aiohttp", "sqlalchemy", "alembic", "aiokafka")


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    imports: frozenset[str]  # every imported dotted name, project modules resolved


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(tree: ast.AST) -> Iterator[ast.AST]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            yield from (n for child in node.orelse for n in _walk_node(child))
            continue
        yield node
        yield from _walk(node)


def _walk_node(node: ast.AST) -> Iterator[ast.AST]:
    yield node
    yield from _walk(node)


def imports_of(path: Path, name: str) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return frozenset(found)


def load_graph(root: Path = ROOT) -> dict[str, Module]:
    paths = [p for package in PACKAGES for p in (root / package).rglob("*.py")
             if "migrations/versions" not in p.as_posix()]
    modules = {}
    for path in sorted(paths):
        name = module_name(path, root)
        modules[name] = Module(name, path, imports_of(path, name))
    return modules


def project_deps(module: Module, modules: dict[str, Module]) -> set[str]:
    """The project modules it imports (`from pkg import submodule` resolves to the module)."""
    deps = {imp for imp in module.imports if imp in modules and imp != module.name}
    return deps


def external(module: Module) -> set[str]:
    """The top-level third-party packages it imports."""
    return {imp.split(".")[0] for imp in module.imports if imp.split(".")[0] not in PACKAGES}


def closure(start: str, modules: dict[str, Module]) -> dict[str, list[str]]:
    """Every project module reachable from start, with the chain of imports that reaches it."""
    chains = {start: [start]}
    todo = [start]
    while todo:
        current = todo.pop()
        for dep in sorted(project_deps(modules[current], modules)):
            if dep not in chains:
                chains[dep] = chains[current] + [dep]
                todo.append(dep)
    return chains


def cycles(modules: dict[str, Module]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for dep in sorted(project_deps(modules[node], modules)):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for name in sorted(modules):
        if name not in index:
            visit(name)
    return sorted(found)


def within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@dataclass(frozen=True)
class Rule:
    """Modules under `sources` must not reach (transitively, when `deep`) any of `forbidden`
    (project module prefixes) nor import any of `libraries`."""

    why: str
    sources: tuple[str, ...]
    forbidden: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ()
    deep: bool = True
    allowed: tuple[str, ...] = ()  # with `only`: the prefixes it may import, nothing else
    only: bool = False


def broken(rule: Rule, modules: dict[str, Module]) -> list[str]:
    """One line per offending arrow: the chain of imports from the source to what it reaches."""
    lines = []
    for name in sorted(modules):
        if not within(name, rule.sources):
            continue
        reach = closure(name, modules) if rule.deep else {
            dep: [name, dep] for dep in project_deps(modules[name], modules)} | {name: [name]}
        for target, chain in sorted(reach.items()):
            if rule.only:
                bad = not within(target, rule.allowed + rule.sources)
            else:
                bad = within(target, rule.forbidden)
            if bad:
                lines.append(f"{rule.why}: {' -> '.join(chain)}")
            for library in sorted(external(modules[target]) & set(rule.libraries)):
                lines.append(f"{rule.why}: {' -> '.join(chain)} imports {library}")
    return sorted(set(lines))


STAGES = ("streams.clean", "streams.extract", "streams.stories", "streams.evaluate",
          "streams.deliver.render", "streams.deliver.make_alert", "streams.deliver.routing",
          "streams.deliver.retry_policy", "streams.deliver.sink_kinds",
          "streams.deliver.silencing", "streams.deliver.first_tellers",
          "streams.poll.feeder", "streams.poll.decide",
          "streams.knowledge", "streams.core")
RULES = (
    Rule("a stage stays pure (no Faust, store, network or runtime)", STAGES,
         forbidden=("streams.store", "streams.runtime", "streams.web", "streams.cli",
                    "connectors", "streams.deliver.sinks", "streams.deliver.dispatcher"),
         libraries=IO_LIBRARIES),
    Rule("the shared vocabulary imports nothing of newswatch", ("streams.core",),
         allowed=(), only=True),
    Rule("the store imports no stage", ("streams.store",),
         allowed=("streams.core", "streams.config"), only=True, deep=False),
    Rule("a connector imports neither the store nor streams internals", ("connectors",),
         allowed=("streams.core",), only=True, deep=False),
    Rule("the web reads through store query functions", ("streams.web",),
         forbidden=("streams.store.schema",), libraries=("sqlalchemy",), deep=False),
    Rule("no layer below imports the runtime, the web or the CLI",
         ("streams.core", "streams.config", "streams.knowledge", "streams.clean",
          "streams.extract", "streams.stories", "streams.evaluate", "streams.deliver",
          "streams.poll", "streams.store", "connectors"),
         forbidden=("streams.runtime", "streams.web", "streams.cli", "streams.quality"),
         deep=False),
)


def violations(modules: dict[str, Module] | None = None) -> list[str]:
    modules = load_graph() if modules is None else modules
    lines = [f"import cycle: {' <-> '.join(c)}" for c in cycles(modules)]
    for rule in RULES:
        lines.extend(broken(rule, modules))
    return lines


if __name__ == "__main__":
    found = violations()
    print("\n".join(found) or "every import rule holds")
    sys.exit(1 if found else 0)
