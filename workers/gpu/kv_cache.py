"""Decoding caches that write each step into room reserved up front.

transformers' dynamic cache concatenates a layer's whole cache with every new
token, which copies the batch's keys and values at every step: at batch 64
that was a third of decoding on the CPU. `ReservedLayer` writes each step in
place; `SharedPrefixLayer` also keeps the prompt that several rows continue
once (the shared-prefix attention in workers/gpu/shared_prefix.py reads it).
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import DynamicLayer


def _filled(buffer: str) -> property:
    """The filled part of a reserved buffer, as `keys` or `values`.

    The layer mixin's constructor sets keys and values to None; any other assignment (a crop, a repeat) would be
    lost on the reserved buffers, so it is refused rather than ignored.
    """

    def read(layer: ReservedLayer) -> torch.Tensor:
        return getattr(layer, buffer)[:, :, : layer._n]

    def write(layer: ReservedLayer, value: torch.Tensor | None) -> None:
        if value is not None:
            raise NotImplementedError("a decoding cache with reserved room cannot be cropped, repeated or overwritten")

    return property(read, write)


class ReservedLayer(DynamicLayer):
    """A cache layer with room reserved for the tokens still to come: appending a step writes into it.

    The attention reads a view of the filled part.
    """

    keys = _filled("_k")  # type: ignore[assignment]
    values = _filled("_v")  # type: ignore[assignment]

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, room: int):
        super().__init__()
        b, h, n, d = keys.shape
        self._k = keys.new_empty((b, h, n + room, d))
        self._v = values.new_empty((b, h, n + room, values.shape[-1]))
        self._k[:, :, :n], self._v[:, :, :n] = keys, values
        self._n, self.device, self.is_initialized = n, keys.device, True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any,
               **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        end = self._n + key_states.shape[-2]
        if end > self._k.shape[-2]:
            raise RuntimeError(f"cache room for {self._k.shape[-2]} positions, asked for {end}")
        self._k[:, :, self._n:end], self._v[:, :, self._n:end] = key_states, value_states
        self._n = end
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self._n

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        self._k, self._v = self._k[indices], self._v[indices]


class SharedPrefixLayer(ReservedLayer):
    """One layer's cache: each distinct prompt's keys/values once, each row's own tokens in reserved room.

    `group[row]` names the prompt a row continues. Rows leave (batch_select_indices)
    and prompts no row continues any more are dropped with them. `keys`/`values`
    give the suffix only: the whole sequence of a row never exists in memory, so
    only the shared-prefix attention (which asks for `prefix_*`) may read this layer.
    """

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, prefix_mask: torch.Tensor, group: torch.Tensor,
                 room: int):
        rows, (_, heads, _, dim) = group.shape[0], keys.shape
        super().__init__(keys.new_empty((rows, heads, 0, dim)), values.new_empty((rows, heads, 0, values.shape[-1])),
                         room)
        self.prefix_keys, self.prefix_values = keys, values  # (prompts, kv heads, prompt length, head dim)
        self.prefix_mask = prefix_mask.bool()  # (prompts, prompt length): left padding is False
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

    def get_seq_length(self) -> int:
        return self.prefix_keys.shape[-2] + self._n  # the whole sequence, as the attention mask counts it

    def get_mask_sizes(self, query_length: int, *args: Any) -> tuple[int, int]:
        return self.get_seq_length() + query_length, 0

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        super().batch_select_indices(indices)
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


def with_room(cache: Any, room: int) -> Any:
    """The dynamic cache's layers turned into layers with `room` more positions."""
    layers = getattr(cache, "layers", None)
    if layers and all(type(layer) is DynamicLayer and layer.is_initialized for layer in layers):
        cache.layers = [ReservedLayer(layer.keys, layer.values, room) for layer in layers]
    return cache


def shared_prefix_cache(cache: Any, group: torch.Tensor, prefix_mask: torch.Tensor, room: int) -> Any:
    """The prompts' dynamic cache (one row per distinct prompt) turned into shared-prefix layers for these rows."""
    cache.layers = [SharedPrefixLayer(layer.keys, layer.values, prefix_mask, group, room) for layer in cache.layers]
    return cache
