"""`newswatch backtest --format text` fits each alert on one line: an actors list longer than
its 60-character column ends in '…', so the reader knows it was cut; a list that fits is whole."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def backtest(fmt: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-m", "streams.cli", "backtest", "seeds", "--format", fmt],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=True,
    )
    return out.stdout.splitlines()


def test_a_cut_actors_column_ends_in_an_ellipsis() -> None:
    alerts = [json.loads(line) for line in backtest("jsonl")]
    lines = backtest("text")
    assert len(lines) == len(alerts) > 0
    cut = 0
    for alert, line in zip(alerts, lines, strict=True):
        actors = ", ".join(alert["event"]["actors"])
        if len(actors) > 60:
            cut += 1
            assert line.endswith(actors[:59] + "…"), line
        else:
            assert line.endswith(actors) and not line.endswith("…"), line
    assert cut > 0  # the seeds have alerts with long actor lists: the cut is exercised
