"""Attention that reads a shared prompt once per step, not once per row.

A product's candidates share one prompt. Copying that prompt's keys and values
to every row (what a plain cache must do) makes each decoding step read them
once per candidate: at batch 64 with 16 prompts, attention read four copies of
every prompt, and it was a quarter of a step on the CPU — all of it memory
traffic, since one query token per row does almost no arithmetic. Here the
cache (workers/gpu/kv_cache.SharedPrefixLayer) keeps each distinct prompt's
keys and values once and each row's own tokens apart; the attention multiplies
every row's query of a group against its prompt in one matrix product, the
row's own tokens separately, and takes one softmax over both. The result is
the attention over the row's whole sequence, as a plain cache gives.

It plugs into transformers through its attention interface: the model runs a
registered function (`descflow_sdpa`) that serves decoding steps over a
shared-prefix cache made active by `decoding(cache)`, and hands every other
call (prefill, scoring, `generate`) to the model's own attention.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch

from workers.gpu.kv_cache import SharedPrefixLayer

log = logging.getLogger(__name__)

PREFIX = "descflow_"
_active = threading.local()


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
