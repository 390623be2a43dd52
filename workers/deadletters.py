"""Dead letters: the `failed_tasks` row of a task that gave up, kept even when the database is the cause.

A task gives up after its retries; often the database is what failed, and then
the row cannot be written. Such a letter waits in a Redis list instead and is
moved into `failed_tasks` by the next worker that starts, the next dead letter
written, or `descflow retry` — so a failure is never only a log line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import redis

from workers.store import DATABASE_DOWN, Store

log = logging.getLogger(__name__)

SPOOL = "descflow:dead-letters"


def record(store: Store, client: Callable[[], redis.Redis], letter: dict[str, Any]) -> bool:
    """Into failed_tasks, or into the spool while the database is down. True when it reached the table.

    client: made only when needed, so that a letter reaches a working database whatever Redis is doing.
    """
    try:
        store.record_failure(**letter)
    except DATABASE_DOWN:
        client().rpush(SPOOL, json.dumps(letter, default=str))
        log.warning("database down: dead letter for %s[%s] spooled in Redis (%s) until it is back",
                    letter["task"], letter["task_id"], SPOOL)
        return False
    try:
        drain(store, client())  # the database is back: earlier letters too
    except Exception:
        log.warning("spooled dead letters stay in Redis for now", exc_info=True)
    return True


def drain(store: Store, client: redis.Redis, limit: int = 1000) -> int:
    """Move spooled letters into failed_tasks; a letter the database still refuses goes back to the head."""
    moved = 0
    for _ in range(limit):
        raw = client.lpop(SPOOL)
        if raw is None:
            break
        try:
            store.record_failure(**json.loads(raw))
        except DATABASE_DOWN:
            client.lpush(SPOOL, raw)
            raise
        moved += 1
    if moved:
        log.info("moved %d spooled dead letter(s) into failed_tasks", moved)
    return moved


def spooled(client: redis.Redis) -> int:
    return int(client.llen(SPOOL))
