"""The measurements as text for a person: a header per folder, a table per rule, the
diagnosis lines, then the event figures. Pure: strings from results."""

from __future__ import annotations

from streams.quality.alerts import AlertScore, RuleScore
from streams.quality.corpus import CorpusResult
from streams.quality.diagnosis import describe
from streams.quality.events import EventScore
from streams.quality.seeds import Report


def seeds_text(folder: str, reference: str, report: Report) -> str:
    return f"== seeds: extraction on {folder} against {reference}\n\n{report.text()}\n"


def corpus_text(result: CorpusResult) -> str:
    parts = [
        f"== corpus: {result.folder} ({result.articles} articles replayed)",
        "",
        alerts_table(result.alerts),
        "",
        "diagnosis (wrong/repeat: the event that fired; missed: what was extracted from the "
        "expected article)",
        *(result.diagnosis or ["  none"]),
    ]
    if result.events is not None:
        parts += ["", events_text(result.events)]
    return "\n".join(parts) + "\n"


def alerts_table(score: AlertScore) -> str:
    rows = [f"{'rule':<24} {'tp':>3} {'fp':>3} {'fn':>3} {'precision':>9} {'recall':>6}"]
    rows += [_row(rule, s) for rule, s in score.rules.items()]
    rows.append(_row("overall", score.overall))
    return "\n".join(rows)


def _row(name: str, s: RuleScore) -> str:
    return f"{name:<24} {s.tp:>3} {s.fp:>3} {s.fn:>3} {s.precision:>9.2f} {s.recall:>6.2f}"


def events_text(score: EventScore) -> str:
    n = len(score.matched)
    lines = [
        "events (events.yaml)",
        f"recall            {score.recall:.2f}  ({n}/{score.total} firing reference events)",
        f"status right      {_share(score.status_right, n)}  ({score.status_right}/{n} matched)",
        f"killed right      {_share(score.killed_right, score.killed_stated)}  "
        f"({score.killed_right}/{score.killed_stated} matched with a stated toll)",
        f"non-events read   {len(score.nonevents_read)}/{score.nonevents_total} "
        "hypothetical or denied references read as firing events",
        f"story pairs       precision {score.story_precision:.2f} recall "
        f"{score.story_recall:.2f}  (pairs of matched references: {score.pairs_same_ref} of "
        f"one story, {score.pairs_same_got} given one story id, {score.pairs_same_both} both)",
    ]
    lines += [
        f"non-event {m.ref.article} {m.ref.story} ({m.ref.status}): {describe(m.event)}"
        for m in score.nonevents_read
    ]
    return "\n".join(lines)


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else " -  "
