"""Benchmark: a light CLI, and rule loading linear in the number of rules.

1. `newswatch --help` and `newswatch alerts list` (on a store of 20 alerts), each in a fresh
   `python -m streams.cli` process, against `python -c 'import spacy'` measured in the same
   run: wall time, best of RUNS, the three taken in turn so that a change of load on the
   machine touches them alike. Target: each <= 0.5 x import spacy.
2. Loading 100 and 2,000 rules (bench_rules.py's generated rules, through load_rulebook),
   as one file and as one file per rule: time per rule, best of LOADS, in CPU time of this
   process (the machine's load shifts wall time far more). Target: 2,000 rules <= 2 x the
   time per rule of 100.
Run: .venv/bin/python tests/bench/bench_cli.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "support"), str(ROOT / "tests" / "bench")]

from bench_rules import write  # noqa: E402
from cli_support import command_env, store_with_alerts  # noqa: E402

from streams.cli.rules import event_types  # noqa: E402
from streams.evaluate.rulebook import load_rulebook  # noqa: E402
from streams.knowledge.gazetteer import Gazetteer  # noqa: E402

RUNS, LOADS = 7, 5
COMMAND_BAR, RULES_BAR = 0.5, 2.0
COMMANDS = {
    "import spacy": ["-c", "import spacy"],
    "newswatch --help": ["-m", "streams.cli", "--help"],
    "newswatch alerts list": ["-m", "streams.cli", "alerts", "list"],
}


def command_times(data_dir: Path) -> dict[str, float]:
    """Best wall time of each command over RUNS fresh processes, taken in turn."""
    best = dict.fromkeys(COMMANDS, float("inf"))
    env = command_env(data_dir)
    for _ in range(RUNS):
        for name, args in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True,
                           capture_output=True)  # fmt: skip
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def split(folder: Path) -> Path:
    """The rules of folder/rules.yaml, one file each, in a sibling folder."""
    body = (folder / "rules.yaml").read_text(encoding="utf-8").split("rules:\n", 1)[1]
    out = folder.with_name(folder.name + "-files")
    out.mkdir()
    for i, rule in enumerate("  - id:" + c for c in body.split("  - id:")[1:]):
        (out / f"r{i:05d}.yaml").write_text("rules:\n" + rule, encoding="utf-8")
    return out


def per_rule(load: Callable[[], int]) -> float:
    """Best CPU seconds per rule over LOADS loads."""
    best = float("inf")
    for _ in range(LOADS):
        start = time.process_time()
        count = load()
        best = min(best, (time.process_time() - start) / count)
    return best


def rule_ratios(tmp: Path) -> dict[str, float]:
    gazetteer = Gazetteer.load(ROOT / "rules" / "taxonomy" / "gazetteer.yaml")
    types = event_types(ROOT / "rules" / "taxonomy")

    def loader(folder: Path, size: int) -> Callable[[], int]:
        def load() -> int:
            result = load_rulebook(folder, gazetteer, types)
            assert not result.errors and len(result.rulebook) == size, result.errors[:3]
            return size

        return load

    ratios = {}
    for layout in ("one file", "a file per rule"):
        times = {}
        for size in (100, 2000):
            folder = tmp / f"{size}"
            if not folder.exists():
                write(folder, size)
            target = folder if layout == "one file" else split(folder)
            times[size] = per_rule(loader(target, size))
        ratio = times[2000] / times[100]
        print(f"load rules ({layout}): 100 rules {times[100] * 1e6:6.0f} us/rule, 2,000 rules "
              f"{times[2000] * 1e6:6.0f} us/rule")  # fmt: skip
        ratios[f"2,000 / 100 rules, per rule, {layout}"] = ratio
    return ratios


def main() -> int:
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        store_with_alerts(Path(tmp) / "var", 20)
        best = command_times(Path(tmp) / "var")
        spacy = best.pop("import spacy")
        print(f"import spacy: {spacy:.3f} s (best of {RUNS})")
        for name, seconds in best.items():
            ratio = seconds / spacy
            ok &= ratio <= COMMAND_BAR
            print(f"{name} / import spacy = {seconds:.3f} / {spacy:.3f} s = {ratio:.2f} "
                  f"(target <= {COMMAND_BAR}) -> {'OK' if ratio <= COMMAND_BAR else 'FAIL'}")
        for name, ratio in rule_ratios(Path(tmp)).items():
            ok &= ratio <= RULES_BAR
            print(f"{name} = {ratio:.2f}x (target <= {RULES_BAR}) -> "
                  f"{'OK' if ratio <= RULES_BAR else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
