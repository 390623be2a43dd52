"""The hostile corpus through the webhook and through `descflow publish FILE`, on SQLite and PostgreSQL.

Every rejected case must answer with an error naming its field, leave one
rejected_events row and put nothing on the queue; every accepted one must be
queued once and stored exactly as sent (or as cleaned of invisible characters).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlmodel import select

from producers.webhook import create_app
from schemas.settings import Settings
from schemas.signing import signature_headers
from schemas.tables import InboundEvent, RejectedEvent
from tests.hostile import Case, corpus, stored_value
from workers.app import CPU_QUEUE
from workers.store import Store

SECRET = "hostile-secret"
CASES = corpus()
# Another seed for the replay: the PostgreSQL database lives for the whole session, and the
# webhook test's event ids are in it already (they would come back as duplicates).
REPLAY_CASES = corpus(seed=7)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hostile.db'}"
    return request.getfixturevalue("postgres_url")


def _fresh(database_url: str, redis_url: str) -> tuple[Store, redis.Redis, int]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    store = Store(database_url)
    with store.session() as s:  # the PostgreSQL database is shared by the session: start from its current rows
        last = s.exec(select(RejectedEvent.id).order_by(RejectedEvent.id.desc())).first() or 0  # type: ignore[union-attr]
    return store, client, last


def _check_rows(store: Store, after_id: int, source: str, rejected: list[Case]) -> None:
    with store.session() as s:
        rows = list(s.exec(select(RejectedEvent).where(RejectedEvent.id > after_id, RejectedEvent.source == source)
                           .order_by(RejectedEvent.id)))
    assert len(rows) == len(rejected), f"{len(rows)} rejected_events rows for {len(rejected)} rejected events"
    for row, case in zip(rows, rejected, strict=True):
        assert case.error_names_field(row.errors), (case.category, case.field, row.errors)
        assert row.raw, "the raw payload is kept (truncated)"


def _check_accepted(store: Store, accepted: list[Case], source: str) -> None:
    with store.session() as s:
        rows = {r.event_id: r for r in s.exec(select(InboundEvent).where(
            InboundEvent.event_id.in_([c.event_id for c in accepted])))}  # type: ignore[union-attr]
    for case in accepted:
        row = rows.get(case.event_id)
        assert row is not None and row.source == source, (case.category, case.event_id)
        for path, value in case.stored.items():
            got = stored_value(row.payload, path)
            from schemas.events import clean_text  # the payload keeps what was sent; the event what was meant

            assert got == value or (case.category == "invisible_mixed" and clean_text(got) == value), \
                (case.category, path, got, value)


def test_corpus_is_large_deterministic_and_covers_every_category():
    assert len(CASES) >= 1_000
    assert [c.body for c in corpus()] == [c.body for c in CASES]
    assert [c.body for c in corpus(seed=1)] != [c.body for c in CASES]
    counts = Counter(c.category for c in CASES)
    assert len(counts) >= 20 and min(counts.values()) >= 10, counts
    assert sum(c.expect == "accepted" for c in CASES) >= 250


def test_corpus_through_the_webhook(database_url: str, redis_url: str) -> None:
    store, client, last = _fresh(database_url, redis_url)
    settings = Settings(broker_url=redis_url, database_url=database_url, webhook_secret=SECRET)
    api = TestClient(create_app(settings))
    answers: dict[str, Counter[int]] = defaultdict(Counter)
    rejected: list[Case] = []
    accepted: list[Case] = []
    for case in CASES:
        queued = client.llen(CPU_QUEUE)
        response = api.post("/events", content=case.body,
                            headers={**signature_headers(SECRET.encode(), case.body), "Content-Type": "application/json"})
        answers[case.category][response.status_code] += 1
        body = response.json()
        if case.expect == "accepted":
            assert response.status_code == 202, (case.category, body)
            assert client.llen(CPU_QUEUE) == queued + 1
            accepted.append(case)
            continue
        assert client.llen(CPU_QUEUE) == queued, f"a rejected {case.category} event reached the queue"
        if case.expect == "too_large":
            assert response.status_code == 413 and case.error_names_field(body["errors"])
            continue
        assert response.status_code == 422, (case.category, body)
        assert body["status"] == "rejected" and case.error_names_field(body["errors"]), (case.category, case.field, body)
        rejected.append(case)
    _check_rows(store, last, "webhook", rejected)
    _check_accepted(store, accepted, "webhook")
    assert client.llen(CPU_QUEUE) == len(accepted)
    # Nothing the SQL-looking text said was executed: every table is still there and counts add up.
    with store.session() as s:
        assert len(list(s.exec(select(InboundEvent.event_id).where(
            InboundEvent.event_id.in_([c.event_id for c in accepted]))))) == len(accepted)  # type: ignore[union-attr]


def test_corpus_through_descflow_publish(database_url: str, redis_url: str, tmp_path: Path) -> None:
    store, client, last = _fresh(database_url, redis_url)
    lines = tmp_path / "hostile.jsonl"
    lines.write_bytes(b"\n".join(c.body for c in REPLAY_CASES) + b"\n")
    env = {**os.environ, "DESCFLOW_BROKER_URL": redis_url, "DESCFLOW_DATABASE_URL": database_url,
           "DESCFLOW_HOME": str(tmp_path), "COLUMNS": "200"}
    run = subprocess.run([sys.executable, "-m", "descflow.cli", "publish", str(lines)], env=env,
                         capture_output=True, timeout=300, check=False)
    out = run.stdout.decode(errors="replace") + run.stderr.decode(errors="replace")
    assert run.returncode == 1, f"bad lines make publish exit 1:\n{out[-3000:]}"
    rejected = [c for c in REPLAY_CASES if c.expect != "accepted"]  # a line over the size limit is recorded here
    accepted = [c for c in REPLAY_CASES if c.expect == "accepted"]
    assert f"line {REPLAY_CASES.index(rejected[0]) + 1}" in out
    table = {m[0]: int(m[1]) for m in re.findall(r"│ (accepted|rejected)\s+│\s+(\d+)", out)}
    assert table == {"accepted": len(accepted), "rejected": len(rejected)}, out[-1000:]
    _check_rows(store, last, "replay", rejected)
    _check_accepted(store, accepted, "replay")
    assert client.llen(CPU_QUEUE) == len(accepted), "exactly the accepted events were queued"
