"""The wire, with a real worker: a password-protected Redis from settings, JSON only, no secret in its log.

A throwaway redis-server with `requirepass` is started by the test on a free
port, and a real cpu worker (`descflow worker --queues cpu`) talks to it through
DESCFLOW_BROKER_URL with the password in it.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from descflow.services import WorkerProcess, free_port, redis_alive, redis_server_binary
from descflow.status import queue_depths
from producers.intake import Intake
from schemas.events import parse_event
from schemas.settings import Settings
from tests.factories import product_event
from workers.app import CPU_QUEUE, create_app
from workers.store import Store

PASSWORD = "wire-pw-7f3a9c"  # distinctive, so a leak into a log is easy to find


@dataclass
class Wire:
    settings: Settings
    store: Store
    client: redis.Redis
    worker: WorkerProcess
    port: int


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wire]:
    tmp = tmp_path_factory.mktemp("wire")
    try:
        binary = redis_server_binary()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    port = free_port()
    server = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                               "--dir", str(tmp), "--requirepass", PASSWORD],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not redis_alive(url):
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            pytest.fail(f"redis-server with a password did not start on port {port}")
        time.sleep(0.05)
    database_url = f"sqlite:///{tmp / 'wire.db'}"
    env = {"DESCFLOW_BROKER_URL": url, "DESCFLOW_DATABASE_URL": database_url, "DESCFLOW_HOME": str(tmp),
           "DESCFLOW_WEBHOOK_SECRET": "wire-webhook-secret", "DESCFLOW_PARAPHRASE_CHECK": "false",
           "DESCFLOW_LOG_LEVEL": "INFO", "DESCFLOW_MAX_RETRIES": "0"}
    settings = Settings(**{k.removeprefix("DESCFLOW_").lower(): v for k, v in env.items()})
    store = Store(database_url)
    worker = WorkerProcess("cpu", env, tmp / "cpu.log", concurrency=1)
    worker.start()
    try:
        worker.wait_ready(timeout=120)
        yield Wire(settings, store, redis.Redis.from_url(url), worker, port)
    finally:
        worker.stop(10)
        server.terminate()
        server.wait(10)


def _wait(condition, timeout: float, what: str, worker: WorkerProcess):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        assert worker.proc is not None and worker.proc.poll() is None, f"worker died:\n{worker.tail()}"
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}\n{worker.tail(40)}")


def test_the_password_is_required_and_works_from_settings(wire: Wire):
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=wire.port).ping()
    event = product_event()
    outcome = Intake(wire.settings, source="api").submit(event)
    assert outcome.status == "accepted"
    _wait(lambda: wire.store.get_product(event["shop_id"], event["product_id"]), 60, "the ingest to run", wire.worker)
    # ingest queued the next stage on the same password-protected Redis
    assert queue_depths(wire.client)[0]["gpu"] >= 1  # at generate's priority, under its own key


def test_a_pickled_message_is_refused_and_its_task_never_runs(wire: Wire):
    event = product_event()
    parsed = parse_event(event)
    assert wire.store.record_inbound(parsed, event, "api", task_id="pickled-task")
    sender = create_app(wire.settings)
    sender.conf.accept_content = ["json", "pickle"]  # the sender may want pickle; the worker must not take it
    sender.send_task("descflow.ingest", args=[event["event_id"]], task_id="pickled-task", queue=CPU_QUEUE,
                     serializer="pickle")
    log = wire.worker.log_path
    _wait(lambda: b"ContentDisallowed" in log.read_bytes() or b"Refusing to deserialize" in log.read_bytes(), 30,
          "the worker to refuse the pickled message", wire.worker)
    assert wire.client.llen(CPU_QUEUE) == 0, "the refused message is not left on the queue to loop"
    time.sleep(1.0)
    assert wire.store.get_product(event["shop_id"], event["product_id"]) is None, "the pickled task ran"
    # The same task in JSON runs: what stopped the first one was its serializer, nothing else.
    sender.send_task("descflow.ingest", args=[event["event_id"]], task_id="json-task", queue=CPU_QUEUE)
    _wait(lambda: wire.store.get_product(event["shop_id"], event["product_id"]), 60, "the JSON task", wire.worker)


def test_the_worker_log_never_shows_the_password(wire: Wire):
    text = wire.worker.log_path.read_text(errors="replace")
    assert " ready." in text and f":{wire.port}" in text, "the log names the broker it connected to"
    assert PASSWORD not in text
