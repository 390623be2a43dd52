"""Prometheus metrics of a worker: tasks, stage latency, generation batches and speed, model CPU, memory.

Plain helpers that any code may call (`count_task`, `observe_stage`, `observe_batch`,
`update_memory`); they cost a few microseconds and never raise into the caller's work.

One endpoint per worker. A prefork cpu worker runs its tasks in several child
processes, so its metrics use prometheus-client's multiprocess mode: every process
writes to files in a per-worker directory (cleaned when the worker starts), and the
endpoint, served by the parent, adds them up. Children that die are marked dead, so
their memory stops counting while their task counts remain. The gpu worker is a
single process and serves its own registry, with the standard process metrics.

prometheus-client decides at import whether it runs in multiprocess mode, so this
module imports it only when a metric is first used: `serve()` (called by
`descflow worker` before Celery starts) can still switch the mode on.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram
    from prometheus_client.registry import CollectorRegistry

log = logging.getLogger("descflow.metrics")

TaskState = Literal["started", "succeeded", "retried", "failed"]
TASK_STATES: tuple[str, ...] = ("started", "succeeded", "retried", "failed")
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Stage latency: from a few ms (ingest) to minutes (generation on a CPU).
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


@dataclass(frozen=True)
class _Metrics:
    tasks: Counter
    stage_seconds: Histogram
    batch_size: Histogram
    new_tokens: Counter
    generation_seconds: Counter
    model_cpu: Counter
    engine_cpu: Counter
    stage_cpu: Counter
    tokens_per_second: Gauge
    rss: Gauge
    device_allocated: Gauge
    device_reserved: Gauge
    device_peak: Gauge
    device_total: Gauge


@functools.cache
def _m() -> _Metrics:
    from prometheus_client import Counter, Gauge, Histogram

    return _Metrics(
        tasks=Counter("descflow_tasks", "Tasks by name and state (started, succeeded, retried, failed).",
                      ["task", "state"]),
        stage_seconds=Histogram("descflow_stage_duration_seconds", "Wall time of a successful stage run.",
                                ["stage"], buckets=STAGE_BUCKETS),
        batch_size=Histogram("descflow_generation_batch_size", "Sequences per generation batch.",
                             buckets=BATCH_BUCKETS),
        new_tokens=Counter("descflow_generation_new_tokens", "Tokens generated (all sequences of all batches)."),
        generation_seconds=Counter("descflow_generation_seconds", "Time spent in batched generation."),
        model_cpu=Counter("descflow_model_cpu_seconds",
                          "CPU time of the threads running a model (generator, embedding, sentiment): what is "
                          "not queue or bookkeeping.", ["model"]),
        engine_cpu=Counter("descflow_engine_cpu_seconds",
                           "CPU time of the rule engines outside any model (correction rules, ranking signals, "
                           "dedup sketches and index queries): the stages' own work, not queue or bookkeeping.",
                           ["engine"]),
        stage_cpu=Counter("descflow_stage_cpu_seconds", "CPU time of the task thread inside a stage (models it runs "
                          "in that thread included; the gpu worker's batched generation is not).", ["stage"]),
        tokens_per_second=Gauge("descflow_generation_tokens_per_second",
                                "Generated tokens per second of the most recent batch.",
                                multiprocess_mode="mostrecent"),
        rss=Gauge("descflow_process_resident_memory_bytes",
                  "Resident memory of the worker (summed over its live processes).", multiprocess_mode="livesum"),
        device_allocated=Gauge("descflow_device_memory_allocated_bytes",
                               "Device memory held by tensors (torch.cuda.memory_allocated).", ["device"],
                               multiprocess_mode="livesum"),
        device_reserved=Gauge("descflow_device_memory_reserved_bytes",
                              "Device memory reserved by torch's caching allocator.", ["device"],
                              multiprocess_mode="livesum"),
        device_peak=Gauge("descflow_device_memory_peak_bytes",
                          "Most device memory tensors held since the process started.", ["device"],
                          multiprocess_mode="livemax"),
        device_total=Gauge("descflow_device_memory_total_bytes", "Total memory of the device.", ["device"],
                           multiprocess_mode="livemax"),
    )


def _safe(fn: Any) -> Any:
    """Metrics must never fail a task: log once per kind of error and carry on."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            key = (fn.__name__, type(exc).__name__)
            if key not in _warned:
                _warned.add(key)
                log.warning("metrics: %s failed (%s: %s); further such errors are not logged",
                            fn.__name__, type(exc).__name__, exc)

    return run


