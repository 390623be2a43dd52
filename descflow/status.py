"""What `descflow status` reports: queues, workers and their devices, recent work by stage, failures.

Queue depths come from Redis, workers from a broadcast of the `descflow_info` control
command (each worker says which queues it consumes, on which device, and where its
metrics are), and recent work from the database's stage_runs and failed_tasks: the
database is the history, Flower only sees what happened while it ran.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import redis
from pydantic import BaseModel
from sqlalchemy import case
from sqlmodel import func, select

from schemas.settings import Settings
from schemas.tables import FailedTask, InboundEvent, PublishedDescription, StageRun, utcnow
from workers.app import CPU_QUEUE, GPU_QUEUE, ROUTES, create_app
from workers.store import Store

# kombu's Redis transport keeps messages of priority p > 0 under "<queue>\x06\x16<p>".
_PRIORITY_SEP = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)
# Stage names the `stage` decorator records, by task name (the rest: the part after "descflow.").
_STAGE_OF_TASK = {"descflow.ingest_review": "ingest", "descflow.aspect_summary": "aspects"}


def stage_of(task: str) -> str:
    return _STAGE_OF_TASK.get(task, task.removeprefix("descflow."))


class WorkerInfo(BaseModel):
    name: str
    queues: list[str]
    active: int
    device: str = "?"
    pool: str = ""
    processes: int = 0
    gpu_name: str = ""
    metrics_url: str = ""


class StageInfo(BaseModel):
    """One stage over the window: runs that succeeded (and how many needed retries), dead letters."""

    stage: str
    queue: str
    succeeded: int
    retried: int
    failed: int
    mean_seconds: float
    max_seconds: float


class DeadLetter(BaseModel):
    id: int
    task: str
    args: list
    error: str
    attempts: int
    last_seen: datetime


class Status(BaseModel):
    minutes: int
    queues: dict[str, int]
    unacked: int
    workers: list[WorkerInfo]
    events_by_status: dict[str, int]
    stages: list[StageInfo]
    published: int
    published_per_minute: float
    published_last_minute: int
    dead_letters: int
    recent_failures: list[DeadLetter]


def queue_depths(client: redis.Redis) -> tuple[dict[str, int], int]:
    """Messages waiting per queue (all priorities), and those delivered to a worker but not yet acknowledged."""
    depths = {}
    for queue in (GPU_QUEUE, CPU_QUEUE):
        keys = [queue, *(f"{queue}{_PRIORITY_SEP}{p}" for p in _PRIORITY_STEPS)]
        depths[queue] = sum(int(client.llen(k)) for k in keys)
    return depths, int(client.hlen("unacked"))


def workers_online(settings: Settings, timeout: float = 1.0) -> list[WorkerInfo]:
    """One broadcast: every worker answers `descflow_info`; an older worker that does not know it answers an error."""
    celery = create_app(settings)
    replies: list[dict[str, Any]] = celery.control.broadcast("descflow_info", reply=True, timeout=timeout) or []
    found = []
    for reply in replies:
        for name, info in reply.items():
            if not isinstance(info, dict) or "error" in info:
                found.append(WorkerInfo(name=name, queues=[], active=0))
                continue
            found.append(WorkerInfo(name=name, queues=info.get("queues", []), active=info.get("active", 0),
                                    device=info.get("device", "?"), pool=info.get("pool", ""),
                                    processes=info.get("processes", 0), gpu_name=info.get("gpu_name", ""),
                                    metrics_url=info.get("metrics_url", "")))
    return sorted(found, key=lambda w: w.name)


def recent_work(store: Store, minutes: int) -> tuple[dict[str, int], list[StageInfo], int, int, int]:
    now = utcnow()
    since = now - timedelta(minutes=minutes)
    with store.session() as s:
        by_status = dict(s.exec(select(InboundEvent.status, func.count()).where(InboundEvent.received_at >= since)
                                .group_by(InboundEvent.status)).all())
        runs = {
            stage: (n, int(retried or 0), float(mean or 0.0), float(mx or 0.0))
            for stage, n, retried, mean, mx in s.exec(
                select(StageRun.stage, func.count(), func.sum(case((StageRun.attempts > 1, 1), else_=0)),
                       func.avg(StageRun.seconds), func.max(StageRun.seconds))
                .where(StageRun.finished_at >= since).group_by(StageRun.stage)
            ).all()
        }
        failed: dict[str, int] = {}
        for task, n in s.exec(select(FailedTask.task, func.count())
                              .where(FailedTask.status == "dead", FailedTask.last_seen >= since)
                              .group_by(FailedTask.task)).all():
            failed[stage_of(task)] = failed.get(stage_of(task), 0) + int(n)
        published = int(s.exec(select(func.count()).select_from(PublishedDescription)
                               .where(PublishedDescription.created_at >= since)).one())
        last_minute = int(s.exec(select(func.count()).select_from(PublishedDescription)
                                 .where(PublishedDescription.created_at >= now - timedelta(minutes=1))).one())
        dead = int(s.exec(select(func.count()).select_from(FailedTask).where(FailedTask.status == "dead")).one())
    queue_of = {stage_of(task): queue for task, queue in ROUTES.items()}
    stages = []
    for stage in _stage_order(set(runs) | set(failed)):
        n, retried, mean, mx = runs.get(stage, (0, 0, 0.0, 0.0))
        stages.append(StageInfo(stage=stage, queue=queue_of.get(stage, "?"), succeeded=n, retried=retried,
                                failed=failed.get(stage, 0), mean_seconds=round(mean, 3), max_seconds=round(mx, 3)))
    return by_status, stages, published, last_minute, dead


def _stage_order(stages: set[str]) -> list[str]:
    """The pipeline's order (ingest → … → publish, then the review path); unknown stages last."""
    order = list(dict.fromkeys(stage_of(t) for t in ROUTES))
    return sorted(stages, key=lambda st: (order.index(st) if st in order else len(order), st))


def collect(settings: Settings, minutes: int = 15, ping_timeout: float = 1.0) -> Status:
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2)
    queues, unacked = queue_depths(client)
    workers = workers_online(settings, timeout=ping_timeout)
    store = Store(settings.database_url)
    by_status, stages, published, last_minute, dead = recent_work(store, minutes)
    with store.session() as s:
        recent = list(s.exec(select(FailedTask).where(FailedTask.status == "dead")
                             .order_by(FailedTask.last_seen.desc()).limit(5)))  # type: ignore[attr-defined]
    return Status(
        minutes=minutes, queues=queues, unacked=unacked, workers=workers, events_by_status=by_status, stages=stages,
        published=published, published_per_minute=round(published / minutes, 2),
        published_last_minute=last_minute, dead_letters=dead,
        recent_failures=[DeadLetter(id=f.id, task=f.task, args=f.args, error=f.error[:200], attempts=f.attempts,
                                    last_seen=f.last_seen) for f in recent],
    )
