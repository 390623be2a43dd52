"""Faults injected into a real worker process, for tests/integration/test_faults.py.

A worker started with this folder on PYTHONPATH imports it at interpreter
start-up (Python's sitecustomize hook), so descflow itself carries no fault
switches. What it does is set by environment variables:

FAULT_OOM_ABOVE=N      the generator's forward pass raises torch.OutOfMemoryError for a batch of more than N
                       rows, as a device that is out of memory does.
FAULT_POISON_FILE=P    while the file P exists, an event whose title (or review text) holds "[poison:ingest]"
                       fails every attempt to read it, and a product titled "[poison:generate]" fails in its
                       generate stage, both with a ConnectionError (a transient error, so it is retried).
"""

from __future__ import annotations

import os


def _oom_above(limit: int) -> None:
    import torch
    from transformers import PreTrainedModel
    from transformers.generation.utils import GenerationMixin

    def call(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(self, GenerationMixin):  # the generator, not an embedding model
            ids = kwargs.get("input_ids", args[0] if args else None)
            if ids is not None and ids.shape[0] > limit:
                raise torch.OutOfMemoryError(f"CUDA out of memory (injected: batch of {ids.shape[0]} > {limit})")
        return torch.nn.Module.__call__(self, *args, **kwargs)

    PreTrainedModel.__call__ = call  # type: ignore[method-assign]


def _poison(flag: str) -> None:
    from workers import pipeline

    read_event, read_product_event = pipeline._event, pipeline._product_event

    def text_of(event):  # type: ignore[no-untyped-def]
        return str(getattr(event, "title", "") or getattr(event, "text", ""))

    def event(event_id: str):  # type: ignore[no-untyped-def]
        found = read_event(event_id)
        if os.path.exists(flag) and "[poison:ingest]" in text_of(found):
            raise ConnectionError(f"injected poison: {event_id} can never be read")
        return found

    def product_event(event_id: str):  # type: ignore[no-untyped-def]
        found = read_product_event(event_id)
        if os.path.exists(flag) and "[poison:generate]" in text_of(found):
            raise ConnectionError(f"injected poison: {event_id} can never be generated")
        return found

    pipeline._event, pipeline._product_event = event, product_event


if os.environ.get("FAULT_OOM_ABOVE"):
    _oom_above(int(os.environ["FAULT_OOM_ABOVE"]))
if os.environ.get("FAULT_POISON_FILE"):
    _poison(os.environ["FAULT_POISON_FILE"])
