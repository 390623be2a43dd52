"""A transient failure that persists: retried with back-off, dead-lettered, then re-run by `descflow retry`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlmodel import select

from descflow.services import free_port
from schemas.tables import FailedTask, PublishedDescription
from tests.factories import product_event
from tests.stack import start_stack, stop_stack


class Accept(BaseHTTPRequestHandler):
    hits: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802
        Accept.hits.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def callback_port() -> int:
    return free_port()  # nothing listens here until the test starts a receiver


@pytest.fixture(scope="module")
def stack(tmp_path_factory, redis_url, tiny_model, callback_port):
    tmp = tmp_path_factory.mktemp("dead-letters")
    s = start_stack(tmp, f"sqlite:///{tmp / 'descflow.db'}", redis_url, tiny_model,
                    DESCFLOW_CALLBACK_URL=f"http://127.0.0.1:{callback_port}/hook", DESCFLOW_MAX_RETRIES="2")
    yield s
    stop_stack(s)


def test_callback_down_is_retried_then_dead_lettered_then_replayed(stack, callback_port):
    event = product_event("en-US")
    assert stack.intake().submit(event).status == "accepted"

    def dead_letter():
        with stack.store.session() as s:
            return s.exec(select(FailedTask).where(FailedTask.task == "descflow.publish")).first()

    row = stack.wait_for(dead_letter, timeout=180, what="publish dead letter")
    assert row.args == [event["event_id"], "en-US"]
    assert row.attempts == 3  # the first try and DESCFLOW_MAX_RETRIES=2 retries
    assert "ConnectError" in row.error or "Connection refused" in row.error

    # The description is stored once, but not announced: the shop never heard of it.
    with stack.store.session() as s:
        pub = s.exec(select(PublishedDescription).where(PublishedDescription.event_id == event["event_id"])).one()
    assert not pub.announced

    # The cause goes away; the operator re-runs the dead letter.
    server = HTTPServer(("127.0.0.1", callback_port), Accept)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**os.environ, "DESCFLOW_BROKER_URL": stack.settings.broker_url,
               "DESCFLOW_DATABASE_URL": stack.settings.database_url, "COLUMNS": "200"}
        listing = subprocess.run([sys.executable, "-m", "descflow.cli", "retry", "--list"], env=env,
                                 capture_output=True, text=True, timeout=60)
        assert listing.returncode == 0 and "descflow.publish" in listing.stdout
        rerun = subprocess.run([sys.executable, "-m", "descflow.cli", "retry", str(row.id)], env=env,
                               capture_output=True, text=True, timeout=60)
        assert rerun.returncode == 0, rerun.stderr

        def announced():
            with stack.store.session() as s:
                return s.exec(select(PublishedDescription).where(
                    PublishedDescription.event_id == event["event_id"])).one().announced

        stack.wait_for(announced, what="announcement after retry")
    finally:
        server.shutdown()
    assert any(event["event_id"].encode() in hit for hit in Accept.hits)
    with stack.store.session() as s:
        assert s.get(FailedTask, row.id).status == "retried"
        versions = s.exec(select(PublishedDescription).where(PublishedDescription.event_id == event["event_id"])).all()
    assert len(versions) == 1
