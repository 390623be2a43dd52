"""`descflow status` against a running stack: queues, workers with queues and devices, tasks by stage."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlmodel import select

from schemas.tables import PublishedDescription
from tests.factories import product_event, uid


def descflow_status(stack, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "DESCFLOW_BROKER_URL": stack.settings.broker_url,
           "DESCFLOW_DATABASE_URL": stack.settings.database_url, "DESCFLOW_HOME": str(stack.settings.home)}
    return subprocess.run([sys.executable, "-m", "descflow.cli", "status", "--wait", "5", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_status_shows_workers_devices_and_recent_work_by_stage(stack):
    event = product_event("en-US")
    assert stack.intake().submit(event).status == "accepted"

    def published() -> bool:
        with stack.store.session() as s:
            return bool(s.exec(select(PublishedDescription)
                               .where(PublishedDescription.event_id == event["event_id"])).first())

    stack.wait_for(published, what="the event published")
    # A dead letter and a stage that needed retries, as the workers record them.
    stack.store.record_failure(task_id=uid("t"), task="descflow.rank", args=[uid("evt"), "en-US"], kwargs={},
                               error="PermanentError: none of the 4 candidates survived", traceback="", attempts=1)
    stack.store.record_stage(uid("evt"), "en-US", "dedup", 0.25, 3, "cpu@test")

    result = descflow_status(stack, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)

    assert set(report["queues"]) == {"gpu", "cpu"} and report["unacked"] >= 0
    workers = {w["name"]: w for w in report["workers"]}
    for queue, proc in stack.workers.items():
        from celery.utils.nodenames import host_format

        w = workers[host_format(proc.name)]
        assert w["queues"] == [queue], w
        assert w["device"] == "cpu", w  # no GPU here: the gpu worker says where its model really is
    cpu = workers[host_format(stack.workers["cpu"].name)]
    assert cpu["pool"] == "prefork" and cpu["processes"] == 2

    stages = {s["stage"]: s for s in report["stages"]}
    for stage, queue in (("ingest", "cpu"), ("generate", "gpu"), ("correct", "gpu"), ("dedup", "cpu"),
                         ("rank", "gpu"), ("publish", "cpu")):
        assert stages[stage]["queue"] == queue and stages[stage]["succeeded"] >= 1, stages[stage]
        assert stages[stage]["max_seconds"] >= stages[stage]["mean_seconds"] > 0
    assert stages["rank"]["failed"] >= 1 and stages["dedup"]["retried"] >= 1
    assert list(stages).index("ingest") < list(stages).index("generate") < list(stages).index("publish")
    assert report["published"] >= 1 and report["published_last_minute"] >= 1
    assert report["dead_letters"] >= 1 and report["recent_failures"][0]["task"] == "descflow.rank"

    text = descflow_status(stack)
    assert text.returncode == 0, text.stderr
    assert "workers online (2)" in text.stdout and "tasks by stage" in text.stdout
    assert "descflow retry" in text.stdout  # what to do about the failures
