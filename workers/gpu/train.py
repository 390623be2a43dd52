"""Train or fine-tune the generator on (product → description) pairs.

Three ways, one loop:

- from scratch (no base model): the small GPT-2-style "house" model with a
  BPE tokenizer trained on the same pairs, so a shop gets a working generator
  with no download.  It writes slots (`[brand]`, `[colour]` …) that are filled
  with the exact values afterwards (workers/gpu/slots.py);
- full fine-tuning of any causal or seq2seq (T5-style) model, for small ones;
- LoRA (peft) for large ones: only low-rank adapters train, then they are
  merged into the weights, or saved alone with `save_adapter`.

Each example is written in the prompt format the generator will use for the
saved model (workers/gpu/generate.py decides by the same rules): the slot
format for house models, the tokenizer's chat template when it has one,
the plain prompt otherwise.  The loss covers only the description tokens.
A held-out split gives the eval loss; training stops when it has not improved
for `patience` evaluations, and the best checkpoint is what gets saved.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    GPT2Config,
    GPT2LMHeadModel,
    PreTrainedTokenizerBase,
    PreTrainedTokenizerFast,
)

from schemas.events import Product
from workers.gpu import prompt as prompts
from workers.gpu import slots
from workers.gpu.generate import HOUSE_MARKER

EOS = "<|endoftext|>"
SLOTS = ["<locale>", "<title>", "<category>", "<brand>", "<attr>", "<audience>", "<desc>"]
REPORT_FILE = "training_report.json"
ADAPTER_CONFIG = "adapter_config.json"
MERGED_DIR = "merged"

Progress = Callable[[int, int, dict[str, float]], None]
Style = Literal["house", "chat", "plain"]


class TrainingError(ValueError):
    """Training cannot start as asked; the message says what to change."""


class TrainingPair(BaseModel):
    """One (product → description) example, as a JSONL line or a database row gives it."""

    model_config = ConfigDict(extra="ignore")

    product: Product
    description: str = Field(min_length=1, max_length=8000)
    locale: str | None = None
    audience: str | None = None
    name: str | None = None  # the product's own name in the title (phrase bank), for the [name] slot


@dataclass
class TrainConfig:
    # house model (from scratch)
    vocab_size: int = 6000
    n_layer: int = 4
    n_embd: int = 256
    n_head: int = 4
    n_positions: int = 384
    # the loop
    epochs: int = 6
    batch_size: int = 16
    lr: float = 1.5e-3
    warmup_steps: int = 50
    weight_decay: float = 0.01
    eval_fraction: float = 0.05
    eval_every: int = 0  # steps between evaluations; 0 = once per epoch
    patience: int = 2  # evaluations without improvement before stopping
    min_improvement: float = 0.0  # relative drop of the eval loss that counts as better (0.005: half a percent)
    max_minutes: float = 10.0  # a safety cap: convergence (early stopping) or the last epoch should come first
    max_length: int = 512  # token cap per example when fine-tuning
    seed: int = 0
    threads: int = 0
    # LoRA
    lora: bool = False
    lora_rank: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    lora_targets: str = "all-linear"  # or a comma-separated list of module names
    save_adapter: bool = False  # keep the adapter alone instead of merging it into the weights


class EvalPoint(BaseModel):
    step: int
    epoch: int
    eval_loss: float


class TrainReport(BaseModel):
    """What one training run did; saved as training_report.json beside the model."""

    output_dir: str
    base_model: str | None
    mode: Literal["scratch", "full", "lora"]
    style: Style
    seq2seq: bool
    saved: Literal["model", "merged", "adapter"]
    pairs: int
    train_pairs: int
    eval_pairs: int
    steps: int
    epochs_run: int
    initial_eval_loss: float
    eval_loss: float
    best_step: int
    seconds: float
    stopped: Literal["epochs", "early stopping", "time budget"]
    parameters: int
    trainable_parameters: int
    history: list[EvalPoint]


# ---------------------------------------------------------------------------
# Pairs
# ---------------------------------------------------------------------------


def as_pairs(rows: Iterable[TrainingPair | dict[str, Any]]) -> list[TrainingPair]:
    """Validate pairs; the error names the first bad one and its field."""
    out: list[TrainingPair] = []
    for i, row in enumerate(rows, 1):
        if isinstance(row, TrainingPair):
            out.append(row)
            continue
        try:
            out.append(TrainingPair.model_validate(row))
        except ValidationError as exc:
            raise TrainingError(f"pair {i}: {_first_error(exc)}") from None
    return out


def load_pairs(path: str | Path) -> list[TrainingPair]:
    """Read a JSONL file of pairs; a bad line is reported with its number and reason."""
    path = Path(path)
    out: list[TrainingPair] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                out.append(TrainingPair.model_validate_json(line))
            except ValidationError as exc:
                raise TrainingError(f"{path}:{number}: {_first_error(exc)}") from None
    return out


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "line"
    return f"{where}: {err['msg']}"


def pair_texts(pair: TrainingPair | dict[str, Any]) -> tuple[str, str]:
    """(prompt, target) of one pair in the house format; the target has its values replaced by slots."""
    p = as_pairs([pair])[0]
    locale = p.locale or p.product.locale
    target = slots.delexicalize(p.product, p.description.strip(), locale, name=p.name)
    return prompts.house_prompt(p.product, locale, _audience(p)), " " + target


def _audience(p: TrainingPair) -> str | None:
    return p.audience or (p.product.audiences[0] if p.product.audiences else None)


def example_texts(pair: TrainingPair, style: Style, tokenizer: PreTrainedTokenizerBase) -> tuple[str, str]:
    """(prompt, target) exactly as the generator will prompt the saved model."""
    if style == "house":
        return pair_texts(pair)
    locale = pair.locale or pair.product.locale
    desc = pair.description.strip()
    if style == "plain":
        return prompts.plain_prompt(pair.product, locale, _audience(pair)), " " + desc
    messages = prompts.chat_messages(pair.product, locale, _audience(pair))
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template([*messages, {"role": "assistant", "content": desc}], tokenize=False)
    # The template's own end of turn teaches the model where to stop; some templates have none.
    target = full[len(prompt):] if full.startswith(prompt) and len(full) > len(prompt) else desc
    return prompt, target


def prompt_style(tokenizer: PreTrainedTokenizerBase, house: bool) -> Style:
    """The same choice Generator.style makes for the saved directory."""
    if house:
        return "house"
    return "chat" if getattr(tokenizer, "chat_template", None) else "plain"


def train_tokenizer(texts: Sequence[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """BPE over characters with byte fallback (as Llama's tokenizer does).

    Whole characters keep Chinese learnable for a small model (byte-level BPE
    would split most hanzi into three byte tokens), and byte fallback still
    encodes any character the training text never showed.
    """
    byte_tokens = [f"<0x{i:02X}>" for i in range(256)]
    tok = Tokenizer(models.BPE(byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first")
    # No Strip decoder: text between slot tokens is decoded piece by piece, and
    # stripping each piece would glue "[brand] [name]" into "NordvikAria".
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size + len(byte_tokens), special_tokens=[EOS, *SLOTS, *byte_tokens],
        limit_alphabet=4000, show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=EOS, eos_token=EOS, pad_token=EOS,
                                   unk_token=EOS)
    fast.add_tokens(list(slots.placeholders()))  # one token per slot; kept when decoding, unlike special tokens
    fast.model_max_length = 4096
    return fast


# ---------------------------------------------------------------------------
# Encoding and batches
# ---------------------------------------------------------------------------

Example = tuple[list[int], list[int]]  # causal: (ids, labels with -100 over the prompt); seq2seq: (source, target)


def _encode(tokenizer: PreTrainedTokenizerBase, pairs: Sequence[TrainingPair], style: Style, seq2seq: bool,
            max_len: int) -> list[Example]:
    eos = tokenizer.eos_token_id
    special = style != "chat"  # the chat template already holds the special tokens (as in Generator._encode)
    out: list[Example] = []
    for pair in pairs:
        prompt, target = example_texts(pair, style, tokenizer)
        t = tokenizer(target.strip() if seq2seq else target, add_special_tokens=False).input_ids
        if eos in t:
            t = t[: t.index(eos) + 1]  # nothing after the end of the turn
        elif eos is not None:
            t = t + [eos]
        if seq2seq:
            src = tokenizer(prompt, add_special_tokens=True, truncation=True, max_length=max_len).input_ids
            if t:
                out.append((src, t[:max_len]))
            continue
        p = tokenizer(prompt, add_special_tokens=special).input_ids
        ids = (p + t)[:max_len]
        if len(ids) > len(p):
            out.append((ids, [-100] * len(p) + ids[len(p):]))
    return out


Batch = dict[str, torch.Tensor]


def _pad(rows: Sequence[list[int]], value: int) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [value] * (width - len(r)) for r in rows], dtype=torch.long)


def _batches(data: Sequence[Example], batch_size: int, pad: int, seq2seq: bool, rng: random.Random | None
             ) -> list[Batch]:
    """Length-bucketed batches (less padding); shuffled by bucket when training."""
    order = sorted(range(len(data)), key=lambda i: len(data[i][0]))
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(chunks)
    out: list[Batch] = []
    for chunk in chunks:
        first = [data[i][0] for i in chunk]
        second = [data[i][1] for i in chunk]
        mask = _pad([[1] * len(r) for r in first], 0)
        out.append({"input_ids": _pad(first, pad), "attention_mask": mask, "labels": _pad(second, -100)})
    return out


def _to(batch: Batch, device: torch.device) -> Batch:
    return {k: v.to(device) for k, v in batch.items()}


def _autocast(device: torch.device) -> Any:
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
    return torch.autocast("cpu", enabled=False)


@torch.no_grad()
def _eval_loss(model: torch.nn.Module, batches: list[Batch], device: torch.device) -> float:
    """Mean loss per target token over the held-out set."""
    model.eval()
    total, count = 0.0, 0
    for batch in batches:
        n = int((batch["labels"] != -100).sum())
        with _autocast(device):
            loss = model(**_to(batch, device)).loss
        total += float(loss) * n
        count += n
    model.train()
    return total / max(count, 1)


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


@dataclass
class _Setup:
    model: torch.nn.Module
    tokenizer: PreTrainedTokenizerBase
    style: Style
    seq2seq: bool
    max_len: int
    house_meta: dict[str, Any] | None  # the base's descflow.json when it is a house model


def _house_from_scratch(train_pairs: Sequence[TrainingPair], cfg: TrainConfig) -> _Setup:
    texts = [t for pair in train_pairs for t in pair_texts(pair)]
    tokenizer = train_tokenizer(texts, cfg.vocab_size)
    model = GPT2LMHeadModel(GPT2Config(
        vocab_size=len(tokenizer), n_positions=cfg.n_positions, n_embd=cfg.n_embd, n_layer=cfg.n_layer,
        n_head=cfg.n_head, bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.eos_token_id,
    ))
    return _Setup(model, tokenizer, "house", False, cfg.n_positions, None)


def _pretrained(base_model: str, cfg: TrainConfig, device: torch.device) -> _Setup:
    path = Path(base_model)
    local = path.exists() or os.environ.get("HF_HUB_OFFLINE") == "1"
    if not path.exists() and (base_model.startswith((".", "/")) or local):
        raise TrainingError(f"base model {base_model!r} not found: give a local model directory or a hub id")
    if (path / ADAPTER_CONFIG).exists() and not (path / "config.json").exists():
        base_model = load_for_generation(path)
        path = Path(base_model)
    config = AutoConfig.from_pretrained(base_model, local_files_only=local)
    seq2seq = bool(getattr(config, "is_encoder_decoder", False))
    loader = AutoModelForSeq2SeqLM if seq2seq else AutoModelForCausalLM
    # LoRA on a GPU keeps the frozen weights in half precision; what trains stays fp32.
    dtype = torch.float32
    if cfg.lora and device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    model = loader.from_pretrained(base_model, dtype=dtype, local_files_only=local)
    tokenizer = AutoTokenizer.from_pretrained(base_model, local_files_only=local)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if tokenizer.pad_token_id is None:
        raise TrainingError(f"the tokenizer of {base_model!r} has neither a pad nor an end-of-sequence token")
    marker = path / HOUSE_MARKER
    house = json.loads(marker.read_text()) if marker.exists() else None
    if house is not None:  # a house model of an older format lacks the tokens of newer slots
        missing = [s for s in slots.placeholders() if s not in tokenizer.get_vocab()]
        if missing:
            tokenizer.add_tokens(missing)
            model.resize_token_embeddings(len(tokenizer))
    positions = int(getattr(config, "n_positions", 0) or getattr(config, "max_position_embeddings", 0) or 0)
    max_len = min(cfg.max_length, positions) if positions and not seq2seq else cfg.max_length
    return _Setup(model, tokenizer, prompt_style(tokenizer, house is not None), seq2seq, max_len, house)


def _with_lora(setup: _Setup, cfg: TrainConfig) -> torch.nn.Module:
    try:
        from peft import LoraConfig, TaskType, get_peft_model
    except ImportError as exc:  # pragma: no cover - peft is a dependency
        raise TrainingError("LoRA needs the peft package: pip install peft") from exc
    targets: str | list[str] = cfg.lora_targets
    if targets != "all-linear":
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    lora = LoraConfig(
        r=cfg.lora_rank, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout, target_modules=targets,
        task_type=TaskType.SEQ_2_SEQ_LM if setup.seq2seq else TaskType.CAUSAL_LM,
    )
    try:
        return get_peft_model(setup.model, lora)
    except ValueError as exc:
        raise TrainingError(f"cannot put LoRA adapters on this model ({exc}); set lora_targets to its "
                            "linear layer names, e.g. q_proj,v_proj") from None


def load_for_generation(path: str | Path) -> str:
    """A directory Generator can load: the model itself, or an adapter merged into its base once.

    `descflow train --lora --save-adapter` keeps only the adapter; the first
    call merges it into the base model under `<adapter>/merged` and later calls
    reuse that until the adapter changes.
    """
    path = Path(path)
    if not (path / ADAPTER_CONFIG).exists() or (path / "config.json").exists():
        return str(path)
    from peft import AutoPeftModelForCausalLM, AutoPeftModelForSeq2SeqLM, PeftConfig

    merged = path / MERGED_DIR
    weights = [p for p in path.glob("adapter_model.*")]
    stamp = max((p.stat().st_mtime for p in weights), default=0.0)
    if (merged / "config.json").exists() and (merged / "config.json").stat().st_mtime >= stamp:
        return str(merged)
    peft_config = PeftConfig.from_pretrained(str(path))
    loader = AutoPeftModelForSeq2SeqLM if peft_config.task_type == "SEQ_2_SEQ_LM" else AutoPeftModelForCausalLM
    model = loader.from_pretrained(str(path), dtype=torch.float32).merge_and_unload()
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    tmp = merged.with_name(f".{MERGED_DIR}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    _swap_into(tmp, merged)
    return str(merged)


def _swap_into(tmp: Path, out: Path) -> None:
    """Replace `out` with `tmp` in two renames: a worker never loads a half-written model."""
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------


def train(
    pairs: Sequence[TrainingPair | dict[str, Any]],
    output_dir: str | Path,
    *,
    base_model: str | None = None,
    config: TrainConfig | None = None,
    device: str = "cpu",
    progress: Progress | None = None,
) -> TrainReport:
    """Train from scratch (base_model None) or fine-tune; save a directory DESCFLOW_GENERATOR_MODEL loads."""
    cfg = config or TrainConfig()
    data = as_pairs(pairs)
    if len(data) < 10:
        raise TrainingError(f"need at least 10 (product, description) pairs to train, got {len(data)}")
    if cfg.lora and base_model is None:
        raise TrainingError("LoRA adapts an existing model: give a base model (--base-model) or drop --lora")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    rng.shuffle(data)
    n_eval = max(2, int(len(data) * cfg.eval_fraction))
    eval_pairs, train_pairs = data[:n_eval], data[n_eval:]
    dev = torch.device(device)

    setup = _house_from_scratch(train_pairs, cfg) if base_model is None else _pretrained(base_model, cfg, dev)
    model = _with_lora(setup, cfg) if cfg.lora else setup.model
    model.to(dev).train()
    tok = setup.tokenizer
    train_data = _encode(tok, train_pairs, setup.style, setup.seq2seq, setup.max_len)
    eval_data = _encode(tok, eval_pairs, setup.style, setup.seq2seq, setup.max_len)
    if not train_data or not eval_data:
        raise TrainingError(f"no pair fits in {setup.max_len} tokens after its prompt; raise max_length")
    eval_batches = _batches(eval_data, cfg.batch_size, tok.pad_token_id, setup.seq2seq, None)
    steps_per_epoch = math.ceil(len(train_data) / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=cfg.weight_decay)
    warmup = min(cfg.warmup_steps, max(1, total_steps // 10))

    def lr_at(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        frac = (step - warmup) / max(1, total_steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))

    def snapshot() -> dict[str, torch.Tensor]:
        # Only what trains changes: for LoRA that is the adapters, not a copy of the whole model.
        return {n: p.detach().to("cpu", copy=True) for n, p in model.named_parameters() if p.requires_grad}

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    initial = best = reference = _eval_loss(model, eval_batches, dev)
    best_state, best_step = snapshot(), 0
    history = [EvalPoint(step=0, epoch=0, eval_loss=initial)]
    started, step, bad, stopped, epochs_run = time.monotonic(), 0, 0, "epochs", 0

    def evaluate(epoch: int) -> bool:
        """Record the eval loss, keep the best weights; True when patience has run out."""
        nonlocal best, best_state, best_step, bad, reference
        current = _eval_loss(model, eval_batches, dev)
        history.append(EvalPoint(step=step, epoch=epoch, eval_loss=current))
        if current < best - 1e-4:
            best, best_state, best_step = current, snapshot(), step
        # A plateau: `patience` evaluations in a row without a drop of `min_improvement` below the last real one.
        if current < reference - max(1e-4, cfg.min_improvement * reference):
            reference, bad = current, 0
        else:
            bad += 1
        if progress:
            progress(step, total_steps, {"eval_loss": current, "best": best})
        return bad >= cfg.patience

    done = False
    for epoch in range(1, cfg.epochs + 1):
        epochs_run = epoch
        for batch in _batches(train_data, cfg.batch_size, tok.pad_token_id, setup.seq2seq, rng):
            with _autocast(dev):
                loss = model(**_to(batch, dev)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            if progress:
                progress(step, total_steps, {"loss": loss.detach().item(), "best": best})
            if cfg.eval_every and step % cfg.eval_every == 0 and evaluate(epoch):
                stopped, done = "early stopping", True
                break
            if time.monotonic() - started > cfg.max_minutes * 60:
                stopped, done = "time budget", True
                break
        if done:
            if stopped == "time budget" and history[-1].step != step:
                evaluate(epoch)  # the last steps may still be the best
            break
        if not cfg.eval_every or history[-1].step != step:
            if evaluate(epoch):
                stopped = "early stopping"
                break

    model.load_state_dict(best_state, strict=False)
    seconds = time.monotonic() - started
    out = Path(output_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    saved = _save(model, setup, cfg, tmp)
    report = TrainReport(
        output_dir=str(out), base_model=base_model,
        mode="scratch" if base_model is None else "lora" if cfg.lora else "full",
        style=setup.style, seq2seq=setup.seq2seq, saved=saved, pairs=len(data), train_pairs=len(train_pairs),
        eval_pairs=len(eval_pairs), steps=step, epochs_run=epochs_run, initial_eval_loss=initial, eval_loss=best,
        best_step=best_step, seconds=seconds, stopped=stopped,
        parameters=sum(p.numel() for p in setup.model.parameters()),
        trainable_parameters=sum(p.numel() for p in trainable), history=history,
    )
    (tmp / REPORT_FILE).write_text(report.model_dump_json(indent=2))
    if setup.style == "house":
        # The marker tells the loader to prompt in the slot format the model was trained on.
        meta = {**(setup.house_meta or {}), "prompt": slots.HOUSE_FORMAT, "slots": list(slots.placeholders())}
        meta.update(base_model=base_model, config=asdict(cfg), report=report.model_dump(mode="json"))
        (tmp / HOUSE_MARKER).write_text(json.dumps(meta, indent=2, ensure_ascii=False))
    _swap_into(tmp, out)  # also safe when the output is the base model being re-trained
    return report


def _save(model: torch.nn.Module, setup: _Setup, cfg: TrainConfig, out: Path) -> Literal["model", "merged", "adapter"]:
    tok = setup.tokenizer
    saved: Literal["model", "merged", "adapter"] = "model"
    if cfg.lora and cfg.save_adapter:
        model.save_pretrained(out)  # adapter_config.json names the base; load_for_generation merges it
        saved = "adapter"
    else:
        if cfg.lora:
            model = model.merge_and_unload()
            saved = "merged"
        model = model.to("cpu")
        if any(p.dtype != torch.float32 for p in model.parameters()) and not cfg.lora:
            model = model.float()
        model.generation_config.eos_token_id = tok.eos_token_id
        model.generation_config.pad_token_id = tok.pad_token_id
        model.save_pretrained(out)
    tok.save_pretrained(out)
    return saved
