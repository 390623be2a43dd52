"""Training the generator: the one body behind `descflow train` and the first run of `descflow demo`.

`descflow train` turns its flags into a `GeneratorTraining` and calls
`train_generator`; `descflow demo` calls it with the defaults when no model is
there yet. The engine itself is `workers.gpu.train.train`; this module picks
the pairs (file, database or phrase bank), the configuration and the device,
and shows the progress.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from workers.gpu.slots import HOUSE_FORMAT, HOUSE_MARKER

if TYPE_CHECKING:  # torch and transformers load only when training runs, not with every command
    from workers.gpu.train import TrainConfig, TrainingPair, TrainReport

# The house model from scratch: sized so that the phrase bank's pairs bring its eval loss to a plateau in about two
# minutes on two CPU cores; `max_minutes` is only a safety cap on a machine far slower than that.
HOUSE_PAIRS = 2400
HOUSE = dict(vocab_size=3000, n_layer=2, n_embd=192, n_head=4, n_positions=320, epochs=3, lr=3e-3, warmup_steps=30,
             eval_every=25, patience=3, min_improvement=0.005)
SMALL = dict(vocab_size=1200, n_layer=2, n_embd=96, n_head=2, n_positions=256, warmup_steps=20)
SAFETY_CAP_MINUTES = 10.0

Say = Callable[[str], None]
Report = Callable[[int, int, dict[str, float]], None]


@dataclass
class GeneratorTraining:
    """What to train the generator on and how; every field is a `descflow train` flag (None: the default)."""

    pairs: Path | None = None  # JSONL of {product, description}; None: the phrase bank (or the database)
    from_db: bool = False
    shop: str | None = None
    n_pairs: int = HOUSE_PAIRS
    output: Path | None = None  # None: DESCFLOW_GENERATOR_MODEL
    base_model: str | None = None
    lora: bool = False
    lora_rank: int = 8
    lora_alpha: int = 16
    lora_targets: str = "all-linear"
    save_adapter: bool = False
    epochs: int | None = None
    lr: float | None = None
    batch_size: int = 16
    patience: int | None = None
    eval_every: int | None = None
    device: str | None = None
    max_minutes: float = SAFETY_CAP_MINUTES
    small: bool = False
    layers: int | None = None  # the house model's size from scratch (default HOUSE)
    width: int | None = None
    vocab: int | None = None
    if_missing: bool = False


def output_of(request: GeneratorTraining, settings: Any) -> Path:
    return request.output or Path(settings.generator_model)


def model_exists(path: Path) -> bool:
    """A model is there to use: a house model of an older prompt format counts as missing (it is rebuilt)."""
    marker = path / HOUSE_MARKER
    if marker.exists():
        try:
            if json.loads(marker.read_text()).get("prompt") != HOUSE_FORMAT:
                return False
        except (OSError, ValueError):
            return False
    return (path / "config.json").exists() or (path / "adapter_config.json").exists()


def config_of(request: GeneratorTraining) -> TrainConfig:
    """The loop's configuration: the house model's sizes from scratch, the flags over them."""
    from workers.gpu.train import TrainConfig

    scratch = request.base_model is None
    cfg = TrainConfig(**(HOUSE if scratch else {}))
    if request.small:
        for key, value in SMALL.items():
            setattr(cfg, key, value)
    cfg.n_layer = request.layers or cfg.n_layer
    cfg.n_embd = request.width or cfg.n_embd
    cfg.vocab_size = request.vocab or cfg.vocab_size
    if cfg.n_embd % cfg.n_head:
        from workers.gpu.train import TrainingError

        raise TrainingError(f"--width {cfg.n_embd} must be a multiple of the {cfg.n_head} attention heads")
    default_lr = cfg.lr if scratch else 2e-4 if request.lora else 5e-5
    cfg.lr = request.lr or default_lr
    cfg.epochs = request.epochs or cfg.epochs
    cfg.patience = request.patience or cfg.patience
    cfg.eval_every = cfg.eval_every if request.eval_every is None else request.eval_every
    cfg.batch_size, cfg.max_minutes = request.batch_size, request.max_minutes
    cfg.lora, cfg.lora_rank, cfg.lora_alpha = request.lora, request.lora_rank, request.lora_alpha
    cfg.lora_targets, cfg.save_adapter = request.lora_targets, request.save_adapter
    return cfg


def training_pairs(request: GeneratorTraining, settings: Any) -> list[TrainingPair]:
    """Pairs from a JSONL file, the database's published descriptions, or the bundled phrase bank."""
    from workers.gpu.train import TrainingError, TrainingPair, as_pairs, load_pairs

    if request.pairs is not None:
        return load_pairs(request.pairs)
    if request.from_db:
        from workers.store import Store

        store = Store(settings.database_url)
        data: list[TrainingPair] = []
        for row in store.current_descriptions(request.shop):
            product = store.product_model(row.shop_id, row.product_id)
            if product is not None:
                data.append(TrainingPair(product=product, locale=row.locale, description=row.text))
        if len(data) < 10:
            raise TrainingError(f"only {len(data)} published descriptions in the database; "
                                "train from the phrase bank or a pairs file first")
        return data
    from producers.samples.phrasebank import generate_pairs

    return as_pairs(generate_pairs(request.n_pairs, seed=0))


