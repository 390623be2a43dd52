"""The `descflow` command: workers, webhook, replay, training, dead letters, demo."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

app = typer.Typer(help="descflow: keeps a shop's product descriptions good, automatically.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console(stderr=True)

QUEUES = ("gpu", "cpu")


def _settings():  # noqa: ANN202 - imported late: `worker` must set the environment first
    from schemas.settings import get_settings

    get_settings.cache_clear()
    try:
        return get_settings()
    except Exception as exc:  # pydantic's message names the variable and the reason
        console.print(f"[red]invalid settings:[/red] {exc}")
        raise typer.Exit(2) from None


def progress_bar() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TimeRemainingColumn(), console=console)


@app.command()
def worker(
    queues: Annotated[str, typer.Option(help="Queues to consume: gpu or cpu (comma-separated).")] = "cpu",
    device: Annotated[Optional[str], typer.Option(help="gpu worker: auto, cpu, cuda or cuda:N (pins CUDA_VISIBLE_DEVICES=N).")] = None,
    concurrency: Annotated[int, typer.Option(help="cpu worker processes; 0 = DESCFLOW_CPU_CONCURRENCY or one per core.")] = 0,
    loglevel: Annotated[Optional[str], typer.Option(help="Log level (default DESCFLOW_LOG_LEVEL).")] = None,
    name: Annotated[Optional[str], typer.Option(help="Node name (default gpu@%h / cpu@%h).")] = None,
) -> None:
    """Run a Celery worker: gpu (one solo-pool process per device, model loaded once) or cpu (prefork)."""
    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [q for q in wanted if q not in QUEUES]
    if unknown or not wanted:
        console.print(f"[red]unknown queue(s) {unknown or queues!r}[/red]: choose from {', '.join(QUEUES)}")
        raise typer.Exit(2)
    os.environ["DESCFLOW_WORKER_QUEUES"] = ",".join(wanted)
    if device and device.startswith("cuda:"):
        # Pin before torch is imported: the process then sees exactly one device, as cuda:0.
        os.environ["CUDA_VISIBLE_DEVICES"] = device.split(":", 1)[1]
        os.environ["DESCFLOW_DEVICE"] = "cuda:0"
    elif device:
        os.environ["DESCFLOW_DEVICE"] = device
    settings = _settings()
    gpu = "gpu" in wanted
    if gpu:
        model = Path(settings.generator_model)
        if (settings.generator_model.startswith((".", "/")) or model.parent == settings.home / "models") and not model.exists():
            console.print(f"[red]generator model {settings.generator_model} does not exist[/red]: "
                          "run `descflow train` or set DESCFLOW_GENERATOR_MODEL")
            raise typer.Exit(2)
    from workers.app import app as celery

    pool = "solo" if gpu else "prefork"
    procs = 1 if gpu else (concurrency or settings.cpu_concurrency or os.cpu_count() or 1)
    argv = ["worker", "-Q", ",".join(wanted), "-n", name or f"{'gpu' if gpu else 'cpu'}@%h", "-P", pool,
            "-c", str(procs), "--loglevel", loglevel or settings.log_level, "-E"]
    console.print(f"descflow worker: queues={','.join(wanted)} pool={pool} processes={procs} "
                  f"device={settings.device} CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')}")
    celery.worker_main(argv)


@app.command()
def webhook(
    host: Annotated[Optional[str], typer.Option(help="Bind address (default DESCFLOW_WEBHOOK_HOST).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default DESCFLOW_WEBHOOK_PORT).")] = None,
) -> None:
    """Serve the signed webhook: POST /events."""
    import uvicorn

    from producers.webhook import create_app

    settings = _settings()
    try:
        api = create_app(settings)
    except RuntimeError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    uvicorn.run(api, host=host or settings.webhook_host, port=port or settings.webhook_port,
                log_level=settings.log_level.lower())


@app.command()
def publish(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL file, one event per line.")],
) -> None:
    """Replay events from a JSONL file; bad lines are reported and skipped."""
    from producers.intake import Intake, QueueUnavailable
    from producers.replay import replay

    intake = Intake(_settings(), source="replay")
    total = sum(1 for line in file.open("rb") if line.strip())
    with progress_bar() as bar:
        task = bar.add_task("publishing", total=total, info="")

        def on_line(result) -> None:  # noqa: ANN001
            if result.outcome.status == "rejected":
                bar.console.print(f"[yellow]line {result.line}[/yellow]: {result.outcome.message}")
            bar.advance(task)

        try:
            summary = replay(file, intake, on_line)
        except QueueUnavailable as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    table = Table(title=f"{file.name}: {summary.total} lines")
    table.add_column("outcome")
    table.add_column("events", justify="right")
    for status in ("accepted", "duplicate", "rejected"):
        table.add_row(status, str(summary.counts.get(status, 0)))
    Console().print(table)
    if summary.counts.get("rejected"):
        raise typer.Exit(1)


@app.command()
def train(
    pairs: Annotated[Optional[Path], typer.Option(help="JSONL of {product, description} pairs (default: the bundled phrase bank).")] = None,
    from_db: Annotated[bool, typer.Option("--from-db", help="Train on the database's published descriptions.")] = False,
    n_pairs: Annotated[int, typer.Option(help="Phrase-bank pairs when no file is given.")] = 3000,
    output: Annotated[Optional[Path], typer.Option(help="Output directory (default: DESCFLOW_GENERATOR_MODEL).")] = None,
    base_model: Annotated[Optional[str], typer.Option(help="Fine-tune this causal LM instead of training from scratch.")] = None,
    epochs: Annotated[int, typer.Option(help="Epochs (early stopping may end sooner).")] = 6,
    max_minutes: Annotated[float, typer.Option(help="Time budget.")] = 10.0,
    small: Annotated[bool, typer.Option(help="A tiny model, for tests and smoke runs.")] = False,
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Do nothing when the output already exists.")] = False,
) -> None:
    """Train the house generator from scratch, or fine-tune a model, on (attributes → description) pairs."""
    from transformers.utils import logging as hf_logging

    from workers.gpu.train import TrainConfig
    from workers.gpu.train import train as run_train

    hf_logging.set_verbosity_error()

    settings = _settings()
    out = output or Path(settings.generator_model)
    if if_missing and (out / "config.json").exists():
        console.print(f"house model already at {out}")
        return
    data = _training_pairs(pairs, from_db, n_pairs, settings)
    cfg = TrainConfig(epochs=epochs, max_minutes=max_minutes)
    if small:
        cfg = TrainConfig(vocab_size=1200, n_layer=2, n_embd=96, n_head=2, n_positions=256, epochs=epochs,
                          batch_size=16, warmup_steps=20, max_minutes=max_minutes)
    with progress_bar() as bar:
        task = bar.add_task("training", total=None, info="")

        def report(step: int, total: int, metrics: dict[str, float]) -> None:
            info = " ".join(f"{k}={v:.3f}" for k, v in metrics.items())
            bar.update(task, completed=step, total=total, info=info)

        result = run_train(data, out, base_model=base_model, config=cfg, progress=report)
    console.print(f"saved {out}: {result.parameters:,} parameters, {result.train_pairs} train / {result.eval_pairs} "
                  f"eval pairs, eval loss {result.initial_eval_loss:.3f} → {result.eval_loss:.3f} "
                  f"in {result.seconds:.0f} s ({result.stopped})")


def _training_pairs(path: Optional[Path], from_db: bool, n: int, settings) -> list[dict]:  # noqa: ANN001
    if path is not None:
        return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    if from_db:
        from workers.store import Store

        store = Store(settings.database_url)
        data = []
        for row in store.current_descriptions():
            product = store.product_model(row.shop_id, row.product_id)
            if product is not None:
                data.append({"product": product.model_dump(mode="json"), "locale": row.locale,
                             "description": row.text})
        if len(data) < 10:
            console.print(f"[red]only {len(data)} published descriptions in the database[/red]; "
                          "train from the phrase bank or a pairs file first")
            raise typer.Exit(2)
        return data
    from producers.samples.phrasebank import generate_pairs

    return generate_pairs(n, seed=0)


@app.command()
def retry(
    ids: Annotated[Optional[list[int]], typer.Argument(help="Dead-letter ids to re-run.")] = None,
    task: Annotated[Optional[str], typer.Option(help="Re-run every dead letter of this task (e.g. descflow.generate).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Re-run every dead letter.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="Only list dead letters.")] = False,
) -> None:
    """List dead letters (failed_tasks) and send them again."""
    settings = _settings()
    from workers.app import create_app
    from workers.store import Store

    store = Store(settings.database_url)
    rows = store.failed_tasks(task=task, ids=ids)
    table = Table(title=f"dead letters ({len(rows)})")
    for col in ("id", "task", "args", "attempts", "last seen", "error"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r.id), r.task, json.dumps(r.args)[:60], str(r.attempts), f"{r.last_seen:%Y-%m-%d %H:%M:%S}",
                      r.error[:80])
    Console().print(table)
    if list_ or not rows:
        return
    if not (ids or task or all_):
        console.print("say which to re-run: ids, --task NAME or --all")
        raise typer.Exit(2)
    celery = create_app(settings)
    for r in rows:
        celery.send_task(r.task, args=r.args, kwargs=r.kwargs)
        store.set_failed_status(r.id, "retried")  # type: ignore[arg-type]
    console.print(f"re-sent {len(rows)} task(s)")


@app.command()
def status(
    minutes: Annotated[int, typer.Option(help="Window for recent work.")] = 15,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Queue depths, workers online, recent events and stages, published rate, dead letters."""
    settings = _settings()  # first: a bad setting is reported as such, not as an import error
    from descflow.status import collect

    try:
        report = collect(settings, minutes=minutes)
    except Exception as exc:  # noqa: BLE001 - say which service is down and stop
        console.print(f"[red]cannot collect status:[/red] {type(exc).__name__}: {exc}")
        raise typer.Exit(1) from None
    if as_json:
        print(report.model_dump_json(indent=2))
        return
    out = Console()
    queues = Table(title="queues")
    queues.add_column("queue")
    queues.add_column("waiting", justify="right")
    for name, depth in report.queues.items():
        queues.add_row(name, str(depth))
    out.print(queues)
    workers = Table(title=f"workers online ({len(report.workers)})")
    for col in ("worker", "queues", "running"):
        workers.add_column(col)
    for w in report.workers:
        workers.add_row(w.name, ",".join(w.queues), str(w.active))
    out.print(workers)
    stages = Table(title=f"last {report.minutes} min: stages")
    for col in ("stage", "runs", "mean s", "max s"):
        stages.add_column(col)
    for st in report.stages:
        stages.add_row(st.stage, str(st.runs), f"{st.mean_seconds:.3f}", f"{st.max_seconds:.3f}")
    out.print(stages)
    events = ", ".join(f"{k}={v}" for k, v in sorted(report.events_by_status.items())) or "none"
    out.print(f"events: {events}")
    out.print(f"published: {report.published} ({report.published_per_minute}/min); dead letters: {report.dead_letters}")
    for f in report.recent_failures:
        out.print(f"  [yellow]#{f.id}[/yellow] {f.task} {f.args}: {f.error}")


