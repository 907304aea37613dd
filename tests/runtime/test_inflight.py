"""How many entries the worker keeps in processing, and how many extraction processes the
settings ask for: every process fed by default, an operator's own figures kept."""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

from streams.config.settings import load_settings
from streams.runtime.worker import DEFAULT_INFLIGHT, inflight


def _pipeline(slots: int) -> Any:
    return SimpleNamespace(extract_slots=slots)


def test_by_default_every_extraction_process_has_a_batch() -> None:
    settings = load_settings(batch_size=16)
    assert inflight(settings, _pipeline(9)) == 10 * 16  # 8 batches held, 1 assigning, 1 filling
    assert inflight(load_settings(batch_size=2), _pipeline(3)) == DEFAULT_INFLIGHT


def test_an_operators_inflight_is_kept() -> None:
    assert inflight(load_settings(inflight=1), _pipeline(9)) == 1


def test_extraction_processes_one_per_core_unless_set() -> None:
    assert load_settings(nlp_processes=None).extract_processes() == (os.cpu_count() or 1)
    assert load_settings(nlp_processes=0).extract_processes() == 0
    assert load_settings(nlp_processes=3).extract_processes() == 3
