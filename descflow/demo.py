"""`descflow demo`: the whole pipeline on the bundled sample catalog, on this machine.

Starts what it needs (a loopback Redis unless DESCFLOW_BROKER_URL is set, a
SQLite file, one gpu-queue and one cpu-queue worker), replays the catalog
through the same intake the webhook uses, waits for the results and prints
them, then stops everything it started.
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlmodel import select

from descflow.services import LocalRedis, WorkerProcess, redis_alive
from producers.intake import Intake
from producers.replay import replay
from schemas.settings import Settings
from schemas.tables import FailedTask, InboundEvent, PublishedDescription
from workers.store import Store

SAMPLES = Path(__file__).resolve().parents[1] / "producers" / "samples"
STAGES = ("ingest", "generate", "correct", "dedup", "rank", "publish")
WAIT_SECONDS = 900


def run_demo(console: Console, *, fresh: bool = True) -> int:
    from descflow.cli import progress_bar, train

    base = Settings()
    home = base.home.resolve()
    db_path = home / "demo.db"
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    model = Path(base.generator_model).resolve()
    if not (model / "config.json").exists():
        console.print(f"[bold]No generator at {model}: training the house model (once, a few minutes)…")
        train(pairs=None, from_db=False, n_pairs=3000, output=model, base_model=None, epochs=6, max_minutes=8.0,
              small=False, if_missing=True)

    with ExitStack() as stack:
        broker = os.environ.get("DESCFLOW_BROKER_URL")
        if broker and not redis_alive(broker):
            console.print(f"[red]DESCFLOW_BROKER_URL={broker} does not answer[/red]")
            return 2
        if broker:
            console.print(f"using DESCFLOW_BROKER_URL={broker}: its dedup index and published stream are shared "
                          "with whatever else uses it (unset it to run on a private Redis)")
        if not broker:
            local = stack.enter_context(LocalRedis(home / "redis"))
            broker = local.url
            console.print(f"started redis-server on 127.0.0.1:{local.port}")
        env = {"DESCFLOW_BROKER_URL": broker, "DESCFLOW_DATABASE_URL": f"sqlite:///{db_path}",
               "DESCFLOW_GENERATOR_MODEL": str(model), "DESCFLOW_HOME": str(home)}
        settings = Settings(**{k.removeprefix("DESCFLOW_").lower(): v for k, v in env.items()})
        logs = home / "logs"
        workers = [WorkerProcess("gpu", env, logs / "gpu-worker.log", name="gpu@demo"),
                   WorkerProcess("cpu", env, logs / "cpu-worker.log", concurrency=2, name="cpu@demo")]
        for w in workers:
            w.start()
            stack.callback(w.stop)
        with console.status("starting workers (the gpu worker loads the model)…"):
            for w in workers:
                w.wait_ready()
        console.print("workers ready: gpu@demo (threads, batched), cpu@demo (prefork ×2); logs in " + str(logs))

        intake = Intake(settings, source="replay")
        started = time.monotonic()
        accepted: list[str] = []
        for name in ("products.jsonl", "reviews.jsonl"):
            path = SAMPLES / name
            lines = sum(1 for line in path.open("rb") if line.strip())
            with progress_bar() as bar:
                task = bar.add_task(f"replaying {name}", total=lines, info="")
                summary = replay(path, intake, lambda _r: bar.advance(task))
            accepted += summary.event_ids
            for problem in summary.problems:
                console.print(f"[yellow]{name} line {problem.line}[/yellow]: {problem.outcome.message}")

        store = Store(settings.database_url)
        finished = _wait(store, accepted, progress_bar, console)
        elapsed = time.monotonic() - started
        _print_results(store, accepted, console, elapsed)
        return 0 if finished else 1


def _wait(store: Store, event_ids: list[str], progress_bar, console: Console) -> bool:  # noqa: ANN001
    """Until every (product event, locale) is published or dead-lettered and every review is done."""
    ids = set(event_ids)
    with store.session() as s:
        inbound = list(s.exec(select(InboundEvent).where(InboundEvent.event_id.in_(ids))))  # type: ignore[attr-defined]
    pairs = {(e.event_id, loc) for e in inbound if e.event_type != "review.received"
             for loc in (e.payload.get("target_locales") or [e.payload["locale"]])}
    reviews = {e.event_id for e in inbound if e.event_type == "review.received"}
    total = len(pairs) + len(reviews)
    with progress_bar() as bar:
        task = bar.add_task("processing events", total=total, info="")
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            with store.session() as s:
                published = {(r.event_id, r.locale) for r in s.exec(select(PublishedDescription))}
                failed = {(f.args[0], f.args[1] if len(f.args) > 1 else "") for f in s.exec(select(FailedTask))}
                done_reviews = set(s.exec(select(InboundEvent.event_id).where(
                    InboundEvent.event_type == "review.received", InboundEvent.status == "done")))
            finished = len(pairs & (published | failed)) + len(reviews & (done_reviews | {f[0] for f in failed}))
            bar.update(task, completed=finished, info=f"dead letters={len(failed)}")
            if finished >= total:
                return True
            time.sleep(0.5)
    console.print(f"[red]not finished after {WAIT_SECONDS} s[/red]")
    return False


def _print_results(store: Store, event_ids: list[str], console: Console, elapsed: float) -> None:
    rows = store.current_descriptions()
    timings = store.stage_timings(event_ids)
    table = Table(title=f"descflow demo: {len(rows)} descriptions published in {elapsed:.0f} s", show_lines=True)
    for col in ("product", "locale", "v", "description", "score", "coverage", "faithful", "fluency", "novelty"):
        table.add_column(col, overflow="fold")
    table.add_column("stage seconds (" + " / ".join(STAGES) + ")")
    for row in rows:
        t = timings.get((row.event_id, row.locale), {})
        t_ingest = timings.get((row.event_id, ""), {}).get("ingest")
        per_stage = [t_ingest] + [t.get(s) for s in STAGES[1:]]
        sc = row.scores
        table.add_row(
            row.product_id, row.locale, str(row.version), row.text[:160] + ("…" if len(row.text) > 160 else ""),
            f"{sc.get('total', 0):.2f}", f"{sc.get('coverage', 0):.2f}", f"{sc.get('faithfulness', 0):.2f}",
            f"{sc.get('fluency', 0):.2f}", f"{sc.get('novelty', 0):.2f}",
            " / ".join("-" if v is None else f"{v:.2f}" for v in per_stage),
        )
    Console(width=max(Console().width, 160)).print(table)
    failed = store.failed_tasks()
    if failed:
        console.print(f"[yellow]{len(failed)} dead letter(s)[/yellow]: see `descflow retry --list`")
        for f in failed[:5]:
            console.print(f"  {f.task} {f.args}: {f.error[:160]}")
