"""The journey's log lines start at the edge: intake names the event and the product."""

from __future__ import annotations

import io
import json
import logging

import redis

from producers.intake import Intake
from schemas.settings import Settings
from tests.factories import product_event
from workers import logs


def test_the_intake_line_of_an_accepted_event_carries_its_journey(tmp_path, redis_url):
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    buf = io.StringIO()
    try:
        logs.configure("json", "INFO", stream=buf)
        settings = Settings(home=tmp_path, broker_url=redis_url, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
        event = product_event()
        assert Intake(settings, source="webhook").submit(event).status == "accepted"
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        redis.Redis.from_url(redis_url).delete("cpu")  # no worker here: take the message back off the queue
    records = [json.loads(line) for line in buf.getvalue().splitlines() if line.startswith("{")]
    mine = [r for r in records if r["logger"] == "producers.intake"]
    assert mine and mine[-1]["event_id"] == event["event_id"] and mine[-1]["product_id"] == event["product_id"]
    assert mine[-1]["message"] == "accepted product.created from webhook"
