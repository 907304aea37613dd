"""`newswatch rules status` reads the status file the worker writes; it says whether the worker
that wrote it still runs, so a stopped worker's last status is not taken for a live one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from streams.cli import main


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSWATCH_DATA_DIR", str(tmp_path))
    return tmp_path


def status_written_by(data_dir: Path, pid: int) -> Result:
    (data_dir / "rules_status.json").write_text(json.dumps({
        "folder": str(data_dir / "rules"), "pid": pid, "written_at": time.time(),
        "rules": [], "errors": [], "problems": [],
    }), encoding="utf-8")
    return CliRunner().invoke(main, ["rules", "status"])


def test_a_stopped_worker_is_said_to_be_not_running(data_dir: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(gone.stdout)  # that process has exited and been reaped
    result = status_written_by(data_dir, pid)
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"worker pid {pid} (not running; status written ")
    assert first.endswith(")")


def test_a_live_worker_is_said_to_be_running(data_dir: Path) -> None:
    result = status_written_by(data_dir, os.getpid())
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"worker pid {os.getpid()} (running; status written ")


def test_a_status_without_a_pid_does_not_guess(data_dir: Path) -> None:
    result = status_written_by(data_dir, 0)  # signal 0 to pid 0 would ask the process group
    assert result.stdout.startswith("worker pid 0 (running or not: unknown; status written ")
