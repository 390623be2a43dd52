"""The `descflow` command: workers, webhook, replay, training, dead letters, demo."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from descflow.training import HOUSE_PAIRS, SAFETY_CAP_MINUTES

app = typer.Typer(help="descflow: keeps a shop's product descriptions good, automatically.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console(stderr=True)

QUEUES = ("gpu", "cpu")
BAD_LINES_SHOWN = 20  # bad input lines listed one by one; the rest are counted


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
    concurrency: Annotated[int, typer.Option(help="cpu worker processes (0 = DESCFLOW_CPU_CONCURRENCY or one per core); "
                                                  "gpu worker threads (0 = DESCFLOW_GPU_CONCURRENCY or two batches' worth).")] = 0,
    loglevel: Annotated[Optional[str], typer.Option(help="Log level (default DESCFLOW_LOG_LEVEL).")] = None,
    name: Annotated[Optional[str], typer.Option(help="Node name (default gpu@%h / cpu@%h).")] = None,
    metrics_port: Annotated[Optional[int], typer.Option(help="Prometheus /metrics port (default DESCFLOW_METRICS_PORT; 0 = off).")] = None,
) -> None:
    """Run a Celery worker: gpu (one process per device, tasks in threads batched through one model) or cpu (prefork)."""
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
    if metrics_port is not None:
        os.environ["DESCFLOW_METRICS_PORT"] = str(metrics_port)
    settings = _settings()
    gpu = "gpu" in wanted
    if gpu:
        model = Path(settings.generator_model)
        if (settings.generator_model.startswith((".", "/")) or model.parent == settings.home / "models") and not model.exists():
            console.print(f"[red]generator model {settings.generator_model} does not exist[/red]: "
                          "run `descflow train` or set DESCFLOW_GENERATOR_MODEL")
            raise typer.Exit(2)
    from workers.app import app as celery

    # gpu: one process per device, its tasks in threads that share the model through the batcher
    # (workers/gpu/batcher.py); cpu: prefork, a process per core.
    pool = "threads" if gpu else "prefork"
    if gpu:
        procs = concurrency or settings.gpu_concurrency or max(2, 2 * -(-settings.batch_size // settings.candidates))
    else:
        procs = concurrency or settings.cpu_concurrency or os.cpu_count() or 1
    node = name or f"{'gpu' if gpu else 'cpu'}@%h"
    argv = ["worker", "-Q", ",".join(wanted), "-n", node, "-P", pool,
            "-c", str(procs), "--loglevel", loglevel or settings.log_level]
    if settings.task_events:
        argv.append("-E")  # else Flower turns them on while it watches
    if settings.log_format == "json":
        argv.insert(0, "--quiet")  # no multi-line banner between the JSON lines
    where = ""
    if settings.metrics_port:
        from celery.utils.nodenames import host_format

        from workers import metrics

        try:
            endpoint = metrics.serve(settings.metrics_port, settings.metrics_host, node=host_format(node),
                                     multiprocess=pool == "prefork",
                                     directory=Path(settings.metrics_dir) if settings.metrics_dir else None)
        except OSError as exc:
            console.print(f"[red]{exc.strerror or exc}[/red]")
            raise typer.Exit(2) from None
        where = f" metrics={endpoint.url}"
    summary = (f"descflow worker: queues={','.join(wanted)} pool={pool} processes={procs} device={settings.device} "
               f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')}{where}")
    if settings.log_format == "json":
        import logging

        from workers.runtime import configure_logging

        configure_logging(loglevel)
        logging.getLogger("descflow.worker").info(summary)
    else:
        console.print(summary)
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
    from workers.runtime import configure_logging

    configure_logging()  # DESCFLOW_LOG_FORMAT, secrets masked; uvicorn's loggers go through it too
    uvicorn.run(api, host=host or settings.webhook_host, port=port or settings.webhook_port,
                log_level=settings.log_level.lower(), log_config=None)


@app.command()
def publish(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL file, one event per line.")],
) -> None:
    """Replay events from a JSONL file; bad lines are reported and skipped."""
    from producers.intake import Intake, Unavailable
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
        except Unavailable as exc:
            console.print(f"[red]{exc}[/red] (gave up after DESCFLOW_PRODUCER_RETRY_SECONDS="
                          f"{intake.settings.producer_retry_seconds:g}; lines before it were taken, a replay "
                          "of the file skips them as duplicates)")
            raise typer.Exit(1) from None
    table = Table(title=f"{file.name}: {summary.total} lines")
    table.add_column("outcome")
    table.add_column("events", justify="right")
    for status in ("accepted", "duplicate", "rejected"):
        table.add_row(status, str(summary.counts.get(status, 0)))
    Console().print(table)
    if summary.counts.get("rejected"):
        raise typer.Exit(1)


train_app = typer.Typer(help="Train the models descflow runs: the generator (default) and, as `train sentiment`, "
                        "the review classifier.", invoke_without_command=True)
app.add_typer(train_app, name="train")


@train_app.callback()
def train(
    ctx: typer.Context,
    pairs: Annotated[Optional[Path], typer.Option(exists=True, dir_okay=False, help="JSONL of {product, description} pairs (default: the bundled phrase bank).")] = None,
    from_db: Annotated[bool, typer.Option("--from-db", help="Train on the database's published descriptions (the shop's house style; re-run it now and then).")] = False,
    shop: Annotated[Optional[str], typer.Option(help="With --from-db: only this shop's descriptions.")] = None,
    n_pairs: Annotated[int, typer.Option(help="Phrase-bank pairs when no file is given.")] = HOUSE_PAIRS,
    output: Annotated[Optional[Path], typer.Option(help="Output directory (default: DESCFLOW_GENERATOR_MODEL).")] = None,
    base_model: Annotated[Optional[str], typer.Option(help="Fine-tune this causal or seq2seq model (hub id or directory) instead of training the house model from scratch.")] = None,
    lora: Annotated[bool, typer.Option("--lora", help="Train LoRA adapters only (for large base models), then merge them.")] = False,
    lora_rank: Annotated[int, typer.Option(help="LoRA rank.")] = 8,
    lora_alpha: Annotated[int, typer.Option(help="LoRA alpha (scale = alpha / rank).")] = 16,
    lora_targets: Annotated[str, typer.Option(help="Modules that get adapters: all-linear, or names like q_proj,v_proj.")] = "all-linear",
    save_adapter: Annotated[bool, typer.Option("--save-adapter", help="With --lora: save the adapter alone instead of the merged model.")] = False,
    epochs: Annotated[Optional[int], typer.Option(help="Most epochs; early stopping usually ends sooner (default 3 from scratch, 6 fine-tuning).")] = None,
    lr: Annotated[Optional[float], typer.Option(help="Peak learning rate (default 3e-3 from scratch, 5e-5 full fine-tuning, 2e-4 LoRA).")] = None,
    batch_size: Annotated[int, typer.Option(help="Examples per step.")] = 16,
    patience: Annotated[Optional[int], typer.Option(help="Evaluations in a row without the eval loss improving (from scratch: by 0.5%) before stopping (default 3 from scratch, 2 fine-tuning).")] = None,
    eval_every: Annotated[Optional[int], typer.Option(help="Steps between evaluations; 0 = once per epoch (default 25 from scratch, 0 fine-tuning).")] = None,
    device: Annotated[Optional[str], typer.Option(help="cpu, cuda or cuda:N (default DESCFLOW_DEVICE).")] = None,
    max_minutes: Annotated[float, typer.Option(help="Safety cap on the training time (training ends at convergence or the last epoch first).")] = SAFETY_CAP_MINUTES,
    small: Annotated[bool, typer.Option(help="A tiny model, for tests and smoke runs.")] = False,
    layers: Annotated[Optional[int], typer.Option(help="House model from scratch: transformer layers (default 2).")] = None,
    width: Annotated[Optional[int], typer.Option(help="House model from scratch: hidden size, a multiple of 4 (default 192).")] = None,
    vocab: Annotated[Optional[int], typer.Option(help="House model from scratch: BPE vocabulary size (default 3000).")] = None,
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Do nothing when the output already exists.")] = False,
) -> None:
    """Train the house generator from scratch, or fine-tune a model (fully or with LoRA), on (attributes → description) pairs."""
    if ctx.invoked_subcommand is not None:
        return
    from descflow.training import GeneratorTraining, summary, train_generator, training_bar
    from workers.gpu.train import TrainingError

    request = GeneratorTraining(
        pairs=pairs, from_db=from_db, shop=shop, n_pairs=n_pairs, output=output, base_model=base_model, lora=lora,
        lora_rank=lora_rank, lora_alpha=lora_alpha, lora_targets=lora_targets, save_adapter=save_adapter,
        epochs=epochs, lr=lr, batch_size=batch_size, patience=patience, eval_every=eval_every, device=device,
        max_minutes=max_minutes, small=small, layers=layers, width=width, vocab=vocab, if_missing=if_missing,
    )
    try:
        with training_bar(console) as report:
            result = train_generator(request, _settings(), progress=report, say=console.print)
    except (TrainingError, RuntimeError) as exc:
        console.print(f"[red]cannot train:[/red] {exc}")
        raise typer.Exit(2) from None
    if result is not None:
        console.print(summary(result))


@train_app.command("sentiment")
def train_sentiment_command(
    file: Annotated[Optional[Path], typer.Option("--file", exists=True, dir_okay=False, help="JSONL of {text, label or rating, locale}; default: the database's rated reviews.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="With --file: refuse the whole file when a line is bad (default: report bad lines and skip them).")] = False,
    shop: Annotated[Optional[str], typer.Option(help="Only this shop's reviews (database only).")] = None,
    output: Annotated[Optional[Path], typer.Option(help="Output directory (default: DESCFLOW_SENTIMENT_MODEL, HOME/models/sentiment).")] = None,
    test_size: Annotated[float, typer.Option(help="Share of each language held out for evaluation.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the train/test split.")] = 0,
    embeddings: Annotated[bool, typer.Option("--embeddings", help="English: add all-MiniLM-L6-v2 sentence vectors (DESCFLOW_EMBEDDING_MODEL); more accurate, ~40x slower per review.")] = False,
) -> None:
    """Fit the review classifier on rated reviews (1-2 stars negative, 4-5 positive), evaluate it, save it."""
    from workers.cpu.sentiment_train import (
        SentimentTrainConfig,
        TrainingDataError,
        examples_from_store,
        read_labelled_jsonl,
        train_sentiment,
    )

    settings = _settings()
    out = output or Path(settings.sentiment_model if settings.sentiment_backend != "transformers"
                         else settings.home / "models" / "sentiment")
    try:
        if file is not None:
            read = read_labelled_jsonl(file)
            if read.bad and strict:
                raise TrainingDataError(read.refusal() + "\n(--strict; without it bad lines are skipped)")
            for bad in read.bad[:BAD_LINES_SHOWN]:
                console.print(f"[yellow]line {bad.line}[/yellow]: {escape(bad.reason)}")
            if len(read.bad) > BAD_LINES_SHOWN:
                console.print(f"[yellow]… and {len(read.bad) - BAD_LINES_SHOWN} more bad lines[/yellow]")
            console.print(f"{file.name}: {len(read.examples):,} of {read.lines:,} lines used"
                          + (f", {len(read.bad):,} bad line(s) skipped (--strict refuses them)" if read.bad else ""))
            examples, source = read.examples, str(file)
        else:
            from workers.store import Store

            examples, source = examples_from_store(Store(settings.database_url), shop), "database"
        with progress_bar() as bar:
            task = bar.add_task("training", total=None, info="")

            def report(stage: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, info=stage)

            config = SentimentTrainConfig(test_size=test_size, seed=seed,
                                          embedding=settings.embedding_model if embeddings else None)
            result = train_sentiment(examples, out, config, report, source=source)
    except (TrainingDataError, ValueError) as exc:
        console.print(f"[red]cannot train the sentiment model:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    table = Table(title=f"held-out evaluation ({result.examples} examples, {result.neutral_left_out} 3-star left out, "
                  f"{result.duplicates_dropped} repeats dropped)")
    for column in ("language", "train", "test", "accuracy", "balanced acc.", "majority", "confusion [[TN FP] [FN TP]]"):
        table.add_column(column, justify="left" if column == "language" else "right")
    for lang, r in result.languages.items():
        if r.skipped:
            table.add_row(lang, "—", "—", "—", "—", "—", f"not trained: {r.skipped}")
        else:
            table.add_row(lang, str(r.train), str(r.test), f"{r.accuracy:.3f}", f"{r.balanced_accuracy:.3f}",
                          f"{r.majority_baseline:.3f}", str(r.confusion))
    Console().print(table)
    console.print(f"saved to {result.out} in {result.seconds:.1f} s; workers with DESCFLOW_SENTIMENT_BACKEND=auto "
                  "pick it up within a minute")


@app.command()
def retry(
    ids: Annotated[Optional[list[int]], typer.Argument(help="Dead-letter ids to re-run.")] = None,
    task: Annotated[Optional[str], typer.Option(help="Re-run every dead letter of this task (e.g. descflow.generate).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Re-run every dead letter.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="Only list dead letters.")] = False,
) -> None:
    """List dead letters (failed_tasks) and send them again."""
    settings = _settings()
    import redis

    from workers import deadletters
    from workers.app import create_app
    from workers.store import Store

    store = Store(settings.database_url)
    deadletters.drain(store, redis.Redis.from_url(settings.redis_url))  # letters written while the database was down
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
        # With the rest of its chain: a product stage re-run alone would stop there, unpublished.
        celery.send_task(r.task, args=r.args, kwargs=r.kwargs, chain=r.chain or None)
        store.set_failed_status(r.id, "retried")  # type: ignore[arg-type]
    console.print(f"re-sent {len(rows)} task(s)")


@app.command()
def status(
    minutes: Annotated[int, typer.Option(help="Window for recent work.")] = 15,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    wait: Annotated[float, typer.Option(help="Seconds to wait for workers to answer (a gpu worker answers between batches).")] = 1.0,
) -> None:
    """Queue depths, workers online with queues and devices, tasks by stage, published rate, dead letters."""
    settings = _settings()  # first: a bad setting is reported as such, not as an import error
    from descflow.status import collect

    try:
        report = collect(settings, minutes=minutes, ping_timeout=wait)
    except Exception as exc:  # noqa: BLE001 - say which service is down and stop
        import redis
        import sqlalchemy.exc

        from workers.logs import mask_secrets

        if isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
            hint = f"is Redis at {mask_secrets(settings.broker_url)} running? (DESCFLOW_BROKER_URL)"
        elif isinstance(exc, sqlalchemy.exc.OperationalError):
            hint = f"can the database {mask_secrets(settings.database_url)} be reached? (DESCFLOW_DATABASE_URL)"
        else:
            hint = ""
        console.print(f"[red]cannot collect status:[/red] {type(exc).__name__}: {mask_secrets(str(exc))[:300]}"
                      + (f"\n{hint}" if hint else ""))
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
    queues.add_row("[dim]delivered, not yet acknowledged[/dim]", str(report.unacked))
    out.print(queues)
    workers = Table(title=f"workers online ({len(report.workers)})")
    for col in ("worker", "queues", "device", "pool", "running", "metrics"):
        workers.add_column(col)
    for w in report.workers:
        device = f"{w.device} ({w.gpu_name})" if w.gpu_name else w.device
        pool = f"{w.pool} ×{w.processes}" if w.pool else "?"
        workers.add_row(w.name, ",".join(w.queues) or "?", device, pool, str(w.active), w.metrics_url or "off")
    out.print(workers)
    if not report.workers:
        out.print("[yellow]no worker answered[/yellow]: start them with `descflow worker --queues gpu` and "
                  "`descflow worker --queues cpu` (or `docker compose up -d`)")
    stages = Table(title=f"last {report.minutes} min: tasks by stage")
    for col in ("stage", "queue", "succeeded", "retried", "failed", "mean s", "max s"):
        stages.add_column(col, justify="left" if col in ("stage", "queue") else "right")
    for st in report.stages:
        failed = f"[red]{st.failed}[/red]" if st.failed else "0"
        stages.add_row(st.stage, st.queue, str(st.succeeded), str(st.retried), failed, f"{st.mean_seconds:.3f}",
                       f"{st.max_seconds:.3f}")
    out.print(stages)
    events = ", ".join(f"{k}={v}" for k, v in sorted(report.events_by_status.items())) or "none"
    out.print(f"events: {events}")
    out.print(f"published: {report.published} ({report.published_per_minute}/min; {report.published_last_minute} "
              f"in the last minute); dead letters: {report.dead_letters}")
    for f in report.recent_failures:
        out.print(f"  [yellow]#{f.id}[/yellow] {f.last_seen:%Y-%m-%d %H:%M:%S} {f.task} {f.args} "
                  f"(attempts {f.attempts}): {f.error}")
    if report.recent_failures:
        out.print("  see them with `descflow retry --list`; re-send with `descflow retry ID…` once the cause is fixed")


dedup_app = typer.Typer(help="The catalog-wide near-duplicate index in Redis.", no_args_is_help=True)
app.add_typer(dedup_app, name="dedup")

from descflow.shop_cli import history_command, review_app, shop_app  # noqa: E402 - beside the other sub-apps

app.add_typer(shop_app, name="shop")
app.add_typer(review_app, name="review")
app.command("history")(history_command)


@dedup_app.command("rebuild")
def dedup_rebuild(
    processes: Annotated[int, typer.Option(help="Processes that hash texts (0: one per core).")] = 0,
) -> None:
    """Rebuild the index from the database's current published descriptions (after a Redis loss or a threshold change).

    Both catalog indexes are rebuilt: MinHash for every locale and, unless
    DESCFLOW_PARAPHRASE_CHECK=false, the embeddings of the English texts.
    """
    settings = _settings()
    from workers.cpu.dedup import CatalogDedup
    from workers.pipeline import dedup_key
    from workers.store import Store

    rows = [(dedup_key(r.shop_id, r.product_id, r.locale), r.text, r.locale)
            for r in Store(settings.database_url).current_descriptions()]
    catalog = CatalogDedup.from_settings(settings)
    workers = processes or len(os.sched_getaffinity(0))
    with progress_bar() as bar:
        tasks = {"minhash": bar.add_task("minhash", total=len(rows), info="")}
        if catalog.paraphrase is not None:
            tasks["embedding"] = bar.add_task("embedding (English)", total=None, info="")

        def advance(stage: str, n: int) -> None:
            bar.advance(tasks[stage], n)

        # clear() inside also forgets the parameters the index was built with, so new ones may take over
        indexed, embedded = catalog.rebuild(rows, processes=workers if len(rows) > 20_000 else 1, progress=advance)
        if "embedding" in tasks:
            bar.update(tasks["embedding"], total=embedded, completed=embedded)
    console.print(f"indexed {indexed} published descriptions (threshold {settings.dedup_threshold}, "
                  f"{settings.dedup_num_perm} permutations); embedded {embedded} English ones"
                  + ("" if catalog.paraphrase is not None else " (paraphrase check off)"))


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
    # The broker comes from DESCFLOW_BROKER_URL through workers.app, not `-b`: ps would show its password.
    # State is saved every minute, not only at a clean shutdown.
    argv = [sys.executable, "-m", "celery", "-A", "workers.app", "flower", f"--port={port}", f"--address={address}",
            "--persistent=True", f"--db={state}", "--state_save_interval=60000"]
    if user and password:
        os.environ["FLOWER_BASIC_AUTH"] = f"{user}:{password}"  # not on the command line, where ps shows it
    _enable_task_events()
    os.execv(sys.executable, argv)


def _enable_task_events() -> None:
    """Workers send task events only when asked (DESCFLOW_TASK_EVENTS): ask the running ones now, so Flower sees
    tasks from its first moment; Flower asks again every 5 s, which covers workers that start later."""
    from workers.app import app as celery

    try:
        celery.control.enable_events()
    except Exception as exc:  # noqa: BLE001 - Flower still starts; its own request follows within seconds
        console.print(f"[yellow]could not ask the workers for task events yet[/yellow] ({type(exc).__name__}: {exc})")


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