def train_generator(request: GeneratorTraining, settings: Any, *, progress: Report | None = None,
                    say: Say = print) -> TrainReport | None:
    """Train as asked and save the model; None when `if_missing` found one. Raises TrainingError (the message says
    what to change) or RuntimeError (the device)."""
    from transformers.utils import logging as hf_logging

    from workers.gpu.generate import resolve_device
    from workers.gpu.train import TrainingError, train

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # the training bar is the progress; no second bar for writing the weights
    out = output_of(request, settings)
    if request.if_missing and model_exists(out):
        say(f"generator model already at {out}")
        return None
    if request.save_adapter and not request.lora:
        raise TrainingError("--save-adapter needs --lora")
    cfg = config_of(request)
    device = str(resolve_device(request.device or settings.device))
    data = training_pairs(request, settings)
    return train(data, out, base_model=request.base_model, config=cfg, device=device, progress=progress)


def summary(report: TrainReport) -> str:
    out = Path(report.output_dir)
    return (f"saved {out} ({report.mode}, {report.style} prompts, {report.saved}): {report.parameters:,} parameters "
            f"({report.trainable_parameters:,} trained), {report.train_pairs} train / {report.eval_pairs} eval pairs, "
            f"eval loss {report.initial_eval_loss:.3f} → {report.eval_loss:.3f} in {report.seconds:.0f} s "
            f"({report.stopped}); report in {out / 'training_report.json'}")


@contextmanager
def training_bar(console: Console) -> Iterator[Report]:
    """A progress bar for `train_generator`: steps out of the most it may take, the eval loss, and time left.

    Training stops when the eval loss stops improving, which may come before
    the last epoch, so the time left is an upper bound from the measured speed
    ("≤ 1:20"), not a promise that the bar fills.
    """
    bar = Progress(TextColumn("[bold]training"), BarColumn(), TextColumn("{task.completed}/{task.total} steps"),
                   TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TextColumn("{task.fields[left]}"),
                   console=console)
    with bar:
        task = bar.add_task("training", total=None, info="preparing the pairs and the tokenizer", left="")
        started: list[float] = []
        shown: dict[str, float] = {}

        def report(step: int, total: int, metrics: dict[str, float]) -> None:
            now = time.monotonic()
            if not started:
                started.append(now)
                started.append(step)
            shown.update(metrics)
            info = f"eval loss {shown['best']:.3f}" if "best" in shown else ""
            left = ""
            if step - started[1] >= 5:
                per_step = (now - started[0]) / (step - started[1])
                left = f"≤ {_clock(per_step * (total - step))} left"
            bar.update(task, completed=step, total=total, info=info, left=left)

        yield report


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"
