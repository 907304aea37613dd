"""Hot reload: a running watcher picks up an edited rule and a new file, keeps the previous
version on an invalid edit and reports the error (log, holder, status file, `rules status`)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from rules_support import RULE, fires, held_folder, until, write_rules

from streams.cli import main
from streams.evaluate.hot_reload import watch_rules


@pytest.fixture
async def watched(tmp_path: Path):
    holder, folder, status, gaz = held_folder(tmp_path)
    task = asyncio.create_task(watch_rules(holder, folder, gaz, status_path=status))
    yield holder, folder, status
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_edit_and_new_file_take_effect(watched) -> None:
    holder, folder, _ = watched
    assert await fires(holder, "meeting") == ["watched"]
    write_rules(folder, "a.yaml", RULE.format(type="attack"))
    await until(lambda: holder.reloads >= 1, "edited a.yaml")
    assert await fires(holder, "meeting") == []
    assert await fires(holder, "attack") == ["watched"]
    write_rules(folder, "b.yaml", "rules:\n- id: second\n  when: {type: sanctions}\n")
    await until(lambda: holder.rulebook.get("second") is not None, "new b.yaml")
    assert await fires(holder, "sanctions") == ["second"]
    (folder / "b.yaml").unlink()
    await until(lambda: holder.rulebook.get("second") is None, "removed b.yaml")


async def test_invalid_edit_keeps_previous_version_and_reports(watched, caplog, monkeypatch):
    holder, folder, status = watched
    caplog.set_level(logging.ERROR)
    write_rules(folder, "a.yaml", "rules:\n- id: watched\n  when:\n    type: attack\n"
                "    quantites: {killed: '>= 10'}\n")  # fmt: skip
    await until(lambda: holder.errors, "the invalid edit")
    assert await fires(holder, "meeting") == ["watched"]  # the previous version still runs
    assert await fires(holder, "attack") == []
    expected = f"{folder / 'a.yaml'}:5: when.quantites: unknown field 'quantites'"
    assert [str(e).split(" (")[0] for e in holder.all_errors()] == [expected]
    assert expected in caplog.text
    await until(lambda: status.exists() and json.loads(status.read_text())["errors"], "status")
    monkeypatch.setenv("NEWSWATCH_DATA_DIR", str(status.parent))
    shown = CliRunner().invoke(main, ["rules", "status"])
    assert shown.exit_code == 1 and expected in shown.output
    # a duplicate id in a new file is refused, the running rule stays
    write_rules(folder, "c.yaml", "rules:\n- id: watched\n  when: {type: ceasefire}\n")
    await until(lambda: str(folder / "c.yaml") in holder.errors, "duplicate id")
    assert "duplicate rule id 'watched'" in str(holder.errors[str(folder / "c.yaml")][0])
    assert await fires(holder, "ceasefire") == []
    # fixing the file clears its error and applies it
    write_rules(folder, "a.yaml", RULE.format(type="attack"))
    await until(lambda: str(folder / "a.yaml") not in holder.errors, "the fix")
    assert await fires(holder, "attack") == ["watched"]
