"""A running descflow stack: real Redis, a real database, a gpu and a cpu worker process."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from descflow.services import WorkerProcess
from producers.intake import Intake
from schemas.settings import Settings
from schemas.signing import signature_headers
from workers.store import Store

SECRET = "test-webhook-secret"


@dataclass
class Stack:
    settings: Settings
    store: Store
    redis: redis.Redis
    workers: dict[str, WorkerProcess]
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)  # the workers' environment, for restarts
    supervised: bool = False  # restart a worker that dies, as compose does, instead of failing
    restarts: Counter[str] = field(default_factory=Counter)

    def check_workers(self) -> None:
        """A dead worker fails the test, or, in a supervised stack (compose: restart: unless-stopped), is restarted."""
        for name, w in list(self.workers.items()):
            if w.proc is not None and w.proc.poll() is not None:
                if not self.supervised:
                    pytest.fail(f"{name} worker died:\n{w.tail()}")
                self.restarts[name] += 1
                self.restart(name)

    def restart(self, name: str, *, kill: bool = False) -> WorkerProcess:
        """A new worker process in place of the old one: killed at once (SIGKILL), or stopped warm."""
        if not self.env:
            raise ValueError("this stack was built without its workers' environment (env): it cannot restart one")
        old = self.workers[name]
        old.kill() if kill else old.stop()
        new = WorkerProcess(old.queues, self.env, self.log_dir / f"{name}.log", concurrency=old.concurrency)
        self.workers[name] = new.start().wait_ready(timeout=120)
        return new

    def intake(self, source: str = "api") -> Intake:
        return Intake(self.settings, source=source)

    def signed(self, payload: dict[str, Any] | bytes) -> tuple[bytes, dict[str, str]]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        return body, {**signature_headers(SECRET.encode(), body), "Content-Type": "application/json"}

    def wait_for(self, condition: Callable[[], Any], timeout: float = 120.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            self.check_workers()
            time.sleep(0.25)
        logs = "\n".join(f"--- {n}\n{w.tail(60)}" for n, w in self.workers.items())
        pytest.fail(f"timed out after {timeout} s waiting for {what}\n{logs}")


def start_stack(tmp: Path, database_url: str, redis_url: str, model: Path, *,
                worker_env: dict[str, str] | None = None, **extra: str) -> Stack:
    """extra: settings (DESCFLOW_*); worker_env: more of the workers' environment (not settings)."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    env = {
        "DESCFLOW_BROKER_URL": redis_url,
        "DESCFLOW_DATABASE_URL": database_url,
        "DESCFLOW_GENERATOR_MODEL": str(model),
        "DESCFLOW_HOME": str(tmp),
        "DESCFLOW_WEBHOOK_SECRET": SECRET,
        "DESCFLOW_CANDIDATES": "4",
        "DESCFLOW_MAX_NEW_TOKENS": "80",
        "DESCFLOW_MAX_RETRIES": "2",
        "DESCFLOW_RETRY_BACKOFF_MAX": "1",
        "DESCFLOW_LOG_LEVEL": "INFO",
        **extra,
    }
    settings = Settings(**{k.removeprefix("DESCFLOW_").lower(): v for k, v in env.items()})
    store = Store(database_url)
    log_dir = tmp / "logs"
    process_env = {**env, **(worker_env or {})}
    workers = {
        "gpu": WorkerProcess("gpu", process_env, log_dir / "gpu.log"),
        "cpu": WorkerProcess("cpu", process_env, log_dir / "cpu.log", concurrency=2),
    }
    for w in workers.values():
        w.start()
    try:
        for w in workers.values():
            w.wait_ready(timeout=120)
    except Exception:
        for w in workers.values():
            w.stop(5)
        raise
    return Stack(settings=settings, store=store, redis=client, workers=workers, log_dir=log_dir, env=process_env)


def stop_stack(stack: Stack) -> None:
    for w in stack.workers.values():
        w.stop()
