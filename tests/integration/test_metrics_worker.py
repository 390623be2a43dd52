"""Metrics and JSON logs of real workers: a solo gpu worker and a prefork cpu worker with two children."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from descflow.services import WorkerProcess, free_port
from schemas.settings import Settings
from schemas.tables import PublishedDescription
from tests.factories import product_event
from tests.stack import SECRET, Stack, stop_stack
from workers.store import Store

GPU_TASKS = ("descflow.generate", "descflow.correct", "descflow.rank")
CPU_TASKS = ("descflow.ingest", "descflow.dedup", "descflow.publish")


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(url, timeout=10).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def tasks(got: dict, task: str, state: str) -> float:
    return got.get(("descflow_tasks_total", (("state", state), ("task", task))), 0.0)


@pytest.fixture(scope="module")
def metered(tmp_path_factory: pytest.TempPathFactory, redis_url: str, tiny_model: Path) -> Iterator[Stack]:
    """The stack of tests/stack.py, each worker with its own metrics port and JSON logs."""
    tmp = tmp_path_factory.mktemp("metered")
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    database_url = f"sqlite:///{tmp / 'descflow.db'}"
    env = {"DESCFLOW_BROKER_URL": redis_url, "DESCFLOW_DATABASE_URL": database_url,
           "DESCFLOW_GENERATOR_MODEL": str(tiny_model), "DESCFLOW_HOME": str(tmp), "DESCFLOW_WEBHOOK_SECRET": SECRET,
           "DESCFLOW_CANDIDATES": "4", "DESCFLOW_MAX_NEW_TOKENS": "80", "DESCFLOW_MAX_RETRIES": "2",
           "DESCFLOW_RETRY_BACKOFF_MAX": "1", "DESCFLOW_LOG_LEVEL": "INFO", "DESCFLOW_LOG_FORMAT": "json"}
    settings = Settings(**{k.removeprefix("DESCFLOW_").lower(): v for k, v in env.items()})
    log_dir = tmp / "logs"
    workers = {
        "gpu": WorkerProcess("gpu", {**env, "DESCFLOW_METRICS_PORT": str(free_port())}, log_dir / "gpu.log"),
        "cpu": WorkerProcess("cpu", {**env, "DESCFLOW_METRICS_PORT": str(free_port()),
                                     "DESCFLOW_METRICS_DIR": str(tmp / "cpu-metrics")},
                             log_dir / "cpu.log", concurrency=2),
    }
    stack = Stack(settings=settings, store=Store(database_url), redis=client, workers=workers, log_dir=log_dir)
    try:  # from the first start: a worker left running would take the next module's tasks
        for w in workers.values():
            w.start()
        for w in workers.values():
            w.wait_ready(timeout=120)
        yield stack
    finally:
        stop_stack(stack)


def url_of(w: WorkerProcess) -> str:
    return f"http://127.0.0.1:{w.env['DESCFLOW_METRICS_PORT']}/metrics"


@pytest.fixture(scope="module")
def published_events(metered: Stack) -> list[dict]:
    events = [product_event("en-US"), product_event("zh-CN")]
    intake = metered.intake()
    for event in events:
        assert intake.submit(event).status == "accepted"
    ids = {e["event_id"] for e in events}

    def done() -> bool:
        with metered.store.session() as s:
            rows = s.exec(select(PublishedDescription).where(PublishedDescription.event_id.in_(ids))).all()
        return {r.event_id for r in rows} == ids

    metered.wait_for(done, timeout=180, what="both events published")
    # A row is committed inside its task; the task's own "succeeded" comes a moment later.
    metered.wait_for(lambda: tasks(scrape(url_of(metered.workers["cpu"])), "descflow.publish", "succeeded") >= 2,
                     timeout=60, what="both publish tasks counted as succeeded")
    return events


def test_gpu_worker_counts_its_stages_and_reports_memory(metered, published_events):
    got = scrape(url_of(metered.workers["gpu"]))
    for task in GPU_TASKS:
        assert tasks(got, task, "started") >= 2, task
        assert tasks(got, task, "succeeded") >= 2, task
        assert tasks(got, task, "failed") == 0, task
    for task in CPU_TASKS:  # cpu stages never run here
        assert tasks(got, task, "started") == 0
    for stage in ("generate", "correct", "rank"):
        assert got[("descflow_stage_duration_seconds_count", (("stage", stage),))] >= 2
        assert got[("descflow_stage_duration_seconds_sum", (("stage", stage),))] > 0
    pid = metered.workers["gpu"].proc.pid
    rss = got[("descflow_process_resident_memory_bytes", ())]
    # The solo worker is one process, the model in it: its RSS within a few percent of what the OS says.
    assert rss == pytest.approx(psutil.Process(pid).memory_info().rss, rel=0.2)
    assert got[("process_resident_memory_bytes", ())] > 0


def test_cpu_worker_adds_up_its_children_and_forgets_a_killed_ones_memory(metered, published_events):
    worker = metered.workers["cpu"]
    before = scrape(url_of(worker))
    for task in CPU_TASKS:
        assert tasks(before, task, "succeeded") >= 2, task
    for task in GPU_TASKS:
        assert tasks(before, task, "started") == 0
    assert before[("descflow_stage_duration_seconds_count", (("stage", "publish"),))] >= 2

    parent = psutil.Process(worker.proc.pid)
    children = parent.children()
    assert len(children) == 2, children
    metrics_dir = Path(worker.env["DESCFLOW_METRICS_DIR"])
    victim = children[0].pid
    assert (metrics_dir / f"gauge_livesum_{victim}.db").exists()
    os.kill(victim, signal.SIGKILL)  # the pool starts a replacement

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (len(parent.children()) == 2 and victim not in
                                               {c.pid for c in parent.children()}):
        time.sleep(0.2)
    after = scrape(url_of(worker))
    assert not (metrics_dir / f"gauge_livesum_{victim}.db").exists(), "a dead child's memory still counts"
    for task in CPU_TASKS:  # what the dead child counted stays counted
        assert tasks(after, task, "succeeded") >= tasks(before, task, "succeeded")
    live = sum(p.memory_info().rss for p in [parent, *parent.children()])
    assert after[("descflow_process_resident_memory_bytes", ())] == pytest.approx(live, rel=0.35)


def test_every_log_line_is_json_and_an_events_lines_carry_its_journey(metered, published_events):
    event = published_events[1]
    journey: dict[str, set[str]] = {}
    for name in ("gpu", "cpu"):
        for raw in metered.workers[name].log_path.read_text(encoding="utf-8").splitlines():
            if not raw.strip() or raw.startswith("worker: "):
                continue  # Celery's shutdown notice, written raw from its signal handler
            record = json.loads(raw)  # every line, Celery's own included
            assert {"timestamp", "level", "logger", "message"} <= record.keys(), record
            assert SECRET not in raw
            if record.get("event_id") == event["event_id"]:
                assert record.get("product_id") == event["product_id"] or "received" in record["message"], record
                assert record.get("task_id") and record.get("task_name", "").startswith("descflow."), record
                journey.setdefault(record["task_name"], set()).add(record["logger"])
    # Celery's own "succeeded" line of every stage of this event, on both workers, carries it.
    assert set(GPU_TASKS + CPU_TASKS) <= journey.keys(), journey


def test_generation_batches_are_measured(metered, published_events):
    got = scrape(url_of(metered.workers["gpu"]))
    batches = got.get(("descflow_generation_batch_size_count", ()), 0)
    assert batches >= 1, "no generation batch observed: the generator must call workers.metrics.observe_batch"
    assert got[("descflow_generation_batch_size_sum", ())] >= 8  # 4 candidates × 2 events at least
    assert got[("descflow_generation_new_tokens_total", ())] > 0
    assert got[("descflow_generation_tokens_per_second", ())] > 0
