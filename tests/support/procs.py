"""Other processes as Linux's /proc shows them, for the tests (and benches) that start worker
processes and check what they do and what is left of them."""

from __future__ import annotations

import os
from pathlib import Path


def stat_fields(pid: int | str) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces and
    parentheses): [0] the state ("Z" a zombie), [1] the parent's pid, [11] and [12] the
    user and system CPU time in clock ticks. OSError when there is no such process."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Whether the process is there, a zombie counting as gone (for all purposes it is)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat_fields(pid)[0] != "Z"
