"""Queue floor: a trivial task through Celery on the real Redis against raw redis-py workers doing the same work.

    python -m bench.queue [--tasks 3000] [--round-trips 300] [--workers 2] [--redis URL] [--quick]

Every kind runs the same work per message — decode a small JSON message,
INCR a counter, and for a round trip LPUSH a reply the sender BRPOPs — in
`--workers` processes, one kind after the other in one run:

- celery: a Celery app with descflow's own configuration (workers/app.py:
  JSON, late acks, prefetch 1, task events), prefork pool;
- raw: LPUSH / BRPOP, at-most-once (a message taken by a process that dies is lost);
- raw-reliable: LPUSH / BLMOVE to a per-process processing list, LREM after
  the work: at-least-once, the floor for what late acks buy.

The ratio column is each kind against raw; CPU per task counts the worker
processes and the sender. What descflow itself pays per event
in hops and bookkeeping, against its model compute, is in bench/pipeline.py.
Keys live under `descflow:bench:` and are deleted afterwards; nothing else in
the Redis database is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import redis
from celery import Celery

from bench.common import console, load_average, machine_info, print_table, tree_cpu, write_results
from schemas.settings import get_settings

PREFIX = "descflow:bench:"
QUEUE = PREFIX + "celery"
RAW_LIST = PREFIX + "raw"
COUNTER = PREFIX + "done"
ROOT = Path(__file__).resolve().parents[1]


def _redis_url(cli: str | None) -> str:
    return cli or os.environ.get("DESCFLOW_BENCH_REDIS") or get_settings().redis_url


def _work(client: redis.Redis, body: str | bytes) -> None:
    """The whole job of one message, the same for every kind."""
    message = json.loads(body)
    client.incr(COUNTER)
    if message.get("reply"):
        client.lpush(message["reply"], message["n"])


# ---- celery --------------------------------------------------------------------------------


def celery_app(url: str) -> Celery:
    """descflow's Celery configuration, on the benchmark's own queue."""
    from workers.app import celery_config

    settings = get_settings().model_copy(update={"broker_url": url})
    app = Celery("descflow-bench-queue")
    app.conf.update({**celery_config(settings), "task_routes": {}, "task_default_queue": QUEUE})
    client = redis.Redis.from_url(url)

    @app.task(name="bench.work", ignore_result=True, shared=False)
    def work(message: dict[str, Any]) -> None:
        _work(client, json.dumps(message))

    return app


app = celery_app(_redis_url(None)) if __name__ != "__main__" else None  # `celery -A bench.queue` imports it


def _celery_worker(url: str, procs: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DESCFLOW_BENCH_REDIS": url, "PYTHONPATH": f"{ROOT}:{os.environ.get('PYTHONPATH', '')}"}
    cmd = [sys.executable, "-m", "celery", "-A", "bench.queue", "worker", "-Q", QUEUE, "-P", "prefork",
           "-c", str(procs), "-n", f"bench-queue-{os.getpid()}@%h", "--loglevel", "WARNING",
           "--without-gossip", "--without-mingle"] + (["-E"] if get_settings().task_events else [])
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _wait_celery_ready(app_: Celery, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app_.control.ping(timeout=0.5):
            return
    raise RuntimeError("the benchmark's Celery worker did not answer a ping")


# ---- raw redis-py --------------------------------------------------------------------------


def raw_worker(url: str, reliable: bool) -> None:
    """One raw worker process: take, work, (reliable: drop from the processing list); until told to stop."""
    client = redis.Redis.from_url(url)
    processing = f"{PREFIX}processing:{os.getpid()}"
    while True:
        if reliable:
            body = client.blmove(RAW_LIST, processing, timeout=1, src="RIGHT", dest="LEFT")
        else:
            got = client.brpop([RAW_LIST], timeout=1)
            body = got[1] if got else None
        if body is None:
            continue
        if body == b"stop":
            if reliable:
                client.lrem(processing, 1, body)
            return
        _work(client, body)
        if reliable:
            client.lrem(processing, 1, body)


def _raw_workers(url: str, procs: int, reliable: bool) -> list[subprocess.Popen[bytes]]:
    code = f"from bench.queue import raw_worker; raw_worker({url!r}, {reliable!r})"
    return [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT) for _ in range(procs)]


# ---- the measurements ----------------------------------------------------------------------


def measure(kind: str, send: Any, client: redis.Redis, tasks: int, round_trips: int,
            pids: list[int] | None = None) -> dict[str, Any]:
    """Round trips one at a time, then a burst of `tasks` until the counter says all ran.

    pids: the worker processes, whose CPU (with the sender's) over the burst gives the CPU per task.
    """
    reply = f"{PREFIX}reply:{uuid.uuid4().hex}"
    for n in range(20):  # warm: connections, imports in the worker processes
        send({"n": n, "reply": reply})
        client.brpop([reply], timeout=30)
    rtts = []
    for n in range(round_trips):
        started = time.perf_counter()
        send({"n": n, "reply": reply})
        if client.brpop([reply], timeout=30) is None:
            raise RuntimeError(f"{kind}: no reply within 30 s")
        rtts.append(time.perf_counter() - started)
    client.delete(COUNTER)
    workers_cpu, sender_cpu = sum(map(tree_cpu, pids or [])), time.thread_time()
    started = time.perf_counter()
    for n in range(tasks):
        send({"n": n})
    sent = time.perf_counter() - started
    deadline = time.monotonic() + 300
    while int(client.get(COUNTER) or 0) < tasks:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{kind}: only {client.get(COUNTER)} of {tasks} ran within 300 s")
        time.sleep(0.002)
    seconds = time.perf_counter() - started
    cpu = sum(map(tree_cpu, pids or [])) - workers_cpu + time.thread_time() - sender_cpu
    rtts.sort()
    return {"kind": kind, "tasks": tasks, "seconds": seconds, "per_s": tasks / seconds,
            "cpu_ms_per_task": 1000 * cpu / tasks if pids else None,
            "send_per_s": tasks / sent, "rtt_p50_ms": 1000 * statistics.median(rtts),
            "rtt_p95_ms": 1000 * rtts[int(0.95 * (len(rtts) - 1))], "round_trips": len(rtts)}


def run_celery(url: str, procs: int, tasks: int, round_trips: int, log: Path) -> dict[str, Any]:
    app_ = celery_app(url)
    client = redis.Redis.from_url(url)
    proc = _celery_worker(url, procs, log)
    try:
        _wait_celery_ready(app_)
        task = app_.tasks["bench.work"]
        return measure("celery", lambda m: task.apply_async((m,)), client, tasks, round_trips, [proc.pid])
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_raw(url: str, procs: int, tasks: int, round_trips: int, reliable: bool) -> dict[str, Any]:
    client = redis.Redis.from_url(url)
    workers = _raw_workers(url, procs, reliable)
    try:
        return measure("raw-reliable" if reliable else "raw",
                       lambda m: client.lpush(RAW_LIST, json.dumps(m)), client, tasks, round_trips,
                       [w.pid for w in workers])
    finally:
        for _ in workers:
            client.lpush(RAW_LIST, "stop")
        for w in workers:
            try:
                w.wait(10)
            except subprocess.TimeoutExpired:
                w.kill()


def _cleanup(client: redis.Redis) -> None:
    keys = list(client.scan_iter(PREFIX + "*")) + [QUEUE, f"{QUEUE}\x06\x163", f"{QUEUE}\x06\x166",
                                                    f"{QUEUE}\x06\x169"]
    if keys:
        client.delete(*keys)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=3000, help="messages in the throughput burst")
    parser.add_argument("--round-trips", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2, help="worker processes of each kind")
    parser.add_argument("--redis", default=None, help="default: DESCFLOW_BENCH_REDIS, else DESCFLOW_BROKER_URL")
    parser.add_argument("--quick", action="store_true", help="500 tasks, 100 round trips")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.tasks, args.round_trips = 500, 100
    url = _redis_url(args.redis)
    client = redis.Redis.from_url(url)
    _cleanup(client)
    log = Path(tempfile.gettempdir()) / f"descflow-bench-queue-{os.getpid()}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    load_before = load_average()
    results = []
    try:
        with console.status("queue floor") as status:
            status.update("raw LPUSH/BRPOP")
            results.append(run_raw(url, args.workers, args.tasks, args.round_trips, reliable=False))
            status.update("raw reliable (BLMOVE)")
            results.append(run_raw(url, args.workers, args.tasks, args.round_trips, reliable=True))
            status.update("celery")
            results.append(run_celery(url, args.workers, args.tasks, args.round_trips, log))
    finally:
        _cleanup(client)
    raw = results[0]
    rows = []
    for r in results:
        r["throughput_vs_raw"] = raw["per_s"] / r["per_s"]
        r["rtt_vs_raw"] = r["rtt_p50_ms"] / raw["rtt_p50_ms"]
        rows.append([r["kind"], f"{r['per_s']:,.0f}", f"{r['throughput_vs_raw']:.1f}x", f"{r['rtt_p50_ms']:.2f}",
                     f"{r['rtt_p95_ms']:.2f}", f"{r['rtt_vs_raw']:.1f}x", f"{r['send_per_s']:,.0f}",
                     f"{r['cpu_ms_per_task']:.2f}"])
    info = {**machine_info(), "redis": url.rsplit("@", 1)[-1], "worker_processes": args.workers,
            "tasks": args.tasks, "round_trips": args.round_trips, "load_before": load_before,
            "load_after": load_average()}
    print_table(f"queue floor ({info['cores']} cores, {args.workers} worker processes, "
                f"load {info['load_before'][0]:.1f})",
                ["kind", "tasks/s", "slower than raw", "round trip p50 ms", "p95 ms", "vs raw", "sent/s",
                 "CPU ms/task (all processes)"], rows)
    path = write_results("queue", {"machine": info, "results": results}, args.out)
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
