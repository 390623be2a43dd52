"""The outbound stream carries each published version once, however often the announcing task runs."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import redis

from schemas.events import DescriptionPublished
from workers.outbound import STREAM, add_to_stream


def _event(version: int, published_at: datetime) -> DescriptionPublished:
    return DescriptionPublished(shop_id="shop-once", product_id="p-once", locale="en-US", version=version,
                                text="A portable charger.", scores={"total": 0.5}, source_event_id=f"evt-{version}",
                                published_at=published_at)


def test_a_redelivered_announcement_adds_no_second_entry(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    when = datetime(2026, 11, 1, 10, 0, tzinfo=timezone.utc)
    first = add_to_stream(client, _event(1, when))
    again = add_to_stream(client, _event(1, when))  # the task died after XADD and ran again
    second = add_to_stream(client, _event(2, when))
    assert first is not None and second is not None and again is None
    entries = [json.loads(f[b"event"]) for _, f in client.xrange(STREAM)]
    assert [e["version"] for e in entries] == [1, 2]


def test_a_reset_database_republishing_version_one_is_announced(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    add_to_stream(client, _event(1, datetime(2026, 11, 1, 10, 0, tzinfo=timezone.utc)))
    later = add_to_stream(client, _event(1, datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)))
    assert later is not None
    assert client.xlen(STREAM) == 2
