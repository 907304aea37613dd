"""The command finds its project wherever it runs, and says clearly what is wrong: no
project, no store yet, a store another process runs on, a bad port, a misspelt variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from streams.config.home import HomeError, find_home
from streams.runtime.store_lock import lock_store

ROOT = Path(__file__).resolve().parents[2]


def newswatch(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args], cwd=cwd, capture_output=True, text=True,
        timeout=120, env={**clean, "PYTHONPATH": str(ROOT), **env},
    )


def test_rules_check_outside_the_checkout_finds_the_checkout(tmp_path: Path) -> None:
    out = newswatch("rules", "check", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"rules OK in {ROOT / 'rules'}" in out.stdout
    assert "Traceback" not in out.stderr


def test_alerts_list_without_a_store_says_so_and_creates_nothing(tmp_path: Path) -> None:
    out = newswatch("alerts", "list", cwd=tmp_path, NEWSWATCH_DATA_DIR=str(tmp_path / "var"))
    assert out.returncode == 1
    assert f"no store at {tmp_path / 'var' / 'newswatch.db'}" in out.stderr
    assert not (tmp_path / "var" / "newswatch.db").exists()


def test_a_home_that_is_not_a_project_is_named(tmp_path: Path) -> None:
    out = newswatch("alerts", "list", cwd=tmp_path, NEWSWATCH_HOME=str(tmp_path))
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"newswatch: NEWSWATCH_HOME={tmp_path}: not a newswatch project "
        "(no rules/taxonomy folder in it)"
    )
    with pytest.raises(HomeError, match="no such folder"):
        find_home({"NEWSWATCH_HOME": str(tmp_path / "nowhere")}, tmp_path)
    assert find_home({"NEWSWATCH_HOME": str(ROOT)}, tmp_path) == ROOT


def test_a_bad_port_is_refused_by_config_show_and_run_naming_the_variable(
    tmp_path: Path,
) -> None:
    for command in (("config", "show"), ("run",)):
        out = newswatch(*command, cwd=ROOT, NEWSWATCH_WEB_PORT="99999",
                        NEWSWATCH_DATA_DIR=str(tmp_path / "var"))
        assert out.returncode != 0
        assert "NEWSWATCH_WEB_PORT: Input should be less than or equal to 65535" in out.stderr
        assert "Traceback" not in out.stderr


def test_a_misspelt_variable_is_warned_about_with_the_closest_name(tmp_path: Path) -> None:
    out = newswatch("config", "show", cwd=ROOT, NEWSWATCH_POLL_INTERVALL="30")
    assert out.returncode == 0
    assert ("NEWSWATCH_POLL_INTERVALL: unknown setting, did you mean NEWSWATCH_POLL_INTERVAL?"
            in out.stderr)


def test_a_second_run_on_the_same_store_is_refused_naming_the_first(tmp_path: Path) -> None:
    var = tmp_path / "var"
    fd = lock_store(f"sqlite+aiosqlite:///{var / 'newswatch.db'}")  # as a running `run` does
    assert fd is not None
    try:
        out = newswatch("run", cwd=ROOT, NEWSWATCH_DATA_DIR=str(var), NEWSWATCH_FEEDS="[]")
    finally:
        os.close(fd)
    assert out.returncode == 2
    assert f"is in use by another newswatch run (pid {os.getpid()})" in out.stderr
    assert "Traceback" not in out.stderr
