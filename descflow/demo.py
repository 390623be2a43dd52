"""`descflow demo`: the whole pipeline on the bundled sample catalog, on this machine.

Trains the house model once if there is none (the same `train_generator` as
`descflow train`), starts what it needs (a loopback Redis unless
DESCFLOW_BROKER_URL is set, a SQLite file, one gpu-queue and one cpu-queue
worker), replays the catalog through the same intake the webhook uses, waits
for the results and prints them, then stops everything it started.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.text import Text
from sqlmodel import select

from descflow.services import LocalRedis, WorkerProcess, redis_alive
from producers.intake import Intake
from producers.replay import replay
from schemas.settings import Settings
from schemas.tables import FailedTask, InboundEvent, PublishedDescription, ReviewItem
from workers.store import Store

SAMPLES = Path(__file__).resolve().parents[1] / "producers" / "samples"
STAGES = ("ingest", "generate", "correct", "dedup", "rank", "publish")
WAIT_SECONDS = 900
# Phrase-bank pairs the first run trains on; DESCFLOW_DEMO_TRAIN_PAIRS lowers it for a quicker smoke run (the tests).
TRAIN_PAIRS_VARIABLE = "DESCFLOW_DEMO_TRAIN_PAIRS"
SCORES = (("coverage", "cov"), ("faithfulness", "faith"), ("fluency", "flu"), ("novelty", "nov"))


def run_demo(console: Console, *, fresh: bool = True, out: Console | None = None) -> int:
    from descflow.cli import progress_bar
    from descflow.training import GeneratorTraining, model_exists, summary, train_generator, training_bar

    out = out or Console()
    base = Settings()
    home = base.home.resolve()
    db_path = home / "demo.db"
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    model = Path(base.generator_model).resolve()
    if not model_exists(model):
        request = GeneratorTraining(output=model, if_missing=True)
        if os.environ.get(TRAIN_PAIRS_VARIABLE):
            request.n_pairs = int(os.environ[TRAIN_PAIRS_VARIABLE])
        console.print(f"[bold]No generator at {model}[/bold]: training the house model on {request.n_pairs:,} "
                      "phrase-bank pairs, once (about 3 minutes on 2 idle CPU cores: at most 3 epochs, sooner if "
                      "the eval loss stops improving)")
        with training_bar(console) as report:
            result = train_generator(request, base, progress=report, say=console.print)
        if result is not None:
            console.print(summary(result))

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
            stack.callback(_stop, w, console)
        with console.status("starting workers: the gpu worker loads the generator and the embedding model, "
                            "the cpu workers the embedding model (about 20 s)…"):
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
                summary_ = replay(path, intake, lambda _r: bar.advance(task))
            accepted += summary_.event_ids
            for problem in summary_.problems:
                console.print(f"[yellow]{name} line {problem.line}[/yellow]: {problem.outcome.message}")

        store = Store(settings.database_url)
        finished = _wait(store, accepted, progress_bar, console)
        elapsed = time.monotonic() - started
        _print_results(store, accepted, out, elapsed)
        console.print("stopping the workers and the services the demo started…")
    console.print(f"done; run it again with `descflow demo` (the model stays in {model}), or see the README for "
                  "running descflow on your own events")
    return 0 if finished else 1


def _stop(worker: WorkerProcess, console: Console) -> None:
    try:
        worker.stop()
    except OSError as exc:  # already gone: nothing left to stop
        console.print(f"[yellow]{worker.name}: {exc}[/yellow]")


def _wait(store: Store, event_ids: list[str], progress_bar, console: Console) -> bool:  # noqa: ANN001
    """Until every (product event, locale) is published, held for a person or dead-lettered, and every review is
    done."""
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
                held = {(i.event_id, i.locale) for i in s.exec(select(ReviewItem))}
                failed = {(f.args[0], f.args[1] if len(f.args) > 1 else "") for f in s.exec(select(FailedTask))}
                done_reviews = set(s.exec(select(InboundEvent.event_id).where(
                    InboundEvent.event_type == "review.received", InboundEvent.status == "done")))
            finished = len(pairs & (published | held | failed)) + len(reviews & (done_reviews | {f[0] for f in failed}))
            bar.update(task, completed=finished, info=f"dead letters={len(failed)}")
            if finished >= total:
                return True
            time.sleep(0.5)
    console.print(f"[red]not finished after {WAIT_SECONDS} s[/red]")
    return False


@dataclass
class Result:
    """One published description as the demo shows it."""

    product_id: str
    locale: str
    version: int
    text: str
    scores: dict[str, float]
    title: str = ""
    audience: str = ""
    seconds: float | None = None  # ingest to publish, the stages' own time


def compact_scores(scores: dict[str, float]) -> str:
    """`score .82 (cov .90 faith 1.0 flu .45 nov .98)`: two digits each, the total first."""
    parts = " ".join(f"{short} {_two(scores[key])}" for key, short in SCORES if key in scores)
    return f"score {_two(scores.get('total', 0.0))}" + (f" ({parts})" if parts else "")


def _two(value: float) -> str:
    return "1.0" if value >= 0.995 else f"{value:.2f}".removeprefix("0")


def results_view(results: Sequence[Result], elapsed: float, stage_means: dict[str, float]) -> RenderableType:
    """One block per (product, locale, audience): a header line, then the text wrapped under it.

    Readable at any width from about 60 columns: nothing is laid out in
    columns that could squeeze a description into a narrow strip.
    """
    blocks: list[RenderableType] = [Text(f"descflow demo: {len(results)} descriptions published in {elapsed:.0f} s",
                                         style="bold")]
    for r in results:
        head = Text()
        head.append(r.product_id, style="bold cyan")
        head.append(f"  {r.locale}  v{r.version}", style="bold")
        if r.audience:
            head.append(f"  for {r.audience}", style="magenta")
        head.append(f"  {compact_scores(r.scores)}", style="green")
        if r.seconds is not None:
            head.append(f"  {r.seconds:.1f} s", style="dim")
        body: list[RenderableType] = [Text(r.title, style="italic dim")] if r.title else []
        body.append(Wrapped(r.text))
        blocks += [Text(""), head, Padding(Group(*body), (0, 0, 0, 2))]
    if stage_means:
        blocks += [Text(""), Text("mean seconds per stage: " + ", ".join(
            f"{stage} {seconds:.2f}" for stage, seconds in stage_means.items()), style="dim")]
    return Group(*blocks)


def held_view(items: Sequence[ReviewItem]) -> RenderableType:
    """The texts waiting for a person, each with why: what `descflow review list` shows, after the published ones."""
    blocks: list[RenderableType] = [Text(""), Text(
        f"{len(items)} held for a person (`descflow review list`, then approve, edit or reject)", style="bold")]
    for item in items:
        head = Text()
        head.append(item.product_id, style="bold cyan")
        head.append(f"  {item.locale}  held: ", style="bold")
        head.append(item.held_because, style="yellow")
        blocks += [Text(""), head, Padding(Wrapped(item.text), (0, 0, 0, 2))]
    return Group(*blocks)


class Wrapped:
    """A text wrapped to the width it is given: at spaces for Latin text, anywhere for text written without them
    (Chinese and Japanese, which a word-wrapper would leave as one long word pushed onto a line of its own)."""

    def __init__(self, text: str):
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if cell_len(self.text) <= len(self.text) + len(self.text) // 10:  # mostly narrow characters: words
            yield Text(self.text)
            return
        for paragraph in self.text.split("\n"):
            for line in chop_cells(paragraph, width) or [""]:
                yield Text(line.rstrip())


def _print_results(store: Store, event_ids: list[str], console: Console, elapsed: float) -> None:
    rows = sorted(store.current_descriptions(), key=lambda r: (r.product_id, r.locale, r.audience or ""))
    timings = store.stage_timings(event_ids)
    titles: dict[tuple[str, str], str] = {}
    results = []
    for row in rows:
        key = (row.shop_id, row.product_id)
        if key not in titles:
            product = store.product_model(*key)
            titles[key] = product.title if product is not None else ""
        t = timings.get((row.event_id, row.locale), {})
        spent = [timings.get((row.event_id, ""), {}).get("ingest")] + [t.get(s) for s in STAGES[1:]]
        results.append(Result(row.product_id, row.locale, row.version, row.text, row.scores, titles[key],
                              row.audience or "", sum(s for s in spent if s is not None) if t else None))
    per_stage: dict[str, list[float]] = {s: [] for s in STAGES}
    for stages in timings.values():
        for stage, seconds in stages.items():
            if stage in per_stage:
                per_stage[stage].append(seconds)
    means = {s: sum(v) / len(v) for s, v in per_stage.items() if v}
    console.print(results_view(results, elapsed, means))
    waiting = [i for i in store.review_items() if i.event_id in set(event_ids)]
    if waiting:
        console.print(held_view(waiting))
    failed = store.failed_tasks()
    if failed:
        console.print(f"[yellow]{len(failed)} dead letter(s)[/yellow]: see `descflow retry --list`")
        for f in failed[:5]:
            console.print(f"  {f.task} {f.args}: {f.error[:160]}")
