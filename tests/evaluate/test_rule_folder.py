"""A rules folder that disappears or is emptied under a running service withdraws nothing:
the last good rules stay in force (an entry arriving meanwhile still alerts), and the log,
the holder's problems() (read by /health), `rules status` and an operator alert say so until
the folder is back; removing a single file still withdraws its rules."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rules_support import RULE, fires, held_folder, until, write_rules

from streams.cli import main
from streams.deliver.record import record_alert
from streams.deliver.rules_alerts import FOLDER_BACK, FOLDER_PROBLEM, folder_alert
from streams.evaluate.hot_reload import watch_rules
from streams.store.alerts import list_alerts


@pytest.fixture
async def watched(tmp_path: Path, store):
    holder, folder, status, gaz = held_folder(
        tmp_path, {"b.yaml": "rules:\n- id: second\n  when: {type: sanctions}\n"})
    told: list[tuple[str | None, str | None]] = []

    async def operator_alert(problem: str | None, previous: str | None) -> None:
        now = dt.datetime.now(dt.UTC)
        await record_alert(store, folder_alert(problem, previous, now, now))
        told.append((problem, previous))  # once recorded: the test reads the store after

    task = asyncio.create_task(
        watch_rules(holder, folder, gaz, status_path=status, on_problem=operator_alert)
    )
    yield holder, folder, status, told
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_folder_moved_away_keeps_the_rules_and_reports(watched, store, caplog, monkeypatch):
    holder, folder, status, told = watched
    caplog.set_level(logging.WARNING)
    moved = folder.with_name("rules-moved")
    shutil.move(folder, moved)
    await until(lambda: holder.problems(), "the folder reported missing")
    assert holder.problems() == [f"rules folder missing: {folder}"]
    # an entry arriving while the folder is gone is still evaluated against the last rules
    assert await fires(holder, "meeting") == ["watched"]
    assert await fires(holder, "sanctions") == ["second"]
    assert "rules folder missing" in caplog.text and "last good rules stay in force" in caplog.text
    await until(lambda: json.loads(status.read_text())["problems"], "the status file")
    monkeypatch.setenv("NEWSWATCH_DATA_DIR", str(status.parent))
    shown = CliRunner().invoke(main, ["rules", "status"])
    assert shown.exit_code == 1
    assert f"problem: rules folder missing: {folder}" in shown.output
    assert "2 rules in force" in shown.output
    await until(lambda: told, "the operator alert")
    (alert,) = await list_alerts(store)
    assert alert.rule_id == FOLDER_PROBLEM and "rules folder missing" in alert.payload["message"]

    shutil.move(moved, folder)  # back: the problem clears, nothing was reloaded
    await until(lambda: not holder.problems(), "the folder back")
    await until(lambda: len(told) == 2, "the operator alert of the folder back")
    assert told[-1] == (None, f"rules folder missing: {folder}")
    assert FOLDER_BACK in {a.rule_id for a in await list_alerts(store)}
    assert holder.reloads == 0 and await fires(holder, "meeting") == ["watched"]
    assert json.loads(status.read_text())["problems"] == []


async def test_emptied_folder_keeps_the_rules_a_single_removal_withdraws(watched) -> None:
    holder, folder, _status, told = watched
    (folder / "b.yaml").unlink()  # one file removed: its rules are withdrawn
    await until(lambda: holder.rulebook.get("second") is None, "b.yaml withdrawn")
    assert not holder.problems()
    (folder / "a.yaml").unlink()  # the last one: the folder is empty, nothing is withdrawn
    await until(lambda: holder.problems(), "the folder reported empty")
    assert holder.problems() == [f"rules folder empty: {folder}"]
    await until(lambda: told, "the operator alert")
    assert told == [(f"rules folder empty: {folder}", None)]
    assert await fires(holder, "meeting") == ["watched"]
    write_rules(folder, "a.yaml", RULE.format(type="attack"))  # a file again: loaded
    await until(lambda: not holder.problems() and holder.reloads == 2, "a.yaml again")
    assert await fires(holder, "attack") == ["watched"]


async def test_folder_alert_refused_by_the_store_is_raised_once_it_can(tmp_path, store):
    """Recording the operator alert fails (the store refuses writes, as on a full disk) when
    the folder goes: the alert is not lost but raised at a later scan, once recording works,
    and before the alert of the folder back. The refusal is the store's own error, raised by
    the recorder for its first attempts (a real full disk here would contend with the
    watcher's retries for SQLite's lock)."""
    from streams.core.errors import StoreError

    holder, folder, status, gaz = held_folder(
        tmp_path, {"b.yaml": "rules:\n- id: second\n  when: {type: sanctions}\n"})
    refusing = {"on": True}
    attempts: list[str | None] = []
    told: list[tuple[str | None, str | None]] = []

    async def operator_alert(problem: str | None, previous: str | None) -> None:
        attempts.append(problem)
        if refusing["on"]:
            raise StoreError("sqlite:///store.db: database or disk is full")
        now = dt.datetime.now(dt.UTC)
        await record_alert(store, folder_alert(problem, previous, now, now))
        told.append((problem, previous))

    task = asyncio.create_task(
        watch_rules(holder, folder, gaz, status_path=status, on_problem=operator_alert))
    try:
        moved = folder.with_name("rules-moved")
        shutil.move(folder, moved)
        await until(lambda: len(attempts) >= 2, "the alert tried again while refused")
        assert told == [] and await list_alerts(store) == []
        shutil.move(moved, folder)
        await until(lambda: not holder.problems(), "the folder back")
        refusing["on"] = False
        await until(lambda: len(told) == 2, "both operator alerts, once recording works")
        assert told == [(f"rules folder missing: {folder}", None),
                        (None, f"rules folder missing: {folder}")]
        assert {a.rule_id for a in await list_alerts(store)} == {FOLDER_PROBLEM, FOLDER_BACK}
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
