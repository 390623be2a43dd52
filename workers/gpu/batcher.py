"""Cross-task batching: many tasks' requests through one model call.

A gpu worker runs its tasks in threads (one process per device). Each task
hands its requests to the batcher and blocks; one model thread collects the
requests of every waiting task, up to `max_batch` items or `max_wait` seconds
after the first arrived, runs them as one batch and hands each task its own
results back.

Why not a buffering task class (celery-batches and the like): those acknowledge
or fail messages as a group, outside the task that stored the result. Here each
Celery task stays an ordinary task — it is acknowledged only after *its* rows
are committed (`acks_late`), it retries on its own, and a worker killed
mid-batch leaves every message of the batch unacknowledged, to be redelivered.
The batcher is only a rendezvous inside the process; it holds no state that a
crash could lose.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

Runner = Callable[[list[Any]], list[Any]]
BatchObserver = Callable[[str, list[Any], list[Any], float], None]


class BatcherClosed(RuntimeError):
    """The batcher was shut down (worker stopping): the task should be retried elsewhere."""


@dataclass(eq=False)
class _Job:
    kind: str
    items: list[Any]
    done: threading.Event = field(default_factory=threading.Event)
    result: list[Any] | None = None
    error: BaseException | None = None


class Batcher:
    """One model thread serving many submitting threads, batch by batch.

    `runners` maps a kind of work ("generate", "score") to a function that takes
    a list of items and returns one result per item, in order. Jobs of one kind
    are batched together; kinds never mix in a batch.
    """

    def __init__(self, runners: Mapping[str, Runner], *, max_batch: int, max_wait: float,
                 on_batch: BatchObserver | None = None, on_start: Callable[[], None] | None = None,
                 name: str = "descflow-batcher"):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.runners = dict(runners)
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.on_batch = on_batch
        self.on_start = on_start  # runs first in the model thread: per-thread library settings go here
        self._jobs: deque[_Job] = deque()
        self._cv = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    # ---- the submitting side ----------------------------------------------------------

    def submit(self, kind: str, items: Sequence[Any], timeout: float | None = None) -> list[Any]:
        """Run `items` in the next batch of their kind and wait for their results."""
        if kind not in self.runners:
            raise KeyError(f"no runner for {kind!r}; known: {sorted(self.runners)}")
        if not items:
            return []
        job = _Job(kind, list(items))
        with self._cv:
            if self._closed or not self._thread.is_alive():
                raise BatcherClosed("the batcher is not running")
            self._jobs.append(job)
            self._cv.notify_all()
        if not job.done.wait(timeout):
            with self._cv:
                if job in self._jobs:  # never started: take it back so it cannot run later
                    self._jobs.remove(job)
            raise TimeoutError(f"no {kind} result within {timeout} s (batcher busy or stuck)")
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def close(self, timeout: float = 30.0) -> None:
        """Finish the batches in hand; refuse new work; fail what was never started."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._thread.join(timeout)
        with self._cv:
            while self._jobs:
                job = self._jobs.popleft()
                job.error = BatcherClosed("the worker is stopping")
                job.done.set()

    @property
    def pending(self) -> int:
        with self._cv:
            return sum(len(j.items) for j in self._jobs)

    # ---- the model thread -------------------------------------------------------------

    def _take(self) -> list[_Job]:
        """Wait for work, then for the batch to fill or the first job's wait to run out."""
        with self._cv:
            while not self._jobs and not self._closed:
                self._cv.wait()
            if not self._jobs:
                return []
            kind = self._jobs[0].kind
            deadline = time.monotonic() + self.max_wait
            while not self._closed:
                queued = sum(len(j.items) for j in self._jobs if j.kind == kind)
                remaining = deadline - time.monotonic()
                if queued >= self.max_batch or remaining <= 0:
                    break
                self._cv.wait(remaining)
            taken: list[_Job] = []
            size = 0
            for job in list(self._jobs):  # first come, first served; a job is never split
                if job.kind != kind:
                    continue
                if taken and size + len(job.items) > self.max_batch:
                    break
                taken.append(job)
                size += len(job.items)
                self._jobs.remove(job)
            return taken

    def _loop(self) -> None:
        _name_os_thread(self._thread.name)
        if self.on_start is not None:
            try:
                self.on_start()
            except Exception:  # noqa: BLE001 - a tuning hook must not stop the model thread
                log.exception("batcher start hook failed")
        while True:
            jobs = self._take()
            if not jobs:
                return
            self._run(jobs)

    def _run(self, jobs: list[_Job]) -> None:
        kind = jobs[0].kind
        items = [item for job in jobs for item in job.items]
        started = time.perf_counter()
        try:
            results = self.runners[kind](items)
            if len(results) != len(items):
                raise RuntimeError(f"{kind} runner returned {len(results)} results for {len(items)} items")
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting tasks, never swallowed
            if len(jobs) > 1:
                # One bad (or too large) request must not fail its neighbours: run each job alone.
                log.warning("%s batch of %d jobs failed (%s: %s); running them one by one",
                            kind, len(jobs), type(exc).__name__, exc)
                for job in jobs:
                    self._run([job])
                return
            for job in jobs:
                job.error = exc
                job.done.set()
            return
        if self.on_batch is not None:
            try:
                self.on_batch(kind, items, results, time.perf_counter() - started)
            except Exception:  # noqa: BLE001 - metrics must never fail a batch
                log.exception("batch observer failed")
        start = 0
        for job in jobs:
            job.result = results[start:start + len(job.items)]
            start += len(job.items)
            job.done.set()


def _name_os_thread(name: str) -> None:
    """Give the model thread its name in the OS too (Linux): `top -H`, `ps -L` and profilers show it.

    Python names threads only for itself; the operating system sees every thread
    of a worker as "python". The kernel keeps 15 bytes of the name.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME: the calling thread
    except (OSError, AttributeError):
        log.debug("could not name the model thread in the OS")
