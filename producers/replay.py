"""Replay a JSONL file of events through the intake, line by line.

A bad line is reported with its number and reason and the replay goes on;
the caller gets a summary of what was accepted, duplicated and rejected.
While Redis or the database is down a line is sent again with jittered
back-off, for up to `retry_for` seconds, so that a replay rides out a restart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential_jitter

from producers.intake import Intake, Outcome, Unavailable


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


def submit_with_retry(intake: Intake, raw: bytes, retry_for: float) -> Outcome:
    """One line, re-sent while the services behind the intake are down; Unavailable after retry_for seconds."""
    for attempt in Retrying(retry=retry_if_exception_type(Unavailable), stop=stop_after_delay(retry_for),
                            wait=wait_exponential_jitter(initial=0.2, max=5.0), reraise=True):
        with attempt:
            return intake.submit_raw(raw)
    raise AssertionError("unreachable: tenacity re-raises the last Unavailable")


def replay(path: Path, intake: Intake, on_line: Callable[[LineResult], None] | None = None, *,
           retry_for: float | None = None) -> ReplaySummary:
    summary = ReplaySummary()
    retry_for = intake.settings.producer_retry_seconds if retry_for is None else retry_for
    for number, raw in iter_lines(path):
        outcome = submit_with_retry(intake, raw, retry_for)
        result = LineResult(number, outcome)
        summary.counts[outcome.status] += 1
        if outcome.status == "rejected":
            summary.problems.append(result)
        elif outcome.event_id:
            summary.event_ids.append(outcome.event_id)
        if on_line:
            on_line(result)
    return summary
