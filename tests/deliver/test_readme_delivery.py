"""The README's Delivery section runs as written: its shell blocks, one session in order,
against a fresh store holding one alert; and `config show` there prints no secret."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from delivery_support import make_alert

from streams.deliver.record import record_alert
from streams.store import Store

README = Path(__file__).resolve().parents[2] / "README.md"

pytestmark = pytest.mark.slow


def delivery_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Delivery\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


async def seed(url: str) -> str:
    store = await Store(url).open()
    try:
        alert = make_alert(destinations=["slack-ops"])
        await record_alert(store, alert)
        return alert.id
    finally:
        await store.close()


def test_the_delivery_examples_run_and_print_no_secret(tmp_path):
    blocks = delivery_blocks()
    assert len(blocks) == 2
    alert_id = asyncio.run(seed(f"sqlite+aiosqlite:///{tmp_path / 'newswatch.db'}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    env["NEWSWATCH_DATA_DIR"] = str(tmp_path)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(blocks)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    secrets = re.findall(r"export \w+='([^']*)'", blocks[0])
    assert len(secrets) >= 3 and not any(s in out or s in done.stderr for s in secrets[:3])
    assert '"webhook_url_env": "SLACK_OPS_WEBHOOK"' in out and '"bot_token": "***"' in out
    assert "silence #1" in out and "silence #2" in out
    assert f"acknowledged {alert_id} by ana" in out and "silence #1 ended" in out
    assert "requeued 0 deliveries" in out