_warned: set[tuple[str, str]] = set()


@_safe
def count_task(task: str, state: TaskState) -> None:
    """One task changed state; `task` is its Celery name (descflow.generate, …)."""
    if state not in TASK_STATES:
        raise ValueError(f"task state {state!r}: one of {', '.join(TASK_STATES)}")
    _m().tasks.labels(task=task, state=state).inc()


@_safe
def observe_stage(stage: str, seconds: float, cpu_seconds: float | None = None) -> None:
    """A stage (ingest, generate, correct, dedup, rank, publish, sentiment, aspects) ran this long (wall),
    using `cpu_seconds` of its thread's CPU."""
    m = _m()
    m.stage_seconds.labels(stage=stage).observe(max(0.0, seconds))
    if cpu_seconds is not None:
        m.stage_cpu.labels(stage=stage).inc(max(0.0, cpu_seconds))


@_safe
def observe_batch(size: int, new_tokens: int, seconds: float) -> None:
    """One generation batch: `size` sequences, `new_tokens` generated in all, in `seconds` of wall time."""
    m = _m()
    m.batch_size.observe(size)
    m.new_tokens.inc(max(0, new_tokens))
    m.generation_seconds.inc(max(0.0, seconds))
    if seconds > 0:
        m.tokens_per_second.set(new_tokens / seconds)


@_safe
def add_model_cpu(model: str, seconds: float) -> None:
    _m().model_cpu.labels(model=model).inc(max(0.0, seconds))


_model_cpu_seen = threading.local()  # per thread: model CPU counted so far, for an engine block to leave out


@contextlib.contextmanager
def model_cpu(model: str) -> Iterator[None]:
    """Count the calling thread's CPU time inside the block as `model`'s (generator, embedding, sentiment).

    Thread CPU, not wall time: a model call that waits for the core measures
    what it computed, so that the rest of a worker's CPU is its overhead.
    """
    started = time.thread_time()
    try:
        yield
    finally:
        seconds = time.thread_time() - started
        add_model_cpu(model, seconds)
        _model_cpu_seen.total = getattr(_model_cpu_seen, "total", 0.0) + seconds


@contextlib.contextmanager
def engine_cpu(engine: str) -> Iterator[None]:
    """Count the calling thread's CPU time inside the block as the rule engine's (correct, rank, dedup), less
    what models counted inside it (an embedding that ranking or dedup asked for stays the model's)."""
    started, models_before = time.thread_time(), getattr(_model_cpu_seen, "total", 0.0)
    try:
        yield
    finally:
        inside_models = getattr(_model_cpu_seen, "total", 0.0) - models_before
        add_engine_cpu(engine, time.thread_time() - started - inside_models)


@_safe
def add_engine_cpu(engine: str, seconds: float) -> None:
    _m().engine_cpu.labels(engine=engine).inc(max(0.0, seconds))


def _rss_bytes() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


@_safe
def update_memory() -> None:
    """Process RSS always; CUDA memory when this process already uses a GPU.

    CUDA is never initialised here: a prefork parent must not touch it before it
    forks, and a CPU worker has nothing to report.
    """
    m = _m()
    m.rss.set(_rss_bytes())
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return
    for index in range(torch.cuda.device_count()):
        device = f"cuda:{index}"
        m.device_allocated.labels(device=device).set(torch.cuda.memory_allocated(index))
        m.device_reserved.labels(device=device).set(torch.cuda.memory_reserved(index))
        m.device_peak.labels(device=device).set(torch.cuda.max_memory_allocated(index))
        m.device_total.labels(device=device).set(torch.cuda.get_device_properties(index).total_memory)


