"""Description generation with any Hugging Face causal or seq2seq model.

Plain Python: a task builds requests, this module batches them through one
`generate` call, and the same object scores texts for ranking (log-likelihood).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    LogitsProcessor,
    LogitsProcessorList,
)

from schemas.events import Product
from workers.gpu import prompt as prompts
from workers.gpu import slots

log = logging.getLogger(__name__)

HOUSE_MARKER = "descflow.json"
T = TypeVar("T")
R = TypeVar("R")


class ModelNotFound(RuntimeError):
    """The configured generator is neither a local directory nor loadable offline."""


@dataclass(frozen=True)
class Decoding:
    """How one candidate is decoded; stored beside the candidate."""

    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    num_beams: int = 1
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Request:
    prompt: str
    decoding: Decoding
    key: Any = None
    product: Product | None = None  # fills the slots of a slot-writing model
    locale: str = ""


@dataclass
class Output:
    key: Any
    text: str
    decoding: Decoding
    new_tokens: int = 0
    meta: dict[str, Any] = field(default_factory=dict)


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(
            f"DESCFLOW_DEVICE={device} but no CUDA device is visible "
            f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')}); use 'auto' or 'cpu'"
        )
    return torch.device(device)


def split_on_oom(items: Sequence[T], run: Callable[[Sequence[T]], list[R]]) -> list[R]:
    """Run a batch; on device out-of-memory halve it and run the halves. Nothing is dropped."""
    try:
        return run(items)
    except torch.OutOfMemoryError:
        if len(items) <= 1:
            raise
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        half = len(items) // 2
        log.warning("out of memory on a batch of %d; retrying as %d + %d", len(items), half, len(items) - half)
        return split_on_oom(items[:half], run) + split_on_oom(items[half:], run)


class Generator:
    """A loaded model + tokenizer, the prompt style it wants, and batched generate/score."""

    def __init__(self, model_ref: str, device: str = "auto", *, local_only: bool | None = None):
        self.model_ref = model_ref
        self.device = resolve_device(device)
        path = Path(model_ref)
        if local_only is None:
            local_only = path.exists() or os.environ.get("HF_HUB_OFFLINE") == "1"
        if not path.exists() and (model_ref.startswith((".", "/")) or local_only):
            raise ModelNotFound(
                f"generator model {model_ref!r} not found: run `descflow train` to build the house model, "
                "or set DESCFLOW_GENERATOR_MODEL to a local model directory or hub id"
            )
        config = AutoConfig.from_pretrained(model_ref, local_files_only=local_only)
        self.is_seq2seq = bool(getattr(config, "is_encoder_decoder", False))
        dtype = torch.float32
        if self.device.type == "cuda":
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        loader = AutoModelForSeq2SeqLM if self.is_seq2seq else AutoModelForCausalLM
        self.model = loader.from_pretrained(model_ref, dtype=dtype, local_files_only=local_only)
        self.model.to(self.device).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(model_ref, local_files_only=local_only)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        if not self.is_seq2seq:
            self.tokenizer.padding_side = "left"  # decoder-only batches must end where generation starts
        marker = path / HOUSE_MARKER
        self.house = json.loads(marker.read_text()) if marker.exists() else None
        self.max_context = int(
            getattr(config, "n_positions", 0) or getattr(config, "max_position_embeddings", 0) or 1024
        )

    @property
    def slotted(self) -> bool:
        """Whether the model writes `[brand]`, `[a0]`… placeholders (see slots.py)."""
        return bool(self.house and self.house.get("slots"))

    def request(self, product: Product, locale: str, decoding: Decoding, *, audience: str | None = None,
                key: Any = None) -> Request:
        return Request(self.prompt(product, locale, audience), decoding, key=key, product=product, locale=locale)

    def fluency(self, product: Product, locale: str, texts: Sequence[str], *, audience: str | None = None,
                batch_size: int = 16) -> list[float]:
        """Mean token log-likelihood of each text as the model would have written it for this product."""
        prompt = self.prompt(product, locale, audience)
        if self.slotted:
            texts = [slots.delexicalize(product, t, locale) for t in texts]
        return self.log_likelihood([prompt] * len(texts), texts, batch_size=batch_size)

    @property
    def name(self) -> str:
        return self.model_ref

    @property
    def style(self) -> str:
        if self.house is not None:
            return "house"
        if getattr(self.tokenizer, "chat_template", None):
            return "chat"
        return "plain"

    def prompt(self, product: Product, locale: str, audience: str | None = None) -> str:
        if self.style == "house":
            return prompts.house_prompt(product, locale, audience)
        if self.style == "chat":
            return self.tokenizer.apply_chat_template(
                prompts.chat_messages(product, locale, audience), tokenize=False, add_generation_prompt=True
            )
        return prompts.plain_prompt(product, locale, audience)

    def _encode(self, prompts_: Sequence[str], max_new_tokens: int) -> dict[str, torch.Tensor]:
        budget = self.max_context if self.is_seq2seq else max(16, self.max_context - max_new_tokens)
        self.tokenizer.truncation_side = "left"
        enc = self.tokenizer(list(prompts_), return_tensors="pt", padding=True, truncation=True,
                             max_length=budget, add_special_tokens=self.style != "chat")
        return {k: v.to(self.device) for k, v in enc.items()}

    @torch.inference_mode()
    def _generate_group(self, requests: Sequence[Request], max_new_tokens: int) -> list[Output]:
        decoding = requests[0].decoding
        enc = self._encode([r.prompt for r in requests], max_new_tokens)
        if decoding.do_sample:
            torch.manual_seed(decoding.seed)
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_new_tokens,
            "do_sample": decoding.do_sample,
            "num_beams": decoding.num_beams,
            "pad_token_id": self.tokenizer.pad_token_id,
            "repetition_penalty": 1.1,
            "no_repeat_ngram_size": 0,
        }
        if decoding.do_sample:
            kwargs.update(temperature=decoding.temperature, top_p=decoding.top_p, top_k=decoding.top_k or None)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        if self.slotted:
            kwargs["logits_processor"] = LogitsProcessorList([self._slot_constraint(requests, enc)])
        out = self.model.generate(**enc, **kwargs)
        new = out if self.is_seq2seq else out[:, enc["input_ids"].shape[1]:]
        texts = self.tokenizer.batch_decode(new, skip_special_tokens=True)
        counts = (new != self.tokenizer.pad_token_id).sum(dim=1).tolist()
        outputs = []
        for r, t, n in zip(requests, texts, counts):
            text, meta = self._fill(r, _tidy(t))
            outputs.append(Output(key=r.key, text=text, decoding=r.decoding, new_tokens=int(n), meta=meta))
        return outputs

    def _slot_constraint(self, requests: Sequence[Request], enc: dict[str, torch.Tensor]) -> SlotConstraint:
        names = slots.placeholders()
        ids = dict(zip(names, self.tokenizer.convert_tokens_to_ids(names)))
        allowed = [
            {ids[s] for s in slots.values(r.product, r.locale or r.product.locale)} if r.product else set(ids.values())
            for r in requests
        ]
        once = {ids[s] for s in names if s not in (slots.TITLE, slots.BRAND, slots.NAME)}
        return SlotConstraint(set(ids.values()), allowed, once, enc["input_ids"].shape[1])

    def _fill(self, request: Request, text: str) -> tuple[str, dict[str, Any]]:
        """Values into the slots; and which attributes the model put after another quantity's words."""
        if self.slotted and request.product is not None:
            locale = request.locale or request.product.locale
            return slots.relexicalize(request.product, text, locale), {
                "misplaced": slots.misplaced(request.product, text)}
        return text, {}

    def generate(self, requests: Sequence[Request], *, max_new_tokens: int, batch_size: int) -> list[Output]:
        """Generate for all requests, batching those that share decoding settings."""
        groups: dict[Decoding, list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault(r.decoding, []).append(i)
        results: list[Output | None] = [None] * len(requests)
        for decoding, idxs in groups.items():
            for start in range(0, len(idxs), batch_size):
                chunk = idxs[start:start + batch_size]
                outs = split_on_oom([requests[i] for i in chunk],
                                    lambda batch: self._generate_group(batch, max_new_tokens))
                for i, o in zip(chunk, outs):
                    results[i] = o
        return [r for r in results if r is not None]

    @torch.inference_mode()
    def log_likelihood(self, prompts_: Sequence[str], texts: Sequence[str], batch_size: int = 16) -> list[float]:
        """Mean log-probability per token of each text given its prompt (the fluency signal)."""
        pairs = list(zip(prompts_, texts))

        def run(batch: Sequence[tuple[str, str]]) -> list[float]:
            return [self._loglik_one(p, t) for p, t in batch]

        scores: list[float] = []
        for start in range(0, len(pairs), batch_size):
            scores.extend(split_on_oom(pairs[start:start + batch_size], run))
        return scores

    def _loglik_one(self, prompt: str, text: str) -> float:
        if not text.strip():
            return float("-inf")
        tok = self.tokenizer
        if self.is_seq2seq:
            enc = tok(prompt, return_tensors="pt", truncation=True, max_length=self.max_context).to(self.device)
            labels = tok(text_target=text, return_tensors="pt", truncation=True).input_ids.to(self.device)
            loss = self.model(**enc, labels=labels).loss
            return -float(loss)
        p_ids = tok(prompt, add_special_tokens=self.style != "chat").input_ids
        t_ids = tok(text, add_special_tokens=False).input_ids
        ids = (p_ids + t_ids)[-self.max_context:]
        n_text = min(len(t_ids), len(ids) - 1)
        input_ids = torch.tensor([ids], device=self.device)
        labels = input_ids.clone()
        labels[:, : len(ids) - n_text] = -100
        loss = self.model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), labels=labels).loss
        return -float(loss)


