"""The whole pipeline against its compute floor: throughput, latency under load, scale-out, memory, overhead.

    python -m bench.pipeline [--events 48] [--loads 2,5,10] [--duration 20] [--batch 32] [--quick]
                             [--model PATH] [--redis URL] [--database URL]

One run, side by side:

1. bare: the worker's model and batch size as plain batched `generate` (each
   event's candidates) plus the ranking forward pass for the texts whose
   log-likelihood generation could not give, and the embedding of the English
   candidates that the dedup stage needs, in one thread tuned as the gpu
   worker's model thread: the compute floor, events/s.
2. pipeline: real gpu and cpu worker processes (descflow.services), events
   through `Intake` as the webhook would, counted when their
   `published_descriptions` row exists. Burst throughput against bare; the
   CPU seconds of every process per event, split into what the models
   computed (each worker's descflow_model_cpu_seconds) and all the rest:
   the queue and bookkeeping overhead; mean seconds per stage.
3. latency: event received → description published, p50/p95/p99, at fixed
   offered loads; whether the queue kept up. The burst throughput is the load
   from which the queue grows.
4. scale-out: the burst and a review burst (all-CPU path) with 1 and 2 cpu worker processes.
5. memory: peak RSS of each worker kind (its whole process tree) under load.

Redis: `--redis` (default DESCFLOW_BENCH_REDIS) is flushed; without either a
throwaway redis-server is started. Database: SQLite in a temporary folder
unless `--database`.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench.common import (
    console,
    consumer_cpu,
    load_average,
    machine_info,
    print_table,
    process_tree,
    tree_cpu,
    write_results,
)

SAMPLES = Path(__file__).resolve().parents[1] / "producers" / "samples"


# ---- events ---------------------------------------------------------------------------------


def _catalog() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (SAMPLES / "products.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [r for r in rows if r.get("event_type", "").startswith("product.")]


@functools.lru_cache(maxsize=1)
def _generated_catalog(n: int = 2000) -> list[dict[str, Any]]:
    """More distinct products (EN and ZH) in the catalog's style, for runs longer than the sample catalog."""
    from producers.samples.phrasebank import generate_pairs

    return [{"event_type": "product.created", "occurred_at": "2026-01-05T14:17:00Z", "shop_id": "demo-shop",
             "schema_version": 1, **pair["product"]} for pair in generate_pairs(n, seed=2026)]


def warm_events(run: str, round_: int = 0) -> list[dict[str, Any]]:
    """Two English and two Chinese products from the far end of the bench's list, which the timed runs never
    reach (other ones each round): each locale's one-time loads (tokenizers, word lists) happen before anything
    is timed."""
    last = len(_catalog()) + len(_generated_catalog())
    events = product_events(run, 8, start=last - 8 * (round_ + 1))
    return [e for e in events if e["locale"].startswith("en")][:2] + [e for e in events if e["locale"].startswith("zh")][:2]


def product_events(run: str, n: int, start: int = 0) -> list[dict[str, Any]]:
    """n new products, one locale each (the product's own), unique ids per run: the sample catalog's, then
    generated ones. Number k is always the same product: runs of one benchmark take disjoint ranges, so that
    no event repeats a product already published (its candidates would all be duplicates: a dead letter)."""
    catalog = _catalog()
    extra = _generated_catalog()
    if start + n > len(catalog) + len(extra):
        raise ValueError(f"{start + n} products asked for; the bench has {len(catalog) + len(extra)}")
    events = []
    for k in range(start, start + n):
        base = dict(catalog[k] if k < len(catalog) else extra[k - len(catalog)])
        for key in ("merchant_description", "target_locales"):  # the ordinary path: generate and publish
            base.pop(key, None)
        base.update(event_id=f"bench-{run}-{k}", product_id=f"{base['product_id']}-{run}-{k}",
                    event_type="product.created")
        events.append(base)
    return events