# ---- the endpoint -------------------------------------------------------------------------


def default_dir(node: str) -> Path:
    """Per-worker files under the system temp dir (per container in compose), named after the node."""
    return Path(tempfile.gettempdir()) / "descflow-metrics" / re.sub(r"[^A-Za-z0-9_.@-]", "_", node)


def multiprocess_enabled() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def enable_multiprocess(directory: Path) -> Path:
    """Empty `directory` and make every process of this worker (and its future children) write there.

    Must run before the first metric exists in this process; files of an earlier
    run would otherwise be added to this one's counts.
    """
    if _m.cache_info().currsize:
        raise RuntimeError("metrics already in use in this process: enable multiprocess mode before any task runs")
    directory = directory.resolve()
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROC_ENV] = str(directory)
    if "prometheus_client" in sys.modules:
        # Imported already (by a library): it chose its value class then; choose again.
        from prometheus_client import values

        values.ValueClass = values.get_value_class()
    return directory


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_dead(directory: Path | None = None) -> list[int]:
    """Mark processes whose live-gauge files remain but who are gone (a child killed by SIGKILL or OOM)."""
    from prometheus_client import multiprocess

    directory = directory or Path(os.environ[MULTIPROC_ENV])
    dead = []
    for path in directory.glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        if not _pid_alive(pid) and pid not in dead:
            dead.append(pid)
            multiprocess.mark_process_dead(pid, str(directory))
    return dead


@_safe
def process_exited(pid: int) -> None:
    """A child of this worker is exiting: its memory gauges stop counting."""
    if multiprocess_enabled():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


class _Refreshing:
    """What the endpoint serves: memory refreshed at scrape time, then the worker's metrics."""

    def __init__(self, directory: Path | None):
        self.directory = directory

    def collect(self) -> Any:
        update_memory()
        if self.directory is None:
            from prometheus_client import REGISTRY

            yield from REGISTRY.collect()
            return
        from prometheus_client import multiprocess

        sweep_dead(self.directory)
        yield from multiprocess.MultiProcessCollector(None, path=str(self.directory)).collect()


@dataclass
class Endpoint:
    host: str
    port: int
    directory: Path | None
    registry: CollectorRegistry
    server: Any
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_endpoint: Endpoint | None = None


def current_endpoint() -> Endpoint | None:
    """The endpoint this process serves, if any (what `descflow status` shows of a worker)."""
    return _endpoint


def serve(port: int, host: str = "127.0.0.1", *, node: str, multiprocess: bool,
          directory: Path | None = None) -> Endpoint:
    """Serve /metrics on `host:port` from a daemon thread of this (the worker's main) process.

    `multiprocess`: a prefork worker, whose tasks run in child processes.
    Raises OSError with the port in the message when it cannot bind.
    """
    if multiprocess:
        directory = enable_multiprocess(directory or default_dir(node))
    else:
        os.environ.pop(MULTIPROC_ENV, None)
        directory = None
    from prometheus_client import start_http_server
    from prometheus_client.registry import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Refreshing(directory))  # type: ignore[arg-type]
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise OSError(exc.errno, f"metrics port {host}:{port} is not free ({exc.strerror}): pick another with "
                                 "--metrics-port or DESCFLOW_METRICS_PORT, or 0 to turn metrics off") from exc
    _m()  # create the metrics now, so the first scrape already lists them
    update_memory()
    global _endpoint
    _endpoint = Endpoint(host=host, port=int(server.server_address[1]), directory=directory, registry=registry,
                         server=server, thread=thread)
    return _endpoint
