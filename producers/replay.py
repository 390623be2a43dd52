"""Replay a JSONL file of events through the intake, line by line.

A bad line is reported with its number and reason and the replay goes on;
the caller gets a summary of what was accepted, duplicated and rejected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from producers.intake import Intake, Outcome


@dataclass
class LineResult:
    line: int
    outcome: Outcome


@dataclass
class ReplaySummary:
    counts: Counter = field(default_factory=Counter)
    problems: list[LineResult] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def iter_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                yield number, line.rstrip(b"\r\n")


def replay(path: Path, intake: Intake, on_line: Callable[[LineResult], None] | None = None) -> ReplaySummary:
    summary = ReplaySummary()
    for number, raw in iter_lines(path):
        outcome = intake.submit_raw(raw)
        result = LineResult(number, outcome)
        summary.counts[outcome.status] += 1
        if outcome.status == "rejected":
            summary.problems.append(result)
        elif outcome.event_id:
            summary.event_ids.append(outcome.event_id)
        if on_line:
            on_line(result)
    return summary