def review_events(run: str, product_ids: list[str], n: int) -> list[dict[str, Any]]:
    """Reviews from the sample file for products with no description yet: the all-CPU path, no refresh."""
    rows = [json.loads(line) for line in (SAMPLES / "reviews.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    out = []
    for k in range(n):
        r = dict(rows[k % len(rows)])
        r.update(event_id=f"bench-{run}-r{k}", review_id=f"r-{run}-{k}", product_id=product_ids[k % len(product_ids)])
        out.append(r)
    return out


# ---- the compute floor ----------------------------------------------------------------------


def bare(model: str, events: list[dict[str, Any]], batch: int, candidates: int, max_new_tokens: int,
         settings: Any) -> dict[str, Any]:
    """Generation and ranking's scoring for these events as bare batched calls, in a thread like the worker's."""
    from schemas.events import parse_event
    from workers.cpu.paraphrase import Embedder, is_english
    from workers.gpu.generate import Generator, candidate_decodings, tune_model_thread

    gen = Generator(model, settings.device)
    products = [parse_event(e).product() for e in events]
    embedder = Embedder(settings.embedding_model, device="cpu") if settings.paraphrase_check else None
    if embedder is not None:
        embedder.encode(["warm-up"])

    def run() -> dict[str, Any]:
        tune_model_thread(gen.device)
        requests = [gen.request(p, p.locale, d, key=(k, i)) for k, p in enumerate(products)
                    for i, d in enumerate(candidate_decodings(candidates, temperature=settings.temperature,
                                                              top_p=settings.top_p, seed=settings.seed + k))]
        gen.generate(requests[:batch], max_new_tokens=8, batch_size=batch)  # warm-up
        cpu0, started = time.thread_time(), time.perf_counter()
        outs = gen.generate(requests, max_new_tokens=max_new_tokens, batch_size=batch)
        generated = time.perf_counter() - started
        # Ranking reads each text's log-likelihood off its generation; only the rest need a forward pass.
        pairs = [pair for o in outs if o.loglik is None
                 for pair in gen.fluency_pairs(products[o.key[0]], products[o.key[0]].locale, [o.text])]
        gen.score_pairs(pairs, batch_size=batch)
        scored = time.perf_counter()
        # The dedup stage's paraphrase check embeds the English candidates: model work the pipeline must do too.
        english = [o.text for o in outs if o.text.strip() and is_english(o.text, products[o.key[0]].locale)]
        if embedder is not None:
            embedder.encode(english)
        seconds = time.perf_counter() - started
        return {"events": len(products), "descriptions": len(outs), "seconds": seconds,
                "generate_seconds": generated, "score_seconds": scored - started - generated,
                "embed_seconds": time.perf_counter() - scored, "embedded": len(english) if embedder else 0,
                "rescored": len(pairs),
                "cpu_seconds": time.thread_time() - cpu0, "events_per_s": len(products) / seconds,
                "descriptions_per_s": len(outs) / seconds,
                "new_tokens_mean": sum(o.new_tokens for o in outs) / len(outs)}

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


# ---- processes: memory and CPU --------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class MemoryWatch:
    """Peak RSS of each worker's process tree (and of its largest process), sampled in a thread."""

    pids: Callable[[], dict[str, int]]
    interval: float = 0.2
    peaks: dict[str, dict[str, float]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> MemoryWatch:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            for kind, pid in self.pids().items():
                rss = []
                for p in process_tree(pid):
                    try:
                        rss.append(p.memory_info().rss)
                    except psutil.NoSuchProcess:
                        pass
                if not rss:
                    continue
                peak = self.peaks.setdefault(kind, {"tree_mib": 0.0, "largest_process_mib": 0.0, "processes": 0})
                peak["tree_mib"] = max(peak["tree_mib"], sum(rss) / 2**20)
                peak["largest_process_mib"] = max(peak["largest_process_mib"], max(rss) / 2**20)
                peak["processes"] = max(peak["processes"], len(rss))


# ---- the stack ------------------------------------------------------------------------------


class Stack:
    """A gpu and a cpu worker process on one Redis and one database, restartable with other cpu concurrency."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        from descflow.services import WorkerProcess

        self.env, self.log_dir, self._cls = env, log_dir, WorkerProcess
        self.workers: dict[str, Any] = {}
        self.labels: dict[str, str] = {}
        self.ports: dict[str, int] = {}

    def start(self, kind: str, concurrency: int) -> None:
        queues = "gpu" if kind == "gpu" else "cpu"
        self.ports[kind] = _free_port()  # each worker's /metrics: the CPU its models used
        env = {**self.env, "DESCFLOW_METRICS_PORT": str(self.ports[kind])}
        w = self._cls(queues, env, self.log_dir / f"{kind}-{concurrency}.log", concurrency=concurrency)
        self.workers[kind] = w  # first: stopped by close() even if it never gets ready
        self.labels[kind] = f"{kind} ({concurrency} processes)" if kind == "cpu" else kind
        w.start().wait_ready(timeout=300)

    def stop(self, kind: str) -> None:
        w = self.workers.pop(kind, None)
        if w is not None:
            w.stop(30)

    def close(self) -> None:
        for kind in list(self.workers):
            self.stop(kind)

    def pids(self) -> dict[str, int]:
        return {k: w.proc.pid for k, w in list(self.workers.items()) if w.proc is not None}

    def consumer_cpu(self) -> float:
        """CPU seconds so far of every worker's receiving and acknowledging (gpu: threads pool; cpu: prefork)."""
        return sum(consumer_cpu(pid, prefork=kind == "cpu") for kind, pid in self.pids().items())

    def labelled_pids(self) -> dict[str, int]:
        """For memory: each cpu worker run under its own name (1 or 2 processes)."""
        return {self.labels[k]: pid for k, pid in self.pids().items()}

    def cpu_counters(self) -> dict[str, dict[str, float]]:
        """CPU seconds so far, summed over every worker: by model (descflow_model_cpu_seconds_total) and by
        stage (descflow_stage_cpu_seconds_total)."""
        import httpx
        from prometheus_client.parser import text_string_to_metric_families

        out: dict[str, dict[str, float]] = {"model": {}, "engine": {}, "stage": {}}
        for kind in self.workers:
            text = httpx.get(f"http://127.0.0.1:{self.ports[kind]}/metrics", timeout=10).text
            for family in text_string_to_metric_families(text):
                for s in family.samples:
                    for label, name in (("model", "descflow_model_cpu_seconds_total"),
                                        ("engine", "descflow_engine_cpu_seconds_total"),
                                        ("stage", "descflow_stage_cpu_seconds_total")):
                        if s.name == name:
                            key = s.labels[label]
                            out[label][key] = out[label].get(key, 0.0) + s.value
        return out

    def check_alive(self) -> None:
        for kind, w in self.workers.items():
            if w.proc is not None and w.proc.poll() is not None:
                raise RuntimeError(f"{kind} worker died:\n{w.tail()}")


class Observer:
    """Reads what the workers wrote: published rows, dead letters, stage timings."""

    def __init__(self, database_url: str):
        from workers.store import Store

        self.store = Store(database_url)

    def published(self, event_ids: Iterable[str]) -> dict[str, float]:
        """event_id → seconds from received to published, for those published so far."""
        from sqlmodel import select

        from schemas.tables import InboundEvent, PublishedDescription

        ids = list(event_ids)
        with self.store.session() as s:
            received = dict(s.exec(select(InboundEvent.event_id, InboundEvent.received_at)
                                   .where(InboundEvent.event_id.in_(ids))).all())  # type: ignore[attr-defined]
            rows = s.exec(select(PublishedDescription.event_id, PublishedDescription.created_at)
                          .where(PublishedDescription.event_id.in_(ids))).all()  # type: ignore[attr-defined]
        return {e: (created - received[e]).total_seconds() for e, created in rows if e in received}

    def window(self, event_ids: Iterable[str]) -> float:
        """Seconds from the first event received to the last description published."""
        from sqlalchemy import func
        from sqlmodel import select

        from schemas.tables import InboundEvent, PublishedDescription

        ids = list(event_ids)
        with self.store.session() as s:
            first = s.exec(select(func.min(InboundEvent.received_at)).where(InboundEvent.event_id.in_(ids))).one()
            last = s.exec(select(func.max(PublishedDescription.created_at))
                          .where(PublishedDescription.event_id.in_(ids))).one()  # type: ignore[attr-defined]
        return (last - first).total_seconds()

    def finished_reviews(self, event_ids: Iterable[str]) -> tuple[int, float]:
        from sqlalchemy import func
        from sqlmodel import select

        from schemas.tables import InboundEvent

        ids = list(event_ids)
        with self.store.session() as s:
            n, first, last = s.exec(select(func.count(), func.min(InboundEvent.received_at),
                                           func.max(InboundEvent.finished_at))
                                    .where(InboundEvent.event_id.in_(ids))  # type: ignore[attr-defined]
                                    .where(InboundEvent.status == "done")).one()
        return int(n), (last - first).total_seconds() if n else 0.0

    def dead(self, event_ids: Iterable[str]) -> int:
        ids = set(event_ids)
        return sum(1 for f in self.store.failed_tasks(status=None) if f.args and f.args[0] in ids)

    def stage_means(self, event_ids: Iterable[str]) -> dict[str, float]:
        per: dict[str, list[float]] = {}
        for stages in self.store.stage_timings(list(event_ids)).values():
            for stage, seconds in stages.items():
                per.setdefault(stage, []).append(seconds)
        return {stage: statistics.fmean(v) for stage, v in per.items()}


def wait_published(obs: Observer, stack: Stack, ids: list[str], timeout: float) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while True:
        done = obs.published(ids)
        if len(done) + obs.dead(ids) >= len(ids):
            return done
        stack.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(done)} of {len(ids)} published within {timeout} s")
        time.sleep(0.2)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# ---- the runs -------------------------------------------------------------------------------


def burst(intake: Any, obs: Observer, stack: Stack, events: list[dict[str, Any]], timeout: float) -> dict[str, Any]:
    """All events at once; throughput from first received to last published, CPU of every process."""
    ids = [e["event_id"] for e in events]
    pids = stack.pids()
    cpu0 = {k: tree_cpu(p) for k, p in pids.items()}
    counters0 = stack.cpu_counters()
    consumers0 = stack.consumer_cpu()
    intake_cpu = time.thread_time()
    for e in events:
        intake.submit(e)
    intake_cpu = time.thread_time() - intake_cpu
    done = wait_published(obs, stack, ids, timeout)
    cpu = {k: tree_cpu(p) - cpu0[k] for k, p in pids.items()}
    consumers = stack.consumer_cpu() - consumers0
    counters = {label: {k: v - counters0[label].get(k, 0.0) for k, v in values.items()}
                for label, values in stack.cpu_counters().items()}
    models, engines, stages = counters["model"], counters["engine"], counters["stage"]
    seconds = obs.window(ids)
    n = len(done)
    total = sum(cpu.values()) + intake_cpu
    out = {"events": len(ids), "published": n, "dead": len(ids) - n, "seconds": seconds,
           "events_per_s": n / seconds if seconds > 0 else 0.0, "cpu_seconds": cpu, "intake_cpu_seconds": intake_cpu,
           "model_cpu_seconds": models, "engine_cpu_seconds": engines, "stage_cpu_seconds": stages,
           "stage_mean_seconds": obs.stage_means(ids),
           "latency_p50_s": percentile(list(done.values()), 0.5) if done else None}
    if n:
        # Queue and bookkeeping: every process's CPU (and the intake's) less what the models computed.
        out["model_cpu_per_event_s"] = sum(models.values()) / n
        out["overhead_cpu_per_event_s"] = (total - sum(models.values())) / n
        out["overhead_vs_model"] = out["overhead_cpu_per_event_s"] / out["model_cpu_per_event_s"]
        # The rule engines (correction, ranking signals, dedup sketches and queries) are the stages' own work;
        # what is left is the queue and the bookkeeping: hops, serialisation, database reads and writes.
        out["engine_cpu_per_event_s"] = sum(engines.values()) / n
        out["bookkeeping_cpu_per_event_s"] = out["overhead_cpu_per_event_s"] - out["engine_cpu_per_event_s"]
        out["bookkeeping_vs_model"] = out["bookkeeping_cpu_per_event_s"] / out["model_cpu_per_event_s"]
        # Embeddings and sentiment run in the stages' own threads; generation in the batcher's.
        in_stage_models = sum(v for k, v in models.items() if k != "generator")
        out["stage_cpu_per_event_s"] = {k: v / n for k, v in stages.items()}
        out["stages_less_models_cpu_per_event_s"] = (sum(stages.values()) - in_stage_models) / n
        out["outside_stages_cpu_per_event_s"] = (total - sum(stages.values()) - models.get("generator", 0.0)) / n
        # Of that, what the workers spent receiving and acknowledging; the rest runs around each task (tracing,
        # signals, sending the next stage) and in the intake.
        out["consumer_cpu_per_event_s"] = consumers / n
    return out


def celery_floor(redis_url: str, log: Path, hops: int, tasks: int = 1000) -> dict[str, Any]:
    """What Celery itself costs for the hops of one event: a trivial task through a one-process worker with
    descflow's settings (bench/queue.py), CPU of sender and worker."""
    from bench.queue import run_celery

    r = run_celery(redis_url, 1, tasks, 30, log)
    return {**r, "hops": hops, "cpu_ms_per_event": hops * r["cpu_ms_per_task"]}


def offered(intake: Any, obs: Observer, stack: Stack, events: list[dict[str, Any]], rate: float,
            timeout: float) -> dict[str, Any]:
    """Events at a fixed rate; latency percentiles and whether publishing kept up with arrivals."""
    ids = [e["event_id"] for e in events]
    started = time.perf_counter()
    for k, e in enumerate(events):
        delay = started + k / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        intake.submit(e)
    sent_for = time.perf_counter() - started
    published_by_end = len(obs.published(ids))
    done = wait_published(obs, stack, ids, timeout)
    dead = obs.dead(ids)  # e.g. a repeat of a catalog product whose every candidate is a duplicate: it left the queue
    lat = [done[i] for i in ids if i in done]
    quarter = max(1, len(lat) // 4)
    first, last = statistics.median(lat[:quarter]), statistics.median(lat[-quarter:])
    backlog = len(ids) - published_by_end
    # Kept up: events left the queue (published, or dead-lettered) as fast as they went in, within 5%, beyond
    # one unloaded latency, and the last events waited no more than twice as long as the first (plus a second).
    span = obs.window(ids) - min(lat)
    achieved = (len(done) + dead) / span if span > 0 else float(rate)
    keeps_up = achieved >= 0.95 * rate and last <= 2 * first + 1.0
    return {"offered_per_s": rate, "events": len(ids), "published": len(done), "dead": dead, "sent_seconds": sent_for,
            "p50_s": percentile(lat, 0.5), "p95_s": percentile(lat, 0.95), "p99_s": percentile(lat, 0.99),
            "first_quarter_p50_s": first, "last_quarter_p50_s": last, "backlog_at_end": backlog,
            "achieved_per_s": achieved, "keeps_up": keeps_up}


def review_burst(intake: Any, obs: Observer, stack: Stack, events: list[dict[str, Any]], timeout: float
                 ) -> dict[str, Any]:
    ids = [e["event_id"] for e in events]
    for e in events:
        intake.submit(e)
    deadline = time.monotonic() + timeout
    while True:
        n, seconds = obs.finished_reviews(ids)
        if n >= len(ids) or time.monotonic() > deadline:
            break
        stack.check_alive()
        time.sleep(0.2)
    return {"reviews": len(ids), "done": n, "seconds": seconds, "reviews_per_s": n / seconds if seconds else 0.0}


# ---- main -----------------------------------------------------------------------------------


def _environment(args: argparse.Namespace, home: Path, redis_url: str, database_url: str, model: str
                 ) -> dict[str, str]:
    return {
        "DESCFLOW_BROKER_URL": redis_url, "DESCFLOW_DATABASE_URL": database_url,
        "DESCFLOW_GENERATOR_MODEL": model, "DESCFLOW_HOME": str(home),
        "DESCFLOW_BATCH_SIZE": str(args.batch), "DESCFLOW_CANDIDATES": str(args.candidates),
        "DESCFLOW_MAX_NEW_TOKENS": str(args.max_new_tokens),
        "DESCFLOW_LOG_LEVEL": "INFO",
        "DESCFLOW_METRICS_PORT": "0", "DESCFLOW_DEVICE": args.device,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=48, help="events in each burst")
    parser.add_argument("--reviews", type=int, default=200, help="reviews in each review burst")
    parser.add_argument("--loads", default="2,5,10", help="offered loads, events/s")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of each offered load")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--candidates", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--model", default=None, help="default: DESCFLOW_GENERATOR_MODEL")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--redis", default=None, help="flushed; default DESCFLOW_BENCH_REDIS, else a throwaway server")
    parser.add_argument("--database", default=None, help="default: SQLite in a temporary folder")
    parser.add_argument("--skip-scale", action="store_true", help="no second run with 2 cpu worker processes")
    parser.add_argument("--quick", action="store_true", help="16 events, loads 2,5 for 8 s, 60 reviews")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.reviews, args.loads, args.duration = 16, 60, "2,5", 8.0

    import redis

    from descflow.services import LocalRedis
    from schemas.settings import get_settings

    settings = get_settings()
    model = str(Path(args.model or settings.generator_model).resolve())
    if not (Path(model) / "config.json").exists():
        console.print(f"[red]no generator model at {model}[/red]: run `descflow train` or pass --model")
        return 2
    loads = [float(x) for x in args.loads.split(",") if x]
    run = f"{int(time.time())}"
    tmp = Path(tempfile.mkdtemp(prefix="descflow-bench-"))
    local = None
    redis_url = args.redis or os.environ.get("DESCFLOW_BENCH_REDIS")
    if redis_url is None:
        local = LocalRedis(tmp / "redis").start()
        redis_url = local.url
    redis.Redis.from_url(redis_url).flushdb()
    database_url = args.database or f"sqlite:///{tmp / 'bench.db'}"
    env = _environment(args, tmp, redis_url, database_url, model)
    loads_at_start = load_average()
    results: dict[str, Any] = {}
    stack = Stack(env, tmp / "logs")
    try:
        with console.status("bare generate + score (compute floor)"):
            floor_events = product_events(run + "f", args.events)
            bare_settings = settings.model_copy(update={"device": args.device})
            results["bare"] = bare(model, floor_events, args.batch, args.candidates, args.max_new_tokens,
                                   bare_settings)
        from producers.intake import Intake
        from schemas.settings import Settings

        intake = Intake(Settings(**{k.removeprefix("DESCFLOW_").lower(): v for k, v in env.items()}), source="api")
        obs = Observer(database_url)
        with console.status("starting workers"):
            stack.start("gpu", 0)
            stack.start("cpu", 1)
        with MemoryWatch(stack.labelled_pids) as memory:
            taken = 0  # products used so far: each run below takes the next ones

            def fresh(tag: str, n: int) -> list[dict[str, Any]]:
                nonlocal taken
                taken += n
                return product_events(run + tag, n, start=taken - n)

            with console.status("warm-up"):
                warm = warm_events(run + "w")
                for e in warm:
                    intake.submit(e)
                wait_published(obs, stack, [e["event_id"] for e in warm], 600)
            with console.status(f"burst of {args.events} events, 1 cpu process"):
                results["burst_cpu1"] = burst(intake, obs, stack, fresh("b1", args.events), 1200)
            with console.status("Celery's own cost per hop (a trivial task, same settings)"):
                results["celery_floor"] = celery_floor(redis_url, tmp / "logs" / "celery-floor.log",
                                                       hops=len(results["burst_cpu1"]["stage_mean_seconds"]))
            sweep = []
            for rate in loads:
                with console.status(f"offered load {rate:g} events/s for {args.duration:g} s"):
                    events = fresh(f"l{rate:g}", max(4, int(rate * args.duration)))
                    sweep.append(offered(intake, obs, stack, events, rate, 1800))
            results["latency"] = sweep
            reviewed = [f"reviewed-{run}-{k}" for k in range(40)]
            with console.status(f"{args.reviews} reviews, 1 cpu process"):
                results["reviews_cpu1"] = review_burst(intake, obs, stack,
                                                       review_events(run + "v1", reviewed, args.reviews), 600)
            if not args.skip_scale:
                with console.status("restarting the cpu worker with 2 processes"):
                    stack.stop("cpu")
                    stack.start("cpu", 2)
                    warm = warm_events(run + "w2", round_=1)  # each new child loads its models on first use
                    for e in warm:
                        intake.submit(e)
                    wait_published(obs, stack, [e["event_id"] for e in warm], 600)
                with console.status(f"burst of {args.events} events, 2 cpu processes"):
                    results["burst_cpu2"] = burst(intake, obs, stack, fresh("b2", args.events), 1200)
                with console.status(f"{args.reviews} reviews, 2 cpu processes"):
                    results["reviews_cpu2"] = review_burst(intake, obs, stack,
                                                           review_events(run + "v2", reviewed, args.reviews),
                                                           600)
        results["memory"] = memory.peaks
    finally:
        stack.close()
        if local is not None:
            local.stop()
    info = {**machine_info(), "model": model, "batch": args.batch, "candidates": args.candidates,
            "max_new_tokens": args.max_new_tokens, "database": database_url.split("://")[0],
            "load_at_start": loads_at_start, "load_at_end": load_average(), "logs": str(tmp / "logs")}
    report(results, info)
    path = write_results("pipeline", {"machine": info, **results}, args.out)
    console.print(f"wrote {path}")
    return 0


def report(results: dict[str, Any], info: dict[str, Any]) -> None:
    bare_r, b1 = results["bare"], results["burst_cpu1"]
    where = (f"{info.get('gpu') or 'cpu'}, {info['cores']} cores, batch {info['batch']}, "
             f"{info['candidates']} candidates, load {info['load_at_start'][0]:.1f}→{info['load_at_end'][0]:.1f}")
    rows = [["bare generate + score + embed", f"{bare_r['events_per_s']:.2f}", f"{bare_r['descriptions_per_s']:.1f}", "1.00"]]
    for key, label in (("burst_cpu1", "pipeline, 1 cpu process"), ("burst_cpu2", "pipeline, 2 cpu processes")):
        if key in results:
            r = results[key]
            rows.append([label, f"{r['events_per_s']:.2f}", f"{r['events_per_s'] * info['candidates']:.1f}",
                         f"{r['events_per_s'] / bare_r['events_per_s']:.2f}"])
    print_table(f"compute floor vs pipeline ({where})", ["run", "events/s", "candidates/s", "vs bare"], rows)

    if b1.get("overhead_cpu_per_event_s") is not None:
        n = b1["published"]
        model = b1["model_cpu_per_event_s"]
        rows = [[f"model: {k} (pipeline)", f"{1000 * v / n:.1f}", f"{v / n / model:.0%}"]
                for k, v in sorted(b1["model_cpu_seconds"].items())]
        in_stages = b1["stages_less_models_cpu_per_event_s"] - b1["engine_cpu_per_event_s"]
        rows += [["model, all (pipeline)", f"{1000 * model:.1f}", "100%"],
                 ["model (bare: generate, rescore, embed)", f"{1000 * bare_r['seconds'] / bare_r['events']:.1f}", None],
                 ["everything but the models", f"{1000 * b1['overhead_cpu_per_event_s']:.1f}",
                  f"{b1['overhead_vs_model']:.0%}"],
                 ["  rule engines (prompts, correction, ranking signals, dedup)",
                  f"{1000 * b1['engine_cpu_per_event_s']:.1f}", f"{b1['engine_cpu_per_event_s'] / model:.0%}"]]
        rows += [[f"    {k}", f"{1000 * v / n:.1f}", f"{v / n / model:.0%}"]
                 for k, v in sorted(b1["engine_cpu_seconds"].items())]
        rows += [["  queue and bookkeeping (target ≤ 10%)", f"{1000 * b1['bookkeeping_cpu_per_event_s']:.1f}",
                  f"{b1['bookkeeping_vs_model']:.0%}"],
                 ["    in the stages (database, Redis, logs)", f"{1000 * in_stages:.1f}", f"{in_stages / model:.0%}"],
                 ["    outside the stages (Celery hops, acks, intake)",
                  f"{1000 * b1['outside_stages_cpu_per_event_s']:.1f}", f"{b1['outside_stages_cpu_per_event_s'] / model:.0%}"]]
        if b1.get("consumer_cpu_per_event_s") is not None:
            consumers = b1["consumer_cpu_per_event_s"]
            around = b1["outside_stages_cpu_per_event_s"] - consumers
            rows += [["      receiving, acknowledging (gpu main thread, prefork parent)", f"{1000 * consumers:.1f}",
                      f"{consumers / model:.0%}"],
                     ["      around each task (tracing, signals, next stage), intake", f"{1000 * around:.1f}",
                      f"{around / model:.0%}"]]
        floor = results.get("celery_floor")
        if floor:
            rows.append([f"    reference: Celery's own CPU for {floor['hops']} trivial tasks",
                         f"{floor['cpu_ms_per_event']:.1f}", f"{floor['cpu_ms_per_event'] / 1000 / model:.0%}"])
        rows += [[f"  stage {s}: CPU (its models included) / wall", f"{1000 * b1['stage_cpu_per_event_s'].get(s, 0.0):.1f}"
                  f" / {1000 * v:.1f}", None] for s, v in sorted(b1["stage_mean_seconds"].items())]
        print_table("CPU per event, ms (burst, 1 cpu process)", ["where", "ms/event", "vs model CPU"], rows)

    rows = [[f"{r['offered_per_s']:g}", r["events"], r.get("dead", 0), f"{r['achieved_per_s']:.2f}",
             f"{r['p50_s']:.2f}", f"{r['p95_s']:.2f}", f"{r['p99_s']:.2f}", r["backlog_at_end"],
             "yes" if r["keeps_up"] else "no"] for r in results["latency"]]
    rows.append([f"{b1['events_per_s']:.2f} (burst)", b1["events"], b1["dead"], f"{b1['events_per_s']:.2f}", None,
                 None, None, None, "saturated"])
    print_table("event → published latency, seconds (dead: every candidate duplicated the catalog, or failed)",
                ["offered events/s", "events", "dead", "achieved/s", "p50", "p95", "p99", "backlog at end",
                 "keeps up"], rows)

    rows = []
    for n in (1, 2):
        b, r = results.get(f"burst_cpu{n}"), results.get(f"reviews_cpu{n}")
        if b or r:
            rows.append([n, f"{b['events_per_s']:.2f}" if b else None, f"{r['reviews_per_s']:.1f}" if r else None])
    print_table("scale-out of the cpu stages", ["cpu processes", "product events/s", "reviews/s"], rows)

    rows = [[k, f"{v['tree_mib']:.0f}", f"{v['largest_process_mib']:.0f}", v["processes"]]
            for k, v in results["memory"].items()]
    print_table("peak RSS under load, MiB", ["worker", "process tree", "largest process", "processes"], rows)


if __name__ == "__main__":
    raise SystemExit(main())
