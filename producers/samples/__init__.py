"""Sample data for descflow: a small demo catalog, its reviews, and a phrase-bank
generator of training pairs (``producers.samples.phrasebank``).

``products.jsonl`` and ``reviews.jsonl`` hold one event per line, each valid for
``schemas.events.parse_event``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

SAMPLES_DIR = Path(__file__).resolve().parent
PRODUCTS_PATH = SAMPLES_DIR / "products.jsonl"
REVIEWS_PATH = SAMPLES_DIR / "reviews.jsonl"

__all__ = ["SAMPLES_DIR", "PRODUCTS_PATH", "REVIEWS_PATH", "iter_events", "load_products", "load_reviews"]


def iter_events(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the raw JSON objects of a JSONL file, skipping blank lines."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_products() -> list[dict[str, Any]]:
    """The sample ``product.created`` events as raw dicts."""
    return list(iter_events(PRODUCTS_PATH))


def load_reviews() -> list[dict[str, Any]]:
    """The sample ``review.received`` events as raw dicts."""
    return list(iter_events(REVIEWS_PATH))
