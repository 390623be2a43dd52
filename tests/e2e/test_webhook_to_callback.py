"""Webhook process → workers → database → stream and signed callback, all as separate processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from descflow.services import free_port
from schemas.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from schemas.tables import PublishedDescription
from tests.factories import product_event
from tests.stack import SECRET, start_stack, stop_stack
from workers.outbound import STREAM

CALLBACK_SECRET = "callback-secret"


class Receiver(BaseHTTPRequestHandler):
    """The shop's side: verifies the signature exactly as the README tells it to."""

    received: list[tuple[bool, dict]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = verify(CALLBACK_SECRET.encode(), body, self.headers.get(SIGNATURE_HEADER), self.headers.get(TIMESTAMP_HEADER))
        Receiver.received.append((ok, json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def receiver():
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/descriptions"
    server.shutdown()


@pytest.fixture(scope="module")
def e2e(tmp_path_factory, redis_url, postgres_url, tiny_model, receiver):
    tmp = tmp_path_factory.mktemp("e2e")
    stack = start_stack(tmp, postgres_url, redis_url, tiny_model, DESCFLOW_CALLBACK_URL=receiver,
                        DESCFLOW_CALLBACK_SECRET=CALLBACK_SECRET)
    port = free_port()
    env = {**os.environ, "DESCFLOW_BROKER_URL": redis_url, "DESCFLOW_DATABASE_URL": postgres_url,
           "DESCFLOW_WEBHOOK_SECRET": SECRET, "DESCFLOW_WEBHOOK_PORT": str(port), "DESCFLOW_LOG_LEVEL": "WARNING"}
    log = (tmp / "webhook.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "descflow.cli", "webhook"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("webhook did not start: " + Path(log.name).read_text())
    yield stack, base
    proc.terminate()
    proc.wait(10)
    stop_stack(stack)


def test_signed_events_end_as_published_stream_entries_and_verified_callbacks(e2e):
    stack, base = e2e
    events = [product_event("zh-CN"), product_event("en-US")]
    for event in events:
        body, headers = stack.signed(event)
        response = httpx.post(f"{base}/events", content=body, headers=headers, timeout=10)
        assert response.status_code == 202, response.text
    ids = {e["event_id"] for e in events}

    def rows():
        with stack.store.session() as s:
            found = list(s.exec(select(PublishedDescription).where(PublishedDescription.event_id.in_(ids))))
        return found if len(found) == 2 and all(r.announced for r in found) else None

    published = stack.wait_for(rows, timeout=180, what="both events published and announced")
    assert {r.locale for r in published} == {"zh-CN", "en-US"}

    entries = [json.loads(f[b"event"]) for _, f in stack.redis.xrange(STREAM)]
    mine = {e["source_event_id"]: e for e in entries if e["source_event_id"] in ids}
    assert {e["locale"] for e in mine.values()} == {"en-US", "zh-CN"}

    def calls():
        found = [c for c in Receiver.received if c[1]["source_event_id"] in ids]
        return found if len(found) >= 2 else None

    received = stack.wait_for(calls, what="callbacks")
    assert all(ok for ok, _ in received), "callback signature did not verify"
    assert {c["locale"]: c["text"] for _, c in received} == {r.locale: r.text for r in published}


def test_unsigned_request_is_refused_by_the_running_webhook(e2e):
    _, base = e2e
    response = httpx.post(f"{base}/events", content=json.dumps(product_event()).encode(), timeout=10)
    assert response.status_code == 401
