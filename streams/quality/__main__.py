"""`python -m streams.quality [--format json] [SEEDS REFERENCE.yaml] [CORPUS ...]`: what
`make eval` runs. A folder followed by a .yaml file is a seed folder and its extraction
reference; every other folder is an annotated corpus (expected.yaml, events.yaml). The
spaCy model loads once for all of them."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streams.config.settings import Settings
    from streams.extract.extractor import Extractor

USAGE = "usage: python -m streams.quality [--format json] [SEEDS REFERENCE.yaml] [CORPUS ...]"


def parse(argv: list[str]) -> tuple[str, list[tuple[Path, Path]], list[Path]]:
    """(format, [(seed folder, reference)], [corpus folder]); ValueError names a bad arg."""
    fmt, rest = "text", list(argv)
    if "--format" in rest:
        i = rest.index("--format")
        fmt = rest[i + 1] if i + 1 < len(rest) else ""
        del rest[i : i + 2]
    if fmt not in ("text", "json"):
        raise ValueError(f"--format must be text or json, not {fmt!r}")
    seeds, corpora = [], []
    while rest:
        folder = Path(rest.pop(0))
        if not folder.is_dir():
            raise ValueError(f"{folder}: no such folder")
        if rest and rest[0].endswith((".yaml", ".yml")):
            seeds.append((folder, Path(rest.pop(0))))
        elif (folder / "expected.yaml").is_file():
            corpora.append(folder)
        else:
            raise ValueError(f"{folder}: no expected.yaml (a seed folder needs its reference)")
    return fmt, seeds, corpora


def main(argv: list[str], extractor: Extractor | None = None) -> int:
    """Measure each folder with one extractor (built here unless one is given)."""
    from streams.config.settings import SettingsError
    from streams.runtime.bootstrap import settings_for_command

    try:
        fmt, seeds, corpora = parse(argv)
        settings = settings_for_command()
    except (ValueError, SettingsError) as exc:
        print(f"{exc}\n{USAGE}", file=sys.stderr)
        return 2
    if extractor is None:
        from streams.extract.extractor import build_extractor

        extractor = build_extractor(settings)
    figures = asyncio.run(_measure(fmt, seeds, corpora, settings, extractor))
    if fmt == "json":
        print(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0


async def _measure(fmt: str, seeds: list[tuple[Path, Path]], corpora: list[Path],
                   settings: Settings, extractor: Extractor) -> dict[str, Any]:
    from streams.quality import corpus, report
    from streams.quality.seeds import evaluate

    out: dict[str, Any] = {"seeds": [], "corpora": []}
    for folder, reference in seeds:
        result = evaluate(folder, reference, extractor=extractor)
        out["seeds"].append({"folder": str(folder), "reference": str(reference),
                             **result.figures()})
        if fmt == "text":
            print(report.seeds_text(str(folder), str(reference), result), flush=True)
    for folder in corpora:
        measured = await corpus.measure(folder, settings, extractor)
        out["corpora"].append(measured.figures())
        if fmt == "text":
            print(report.corpus_text(measured), flush=True)
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
