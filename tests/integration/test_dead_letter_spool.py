"""A dead letter written while the database is down waits in Redis, then reaches failed_tasks."""

from __future__ import annotations

import shutil
from pathlib import Path

import redis
from sqlmodel import select

from schemas.tables import FailedTask
from workers import deadletters
from workers.store import Store, dispose_engines


def _letter(task_id: str) -> dict:
    return dict(task_id=task_id, task="descflow.generate", args=["evt-1", "en-US"], kwargs={},
                error="OperationalError: connection refused", traceback="", attempts=11,
                chain=[{"task": "descflow.correct", "args": ["evt-1", "en-US"]}])


def _gone(folder: Path) -> Store:
    """A store whose database has gone: its file removed and its pooled connections dropped."""
    store = Store(f"sqlite:///{folder / 'descflow.db'}")
    shutil.rmtree(folder)
    dispose_engines()
    return store


def test_a_letter_the_database_refuses_is_spooled_and_moved_later(redis_url: str, tmp_path) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete(deadletters.SPOOL)
    down = _gone(tmp_path / "gone")
    assert deadletters.record(down, lambda: client, _letter("t-1")) is False
    assert deadletters.spooled(client) == 1

    up = Store(f"sqlite:///{tmp_path / 'descflow.db'}")
    assert deadletters.record(up, lambda: client, _letter("t-2")) is True  # and drains the earlier one
    assert deadletters.spooled(client) == 0
    with up.session() as s:
        rows = {r.task_id: r for r in s.exec(select(FailedTask))}
    assert set(rows) == {"t-1", "t-2"}
    assert rows["t-1"].chain == [{"task": "descflow.correct", "args": ["evt-1", "en-US"]}]
    assert rows["t-1"].attempts == 11 and rows["t-1"].status == "dead"


def test_a_letter_stays_spooled_while_the_database_is_still_down(redis_url: str, tmp_path) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete(deadletters.SPOOL)
    client.rpush(deadletters.SPOOL, '{"task_id": "t-3", "task": "descflow.rank", "args": [], "kwargs": {}, '
                 '"error": "x", "traceback": "", "attempts": 1}')
    down = _gone(tmp_path / "gone")
    try:
        deadletters.drain(down, client)
    except Exception:
        pass
    assert deadletters.spooled(client) == 1, "a letter the database did not take was dropped"
