"""What `descflow status` reports: queues, workers, recent work, failures."""

from __future__ import annotations

from datetime import timedelta

import redis
from pydantic import BaseModel
from sqlmodel import func, select

from schemas.settings import Settings
from schemas.tables import FailedTask, InboundEvent, PublishedDescription, StageRun, utcnow
from workers.app import CPU_QUEUE, GPU_QUEUE, create_app
from workers.store import Store


class WorkerInfo(BaseModel):
    name: str
    queues: list[str]
    active: int


class StageInfo(BaseModel):
    stage: str
    runs: int
    mean_seconds: float
    max_seconds: float


class DeadLetter(BaseModel):
    id: int
    task: str
    args: list
    error: str
    attempts: int


class Status(BaseModel):
    minutes: int
    queues: dict[str, int]
    workers: list[WorkerInfo]
    events_by_status: dict[str, int]
    stages: list[StageInfo]
    published: int
    published_per_minute: float
    dead_letters: int
    recent_failures: list[DeadLetter]


def collect(settings: Settings, minutes: int = 15, ping_timeout: float = 1.0) -> Status:
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2)
    queues = {q: int(client.llen(q)) for q in (GPU_QUEUE, CPU_QUEUE)}
    celery = create_app(settings)
    inspector = celery.control.inspect(timeout=ping_timeout)
    active_queues = inspector.active_queues() or {}
    active = inspector.active() or {}
    workers = [
        WorkerInfo(name=name, queues=sorted(q["name"] for q in qs), active=len(active.get(name, [])))
        for name, qs in sorted(active_queues.items())
    ]
    store = Store(settings.database_url)
    since = utcnow() - timedelta(minutes=minutes)
    with store.session() as s:
        by_status = dict(s.exec(select(InboundEvent.status, func.count()).where(InboundEvent.received_at >= since)
                                .group_by(InboundEvent.status)).all())
        stages = [
            StageInfo(stage=stage, runs=n, mean_seconds=round(mean or 0.0, 3), max_seconds=round(mx or 0.0, 3))
            for stage, n, mean, mx in s.exec(
                select(StageRun.stage, func.count(), func.avg(StageRun.seconds), func.max(StageRun.seconds))
                .where(StageRun.finished_at >= since).group_by(StageRun.stage)
            ).all()
        ]
        published = s.exec(select(func.count()).select_from(PublishedDescription)
                           .where(PublishedDescription.created_at >= since)).one()
        dead = s.exec(select(func.count()).select_from(FailedTask).where(FailedTask.status == "dead")).one()
        recent = list(s.exec(select(FailedTask).where(FailedTask.status == "dead")
                             .order_by(FailedTask.last_seen.desc()).limit(5)))  # type: ignore[attr-defined]
    return Status(
        minutes=minutes, queues=queues, workers=workers, events_by_status=by_status, stages=stages,
        published=published, published_per_minute=round(published / minutes, 2), dead_letters=dead,
        recent_failures=[DeadLetter(id=f.id, task=f.task, args=f.args, error=f.error[:200], attempts=f.attempts)
                         for f in recent],
    )
