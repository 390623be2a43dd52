"""The cross-task batcher: many submitting threads, one model thread."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from workers.gpu.batcher import Batcher, BatcherClosed


def _doubler(log: list[list[int]]):
    def run(items: list[int]) -> list[int]:
        log.append(list(items))
        return [x * 2 for x in items]

    return run


def test_jobs_from_many_threads_share_batches_and_get_their_own_results() -> None:
    batches: list[list[int]] = []
    b = Batcher({"double": _doubler(batches)}, max_batch=16, max_wait=0.5)
    try:
        with ThreadPoolExecutor(8) as pool:
            jobs = [list(range(10 * k, 10 * k + 4)) for k in range(8)]  # 8 tasks x 4 candidates
            results = list(pool.map(lambda items: b.submit("double", items), jobs))
    finally:
        b.close()
    assert results == [[x * 2 for x in items] for items in jobs]
    assert all(len(batch) <= 16 for batch in batches)
    assert len(batches) <= 4  # 32 items at most 16 a batch: far fewer batches than the 8 jobs
    assert sorted(x for batch in batches for x in batch) == sorted(x for items in jobs for x in items)


def test_a_lone_job_runs_after_the_wait_without_a_full_batch() -> None:
    b = Batcher({"double": _doubler([])}, max_batch=64, max_wait=0.05)
    try:
        started = time.monotonic()
        assert b.submit("double", [1, 2]) == [2, 4]
        assert time.monotonic() - started < 2.0
    finally:
        b.close()


def test_a_job_is_never_split_and_a_big_job_runs_alone() -> None:
    batches: list[list[int]] = []
    b = Batcher({"double": _doubler(batches)}, max_batch=4, max_wait=0.2)
    try:
        with ThreadPoolExecutor(3) as pool:
            a = pool.submit(b.submit, "double", [1, 2, 3])
            time.sleep(0.02)
            big = pool.submit(b.submit, "double", list(range(100, 106)))  # larger than max_batch
            assert a.result() == [2, 4, 6] and big.result() == [x * 2 for x in range(100, 106)]
    finally:
        b.close()
    assert [1, 2, 3] in batches and list(range(100, 106)) in batches


def test_kinds_never_mix_in_a_batch() -> None:
    seen: list[tuple[str, list[int]]] = []

    def runner(kind: str):
        def run(items: list[int]) -> list[int]:
            seen.append((kind, list(items)))
            return [x + (1000 if kind == "b" else 0) for x in items]
        return run

    b = Batcher({"a": runner("a"), "b": runner("b")}, max_batch=8, max_wait=0.2)
    try:
        with ThreadPoolExecutor(4) as pool:
            fa = [pool.submit(b.submit, "a", [i]) for i in range(3)]
            fb = [pool.submit(b.submit, "b", [i]) for i in range(3)]
            assert [f.result() for f in fa] == [[0], [1], [2]]
            assert [f.result() for f in fb] == [[1000], [1001], [1002]]
    finally:
        b.close()
    assert {kind for kind, _ in seen} == {"a", "b"}
    assert sorted(x for kind, items in seen if kind == "a" for x in items) == [0, 1, 2]


def test_one_bad_job_fails_alone_and_its_neighbours_succeed() -> None:
    calls: list[list[int]] = []

    def run(items: list[int]) -> list[int]:
        calls.append(list(items))
        if -1 in items:
            raise ValueError("cannot handle -1")
        return [x * 2 for x in items]

    b = Batcher({"double": run}, max_batch=16, max_wait=0.3)
    try:
        with ThreadPoolExecutor(3) as pool:
            good = pool.submit(b.submit, "double", [1, 2])
            bad = pool.submit(b.submit, "double", [-1])
            other = pool.submit(b.submit, "double", [5])
            assert good.result() == [2, 4] and other.result() == [10]
            with pytest.raises(ValueError, match="-1"):
                bad.result()
    finally:
        b.close()
    assert any(len(c) > 1 for c in calls)  # they did share a batch before being split up


def test_a_runner_that_loses_results_is_an_error_not_a_silent_drop() -> None:
    b = Batcher({"lossy": lambda items: items[:-1]}, max_batch=4, max_wait=0.01)
    try:
        with pytest.raises(RuntimeError, match="returned 1 results for 2 items"):
            b.submit("lossy", [1, 2])
    finally:
        b.close()


def test_timeout_takes_a_waiting_job_back_and_closed_batcher_refuses() -> None:
    gate = threading.Event()

    def slow(items: list[int]) -> list[int]:
        gate.wait(5)
        return items

    b = Batcher({"slow": slow}, max_batch=1, max_wait=0.0)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(b.submit, "slow", [1])  # occupies the model thread
        time.sleep(0.1)
        with pytest.raises(TimeoutError):
            b.submit("slow", [2], timeout=0.2)
        assert b.pending == 0  # the timed-out job will not run later
        gate.set()
        assert first.result() == [1]
    b.close()
    with pytest.raises(BatcherClosed):
        b.submit("slow", [3])


def test_observer_sees_every_batch_and_its_failure_does_not_fail_the_batch() -> None:
    seen: list[tuple[str, int]] = []

    def observe(kind: str, items: list, results: list, seconds: float) -> None:
        seen.append((kind, len(items)))
        raise RuntimeError("metrics backend down")

    b = Batcher({"double": _doubler([])}, max_batch=8, max_wait=0.01, on_batch=observe)
    try:
        assert b.submit("double", [1, 2, 3]) == [2, 4, 6]
    finally:
        b.close()
    assert seen == [("double", 3)]


def test_the_start_hook_runs_in_the_model_thread_before_any_batch() -> None:
    seen: list[str] = []

    def run(items: list[int]) -> list[int]:
        seen.append(f"batch in {threading.current_thread().name}")
        return items

    b = Batcher({"echo": run}, max_batch=4, max_wait=0.0, name="model-thread",
                on_start=lambda: seen.append(f"start in {threading.current_thread().name}"))
    try:
        assert b.submit("echo", [1]) == [1]
    finally:
        b.close()
    assert seen == ["start in model-thread", "batch in model-thread"]