dedup_app = typer.Typer(help="The catalog-wide near-duplicate index in Redis.", no_args_is_help=True)
app.add_typer(dedup_app, name="dedup")


@dedup_app.command("rebuild")
def dedup_rebuild() -> None:
    """Rebuild the index from the database's current published descriptions (after a Redis loss or a threshold change)."""
    settings = _settings()
    from workers.cpu.dedup import DedupIndex
    from workers.pipeline import dedup_key
    from workers.store import Store

    rows = Store(settings.database_url).current_descriptions()
    index = DedupIndex(settings.redis_url, threshold=settings.dedup_threshold, num_perm=settings.dedup_num_perm)
    index.clear()  # also forgets the parameters it was built with, so new ones may take over
    with progress_bar() as bar:
        task = bar.add_task("indexing", total=len(rows), info="")
        for row in rows:
            index.add(dedup_key(row.shop_id, row.product_id, row.locale), row.text)
            bar.advance(task)
    console.print(f"indexed {len(rows)} published descriptions (threshold {settings.dedup_threshold}, "
                  f"{settings.dedup_num_perm} permutations)")


@app.command()
def flower(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 5555,
    address: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    insecure: Annotated[bool, typer.Option("--insecure", help="Run without authentication (local debugging only).")] = False,
) -> None:
    """Start Flower on the configured broker, with basic auth from DESCFLOW_FLOWER_USER/_PASSWORD."""
    settings = _settings()
    user, password = settings.flower_user, settings.flower_password.get_secret_value()
    if not (user and password) and not insecure:
        console.print("[red]Flower needs credentials[/red]: set DESCFLOW_FLOWER_USER and DESCFLOW_FLOWER_PASSWORD "
                      "(or pass --insecure for a local, unauthenticated dashboard)")
        raise typer.Exit(2)
    state = settings.home / "flower.db"
    state.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "celery", "-A", "workers.app", "-b", settings.broker_url, "flower",
            f"--port={port}", f"--address={address}", "--persistent=True", f"--db={state}"]
    if user and password:
        os.environ["FLOWER_BASIC_AUTH"] = f"{user}:{password}"  # not on the command line, where ps shows it
    os.execv(sys.executable, argv)


@app.command()
def demo(
    keep: Annotated[bool, typer.Option(help="Keep the demo database from the last run instead of starting fresh.")] = False,
) -> None:
    """Run the whole pipeline on the bundled sample catalog and show the results."""
    from descflow.demo import run_demo

    raise typer.Exit(run_demo(console, fresh=not keep))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
