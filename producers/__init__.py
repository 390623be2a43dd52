"""Edges that put events on the queue: webhook (HTTP), JSONL replay, and this Python API.

    >>> from producers import publish
    >>> publish({"event_id": "evt-1", "event_type": "product.created", ...})
    Outcome(status='accepted', ...)
"""

from __future__ import annotations

from typing import Any

from producers.intake import DatabaseUnavailable, Intake, Outcome, QueueUnavailable, Unavailable
from schemas.settings import Settings

__all__ = ["DatabaseUnavailable", "Intake", "Outcome", "QueueUnavailable", "Unavailable", "publish"]

_default: Intake | None = None


def publish(event: dict[str, Any], settings: Settings | None = None) -> Outcome:
    """Validate, record and enqueue one event; raises Unavailable (QueueUnavailable, DatabaseUnavailable)
    when Redis or the database is down."""
    global _default
    if settings is not None:
        return Intake(settings, source="api").submit(event)
    if _default is None:
        _default = Intake(source="api")
    return _default.submit(event)