_SPACES = re.compile(r"[ \t]+")


def _tidy(text: str) -> str:
    """Cut at the first blank line or slot marker the house model may run on into."""
    text = text.split("\n<")[0].split("<desc>")[0]
    text = text.split("\n\n")[0]
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


class SlotConstraint(LogitsProcessor):
    """Only the product's own slots, and an attribute slot at most once per text.

    A slot the product lacks would only get its sentence dropped when the
    values are filled in, and a repeated attribute states the same value twice.
    """

    def __init__(self, slot_ids: set[int], allowed: list[set[int]], once: set[int], prompt_length: int):
        self.slot_ids, self.allowed, self.once, self.prompt_length = slot_ids, allowed, once, prompt_length

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        rows = scores.shape[0] // len(self.allowed)  # num_return_sequences / beams repeat each request
        for row in range(scores.shape[0]):
            allowed = self.allowed[row // rows]
            used = set(input_ids[row, self.prompt_length:].tolist()) & self.once
            banned = [i for i in self.slot_ids if i not in allowed or i in used]
            if banned:
                scores[row, banned] = float("-inf")
        return scores


def candidate_decodings(n: int, *, temperature: float, top_p: float, seed: int) -> list[Decoding]:
    """First candidate greedy (the model's best guess), the rest sampled.

    The sampled ones share one setting so they run as one batch; rows of a
    sampled batch draw different tokens, so they still differ.
    """
    sampled = Decoding(do_sample=True, temperature=temperature, top_p=top_p, top_k=50, seed=seed)
    return [Decoding()] + [sampled] * (n - 1)
