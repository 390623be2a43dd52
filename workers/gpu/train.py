"""Train or fine-tune the generator on (product → description) pairs.

From scratch it builds the small GPT-2-style "house" model with a byte-level
BPE tokenizer trained on the same pairs, so a shop gets a working generator
with no download. Fine-tuning an existing causal LM uses the same loop.
The loss covers only the description tokens: the model learns to write from
the slots, not to reproduce them.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from schemas.events import Product
from workers.gpu import slots
from workers.gpu.generate import HOUSE_MARKER
from workers.gpu.prompt import house_prompt

EOS = "<|endoftext|>"
SLOTS = ["<locale>", "<title>", "<category>", "<brand>", "<attr>", "<audience>", "<desc>"]

Progress = Callable[[int, int, dict[str, float]], None]


@dataclass
class TrainConfig:
    vocab_size: int = 6000
    n_layer: int = 4
    n_embd: int = 256
    n_head: int = 4
    n_positions: int = 384
    epochs: int = 6
    batch_size: int = 16
    lr: float = 1.5e-3
    warmup_steps: int = 50
    eval_fraction: float = 0.05
    patience: int = 2
    max_minutes: float = 10.0
    seed: int = 0
    threads: int = 0


@dataclass
class TrainReport:
    output_dir: str
    pairs: int
    train_pairs: int
    eval_pairs: int
    steps: int
    epochs_run: int
    initial_eval_loss: float
    eval_loss: float
    seconds: float
    stopped: str
    parameters: int


def pair_texts(pair: dict[str, Any]) -> tuple[str, str]:
    """(prompt, target) of one pair; the target has its values replaced by slots."""
    product = Product.model_validate(pair["product"])
    locale = pair.get("locale") or product.locale
    audience = pair.get("audience") or (product.audiences[0] if product.audiences else None)
    target = slots.delexicalize(product, pair["description"].strip(), locale, name=pair.get("name"))
    return house_prompt(product, locale, audience), " " + target


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
    fast.add_tokens(slots.placeholders())  # one token per slot; kept when decoding, unlike special tokens
    fast.model_max_length = 4096
    return fast


def _encode_pairs(tokenizer: PreTrainedTokenizerFast, pairs: Sequence[dict[str, Any]], max_len: int
                  ) -> list[tuple[list[int], int]]:
    """Token ids of prompt+description+EOS and where the description starts."""
    encoded = []
    eos = tokenizer.eos_token_id
    for pair in pairs:
        prompt, desc = pair_texts(pair)
        p = tokenizer(prompt, add_special_tokens=False).input_ids
        d = tokenizer(desc, add_special_tokens=False).input_ids + [eos]
        ids = (p + d)[:max_len]
        if len(ids) > len(p):
            encoded.append((ids, len(p)))
    return encoded


def _batches(data: list[tuple[list[int], int]], batch_size: int, pad: int, rng: random.Random | None
             ) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    order = sorted(range(len(data)), key=lambda i: len(data[i][0]))  # length buckets: less padding
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(chunks)
    out = []
    for chunk in chunks:
        width = max(len(data[i][0]) for i in chunk)
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        labels = torch.full((len(chunk), width), -100, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, i in enumerate(chunk):
            seq, start = data[i]
            ids[row, : len(seq)] = torch.tensor(seq)
            labels[row, start: len(seq)] = torch.tensor(seq[start:])
            mask[row, : len(seq)] = 1
        out.append((ids, mask, labels))
    return out


@torch.no_grad()
def _eval_loss(model: torch.nn.Module, batches: list, device: torch.device) -> float:
    model.eval()
    total, count = 0.0, 0
    for ids, mask, labels in batches:
        n = int((labels != -100).sum())
        loss = model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device)).loss
        total += float(loss) * n
        count += n
    model.train()
    return total / max(count, 1)


def train(
    pairs: Sequence[dict[str, Any]],
    output_dir: str | Path,
    *,
    base_model: str | None = None,
    config: TrainConfig | None = None,
    device: str = "cpu",
    progress: Progress | None = None,
) -> TrainReport:
    """Train from scratch (base_model None) or fine-tune a causal LM; save a loadable directory."""
    cfg = config or TrainConfig()
    if len(pairs) < 10:
        raise ValueError(f"need at least 10 (product, description) pairs to train, got {len(pairs)}")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    pairs = list(pairs)
    rng.shuffle(pairs)
    n_eval = max(2, int(len(pairs) * cfg.eval_fraction))
    eval_pairs, train_pairs = pairs[:n_eval], pairs[n_eval:]
    dev = torch.device(device)

    if base_model is None:
        texts = [t for pair in train_pairs for t in pair_texts(pair)]
        tokenizer = train_tokenizer(texts, cfg.vocab_size)
        model: torch.nn.Module = GPT2LMHeadModel(GPT2Config(
            vocab_size=len(tokenizer), n_positions=cfg.n_positions, n_embd=cfg.n_embd, n_layer=cfg.n_layer,
            n_head=cfg.n_head, bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.eos_token_id,
        ))
        max_len = cfg.n_positions
    else:
        tokenizer = AutoTokenizer.from_pretrained(base_model)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model = AutoModelForCausalLM.from_pretrained(base_model)
        max_len = int(getattr(model.config, "n_positions", 0) or getattr(model.config, "max_position_embeddings", 512))
    model.to(dev).train()

    train_data = _encode_pairs(tokenizer, train_pairs, max_len)
    eval_batches = _batches(_encode_pairs(tokenizer, eval_pairs, max_len), cfg.batch_size, tokenizer.pad_token_id, None)
    steps_per_epoch = math.ceil(len(train_data) / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)

    def lr_at(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        frac = (step - cfg.warmup_steps) / max(1, total_steps - cfg.warmup_steps)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    initial = best = _eval_loss(model, eval_batches, dev)
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    started, step, bad, stopped, epochs_run = time.monotonic(), 0, 0, "epochs", 0
    for epoch in range(cfg.epochs):
        epochs_run = epoch + 1
        for ids, mask, labels in _batches(train_data, cfg.batch_size, tokenizer.pad_token_id, rng):
            loss = model(input_ids=ids.to(dev), attention_mask=mask.to(dev), labels=labels.to(dev)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            if progress:
                progress(step, total_steps, {"loss": loss.detach().item(), "eval_loss": best})
            if time.monotonic() - started > cfg.max_minutes * 60:
                stopped = "time budget"
                break
        current = _eval_loss(model, eval_batches, dev)
        if current < best - 1e-4:
            best, bad = current, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
        if progress:
            progress(step, total_steps, {"eval_loss": current})
        if stopped == "time budget":
            break
        if bad >= cfg.patience:
            stopped = "early stopping"
            break

    model.load_state_dict(best_state)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    report = TrainReport(
        output_dir=str(out), pairs=len(pairs), train_pairs=len(train_pairs), eval_pairs=len(eval_pairs),
        steps=step, epochs_run=epochs_run, initial_eval_loss=initial, eval_loss=best,
        seconds=time.monotonic() - started, stopped=stopped,
        parameters=sum(p.numel() for p in model.parameters()),
    )
    # The marker tells the loader to prompt in the slot format the model was trained on.
    (out / HOUSE_MARKER).write_text(json.dumps({"prompt": "house-v2", "slots": True, "base_model": base_model,
                                                "config": asdict(cfg), "report": asdict(report)}, indent=2))
    return report
