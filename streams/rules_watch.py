"""Hot reload: the rules in force, per file, and a watcher that reloads changed files.

A file saved with a mistake keeps its previous version running; the mistake is logged as
file:line: field and kept in the holder (and in the status file `newswatch rules status`
reads) until the file is fixed. A deleted file's rules are withdrawn. The watcher polls the
folder's files (a hash of each) every `interval` seconds: portable, no inotify, and a
save is in force well within 2 seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streams.gazetteer import Gazetteer
from streams.rulebook import (
    LoadResult,
    Rule,
    Rulebook,
    RuleError,
    duplicate_errors,
    load_rule_file,
    rule_files,
)

log = logging.getLogger(__name__)

STATUS_FILE = "rules_status.json"


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

    @classmethod
    def from_result(cls, result: LoadResult, folder: Path) -> RulebookHolder:
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
        )
        holder.signatures = _signatures(holder.folder)
        return holder

    def all_errors(self) -> list[RuleError]:
        return [e for errs in self.errors.values() for e in errs]

    def reload(self, path: Path, gazetteer: Gazetteer) -> list[RuleError]:
        """Reload one file (or withdraw it when gone); on errors keep its previous rules."""
        name = str(path)
        if not path.exists():
            self.files.pop(name, None)
            self.errors.pop(name, None)
            log.info("rules: %s removed; its rules are withdrawn", name)
        else:
            rules, errors = load_rule_file(path, gazetteer, self.event_types)
            others = {f: rs for f, rs in self.files.items() if f != name}
            errors += duplicate_errors(rules, others)
            if errors:
                self.errors[name] = errors
                for error in errors:
                    log.error("rule error (previous version kept): %s", error)
                return errors
            self.files[name] = rules
            self.errors.pop(name, None)
            log.info("rules: %s loaded (%d rules)", name, len(rules))
        rules_now = [r for rs in self.files.values() for r in rs]
        self.rulebook = Rulebook(rules_now, gazetteer)
        self.loaded_at = time.time()
        self.reloads += 1
        return []

    def poll(self, gazetteer: Gazetteer) -> bool:
        """Reload the files whose signature changed; True when something was looked at."""
        now = _signatures(self.folder)
        changed = {
            p for p in now.keys() | self.signatures.keys() if now.get(p) != self.signatures.get(p)
        }
        self.signatures = now
        for name in sorted(changed):
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


def default_status_path() -> Path:
    """data_dir/rules_status.json from the settings (NEWSWATCH_DATA_DIR)."""
    from streams.settings import load_settings

    return Path(load_settings().data_dir) / STATUS_FILE


async def watch_rules(
    holder: RulebookHolder,
    folder: Path,
    gazetteer: Gazetteer,
    interval: float = 0.5,
    status_path: Path | None = None,
) -> None:
    """Poll the folder until cancelled; reload changed files; keep the status file current."""
    if Path(folder).resolve() != holder.folder.resolve():
        holder.folder = Path(folder)  # another folder than loaded: load it all afresh
        holder.signatures, holder.files, holder.errors = {}, {}, {}
    status = status_path or default_status_path()
    if not holder.signatures:
        holder.signatures = _signatures(holder.folder)
    holder.write_status(status)
    while True:
        await asyncio.sleep(interval)
        try:
            if holder.poll(gazetteer):
                holder.write_status(status)
        except OSError as exc:  # a folder on a flaky disk: say so and keep watching
            log.error("rules: cannot read %s: %s", holder.folder, exc)
