"""Alert scoring against a corpus folder's expected.yaml, by (rule, article stem).

The same counting as the corpus's score.py: an expected entry `dAA|dBB` is one alert on
either article; each entry takes at most one emitted pair and each pair at most one entry;
a second alert of one rule on one article (one story split in two) is a false positive;
rules that expected.yaml does not list are ignored. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any


@dataclass
class RuleScore:
    """One rule's counts, with the wrong pairs (article stems) and missed entries."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    wrong: list[str] = field(default_factory=list)  # emitted, matching no entry
    missed: list[str] = field(default_factory=list)  # expected entries, as written
    repeated: list[str] = field(default_factory=list)  # a second alert on one article

    @property
    def precision(self) -> float:
        return self.tp / max(self.tp + self.fp, 1)

    @property
    def recall(self) -> float:
        return self.tp / max(self.tp + self.fn, 1)

    def figures(self) -> dict[str, Any]:
        return {
            "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "precision": round(self.precision, 4), "recall": round(self.recall, 4),
            "wrong": list(self.wrong), "missed": list(self.missed),
            "repeated": list(self.repeated),
        }


@dataclass
class AlertScore:
    """Per rule (in expected.yaml's order) and over all rules."""

    rules: dict[str, RuleScore]

    @property
    def overall(self) -> RuleScore:
        total = RuleScore()
        for s in self.rules.values():
            total.tp, total.fp, total.fn = total.tp + s.tp, total.fp + s.fp, total.fn + s.fn
        return total

    def figures(self) -> dict[str, Any]:
        overall = self.overall.figures()
        for key in ("wrong", "missed", "repeated"):
            del overall[key]
        return {"rules": {r: s.figures() for r, s in self.rules.items()}, "overall": overall}


def stem(article: str) -> str:
    """'d07.txt', '/x/d07.txt?x=1' -> 'd07'."""
    name = PurePosixPath(str(article).split("?")[0]).name
    return name.rsplit(".", 1)[0]


def pairs(alerts: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Backtest alerts reduced to (rule, article stem), in order, repeats kept."""
    return [(str(a["rule"]), stem(a["article"])) for a in alerts]


def score_alerts(
    expected: Mapping[str, Sequence[Any]], emitted: Iterable[tuple[str, str]]
) -> AlertScore:
    """Score emitted (rule, stem) pairs against expected: rule -> entries ('d01', 'd02|d03')."""
    seen: set[tuple[str, str]] = set()
    repeats: dict[str, list[str]] = {}
    for pair in emitted:
        if pair in seen:
            repeats.setdefault(pair[0], []).append(pair[1])
        seen.add(pair)
    out: dict[str, RuleScore] = {}
    for rule, entries in expected.items():
        arts = {art for r, art in seen if r == rule}
        used: set[str] = set()
        score = RuleScore(repeated=repeats.get(rule, []))
        for entry in entries or []:
            hit = next((a for a in str(entry).split("|") if a in arts - used), None)
            if hit:
                used.add(hit)
            else:
                score.missed.append(str(entry))
        score.wrong = sorted(arts - used)
        score.tp, score.fn = len(used), len(score.missed)
        score.fp = len(score.wrong) + len(score.repeated)
        out[str(rule)] = score
    return AlertScore(out)
