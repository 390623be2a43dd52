"""Per-process resources of a worker, created lazily after fork and reused.

Models load in `worker_process_init` (prefork children) or when a solo/threads
worker is ready — never at import and never in a prefork parent, which must not
touch CUDA before it forks.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import cached_property
from typing import TYPE_CHECKING

import redis

from schemas.settings import Settings, get_settings
from workers.store import Store, dispose_engines

if TYPE_CHECKING:
    from workers.cpu.dedup import DedupIndex
    from workers.cpu.sentiment import SentimentBackend
    from workers.gpu.generate import Generator

log = logging.getLogger("descflow.worker")


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()

    @cached_property
    def store(self) -> Store:
        return Store(self.settings.database_url)

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings.redis_url, health_check_interval=30)

    @cached_property
    def generator(self) -> Generator:
        with self._lock:
            from transformers.utils import logging as hf_logging

            from workers.gpu.generate import Generator

            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()
            gen = Generator(self.settings.generator_model, self.settings.device)
            where = str(gen.device)
            if gen.device.type == "cpu":
                where += " (no GPU in use: running generation on the CPU)"
            log.warning("generator %s loaded on %s, prompt style %s, CUDA_VISIBLE_DEVICES=%s",
                        gen.name, where, gen.style, os.environ.get("CUDA_VISIBLE_DEVICES", "unset"))
            return gen

    @cached_property
    def dedup(self) -> DedupIndex:
        from workers.cpu.dedup import DedupIndex

        return DedupIndex(self.settings.redis_url, threshold=self.settings.dedup_threshold,
                          num_perm=self.settings.dedup_num_perm)

    @cached_property
    def sentiment(self) -> SentimentBackend:
        from workers.cpu.sentiment import get_backend

        return get_backend(self.settings.sentiment_backend)


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(get_settings())
    return _runtime


def reset_after_fork() -> None:
    """A forked child must open its own database and Redis connections."""
    global _runtime
    dispose_engines()
    _runtime = None
