"""Attention that reads a shared prompt once per step, not once per row.

A product's candidates share one prompt. Copying that prompt's keys and values
to every row (what a plain cache must do) makes each decoding step read them
once per candidate: at batch 64 with 16 prompts, attention read four copies of
every prompt, and it was a quarter of a step on the CPU — all of it memory
traffic, since one query token per row does almost no arithmetic. Here the
cache keeps each distinct prompt's keys and values once (`prefix`) and each
row's own tokens apart (`suffix`, with room reserved up front); the attention
multiplies every row's query of a group against its prompt in one matrix
product, the row's own tokens separately, and takes one softmax over both. The
result is the attention over the row's whole sequence, as a plain cache gives.

It plugs into transformers through its attention interface: the model runs a
registered function (`descflow_sdpa`) that serves decoding
steps over a shared-prefix cache made active by `decoding(cache)`, and hands
every other call (prefill, scoring, `generate`) to the model's own attention.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from transformers import DynamicLayer

log = logging.getLogger(__name__)

PREFIX = "descflow_"
_active = threading.local()


class SharedPrefixLayer(DynamicLayer):
    """One layer's cache: each distinct prompt's keys/values once, each row's own tokens in reserved room.

    `group[row]` names the prompt a row continues. Rows leave (batch_select_indices)
    and prompts no row continues any more are dropped with them. `keys`/`values`
    give the suffix only: the whole sequence of a row never exists in memory, so
    only the shared-prefix attention (which asks for `prefix_*`) may read this layer.
    """

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, prefix_mask: torch.Tensor, group: torch.Tensor,
                 room: int):
        super().__init__()
        self.prefix_keys, self.prefix_values = keys, values  # (prompts, kv heads, prompt length, head dim)
        self.prefix_mask = prefix_mask.bool()  # (prompts, prompt length): left padding is False
        rows, (_, heads, _, dim) = group.shape[0], keys.shape
        self._k = keys.new_empty((rows, heads, room, dim))
        self._v = values.new_empty((rows, heads, room, values.shape[-1]))
        self._n, self.device, self.is_initialized = 0, keys.device, True
        self._set_groups(group)

    def _set_groups(self, group: torch.Tensor) -> None:
        """Where each row's query goes in the (prompts × widest group) layout the prompt products use."""
        self.group = group
        counts = torch.bincount(group, minlength=self.prefix_keys.shape[0])
        self.width = int(counts.max())
        order = torch.argsort(group, stable=True)
        starts = torch.cumsum(counts, 0) - counts
        rank = torch.empty_like(group)
        rank[order] = torch.arange(group.shape[0], device=group.device) - starts[group[order]]
        self.slot = group * self.width + rank

    @property  # type: ignore[override]
    def keys(self) -> torch.Tensor:
        return self._k[:, :, : self._n]

    @keys.setter
    def keys(self, value: torch.Tensor | None) -> None:
        _refuse_unless_none(value)

    @property  # type: ignore[override]
    def values(self) -> torch.Tensor:
        return self._v[:, :, : self._n]

    @values.setter
    def values(self, value: torch.Tensor | None) -> None:
        _refuse_unless_none(value)

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any,
               **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        end = self._n + key_states.shape[-2]
        if end > self._k.shape[-2]:
            raise RuntimeError(f"cache room for {self._k.shape[-2]} positions past the prompt, asked for {end}")
        self._k[:, :, self._n:end], self._v[:, :, self._n:end] = key_states, value_states
        self._n = end
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.prefix_keys.shape[-2] + self._n  # the whole sequence, as the attention mask counts it

    def get_mask_sizes(self, query_length: int, *args: Any) -> tuple[int, int]:
        return self.get_seq_length() + query_length, 0

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        self._k, self._v = self._k[indices], self._v[indices]
        kept, group = torch.unique(self.group[indices], return_inverse=True)
        if kept.shape[0] != self.prefix_keys.shape[0]:  # prompts no row continues are read no more
            self.prefix_keys, self.prefix_values = self.prefix_keys[kept], self.prefix_values[kept]
            self.prefix_mask = self.prefix_mask[kept]
        self._set_groups(group)

    def attend(self, query: torch.Tensor, scaling: float) -> torch.Tensor:
        """Attention of one new token per row over its prompt and its own tokens: (rows, 1, heads, head dim)."""
        rows, heads, q_len, dim = query.shape
        if q_len != 1:
            raise RuntimeError("shared-prefix attention serves decoding steps (one query token per row)")
        prompts, kv_heads, length, _ = self.prefix_keys.shape
        rep, width = heads // kv_heads, self.width  # query heads per key/value head (grouped-query attention)
        q = query[:, :, 0, :].reshape(rows, kv_heads, rep, dim)

        def to_groups(x: torch.Tensor) -> torch.Tensor:  # (rows, kv, rep, n) → (prompts, kv, width·rep, n)
            grouped = x.new_zeros((prompts * width, *x.shape[1:]))
            grouped[self.slot] = x
            return grouped.view(prompts, width, kv_heads, rep, -1).transpose(1, 2).reshape(
                prompts, kv_heads, width * rep, -1)

        def to_rows(x: torch.Tensor) -> torch.Tensor:  # the inverse
            n = x.shape[-1]
            return x.view(prompts, kv_heads, width, rep, n).transpose(1, 2).reshape(
                prompts * width, kv_heads, rep, n)[self.slot]

        shared = (to_groups(q) @ self.prefix_keys.transpose(-1, -2)).masked_fill(  # padding masked per prompt
            ~self.prefix_mask[:, None, None, :], float("-inf"))
        shared = to_rows(shared)  # (rows, kv, rep, prompt length)
        own = q @ self.keys.transpose(-1, -2)  # (rows, kv, rep, own tokens)
        weights = (torch.cat([shared, own], dim=-1) * scaling).softmax(dim=-1, dtype=torch.float32)
        weights = weights.to(query.dtype)
        out = to_rows(to_groups(weights[..., :length]) @ self.prefix_values) + weights[..., length:] @ self.values
        return out.reshape(rows, 1, heads, -1)


