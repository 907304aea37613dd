"""Measure one annotated corpus folder: replay it with the backtest, then score its alerts
(expected.yaml) and events (events.yaml) and diagnose each wrong or missed alert.

The I/O edge of the package: it reads the folder and the rule files and runs the replay;
the scoring it calls is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from streams.config.settings import Settings
from streams.quality.alerts import AlertScore, pairs, score_alerts, stem
from streams.quality.diagnosis import diagnose, rule_types
from streams.quality.events import EventScore, load_events, score_events
from streams.runtime.backtest import Replayed, backtest

if TYPE_CHECKING:
    from streams.extract.extractor import Extractor


@dataclass
class CorpusResult:
    """What one folder measured."""

    folder: str
    articles: int
    alerts: AlertScore
    diagnosis: list[str]
    events: EventScore | None  # None when the folder has no events.yaml

    def figures(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "articles": self.articles,
            "alerts": self.alerts.figures(),
            "diagnosis": list(self.diagnosis),
            "events": self.events.figures() if self.events else None,
        }


async def measure(folder: Path, settings: Settings, extractor: Extractor) -> CorpusResult:
    """Replay `folder` under the configured rules with `extractor` and score it."""
    replayed: list[Replayed] = []
    alerts = await backtest(str(folder), settings, extractor=extractor, replayed=replayed)
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8")) or {}
    score = score_alerts(expected, pairs(alerts))
    lines = diagnose(score, replayed, rule_types(_rule_docs(Path(settings.rules_dir))))
    events = None
    if (folder / "events.yaml").is_file():
        by_stem = {stem(r.article): r.events for r in replayed}
        events = score_events(load_events(folder / "events.yaml"), by_stem, extractor.gazetteer)
    return CorpusResult(str(folder), len(replayed), score, lines, events)


def _rule_docs(rules_dir: Path) -> list[Any]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(rules_dir.glob("*.yaml"))]
