"""`newswatch config show` prints durations as bare JSON numbers; its help says their unit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from streams.cli import main


def test_config_show_help_says_durations_are_in_seconds() -> None:
    shown = CliRunner().invoke(main, ["config", "show", "--help"])
    assert shown.exit_code == 0, shown.output
    assert "are in seconds" in " ".join(shown.output.split())


def test_the_durations_it_prints_stay_numbers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEWSWATCH_POLL_INTERVAL", "90")
    shown = CliRunner().invoke(main, ["config", "show"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["poll_interval"] == 90.0
