"""Retry policy of the stage tasks: what is retried, what is dead-lettered at once."""

from __future__ import annotations

from types import SimpleNamespace

import kombu.exceptions
import pytest
import redis.exceptions
import sqlalchemy.exc
import torch

from workers import pipeline
from workers.app import app


@pytest.mark.parametrize("name", ["ingest", "generate", "correct", "dedup", "rank", "publish", "ingest_review",
                                  "sentiment", "aspect_summary"])
def test_every_stage_is_a_registered_task_with_backoff(name):
    task = app.tasks[f"descflow.{name}"]
    assert isinstance(task, pipeline.StageTask)
    assert task.retry_backoff and task.retry_jitter and task.acks_late
    assert task.max_retries >= 0 and task.retry_backoff_max > 0
    for transient in (redis.exceptions.ConnectionError, sqlalchemy.exc.OperationalError, pipeline.TransientError,
                      kombu.exceptions.OperationalError):
        assert issubclass(transient, task.autoretry_for)
    assert pipeline.PermanentError in task.dont_autoretry_for


def test_new_generations_queue_behind_products_already_under_way():
    steps = pipeline.product_chain("evt-1", "en-US").tasks
    assert [s.task for s in steps] == ["descflow.generate", "descflow.correct", "descflow.dedup", "descflow.rank",
                                       "descflow.publish"]
    assert steps[0].options["priority"] == pipeline.GENERATE_PRIORITY > 0  # Redis: 0 is served first
    assert all("priority" not in s.options for s in steps[1:])


def test_workers_wait_for_a_restarting_broker_when_sending_the_next_stage():
    policy = app.conf.task_publish_retry_policy
    waited = sum(min(policy["interval_start"] + k * policy["interval_step"], policy["interval_max"])
                 for k in range(policy["max_retries"]))
    assert app.conf.task_publish_retry and waited >= 60


@pytest.fixture()
def recorded(monkeypatch) -> list[tuple]:
    """Stage timings the wrapper records, instead of a database."""
    rows: list[tuple] = []
    monkeypatch.setattr(pipeline, "get_runtime", lambda: SimpleNamespace(
        store=SimpleNamespace(record_stage=lambda *a: rows.append(a))))
    return rows


def test_device_out_of_memory_becomes_a_transient_error(recorded):
    @pipeline.stage("generate")
    def fails(self, event_id, locale):
        raise torch.OutOfMemoryError("CUDA out of memory")

    fake_task = SimpleNamespace(request=SimpleNamespace(retries=0, hostname="gpu@test"))
    with pytest.raises(pipeline.TransientError, match="out of memory"):
        fails(fake_task, "e-1", "en-US")
    assert recorded == []  # a failed stage leaves no timing row


def test_a_stage_records_its_timing_against_event_and_locale(recorded):
    @pipeline.stage("rank")
    def works(self, event_id, locale):
        return 7

    fake_task = SimpleNamespace(request=SimpleNamespace(retries=2, hostname="gpu@test"))
    assert works(fake_task, "e-1", "zh-CN") == 7
    (event_id, locale, stage, seconds, attempts, worker), = recorded
    assert (event_id, locale, stage, attempts, worker) == ("e-1", "zh-CN", "rank", 3, "gpu@test") and seconds >= 0


def test_a_cpu_worker_child_runs_torch_on_one_thread():
    import torch

    from workers.pipeline import _one_thread_per_child

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        _one_thread_per_child()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
