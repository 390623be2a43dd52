"""Structured logs: JSON fields, the event's journey on every line, masked secrets, Celery's own lines."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.factories import product_event
from workers import logs


@pytest.fixture()
def captured() -> Iterator[io.StringIO]:
    """Route the root logger through `logs.configure` into a buffer; restore it afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    buf = io.StringIO()
    yield buf
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    logs.reset_context()


def lines(buf: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]


def test_json_lines_carry_time_level_logger_message_and_the_journey(captured):
    logs.configure("json", "INFO", stream=captured)
    log = logging.getLogger("descflow.worker")
    with logs.bind(task_name="descflow.generate", task_id="t-1", event_id="e-1", product_id="p-1", locale="zh-CN"):
        log.info("generated %d candidates", 4)
        with logs.bind(locale="en-US"):  # nested: inner value wins, the rest stays
            log.warning("second locale")
    log.info("outside any task")
    first, second, outside = lines(captured)
    assert first["message"] == "generated 4 candidates" and first["level"] == "INFO"
    assert first["logger"] == "descflow.worker" and first["timestamp"].endswith("Z")
    assert {k: first[k] for k in logs.CONTEXT_FIELDS} == {
        "task_name": "descflow.generate", "task_id": "t-1", "event_id": "e-1", "product_id": "p-1",
        "locale": "zh-CN"}
    assert second["locale"] == "en-US" and second["event_id"] == "e-1" and second["level"] == "WARNING"
    assert not set(logs.CONTEXT_FIELDS) & outside.keys()  # nothing stale after the block
    assert next(iter(first)) == "timestamp"


def test_chinese_text_stays_readable_and_exceptions_are_one_field(captured):
    logs.configure("json", "INFO", stream=captured)
    try:
        raise ValueError("坏的属性")
    except ValueError:
        logging.getLogger("descflow").exception("无法生成描述")
    (line,) = captured.getvalue().splitlines()
    record = json.loads(line)
    assert "无法生成描述" in line  # not \\u escapes
    assert record["level"] == "ERROR" and "ValueError: 坏的属性" in record["exception"]


def test_url_passwords_and_configured_secrets_are_masked(captured):
    secret = "hmac-Secret-42"
    logs.configure("json", "INFO", secrets=[secret, ""], stream=captured)
    log = logging.getLogger("descflow")
    log.info("broker redis://:hunter2@redis:6379/0, db postgresql+psycopg://descflow:pg-pass@postgres/descflow")
    log.info("signing with %s", secret)
    log.info("user without password: redis://redis:6379/0")
    text = captured.getvalue()
    for leaked in ("hunter2", "pg-pass", secret):
        assert leaked not in text
    broker, signing, plain = lines(captured)
    assert "redis://:***@redis:6379/0" in broker["message"] and "descflow:***@postgres" in broker["message"]
    assert signing["message"] == "signing with ***"
    assert plain["message"] == "user without password: redis://redis:6379/0"


def test_text_format_shows_the_journey_in_brackets(captured):
    logs.configure("text", "INFO", stream=captured)
    log = logging.getLogger("descflow.worker")
    with logs.bind(task_name="descflow.rank", task_id="t-9", event_id="e-9", product_id="p-9"):
        log.info("ranked")
    log.info("idle")
    ranked, idle = captured.getvalue().splitlines()
    assert ranked.endswith("[descflow.rank id=t-9 event=e-9 product=p-9] ranked")
    assert " INFO " in ranked and "descflow.worker" in ranked
    assert idle.endswith("descflow.worker idle")