def _refuse_unless_none(value: torch.Tensor | None) -> None:
    if value is not None:
        raise NotImplementedError("a shared-prefix cache cannot be cropped, repeated or overwritten")


def shared_prefix_cache(cache: Any, group: torch.Tensor, prefix_mask: torch.Tensor, room: int) -> Any:
    """The prompts' dynamic cache (one row per distinct prompt) turned into shared-prefix layers for these rows."""
    cache.layers = [SharedPrefixLayer(layer.keys, layer.values, prefix_mask, group, room) for layer in cache.layers]
    return cache


@contextmanager
def decoding(cache: Any) -> Iterator[None]:
    """Within it, the model's attention on this thread reads the shared-prefix layers of `cache`."""
    previous = getattr(_active, "cache", None)
    _active.cache = cache
    try:
        yield
    finally:
        _active.cache = previous


def install(model: Any) -> bool:
    """Route the model's attention through the shared-prefix function; False where the model cannot take it.

    A model qualifies when every attention layer goes through transformers'
    attention interface (modern causal LMs: GPT-2, Llama, Qwen2…) with sdpa
    attention, and nothing bends the scores (soft-capping, sliding windows):
    those would be lost here.
    """
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

    config = model.config
    own = getattr(config, "_attn_implementation", None)
    if own != "sdpa" or not getattr(model, "_supports_attention_backend", False):
        return False
    layer_types = getattr(config, "layer_types", None)
    if layer_types is not None:
        windowed = any(kind != "full_attention" for kind in layer_types)
    else:
        windowed = bool(getattr(config, "sliding_window", None))
    if windowed or getattr(config, "attn_logit_softcapping", None):
        return False
    name = PREFIX + own
    if name not in ALL_ATTENTION_FUNCTIONS:
        ALL_ATTENTION_FUNCTIONS.register(name, _attention(ALL_ATTENTION_FUNCTIONS[own]))
        ALL_MASK_ATTENTION_FUNCTIONS.register(name, ALL_MASK_ATTENTION_FUNCTIONS[own])
    try:
        model.set_attn_implementation(name)
    except (ValueError, ImportError, TypeError) as exc:
        log.info("shared-prefix attention not available for %s: %s", type(model).__name__, exc)
        return False
    return getattr(model.config, "_attn_implementation", None) == name


def _attention(fallback: Callable[..., tuple[torch.Tensor, Any]]) -> Callable[..., tuple[torch.Tensor, Any]]:
    """The model's own attention function, with decoding steps over a shared-prefix cache taken over."""

    def attention(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                  attention_mask: torch.Tensor | None, scaling: float | None = None, dropout: float = 0.0,
                  **kwargs: Any) -> tuple[torch.Tensor, Any]:
        cache = getattr(_active, "cache", None)
        layer_idx = getattr(module, "layer_idx", None)
        layer = cache.layers[layer_idx] if cache is not None and layer_idx is not None else None
        if isinstance(layer, SharedPrefixLayer):
            return layer.attend(query, scaling if scaling is not None else query.shape[-1] ** -0.5), None
        return fallback(module, query, key, value, attention_mask, scaling=scaling, dropout=dropout, **kwargs)

    attention.__name__ = f"{PREFIX}{fallback.__name__}"
    return attention
