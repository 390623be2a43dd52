"""The Celery app: JSON only, late acks, routes per queue, and retry policy.

This module imports no model code, so producers can import it to send tasks by
name without pulling torch into the webhook.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from schemas.settings import Settings, get_settings

GPU_QUEUE = "gpu"
CPU_QUEUE = "cpu"

# Which queue runs which stage (DESIGN: gpu = model work, cpu = everything else).
ROUTES: dict[str, str] = {
    "descflow.ingest": CPU_QUEUE,
    "descflow.generate": GPU_QUEUE,
    "descflow.correct": GPU_QUEUE,
    "descflow.dedup": CPU_QUEUE,
    "descflow.rank": GPU_QUEUE,
    "descflow.publish": CPU_QUEUE,
    "descflow.ingest_review": CPU_QUEUE,
    "descflow.sentiment": CPU_QUEUE,
    "descflow.aspect_summary": CPU_QUEUE,
    "descflow.refresh": GPU_QUEUE,  # re-ranking rescores with the model
    "descflow.republish": CPU_QUEUE,
}


def celery_config(settings: Settings) -> dict[str, Any]:
    transport = {"visibility_timeout": settings.visibility_timeout}
    return {
        "broker_url": settings.broker_url,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": transport,
        "result_backend_transport_options": transport,
        "visibility_timeout": settings.visibility_timeout,
        # Pickle would let anyone who can write to Redis run code in a worker.
        "task_serializer": "json",
        "result_serializer": "json",
        "event_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        # At-least-once: a task is acknowledged only after it ran, and a task
        # whose process died is given back to the queue. Stages are idempotent.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_prefetch_multiplier": 1,
        # A stage's next stage (and a retry) is sent from the worker: while Redis
        # restarts, wait for it rather than fail a task that did its work. The
        # webhook passes its own short policy, to answer 503 quickly instead.
        "task_publish_retry": True,
        "task_publish_retry_policy": {"max_retries": 60, "interval_start": 0.2, "interval_step": 0.5,
                                      "interval_max": 2.0},
        "task_ignore_result": True,
        "result_expires": 3600,
        "task_routes": {name: {"queue": queue} for name, queue in ROUTES.items()},
        "task_default_queue": CPU_QUEUE,
        "task_create_missing_queues": True,
        "task_soft_time_limit": settings.task_soft_time_limit,
        "task_time_limit": settings.task_soft_time_limit + 60,
        # Task events feed Flower. Off by default: Flower turns them on in every worker while it runs.
        "worker_send_task_events": settings.task_events,
        "task_send_sent_event": settings.task_events,
        "timezone": "UTC",
        "enable_utc": True,
    }


def _tls(settings: Settings) -> dict[str, Any]:
    """rediss:// brokers: kombu ignores the URL's TLS options, so they are passed explicitly."""
    ssl = settings.broker_use_ssl
    return {"broker_use_ssl": ssl, "redis_backend_use_ssl": ssl} if ssl is not None else {}


def create_app(settings: Settings | None = None, *, with_tasks: bool = False) -> Celery:
    settings = settings or get_settings()
    celery = Celery("descflow", include=["workers.pipeline"] if with_tasks else [])
    celery.conf.update({**celery_config(settings), **_tls(settings)})
    return celery


app = create_app(with_tasks=True)