def test_celery_received_lines_get_task_and_event_from_their_arguments(captured):
    """Celery's main process logs "received" outside any task: its argument dict names task and event."""
    logs.configure("json", "INFO", stream=captured)
    log = logging.getLogger("celery.worker.strategy")
    log.info("Task %(name)s[%(id)s] received", {"name": "descflow.correct", "id": "t-3",
                                               "args": "('e-3', 'en-GB')", "kwargs": "{}"})
    log.info("Task %(name)s[%(id)s] received", {"name": "celery.chord_unlock", "id": "t-4", "args": "('x',)"})
    log.info("Task %(name)s[%(id)s] received", {"name": "descflow.ingest", "id": "t-5", "args": "(<broken"})
    correct, other, broken = lines(captured)
    assert correct["message"] == "Task descflow.correct[t-3] received"
    assert (correct["task_id"], correct["event_id"], correct["locale"]) == ("t-3", "e-3", "en-GB")
    assert other["task_name"] == "celery.chord_unlock" and "event_id" not in other
    assert broken["task_id"] == "t-5" and "event_id" not in broken


def test_the_pools_own_logger_writes_json_too(captured):
    logs.configure("json", "INFO", stream=captured)
    from billiard import util

    util.get_logger().error("Process %r pid:%r exited with %r", "ForkPoolWorker-1", 42, "signal 9 (SIGKILL)")
    (line,) = lines(captured)
    assert line["logger"] == "multiprocessing" and "signal 9" in line["message"] and line["level"] == "ERROR"


def test_configure_twice_leaves_one_handler(captured):
    logs.configure("json", "INFO", stream=captured)
    logs.configure("json", "INFO", stream=captured)
    logging.getLogger("descflow").info("once")
    assert len(captured.getvalue().splitlines()) == 1


def test_an_unknown_format_says_what_to_choose():
    with pytest.raises(ValueError, match="json or text"):
        logs.formatter("xml")  # type: ignore[arg-type]


def test_the_stage_decorator_binds_the_journey_for_the_stage_body(monkeypatch, captured):
    from workers import pipeline

    rows: list[tuple] = []
    payloads = {"e-7": product_event(event_id="e-7", product_id="p-7")}
    monkeypatch.setattr(pipeline, "get_runtime", lambda: SimpleNamespace(store=SimpleNamespace(
        url="sqlite://", record_stage=lambda *a: rows.append(a),
        get_inbound=lambda event_id: SimpleNamespace(payload=payloads[event_id]) if event_id in payloads else None)))
    pipeline._stored_event.cache_clear()
    logs.configure("json", "INFO", stream=captured)

    @pipeline.stage("correct")
    def body(self, event_id, locale):
        logging.getLogger("descflow.worker").info("fixing")
        return logs.current()

    task = SimpleNamespace(name="descflow.correct", request=SimpleNamespace(id="t-7", retries=0, hostname="gpu@x"))
    seen = body(task, "e-7", "de-DE")
    assert seen == {"task_name": "descflow.correct", "task_id": "t-7", "event_id": "e-7", "product_id": "p-7",
                    "locale": "de-DE"}
    (line,) = lines(captured)
    assert line["product_id"] == "p-7" and line["message"] == "fixing"
    assert logs.current() == {}
    # An event that is not (yet) recorded: the stage still runs; its lines just lack the product.
    assert "product_id" not in body(task, "e-missing", "de-DE")
    payloads["e-missing"] = product_event(event_id="e-missing", product_id="p-late")  # recorded later: looked up again, not cached as missing
    assert body(task, "e-missing", "de-DE")["product_id"] == "p-late"


def test_a_worker_logs_json_with_celerys_own_lines_in_it(tmp_path):
    """A real Celery worker process: its startup lines are JSON with the broker password masked."""
    code = (
        "import sys; from workers.pipeline import app; "
        "app.conf.broker_url = 'memory://'; "
        "app.log.setup(loglevel='INFO', hostname='t@x'); "
        "import logging; logging.getLogger('celery.worker.consumer.connection')"
        ".info('Connected to %s', 'redis://:topsecret@redis:6379/0')"
    )
    env = {"DESCFLOW_LOG_FORMAT": "json", "DESCFLOW_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    records = [json.loads(x) for x in out.stderr.splitlines() if x.startswith("{")]
    assert any(r["logger"] == "celery.worker.consumer.connection" for r in records), out.stderr
    assert "topsecret" not in out.stderr and "redis://:***@redis" in out.stderr

