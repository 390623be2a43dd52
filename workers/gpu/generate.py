"""Description generation with any Hugging Face causal or seq2seq model.

Plain Python: a task builds requests, this module batches them through one
`generate` call, and the same object scores texts for ranking (log-likelihood).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
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
    RepetitionPenaltyLogitsProcessor,
)

from schemas.events import Product
from workers.gpu import kv_cache, shared_prefix, slots
from workers.gpu import prompt as prompts
from workers.text.roles import has_cjk, inventory

log = logging.getLogger(__name__)

HOUSE_MARKER = slots.HOUSE_MARKER
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
    # Mean log-probability per token of the text under the model, read off the generation itself (no
    # second forward pass); None where the text is not all of what was generated (cut off, beam search).
    loglik: float | None = None
    prompt_digest: str = ""


def prompt_digest(prompt: str) -> str:
    """Names the prompt a log-likelihood was taken under, so ranking reuses it only under the same prompt."""
    return hashlib.blake2b(prompt.encode(), digest_size=8).hexdigest()


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(
            f"DESCFLOW_DEVICE={device} but no CUDA device is visible "
            f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')}); use 'auto' or 'cpu'"
        )
    return torch.device(device)


def tune_model_thread(device: torch.device) -> None:
    """Settings for a thread that runs the model and is not the main thread (the batcher's).

    On CPU, torch's intra-op parallelism started from a secondary thread was
    measured here to slow generation down (batch 1: 2.7 descriptions/s against
    6.1 in the main thread, on 2 cores), while one intra-op thread matched the
    main thread at batch 1 and lost nothing at batch 32. On a GPU it changes
    nothing that matters.
    """
    if device.type == "cpu":
        torch.set_num_threads(1)


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
        if (Path(model_ref) / "adapter_config.json").exists():  # `descflow train --lora --save-adapter`
            from workers.gpu.train import load_for_generation

            model_ref = load_for_generation(model_ref)
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
        _fuse_gelu(self.model)
        # Rows continuing one prompt read its keys and values once per step (workers/gpu/shared_prefix.py).
        self.shares_prefix = not self.is_seq2seq and shared_prefix.install(self.model)
        self.tokenizer = AutoTokenizer.from_pretrained(model_ref, local_files_only=local_only)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        if not self.is_seq2seq:
            self.tokenizer.padding_side = "left"  # decoder-only batches must end where generation starts
        marker = path / HOUSE_MARKER
        self.house = json.loads(marker.read_text()) if marker.exists() else None
        if self.house is not None and self.house.get("prompt") != slots.HOUSE_FORMAT:
            raise ModelNotFound(
                f"the house model in {model_ref} was trained on an older prompt format "
                f"({self.house.get('prompt')!r}, this version writes {slots.HOUSE_FORMAT!r}): run `descflow train` "
                "to rebuild it"
            )
        self.max_context = int(
            getattr(config, "n_positions", 0) or getattr(config, "max_position_embeddings", 0) or 1024
        )

    @property
    def slotted(self) -> bool:
        """Whether the model writes `[brand]`, `[colour]`… placeholders (see slots.py)."""
        return bool(self.house and self.house.get("slots"))

    @cached_property
    def known_slots(self) -> tuple[str, ...]:
        """The slots this model has tokens for: those it was trained with."""
        return tuple(self.house.get("slots") or ()) if self.house else ()

    def request(self, product: Product, locale: str, decoding: Decoding, *, audience: str | None = None,
                key: Any = None, highlights: prompts.ReviewHighlights | None = None,
                seller_is_template: bool = False) -> Request:
        prompt = self.prompt(product, locale, audience, highlights, seller_is_template=seller_is_template)
        return Request(prompt, decoding, key=key, product=product, locale=locale)

    def fluency(self, product: Product, locale: str, texts: Sequence[str], *, audience: str | None = None,
                batch_size: int = 16) -> list[float]:
        """Mean token log-likelihood of each text as the model would have written it for this product."""
        return self.score_pairs(self.fluency_pairs(product, locale, texts, audience=audience), batch_size=batch_size)

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

    def prompt(self, product: Product, locale: str, audience: str | None = None,
               highlights: prompts.ReviewHighlights | None = None, *, seller_is_template: bool = False) -> str:
        """The prompt in the model's style; the house model reads only its slots (it was trained on nothing else)."""
        if self.style == "house":
            return prompts.house_prompt(product, locale, audience, self.known_slots)
        if self.style == "chat":
            messages = prompts.chat_messages(product, locale, audience, highlights,
                                             seller_is_template=seller_is_template)
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return prompts.plain_prompt(product, locale, audience, highlights, seller_is_template=seller_is_template)

    def _encode(self, prompts_: Sequence[str], max_new_tokens: int) -> dict[str, torch.Tensor]:
        budget = self.max_context if self.is_seq2seq else max(16, self.max_context - max_new_tokens)
        self.tokenizer.truncation_side = "left"
        enc = self.tokenizer(list(prompts_), return_tensors="pt", padding=True, truncation=True,
                             max_length=budget, add_special_tokens=self.style != "chat")
        return {k: v.to(self.device) for k, v in enc.items()}

    @torch.inference_mode()
    def _generate_group(self, requests: Sequence[Request], max_new_tokens: int) -> list[Output]:
        """One batch; greedy and sampled rows mix, each sampled row drawing from its own seed."""
        enc = self._encode([r.prompt for r in requests], max_new_tokens)
        if requests[0].decoding.num_beams == 1 and not self.is_seq2seq:
            new, logliks = self._decode(requests, enc, max_new_tokens)
        else:
            new, logliks = self._hf_generate(requests, enc, max_new_tokens), [None] * len(requests)
        texts = self.tokenizer.batch_decode(new, skip_special_tokens=True)
        counts = (new != self.tokenizer.pad_token_id).sum(dim=1).tolist()
        outputs = []
        special = set(self.tokenizer.all_special_ids)
        lead = "" if self.style == "chat" else " "
        for r, t, n, ll, row in zip(requests, texts, counts, logliks, new.tolist()):
            tidy = _tidy(t)
            whole = tidy == _SPACES.sub(" ", t.replace("\n", " ")).strip()  # nothing generated was cut off
            if whole and ll is not None and not self.is_seq2seq:
                # Scored again, a text is spelled in the tokenizer's own pieces; a model that wrote other pieces
                # ("Meet" + "aining") had another probability for the same words: ranking then scores it afresh.
                whole = self.tokenizer(lead + tidy, add_special_tokens=False).input_ids == [
                    i for i in row if i not in special]
            text, meta = self._fill(r, tidy)
            outputs.append(Output(key=r.key, text=text, decoding=r.decoding, new_tokens=int(n), meta=meta,
                                  loglik=ll if whole else None, prompt_digest=prompt_digest(r.prompt)))
        return outputs

    def _processors(self, requests: Sequence[Request], enc: dict[str, torch.Tensor]) -> list[LogitsProcessor]:
        """In the order they apply: repetition penalty (not on left padding), the slot constraint, sampling."""
        padding = (enc["attention_mask"] != 0).int().argmax(dim=1)
        processors: list[LogitsProcessor] = [RepetitionPenaltyLogitsProcessor(REPETITION_PENALTY,
                                                                              prompt_ignore_length=padding)]
        if self.slotted:
            processors.append(self._slot_constraint(requests, enc))
            if self._type_noun_ban is not None:
                processors.append(self._type_noun_ban)
        if requests[0].decoding.num_beams == 1 and any(r.decoding.do_sample for r in requests):
            processors.append(RowSampler([r.decoding for r in requests]))
        return processors

    def _hf_generate(self, requests: Sequence[Request], enc: dict[str, torch.Tensor],
                     max_new_tokens: int) -> torch.Tensor:
        """`generate` for beam search and encoder-decoder models: the tokens after the prompt."""
        out = self.model.generate(
            **enc, max_new_tokens=max_new_tokens, do_sample=False, num_beams=requests[0].decoding.num_beams,
            pad_token_id=self.tokenizer.pad_token_id, repetition_penalty=None, no_repeat_ngram_size=0,
            temperature=None, top_p=None, top_k=None,
            logits_processor=LogitsProcessorList(self._processors(requests, enc)),
        )
        return out if self.is_seq2seq else out[:, enc["input_ids"].shape[1]:]

    @cached_property
    def _stop_ids(self) -> list[int]:
        ids = self.model.generation_config.eos_token_id
        ids = list(ids) if isinstance(ids, (list, tuple)) else [ids]
        return sorted({int(i) for i in [*ids, self.tokenizer.eos_token_id] if i is not None})

    def _decode(self, requests: Sequence[Request], enc: dict[str, torch.Tensor],
                max_new_tokens: int) -> tuple[torch.Tensor, list[float | None]]:
        """Token by token for a decoder-only model, with rows leaving the batch once they have finished.

        `generate` keeps computing a finished row until the longest one ends;
        with candidates of very different lengths most of a large batch's time
        went on rows that were done. Every DROP_EVERY steps the finished rows
        leave: their cache, their inputs and the processors' per-row state are
        cut to the rows still writing. The processors are the ones `generate`
        would apply, in the same order, so the tokens are the same (tested).

        It also returns each row's mean log-probability of the text tokens it
        wrote, under the model's own distribution (before penalty, constraint
        and sampling): the fluency ranking needs, without another forward pass.
        """
        ids, mask = enc["input_ids"], enc["attention_mask"]
        n, device, pad = ids.shape[0], ids.device, self.tokenizer.pad_token_id
        stop = torch.tensor(self._stop_ids, device=device)
        special = torch.tensor(sorted(set(self.tokenizer.all_special_ids)), device=device)
        processors = self._processors(requests, enc)
        positions = (mask.long().cumsum(-1) - 1).clamp(min=0)  # as `generate` numbers left-padded rows
        cache = self._shared_prompt_cache([r.prompt for r in requests], enc, max_new_tokens)
        feed, pos = (ids[:, -1:], positions[:, -1:]) if cache is not None else (ids, positions)
        new = torch.full((n, max_new_tokens), pad, dtype=torch.long, device=device)
        logprob_sum = torch.zeros(n, dtype=torch.float64, device=device)
        text_tokens = torch.zeros(n, dtype=torch.long, device=device)
        rows = torch.arange(n, device=device)  # the original row of each row still in the batch
        done = torch.zeros(n, dtype=torch.bool, device=device)
        seq, steps = ids, 0
        keep_logits = {"logits_to_keep": 1} if self._keeps_logits else {}
        with shared_prefix.decoding(cache):  # the attention reads the prompts once for all their rows
            for step in range(max_new_tokens):
                out = self.model(input_ids=feed, attention_mask=mask, position_ids=pos, cache=cache, use_cache=True,
                                 **keep_logits)
                cache = out.cache if step else kv_cache.with_room(out.cache, max_new_tokens)
                logits = out.logits[:, -1, :].float()
                scores = logits.clone()
                for processor in processors:
                    scores = processor(seq, scores)
                token = torch.where(done, pad, scores.argmax(dim=-1))
                counted = ~done & ~torch.isin(token, special)
                picked = torch.log_softmax(logits, dim=-1).gather(1, token.unsqueeze(1)).squeeze(1)
                logprob_sum[rows] += torch.where(counted, picked, 0.0).double()
                text_tokens[rows] += counted.long()
                new[rows, step] = token
                steps = step + 1
                done = done | torch.isin(token, stop)
                if bool(done.all()):
                    break
                seq = torch.cat([seq, token.unsqueeze(1)], dim=1)
                mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=1)
                feed, pos = token.unsqueeze(1), pos[:, -1:] + 1
                if steps % DROP_EVERY == 0 and bool(done.any()):
                    keep = (~done).nonzero().squeeze(1)
                    cache.batch_select_indices(keep)
                    seq, mask, feed, pos, done, rows = seq[keep], mask[keep], feed[keep], pos[keep], done[keep], rows[keep]
                    processors = [_select_rows(p, keep) for p in processors]
        means = (logprob_sum / text_tokens.clamp(min=1)).tolist()
        return new[:, :steps], [float(m) if int(c) else None for m, c in zip(means, text_tokens.tolist())]

    def _shared_prompt_cache(self, prompts_: Sequence[str], enc: dict[str, torch.Tensor], room: int) -> Any:
        """The prompt read once per distinct prompt, for every row that shares it; None if none do.

        A product's candidates all share one prompt, so a batch of 64 rows holds
        16 prompts: reading each prompt once cuts the prefill (most of a batch's
        time for short descriptions) by the number of candidates. Where the
        model takes shared-prefix attention (workers/gpu/shared_prefix.py) the
        prompt's keys and values stay one copy that every step reads once for
        all its rows; elsewhere they are copied to each row. The last prompt
        token is left for the first decoding step, which runs on the rows'
        own cache with `room` positions reserved for what they write.
        """
        if self.is_seq2seq or enc["input_ids"].shape[1] < 2:
            return None
        first: dict[str, int] = {}
        for row, p in enumerate(prompts_):
            first.setdefault(p, row)
        if len(first) == len(prompts_):
            return None
        unique = torch.tensor(list(first.values()), device=self.device)
        ids, mask = enc["input_ids"][unique, :-1], enc["attention_mask"][unique, :-1]
        slot = {p: i for i, p in enumerate(first)}
        group = torch.tensor([slot[p] for p in prompts_], device=self.device)
        if self.shares_prefix:  # each prompt kept once; the attention reads it once per step for all its rows
            return kv_cache.shared_prefix_cache(self._prefill_by_length(ids, mask), group, mask, room)
        cache = self._prefill(ids, mask)
        cache.batch_select_indices(group)
        return cache

    def _prefill(self, ids: torch.Tensor, mask: torch.Tensor) -> Any:
        """The cache of left-padded prompts."""
        positions = (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 0)  # as `generate` numbers left-padded rows
        # Only the cache is wanted: the vocabulary projection of every prompt position was a third of the prefill.
        keep_logits = {"logits_to_keep": 1} if self._keeps_logits else {}
        return self.model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True,
                          **keep_logits).cache

    def _prefill_by_length(self, ids: torch.Tensor, mask: torch.Tensor) -> Any:
        """The prompts' cache read in two halves by length, each padded only to its own longest prompt.

        Padded to the longest of all, a batch's prompts (60 to 120 tokens for
        the house model) spent a quarter of the prefill on padding. The shorter
        half's keys and values are then left-padded with zeros to the full width:
        the attention masks those positions, as it masks the padding it replaces.
        """
        if ids.shape[0] < PREFILL_HALVES_FROM:
            return self._prefill(ids, mask)
        lengths = mask.sum(dim=1)
        order = torch.argsort(lengths)
        width = ids.shape[1]
        parts = []
        for rows in (order[: len(order) // 2], order[len(order) // 2:]):
            span = max(1, int(lengths[rows].max()))
            parts.append(self._prefill(ids[rows, width - span:], mask[rows, width - span:]))
        back = torch.empty_like(order)
        back[order] = torch.arange(len(order), device=order.device)  # sorted position of each prompt
        for i, layer in enumerate(parts[0].layers):
            keys, values = (torch.cat([torch.nn.functional.pad(t, (0, 0, width - t.shape[-2], 0)) for t in pair])[back]
                            for pair in ((layer.keys, parts[1].layers[i].keys),
                                         (layer.values, parts[1].layers[i].values)))
            layer.keys, layer.values = keys, values
        return parts[0]

    def _slot_constraint(self, requests: Sequence[Request], enc: dict[str, torch.Tensor]) -> SlotConstraint:
        names = list(self.known_slots)
        ids = dict(zip(names, self.tokenizer.convert_tokens_to_ids(names)))
        allowed = [
            {ids[s] for s in slots.values(r.product, r.locale or r.product.locale, names)} if r.product
            else set(ids.values())
            for r in requests
        ]
        once = {ids[s] for s in names if s not in slots.FIXED}
        return SlotConstraint(set(ids.values()), allowed, once, enc["input_ids"].shape[1])

    @cached_property
    def _type_noun_ban(self) -> TypeNounBan | None:
        """No product-type noun outside [type] (built once per model: the nouns are the inventory's)."""
        return TypeNounBan.for_tokenizer(self.tokenizer)

    def _fill(self, request: Request, text: str) -> tuple[str, dict[str, Any]]:
        """Values into the slots; and which attributes the model put after another role's cue words."""
        if self.slotted and request.product is not None:
            locale = request.locale or request.product.locale
            return slots.relexicalize(request.product, text, locale, self.known_slots), {
                "misplaced": slots.misplaced(request.product, text, locale, self.known_slots)}
        return text, {}

    def generate(self, requests: Sequence[Request], *, max_new_tokens: int, batch_size: int) -> list[Output]:
        """Generate for all requests in batches of `batch_size`; results in request order.

        Greedy and sampled requests share batches (sampling is per row), so a
        batch can hold every candidate of many products; beam-search requests
        are batched with others of the same beam width.
        """
        groups: dict[int, list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault(r.decoding.num_beams, []).append(i)
        results: list[Output | None] = [None] * len(requests)
        for idxs in groups.values():
            for start in range(0, len(idxs), batch_size):
                chunk = idxs[start:start + batch_size]
                outs = split_on_oom([requests[i] for i in chunk],
                                    lambda batch: self._generate_group(batch, max_new_tokens))
                for i, o in zip(chunk, outs):
                    results[i] = o
        return [r for r in results if r is not None]

    def fluency_pairs(self, product: Product, locale: str, texts: Sequence[str], *, audience: str | None = None,
                      highlights: prompts.ReviewHighlights | None = None,
                      seller_is_template: bool = False) -> list[tuple[str, str]]:
        """(prompt, text) pairs to score: the text as the model would have written it for this product.

        House and plain models were trained on targets that start with a space
        (workers/gpu/train.py): without it a text that opens with a slot would
        be scored in a tokenisation the model never writes.
        """
        prompt = self.prompt(product, locale, audience, highlights, seller_is_template=seller_is_template)
        if self.slotted:
            texts = [slots.delexicalize(product, t, locale, known=self.known_slots) for t in texts]
        lead = "" if self.style == "chat" else " "
        return [(prompt, lead + t) for t in texts]

    def log_likelihood(self, prompts_: Sequence[str], texts: Sequence[str], batch_size: int = 16) -> list[float]:
        """Mean log-probability per token of each text given its prompt (the fluency signal)."""
        return self.score_pairs(list(zip(prompts_, texts)), batch_size=batch_size)

    @cached_property
    def _keeps_logits(self) -> bool:
        """Whether the model's forward takes `logits_to_keep` (transformers' causal LMs do; custom ones may not)."""
        return "logits_to_keep" in inspect.signature(self.model.forward).parameters

    def score_pairs(self, pairs: Sequence[tuple[str, str]], batch_size: int = 16) -> list[float]:
        scores: list[float] = []
        for start in range(0, len(pairs), batch_size):
            scores.extend(split_on_oom(pairs[start:start + batch_size], self._loglik_batch))
        return scores

    @torch.inference_mode()
    def _loglik_batch(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """One forward pass for the whole batch; an empty text scores -inf."""
        live = [i for i, (_, t) in enumerate(pairs) if t.strip()]
        scores = [float("-inf")] * len(pairs)
        if not live:
            return scores
        tok = self.tokenizer
        if self.is_seq2seq:
            enc = tok([pairs[i][0] for i in live], return_tensors="pt", padding=True, truncation=True,
                      max_length=self.max_context).to(self.device)
            labels = tok(text_target=[pairs[i][1] for i in live], return_tensors="pt", padding=True,
                         truncation=True).input_ids.to(self.device)
            labels[labels == tok.pad_token_id] = -100
            logits = self.model(**enc, labels=labels).logits
            targets = labels
        else:
            rows = []
            for i in live:
                p_ids = tok(pairs[i][0], add_special_tokens=self.style != "chat").input_ids
                t_ids = tok(pairs[i][1], add_special_tokens=False).input_ids
                ids = (p_ids + t_ids)[-self.max_context:]
                rows.append((ids, min(len(t_ids), len(ids) - 1)))
            width = max(len(ids) for ids, _ in rows)
            input_ids = torch.full((len(rows), width), tok.pad_token_id, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            labels = torch.full((len(rows), width), -100, dtype=torch.long)
            for r, (ids, n_text) in enumerate(rows):  # right padding: positions stay 0..n-1
                input_ids[r, : len(ids)] = torch.tensor(ids)
                mask[r, : len(ids)] = 1
                labels[r, len(ids) - n_text: len(ids)] = torch.tensor(ids[len(ids) - n_text:])
            input_ids, mask, labels = input_ids.to(self.device), mask.to(self.device), labels.to(self.device)
            # Logits only from the position before the earliest text token on: the
            # prompt's own next-token logits are never read, and the vocabulary
            # projection over them is a large share of a small model's forward pass.
            first = max(0, min(len(ids) - n_text for ids, n_text in rows) - 1)
            if self._keeps_logits:
                logits = self.model(input_ids=input_ids, attention_mask=mask,
                                    logits_to_keep=width - first).logits[:, :-1]
            else:
                logits = self.model(input_ids=input_ids, attention_mask=mask).logits[:, first:-1]
            targets = labels[:, first + 1:]
        for r, i in enumerate(live):  # row by row: the float32 copy of one row's logits, not the batch's
            loss = torch.nn.functional.cross_entropy(logits[r].float(), targets[r], ignore_index=-100)
            scores[i] = -float(loss)
        return scores


_SPACES = re.compile(r"[ \t]+")
REPETITION_PENALTY = 1.1
DROP_EVERY = 4  # decoding steps between removing finished rows from the batch
DRAWS_AHEAD = 64  # random draws a sampled row takes from its generator at a time
PREFILL_HALVES_FROM = 4  # distinct prompts from which a batch's prompts are read in two halves by length


def _fuse_gelu(model: torch.nn.Module) -> None:
    """The tanh-approximated GELU that GPT-2 writes out in five tensor operations, as PyTorch's one fused kernel.

    The same function to rounding (transformers calls the two equivalent); the
    written-out form took a tenth of a large batch's decoding step on the CPU.
    """
    from transformers.activations import FastGELUActivation, GELUTanh, NewGELUActivation

    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if type(child) in (NewGELUActivation, FastGELUActivation):
                setattr(module, name, GELUTanh())


def _select_rows(processor: LogitsProcessor, rows: torch.Tensor) -> LogitsProcessor:
    """The processor for the rows still writing (their indices in the current batch), per-row state kept."""
    if isinstance(processor, RepetitionPenaltyLogitsProcessor):
        ignore = processor.prompt_ignore_length
        return RepetitionPenaltyLogitsProcessor(
            processor.penalty, prompt_ignore_length=ignore[rows.to(ignore.device)] if torch.is_tensor(ignore) else ignore)
    if isinstance(processor, (SlotConstraint, RowSampler)):
        processor.select(rows)
        return processor
    if isinstance(processor, TypeNounBan):
        return processor  # it reads only the tokens each row has written
    raise TypeError(f"{type(processor).__name__} keeps no per-row state that descflow knows how to cut")


def _tidy(text: str) -> str:
    """Cut at the first blank line or slot marker the house model may run on into."""
    text = text.split("\n<")[0].split("<desc>")[0]
    text = text.split("\n\n")[0]
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


class SlotConstraint(LogitsProcessor):
    """Only the product's own slots, and an attribute slot at most once per text.

    A slot the product lacks would only get its sentence dropped when the
    values are filled in, and a repeated attribute states the same value twice.
    Whole-batch tensor operations, no loop over rows: it runs at every step of
    every batch, and a Python loop over 64 rows cost more than the model at
    large batches.
    """

    def __init__(self, slot_ids: set[int], allowed: list[set[int]], once: set[int], prompt_length: int):
        self.slot_ids, self.allowed, self.once, self.prompt_length = slot_ids, allowed, once, prompt_length
        ids = sorted(slot_ids)
        self._ids = torch.tensor(ids, dtype=torch.long)
        self._allowed = torch.tensor([[i in a for i in ids] for a in allowed], dtype=torch.bool)
        self._once = torch.tensor([i in once for i in ids], dtype=torch.bool)

    def select(self, rows: torch.Tensor) -> None:
        """Keep only these rows (indices into the current batch), for a batch that dropped finished rows."""
        keep = rows.tolist()
        self.allowed = [self.allowed[i] for i in keep]
        self._allowed = self._allowed[rows.to(self._allowed.device)]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        device = scores.device
        if self._ids.device != device:
            self._ids, self._allowed, self._once = (t.to(device) for t in (self._ids, self._allowed, self._once))
        rows = scores.shape[0] // len(self.allowed)  # num_return_sequences / beams repeat each request
        allowed = self._allowed.repeat_interleave(rows, dim=0) if rows > 1 else self._allowed
        written = input_ids[:, self.prompt_length:]
        used = (written.unsqueeze(-1) == self._ids).any(dim=1) & self._once  # (rows, slots)
        banned = ~allowed | used
        if bool(banned.any()):
            current = scores.index_select(1, self._ids)
            scores[:, self._ids] = current.masked_fill(banned, float("-inf"))
        return scores


class TypeNounBan(LogitsProcessor):
    """No product-type noun ("kettle", "jacket", 电水壶, 连衣裙) written as words: the house model says its
    product's type through [type] only, so it cannot call a juicer cup a pair of headphones.

    The nouns are the role inventory's (every spelling that is not also a common word, workers/text/roles.py),
    banned as the tokenizer writes them alone and after a space; a one-character Chinese noun (裙, 裤) is left
    out, as it is also part of words that are no type (裙摆, 裤脚). Another segmentation of a noun can still
    slip through: the fact gate, which reads the finished text, drops such a sentence. What transformers'
    NoBadWordsLogitsProcessor does, checking a row in full only when it ends where a noun's prefix ends
    (measured here: matching all 1,900 spellings at every step made the house model's generation 40% slower).
    """

    def __init__(self, sequences: Sequence[Sequence[int]]):
        self.single = torch.tensor(sorted({s[0] for s in sequences if len(s) == 1}), dtype=torch.long)
        self.multi = [tuple(s) for s in sequences if len(s) > 1]
        # Each noun's last token before the one banned: a row is checked in full only when it ends in one.
        self._ends = torch.tensor([s[-2] for s in self.multi], dtype=torch.long)

    @classmethod
    def for_tokenizer(cls, tokenizer: Any) -> TypeNounBan | None:
        """The ban for this tokenizer's spellings of the nouns; None when it can spell none of them."""
        sequences: set[tuple[int, ...]] = set()
        for form, _term in inventory().type_nouns():
            if has_cjk(form):
                spellings = [form] if len(form) > 1 else []
            else:
                spellings = [f" {form}", f" {form.capitalize()}", form.capitalize()]
            for spelling in spellings:
                ids = tuple(tokenizer(spelling, add_special_tokens=False).input_ids)
                if ids and tokenizer.decode(list(ids)).strip().lower() == form.lower():
                    sequences.add(ids)
        return cls(sorted(sequences)) if sequences else None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.single.device != scores.device:
            self.single, self._ends = self.single.to(scores.device), self._ends.to(scores.device)
        if self.single.numel():
            scores.index_fill_(1, self.single, float("-inf"))
        if not self.multi:
            return scores
        rows, which = (input_ids[:, -1:] == self._ends).nonzero(as_tuple=True)
        if not rows.numel():
            return scores
        written = input_ids.tolist()
        for row, i in zip(rows.tolist(), which.tolist()):
            seq = self.multi[i]
            if len(seq) - 1 <= len(written[row]) and tuple(written[row][1 - len(seq):]) == seq[:-1]:
                scores[row, seq[-1]] = float("-inf")
        return scores


class RowSampler(LogitsProcessor):
    """Temperature / top-k / top-p sampling with a random stream per row.

    `generate(do_sample=True)` draws from one global generator, so a row's text
    would depend on which other rows share its batch. Here each sampled row has
    its own seeded generator: a candidate comes out the same whether it ran
    alone or in a batch of 64 — which is what makes cross-task batching safe
    to turn on. Greedy rows pass through untouched. The chosen token is left
    as the only finite score, so greedy search then picks it.
    """

    def __init__(self, decodings: Sequence[Decoding]):
        self.rows = len(decodings)
        self.sampled = [i for i, d in enumerate(decodings) if d.do_sample]
        self.generators = [torch.Generator().manual_seed(decodings[i].seed) for i in self.sampled]
        self.temperature = torch.tensor([max(decodings[i].temperature, 1e-5) for i in self.sampled])
        self.top_p = torch.tensor([decodings[i].top_p for i in self.sampled])
        self.top_k = torch.tensor([decodings[i].top_k for i in self.sampled])
        # Tokens below a row's top-k get no probability, so with a top-k on every row a partial
        # sort of the widest k draws the same tokens as sorting the whole vocabulary, for less.
        ks = [decodings[i].top_k for i in self.sampled]
        self.widest = max(ks) if ks and min(ks) > 0 else 0
        # Each row's uniform draws, one per step, taken from its generator DRAWS_AHEAD at a time: one call per
        # row and chunk rather than one per row and step (at batch 64 those calls were a tenth of sampling).
        self._draws = torch.empty((len(self.sampled), 0))
        self._step = 0

    def select(self, rows: torch.Tensor) -> None:
        """Keep only these rows (indices into the current batch); each keeps its own random stream."""
        position = {old: new for new, old in enumerate(rows.tolist())}
        kept = [j for j, row in enumerate(self.sampled) if row in position]
        self.sampled = [position[self.sampled[j]] for j in kept]
        self.generators = [self.generators[j] for j in kept]
        self.temperature, self.top_p, self.top_k = (t[kept] for t in (self.temperature, self.top_p, self.top_k))
        self._draws = self._draws[kept]
        self.rows = len(position)

    def _next_draws(self) -> torch.Tensor:
        if self._step == self._draws.shape[1]:  # the chunk is used up: the next DRAWS_AHEAD of every row
            self._draws = torch.stack([torch.rand(DRAWS_AHEAD, generator=g) for g in self.generators])
            self._step = 0
        self._step += 1
        return self._draws[:, self._step - 1]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if scores.shape[0] != self.rows:
            raise ValueError(f"RowSampler set up for {self.rows} rows, got {scores.shape[0]} (beams or num_return_sequences?)")
        if not self.sampled:
            return scores
        device = scores.device
        rows = torch.tensor(self.sampled, device=device)
        logits = scores[rows].float() / self.temperature.to(device).unsqueeze(1)
        if self.widest:  # every row has a top-k: only the k best need ordering, not the vocabulary
            ordered, order = logits.topk(min(self.widest, logits.shape[1]), dim=-1)
        else:
            ordered, order = logits.sort(dim=-1, descending=True)
        rank = torch.arange(ordered.shape[1], device=device).unsqueeze(0)
        k = self.top_k.to(device).unsqueeze(1)
        ordered = ordered.masked_fill((k > 0) & (rank >= k), float("-inf"))
        probs = ordered.softmax(dim=-1)
        before = probs.cumsum(dim=-1) - probs  # mass of the tokens ranked above each one
        probs = probs.masked_fill((before > self.top_p.to(device).unsqueeze(1)) & (rank > 0), 0.0)
        cdf = probs.cumsum(dim=-1)
        draws = self._next_draws().to(device)
        pick = torch.searchsorted(cdf, (draws * cdf[:, -1]).unsqueeze(1)).clamp(max=cdf.shape[1] - 1)
        tokens = order.gather(1, pick).squeeze(1)
        scores.index_fill_(0, rows, float("-inf"))
        scores[rows, tokens] = 0.0
        return scores


def candidate_decodings(n: int, *, temperature: float, top_p: float, seed: int) -> list[Decoding]:
    """First candidate greedy (the model's best guess), the rest sampled, each from its own seed.

    All of them (and those of other products) run in one batch: sampling is
    per row (RowSampler), so a batch may mix settings and seeds freely.
    """
    return [Decoding()] + [
        Decoding(do_sample=True, temperature=temperature, top_p=top_p, top_k=50, seed=seed + i) for i in range(1, n)
    ]
