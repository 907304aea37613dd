"""Hot reload: the rules in force, per file, and a watcher that reloads changed files.

A file saved with a mistake keeps its previous version running; the mistake is logged as
file:line: field and kept in the holder (and in the status file `newswatch rules status`
reads) until the file is fixed. A deleted file's rules are withdrawn. The watcher polls the
folder's files (a hash of each) every `interval` seconds: portable, no inotify, and a
save is in force well within 2 seconds.

The watcher never parses on the event loop: scanning and loading run in threads, a load
with a time limit (a file still loading when it passes keeps its previous version, with an
error). A rules folder that disappears or holds no rule file any more withdraws nothing:
the last good rules stay in force, and `problems()` (read by /health, shown by `rules
status`) says so until the folder is back.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streams.core.rule_yaml import MAX_FILE_BYTES
from streams.evaluate.rulebook import (
    LoadResult,
    Rule,
    Rulebook,
    RuleError,
    duplicate_errors,
    load_rule_file,
    rule_files,
)
from streams.knowledge.gazetteer import Gazetteer

log = logging.getLogger(__name__)

STATUS_FILE = "rules_status.json"


@dataclass
class Reload:
    """A file's reload, prepared off the event loop: its rules (None: file gone) or errors,
    and the rulebook to put in force when there are no errors."""

    name: str
    rules: tuple[Rule, ...] | None
    errors: list[RuleError]
    rulebook: Rulebook | None = None


@dataclass
class RulebookHolder:
    """The current rulebook, the rules of each file, and each file's last load errors."""

    rulebook: Rulebook
    folder: Path
    files: dict[str, tuple[Rule, ...]] = field(default_factory=dict)
    errors: dict[str, list[RuleError]] = field(default_factory=dict)
    event_types: Collection[str] | None = None
    signatures: dict[str, str] = field(default_factory=dict)
    loaded_at: float = field(default_factory=time.time)
    reloads: int = 0
    max_bytes: int = MAX_FILE_BYTES  # a larger rule file is refused (rules_max_file_bytes)
    folder_problem: str | None = None  # "rules folder missing: ..." while it lasts
    folder_problem_since: float | None = None

    @classmethod
    def from_result(
        cls, result: LoadResult, folder: Path, max_bytes: int = MAX_FILE_BYTES
    ) -> RulebookHolder:
        """A holder for what load_rulebook returned (the watcher takes it from there)."""
        errors: dict[str, list[RuleError]] = {}
        for error in result.errors:
            errors.setdefault(error.file, []).append(error)
        holder = cls(
            rulebook=result.rulebook,
            folder=Path(folder),
            files=dict(result.files),
            errors=errors,
            event_types=result.event_types,
            max_bytes=max_bytes,
        )
        holder.scan()
        return holder

    def all_errors(self) -> list[RuleError]:
        return [e for errs in self.errors.values() for e in errs]

    def problems(self) -> list[str]:
        """What degrades the rules in force, for /health: e.g. 'rules folder missing: ...'."""
        return [self.folder_problem] if self.folder_problem else []

    def prepare(
        self, path: Path, gazetteer: Gazetteer, files: dict[str, tuple[Rule, ...]]
    ) -> Reload:
        """Load one file (gone: withdrawn) against a snapshot of the files in force, and
        compile the resulting rulebook; touches nothing shared, so it can run in a thread."""
        name = str(path)
        if not path.exists():
            rules: tuple[Rule, ...] | None = None
            errors: list[RuleError] = []
        else:
            rules, errors = load_rule_file(path, gazetteer, self.event_types, self.max_bytes)
            errors += duplicate_errors(rules, {f: rs for f, rs in files.items() if f != name})
        if errors:
            return Reload(name, rules, errors)
        after = {f: rs for f, rs in files.items() if f != name}
        if rules is not None:
            after[name] = rules
        return Reload(name, rules, [], Rulebook([r for rs in after.values() for r in rs],
                                                gazetteer))  # fmt: skip

    def commit(self, reload: Reload) -> list[RuleError]:
        """Put a prepared reload in force; on errors keep the file's previous rules."""
        name = reload.name
        if reload.errors or reload.rulebook is None:
            self.errors[name] = reload.errors
            for error in reload.errors:
                log.error("rule error (previous version kept): %s", error)
            return reload.errors
        if reload.rules is None:
            self.files.pop(name, None)
            log.info("rules: %s removed; its rules are withdrawn", name)
        else:
            self.files[name] = reload.rules
            log.info("rules: %s loaded (%d rules)", name, len(reload.rules))
        self.errors.pop(name, None)
        self.rulebook = reload.rulebook
        self.loaded_at = time.time()
        self.reloads += 1
        return []

    def reload(self, path: Path, gazetteer: Gazetteer) -> list[RuleError]:
        """Reload one file (or withdraw it when gone); on errors keep its previous rules."""
        return self.commit(self.prepare(Path(path), gazetteer, dict(self.files)))

    def scan(self) -> list[str]:
        """The rule files changed since the last scan. None while the folder is missing or
        holds no rule file although rules were loaded from it: the last good rules stay in
        force and `folder_problem` says why (a single file removed is withdrawn)."""
        problem, now = None, {}
        if not self.folder.is_dir():
            problem = f"rules folder missing: {self.folder}"
        else:
            now = _signatures(self.folder)
            if not now and self.files:
                problem = f"rules folder empty: {self.folder}"
        self._set_problem(problem)
        if problem:
            return []
        changed = {p for p in now.keys() | self.signatures.keys()
                   if now.get(p) != self.signatures.get(p)}  # fmt: skip
        self.signatures = now
        return sorted(changed)

    def _set_problem(self, problem: str | None) -> None:
        if problem == self.folder_problem:
            return
        kept = f"{len(self.rulebook.rules)} rules from {len(self.files)} files"
        if problem:
            log.error("rules: %s; the last good rules stay in force (%s)", problem, kept)
            self.folder_problem_since = time.time()
        else:
            log.warning("rules: folder %s is back (%s)", self.folder, kept)
            self.folder_problem_since = None
        self.folder_problem = problem

    def poll(self, gazetteer: Gazetteer) -> bool:
        """Reload the files whose signature changed; True when something was looked at."""
        changed = self.scan()
        for name in changed:
            self.reload(Path(name), gazetteer)
        return bool(changed)

    def status(self) -> dict[str, Any]:
        """What `newswatch rules status` shows: rules in force and errors per file."""
        return {
            "folder": str(self.folder),
            "pid": os.getpid(),
            "loaded_at": self.loaded_at,
            "written_at": time.time(),
            "reloads": self.reloads,
            "problems": self.problems(),
            "rules": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "severity": r.severity,
                    "file": r.file,
                    "line": r.line,
                    "enabled": r.enabled,
                }  # fmt: skip
                for r in self.rulebook.rules
            ],
            "errors": [str(e) for e in self.all_errors()],
        }

    def write_status(self, path: Path) -> None:
        """Write the status JSON atomically (a reader never sees half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.status(), indent=1), encoding="utf-8")
        os.replace(tmp, path)


def _signatures(folder: Path) -> dict[str, str]:
    # content hashes, not mtimes: two saves within the clock's granularity still differ
    out = {}
    for path in rule_files(folder) if folder.is_dir() else []:
        try:
            out[str(path)] = hashlib.sha1(path.read_bytes()).hexdigest()
        except OSError:  # removed between listing and reading: treated as gone
            continue
    return out


# one loading thread: a load past its time limit cannot be stopped, but the next loads
# queue behind it rather than piling up more threads (each one times out in turn)
_LOADER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rules-load")
LOAD_TIMEOUT = 10.0  # seconds (setting rules_load_timeout)
OnProblem = Callable[[str | None, str | None], Awaitable[None]]


async def prepare_limited(
    holder: RulebookHolder, path: Path, gazetteer: Gazetteer, timeout: float
) -> Reload:
    """holder.prepare in the loading thread; past `timeout`, an error for that file."""
    loop = asyncio.get_running_loop()
    job = loop.run_in_executor(_LOADER, holder.prepare, path, gazetteer, dict(holder.files))
    try:  # asyncio.timeout, not 3.11's wait_for (which drops a cancel as the load ends)
        async with asyncio.timeout(timeout):
            return await job
    except TimeoutError:
        message = f"loading took longer than {timeout:g} s (is the file too large?)"
        return Reload(str(path), None, [RuleError(str(path), 1, "", message)])


async def watch_rules(
    holder: RulebookHolder,
    folder: Path,
    gazetteer: Gazetteer,
    interval: float = 0.5,
    *,
    status_path: Path,
    load_timeout: float = LOAD_TIMEOUT,
    on_problem: OnProblem | None = None,
) -> None:
    """Poll the folder until cancelled; reload changed files; keep the status file current.
    `on_problem(problem, previous)` is awaited when the folder goes missing or empty (and
    with problem None when it is back), e.g. to raise an operator alert. `status_path`:
    where the status file goes (the worker: data_dir/rules_status.json, STATUS_FILE)."""
    if Path(folder).resolve() != holder.folder.resolve():
        holder.folder = Path(folder)  # another folder than loaded: load it all afresh
        holder.signatures, holder.files, holder.errors = {}, {}, {}
    status = status_path
    if not holder.signatures and not holder.folder_problem:
        holder.signatures = await asyncio.to_thread(_signatures, holder.folder)
    holder.write_status(status)
    untold: list[tuple[str | None, str | None]] = []  # changes whose alert is not recorded yet
    if holder.folder_problem:
        untold.append((holder.folder_problem, None))
        await _tell_all(on_problem, untold)
    while True:
        await asyncio.sleep(interval)
        await _tell_all(on_problem, untold)  # an alert the store refused is raised once it can
        try:
            before = holder.folder_problem
            changed = await asyncio.to_thread(holder.scan)
            for name in changed:
                holder.commit(await prepare_limited(holder, Path(name), gazetteer, load_timeout))
            if changed or holder.folder_problem != before:
                holder.write_status(status)
            if holder.folder_problem != before:
                untold.append((holder.folder_problem, before))
                await _tell_all(on_problem, untold)
        except OSError as exc:  # a folder on a flaky disk: say so and keep watching
            log.error("rules: cannot read %s: %s", holder.folder, exc)


async def _tell_all(on_problem: OnProblem | None,
                    untold: list[tuple[str | None, str | None]]) -> None:
    """Raise the operator alerts of the folder's changes, oldest first; keep those that cannot
    be recorded (a store failing) to try again at the next scan, so none is lost."""
    while untold:
        problem, before = untold[0]
        if on_problem is not None:
            try:
                await on_problem(problem, before)
            except Exception as exc:  # must not stop the watcher: tried again next scan
                log.error("rules: cannot raise the operator alert yet (will retry): %s: %s",
                          type(exc).__name__, exc)
                return
        untold.pop(0)
