"""Per-process resources of a worker, created lazily after fork and reused.

Models load in `worker_process_init` (prefork children) or when a solo/threads
worker is ready — never at import and never in a prefork parent, which must not
touch CUDA before it forks.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import redis

from schemas.settings import Settings, get_settings
from workers.store import Store, dispose_engines

if TYPE_CHECKING:
    from workers.cpu.dedup import CatalogDedup
    from workers.cpu.sentiment import SentimentBackend
    from workers.gpu.audience import AudienceScorer
    from workers.gpu.batcher import Batcher
    from workers.gpu.generate import Generator

log = logging.getLogger("descflow.worker")
R = TypeVar("R")


def _counted(run: Callable[[Any], R]) -> Callable[[Any], R]:
    """A batcher runner whose thread CPU counts as the generator's (see workers.metrics.model_cpu)."""
    from workers import metrics

    def counted(items: Any) -> R:
        with metrics.model_cpu("generator"):
            return run(items)

    return counted


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
    def batcher(self) -> Batcher:
        """One model thread for the process: every task's generation and scoring requests, batched together."""
        from workers.gpu.batcher import Batcher
        from workers.gpu.generate import tune_model_thread

        gen, s = self.generator, self.settings
        return Batcher(
            {
                "generate": _counted(lambda reqs: gen.generate(reqs, max_new_tokens=s.max_new_tokens,
                                                               batch_size=s.batch_size)),
                "score": _counted(lambda pairs: gen.score_pairs(pairs, batch_size=s.batch_size)),
            },
            max_batch=s.batch_size, max_wait=s.batch_wait_ms / 1000, on_batch=_observe_batch,
            on_start=lambda: tune_model_thread(gen.device),
        )

    @cached_property
    def audience(self) -> AudienceScorer:
        """Audience fit for ranking (sentence embeddings, loaded on first use)."""
        from workers.gpu.audience import AudienceScorer
        from workers.gpu.generate import resolve_device

        paraphrase = self.dedup.paraphrase
        # The dedup stage has embedded (and cached) these candidates with the same model: reuse its vectors.
        return AudienceScorer(model=self.settings.embedding_model, device=resolve_device(self.settings.device).type,
                              encode=paraphrase.embed if paraphrase is not None else None)

    @cached_property
    def dedup(self) -> CatalogDedup:
        """The shared catalog indexes: MinHash (all locales), embeddings (English; model loaded on first use), templates."""
        from workers.cpu.dedup import CatalogDedup

        return CatalogDedup.from_settings(self.settings)

    @cached_property
    def sentiment(self) -> SentimentBackend:
        from workers.cpu.sentiment import get_backend

        s = self.settings
        backend = get_backend(s.sentiment_backend, s.sentiment_model if s.sentiment_backend != "embedded" else None,
                              device=s.device, batch_size=s.batch_size)
        log.info("sentiment backend %s (model %s)", s.sentiment_backend, s.sentiment_model)
        return backend


def _observe_batch(kind: str, items: list, results: list, seconds: float) -> None:
    from workers import metrics

    if kind == "generate":
        metrics.observe_batch(len(items), sum(o.new_tokens for o in results), seconds)
    log.debug("%s batch of %d in %.3f s", kind, len(items), seconds)


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(get_settings())
    return _runtime


def configure_logging(level: str | int | None = None) -> None:
    """Every log line of the process through workers.logs: DESCFLOW_LOG_FORMAT, secrets masked."""
    from workers.logs import configure

    s = get_settings()
    secrets = [s.webhook_secret.get_secret_value(), s.callback_secret.get_secret_value(),
               s.flower_password.get_secret_value()]
    configure(s.log_format, level or s.log_level, secrets=secrets)
    if s.log_format == "json":
        # Progress bars (model loading) would put non-JSON lines between the records.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TQDM_DISABLE", "1")
        if "transformers" in sys.modules:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()


def reset_after_fork() -> None:
    """A forked child must open its own database and Redis connections."""
    global _runtime
    dispose_engines()
    _runtime = None
