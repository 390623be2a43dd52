"""Faults injected into a running stack: nothing accepted is lost, nothing comes out twice.

Each scenario runs a real stack (its own persistent Redis, its own PostgreSQL
cluster, a gpu and a cpu worker process), sends a stream of 200 product events
and 100 reviews through the signed webhook as a shop would (re-sending what is
answered 503), injects its fault in the middle of the run, and audits the
database and the outbound stream once the stack has recovered. The figures
table (tests/faultkit.py) is printed at the end of the session.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from descflow.status import queue_depths
from schemas.tables import FailedTask
from tests import faultkit
from tests.faultkit import PrivatePostgres, Shop, audit, event_stream, record, wait_published, wait_settled
from tests.stack import Stack, start_stack, stop_stack

PRODUCTS = 200  # and a review for every other one
RATE = 25.0  # events/s offered by the shop
SETTLE = 240.0  # seconds the stack gets to recover and finish

# Small candidate sets and short texts: the suite is about delivery, not writing.
BASE = {
    "DESCFLOW_CANDIDATES": "2",
    "DESCFLOW_MAX_NEW_TOKENS": "40",
    "DESCFLOW_BATCH_SIZE": "16",
    # A killed worker's unacknowledged tasks come back after this long (production: an hour).
    "DESCFLOW_VISIBILITY_TIMEOUT": "12",
    # Enough retries with back-off to ride out a 30 s database outage.
    "DESCFLOW_MAX_RETRIES": "20",
    "DESCFLOW_RETRY_BACKOFF_MAX": "8",
    # A message a worker was killed holding before kombu recorded it is found by the sweep (workers/recover.py).
    "DESCFLOW_RECOVER_INTERVAL": "5",
    "DESCFLOW_RECOVER_AFTER": "20",
}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[faultkit.LocalRedis, PrivatePostgres]]:
    try:
        pg = PrivatePostgres().init()
    except RuntimeError as exc:
        pytest.skip(f"no PostgreSQL server binaries to run a private cluster: {exc}")
    redis_server = faultkit.restartable_redis(tmp_path_factory.mktemp("fault-redis"))
    yield redis_server, pg
    redis_server.stop()
    pg.destroy()


@pytest.fixture()
def make_stack(services, tmp_path: Path, tiny_model: Path, request: pytest.FixtureRequest):
    redis_server, pg = services
    stacks: list[Stack] = []

    def make(worker_env: dict[str, str] | None = None, **settings: str) -> Stack:
        name = re.sub(r"\W", "_", request.node.name)[:50].lower()
        url = pg.create_database(name)
        stack = start_stack(tmp_path, url, redis_server.url, tiny_model, worker_env=worker_env,
                            **{**BASE, **settings})
        stacks.append(stack)
        return stack

    yield make
    for s in stacks:
        stop_stack(s)


def _assert_clean(result: faultkit.Audit) -> None:
    assert not result.lost, f"{len(result.lost)} accepted events never came out: {result.lost[:5]}"
    assert not result.duplicated, f"published twice: {result.duplicated[:5]}"
    assert not result.orphans, f"half-written work: {result.orphans[:5]}"


def _while_sending(stack: Stack, shop: Shop) -> None:
    """Mid-run: the workers are busy with what the shop sent so far, and it has more to send."""
    stack.wait_for(lambda: len(shop.accepted) >= 100, 60, "the shop to deliver 100 events")
    assert shop.is_alive(), "the shop had sent everything before the fault"


def _run(stack: Stack, events: list[dict]) -> Shop:
    shop = Shop(stack, events, RATE)
    shop.start()
    return shop


def test_gpu_worker_killed_mid_batch(make_stack) -> None:
    stack = make_stack()
    events = event_stream(PRODUCTS)
    shop = _run(stack, events)
    wait_published(stack, 20)
    waiting, delivered = queue_depths(stack.redis)
    assert waiting["gpu"] + delivered > 0, "nothing was left for the gpu worker: the kill would come after the run"
    at = faultkit.published_count(stack)
    injected = time.monotonic()
    stack.restart("gpu", kill=True)  # SIGKILL: its batch in flight and its unacked tasks are abandoned
    resumed = faultkit.resumed_after(stack, at)
    shop.finish()
    result, _ = wait_settled(stack, events, shop.accepted, SETTLE)
    record("kill -9 gpu worker mid-batch", result, resumed - injected, time.monotonic() - injected)
    _assert_clean(result)
    assert result.failed == 0, result.dead


def test_cpu_worker_killed_mid_task(make_stack) -> None:
    stack = make_stack()
    events = event_stream(PRODUCTS)
    shop = _run(stack, events)
    wait_published(stack, 20)
    at = faultkit.published_count(stack)
    injected = time.monotonic()
    stack.restart("cpu", kill=True)  # the main process and its pool children, all at once
    resumed = faultkit.resumed_after(stack, at)
    shop.finish()
    result, _ = wait_settled(stack, events, shop.accepted, SETTLE)
    record("kill -9 cpu worker mid-task", result, resumed - injected, time.monotonic() - injected)
    _assert_clean(result)
    assert result.failed == 0, result.dead


def _outage(stack: Stack, stop, start, seconds: float) -> tuple[Shop, list[dict], float, float, float]:  # noqa: ANN001
    """A service down for `seconds` while the shop is still sending: (shop, events, injected, cleared, resumed)."""
    events = event_stream(PRODUCTS)
    shop = _run(stack, events)
    _while_sending(stack, shop)
    injected = time.monotonic()
    stop()
    time.sleep(seconds)
    start()
    cleared = time.monotonic()
    at = faultkit.published_count(stack)  # after: the database may be what was down
    resumed = faultkit.resumed_after(stack, at)
    shop.finish()
    return shop, events, injected, cleared, resumed


def test_redis_stopped_and_restarted(make_stack, services) -> None:
    redis_server, _ = services
    stack = make_stack()
    # kombu can raise out of a late ack on the channel the outage closed, and the worker exits;
    # in production compose restarts it, and so does the stack here (counted in the table).
    stack.supervised = True
    shop, events, injected, cleared, resumed = _outage(stack, redis_server.stop, redis_server.start, 8)
    result, _ = wait_settled(stack, events, shop.accepted, SETTLE)
    restarted = ", ".join(f"{n} worker restarted x{k}" for n, k in stack.restarts.items())
    record("Redis stopped 8 s, restarted", result, resumed - cleared, time.monotonic() - injected,
           f"webhook 503 x{shop.refused[503]}" + (f"; {restarted}" if restarted else ""))
    _assert_clean(result)
    assert shop.refused[503] > 0, "the webhook accepted events while the queue was down"
    assert set(shop.refused) == {503}


def test_postgres_stopped_for_30_seconds(make_stack, services) -> None:
    _, pg = services
    stack = make_stack()
    shop, events, injected, cleared, resumed = _outage(stack, pg.stop, pg.start, 30)
    result, _ = wait_settled(stack, events, shop.accepted, SETTLE)
    record("PostgreSQL stopped 30 s", result, resumed - cleared, time.monotonic() - injected,
           f"webhook 503 x{shop.refused[503]}")
    _assert_clean(result)
    assert result.failed == 0, f"tasks gave up during the outage instead of retrying: {result.dead}"
    assert shop.refused[503] > 0, "the webhook accepted events it could not record"


def test_device_out_of_memory_splits_the_batch(make_stack) -> None:
    stack = make_stack(worker_env={"PYTHONPATH": str(faultkit.PLUGIN), "FAULT_OOM_ABOVE": "3"})
    events = event_stream(PRODUCTS)
    shop = _run(stack, events)
    started = time.monotonic()
    shop.finish()
    result, _ = wait_settled(stack, events, shop.accepted, SETTLE)
    log = stack.workers["gpu"].log_path.read_text(errors="replace")
    splits = len(re.findall(r"out of memory on a batch of \d+; retrying as", log))
    record("device out of memory above batch 3", result, 0.0, time.monotonic() - started,
           f"{splits} batches split")
    _assert_clean(result)
    assert splits > 0, "no batch was large enough to run out of memory"
    assert result.failed == 0, result.dead


def test_poison_messages_are_dead_lettered_and_retried(make_stack, tmp_path: Path) -> None:
    cause = tmp_path / "poison-on"
    cause.write_text("the cause of the failures; removing it fixes them")
    stack = make_stack(worker_env={"PYTHONPATH": str(faultkit.PLUGIN), "FAULT_POISON_FILE": str(cause)},
                       DESCFLOW_MAX_RETRIES="4", DESCFLOW_RETRY_BACKOFF_MAX="2")
    marks = {10: "[poison:ingest]", 20: "[poison:generate]", 30: "[poison:generate]", 40: "[poison:ingest]"}
    events = event_stream(PRODUCTS, marks=marks)
    poisoned = {e["event_id"] for e in events if "[poison:" in e.get("title", "")}
    shop = _run(stack, events)
    started = time.monotonic()
    shop.finish()
    result, _ = wait_settled(stack, events, shop.accepted, SETTLE)
    settled = time.monotonic() - started
    poisoned_run = result
    _assert_clean(result)
    assert result.failed == len(poisoned) == 4
    assert result.published == PRODUCTS - 4, "the rest of the stream was held up by the poison"
    with stack.store.session() as s:
        dead = list(s.exec(select(FailedTask).where(FailedTask.status == "dead").order_by(FailedTask.id)))
    assert {str(d.args[0]) for d in dead} == poisoned
    assert all(d.attempts == 5 for d in dead), [d.attempts for d in dead]  # the first run and 4 retries
    assert "injected poison" in dead[0].error
    _assert_backoff(stack, retries=4, cap=2)

    # The cause is gone: re-run by id, then by task name, then the rest.
    cause.unlink()
    by_task = {d.task for d in dead}
    assert by_task == {"descflow.ingest", "descflow.generate"}
    first = dead[0]
    _retry(stack, str(first.id))
    _retry(stack, "--task", "descflow.generate")
    _retry(stack, "--all")
    result, retry_s = wait_settled_published(stack, events, shop.accepted, expected=PRODUCTS)
    record("poison x4, then descflow retry", poisoned_run, retry_s, settled,
           f"retry by id, task, all: {result.published} published")
    _assert_clean(result)
    assert result.published == PRODUCTS
    with stack.store.session() as s:
        assert not list(s.exec(select(FailedTask).where(FailedTask.status == "dead")))


def wait_settled_published(stack: Stack, events: list[dict], accepted: list[str], expected: int,
                           timeout: float = 120) -> tuple[faultkit.Audit, float]:
    started = time.monotonic()
    while True:
        result = audit(stack, events, accepted)
        if result.published >= expected or time.monotonic() - started > timeout:
            return result, time.monotonic() - started
        time.sleep(0.5)


def _retry(stack: Stack, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "descflow.cli", "retry", *args], env=stack.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "re-sent" in done.stderr, done.stdout + done.stderr


def _assert_backoff(stack: Stack, *, retries: int, cap: int) -> None:
    """Each poisoned task was retried `retries` times, each wait jittered below an exponential bound."""
    log = "\n".join(w.log_path.read_text(errors="replace") for w in stack.workers.values())
    waits: dict[str, list[float]] = {}
    for task_id, seconds in re.findall(r"\[([0-9a-f-]{36})\] retry: Retry in (\d+(?:\.\d+)?)s", log):
        waits.setdefault(task_id, []).append(float(seconds))
    poisoned = [w for w in waits.values() if len(w) == retries]
    assert len(poisoned) >= 4, waits
    for w in poisoned:
        assert all(s <= min(cap, 2 ** k) for k, s in enumerate(w)), w
    assert len({tuple(w) for w in poisoned}) > 1, "every task waited alike: the back-off has no jitter"


def test_a_replay_rides_out_a_broker_restart(services, tmp_path: Path) -> None:
    """A replay re-sends a line the intake refused while Redis was down, instead of stopping there."""
    import threading

    import redis as redis_py

    from producers.intake import Intake, Unavailable
    from producers.replay import replay
    from schemas.settings import Settings

    redis_server, pg = services
    settings = Settings(broker_url=redis_server.url, database_url=pg.create_database("replay_restart"),
                        home=tmp_path)
    events = event_stream(30, reviews_every=0)
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")

    restarts: list[threading.Timer] = []

    def outage_at_line_5(result) -> None:  # noqa: ANN001
        if result.line == 5:
            redis_server.stop()
            restarts.append(threading.Timer(3.0, redis_server.start))
            restarts[-1].start()

    with pytest.raises(Unavailable):  # without retries the replay stops at the first refused line
        replay(path, Intake(settings, source="replay"), outage_at_line_5, retry_for=0)
    restarts[-1].join()
    redis_py.Redis.from_url(redis_server.url).flushdb()
    settings = settings.model_copy(update={"database_url": pg.create_database("replay_restart_2")})
    summary = replay(path, Intake(settings, source="replay"), outage_at_line_5, retry_for=60)
    assert summary.counts["accepted"] == 30, summary.counts
    restarts[-1].join()
    assert redis_py.Redis.from_url(redis_server.url).llen("cpu") == 30


def test_an_event_whose_message_was_lost_is_swept_and_finished(make_stack) -> None:
    """The window kombu leaves open (popped, not yet recorded as unacknowledged): the sweep re-sends the work."""
    from schemas.events import parse_event

    stack = make_stack(DESCFLOW_RECOVER_INTERVAL="2", DESCFLOW_RECOVER_AFTER="5")
    lost = event_stream(3, reviews_every=1)  # accepted, then their messages gone with a killed worker
    for payload in lost:
        assert stack.store.record_inbound(parse_event(payload), payload, "webhook", task_id="lost-with-the-worker")
    started = time.monotonic()
    result, _ = wait_settled(stack, lost, [e["event_id"] for e in lost], 120)
    _assert_clean(result)
    assert result.published == 3 and result.reviews == 3
    log = stack.workers["gpu"].log_path.read_text(errors="replace")
    assert "re-sending the stages of" in log
    record("message lost before kombu kept it", result, 0.0, time.monotonic() - started,
           "found by the recovery sweep")
