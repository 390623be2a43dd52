"""An audience none of whose candidates survived still gets a text: the publish stage, run in this process against
real Redis and SQLite."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from schemas.events import parse_event
from schemas.tables import DescriptionCandidate
from tests.factories import product_event, uid
from workers.cpu.dedup import CatalogDedup, DedupIndex, TemplateIndex
from workers.outbound import STREAM
from workers.shop import update_profile

AUDIENCES = ["commuters", "gamers"]
TEXTS = ["Nordvik over-ear headphones with 30 h of battery for the daily train.",
         "Nordvik headphones for long gaming nights, Bluetooth 5.3 and USB-C.",
         "Nordvik black over-ear headphones: 40mm drivers and 30 h of battery for the commute.",
         "Nordvik headphones for gamers with 40mm drivers."]


@pytest.fixture
def rt(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    from schemas.settings import get_settings
    from workers import runtime

    monkeypatch.setenv("DESCFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'audiences.db'}")
    monkeypatch.setenv("DESCFLOW_BROKER_URL", redis_url)
    get_settings.cache_clear()
    runtime.reset_after_fork()
    ns = f"descflow-test:audiences:{uuid.uuid4().hex}"
    try:
        rt = runtime.get_runtime()
        rt.dedup = CatalogDedup(DedupIndex(redis_url, namespace=f"{ns}:mh"), None,  # type: ignore[misc]
                                TemplateIndex(redis_url, namespace=f"{ns}:tpl"))
        yield rt
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"{ns}*"):
            client.delete(key)
        get_settings.cache_clear()
        runtime.reset_after_fork()


def _ranked(rt, chosen: set[int]) -> tuple[str, str, list[DescriptionCandidate]]:
    """A product event of a shop with two audiences, its four candidates ranked: `chosen` won."""
    shop = uid("shop")
    update_profile(rt.store, shop, {"audiences": AUDIENCES})
    payload = product_event("en-US", shop_id=shop)
    rt.store.record_inbound(parse_event(payload), payload, "test")
    cands = rt.store.add_candidates([
        DescriptionCandidate(event_id=payload["event_id"], shop_id=shop, product_id=payload["product_id"],
                             locale="en-US", idx=i, stage="ranked", raw_text=t, text=t, chosen=i in chosen,
                             decoding={"audience": AUDIENCES[i % 2], "seed": i}, scores={"total": 0.5 + i / 100},
                             duplicate_of=None if i % 2 == 0 or i in chosen else "s/other/en-US")
        for i, t in enumerate(TEXTS)
    ])
    return shop, payload["event_id"], cands


def _announced(rt, shop: str) -> list[dict]:
    entries = [json.loads(fields[b"event"]) for _, fields in rt.redis.xrange(STREAM)]
    return [e for e in entries if e["shop_id"] == shop]


def test_an_audience_whose_candidates_were_all_duplicates_gets_the_first_audiences_text(rt) -> None:
    from workers.pipeline import publish

    shop, event_id, cands = _ranked(rt, chosen={2})  # both gamers candidates were duplicates
    assert publish.apply(args=(event_id, "en-US")).get() == 1
    rows = {r.audience: r for r in rt.store.current_descriptions(shop)}
    assert sorted(rows) == AUDIENCES
    assert rows["commuters"].text == rows["gamers"].text == TEXTS[2]
    assert rows["gamers"].candidate_id == cands[2].id and rows["gamers"].decoding["audience"] == "commuters"
    assert "none written for gamers passed the checks" in rows["gamers"].reason
    assert "stands in" not in rows["commuters"].reason
    assert sorted((e["audience"], e["version"]) for e in _announced(rt, shop)) == [("commuters", 1), ("gamers", 2)]

    # A redelivered publish changes nothing and announces nothing again.
    assert publish.apply(args=(event_id, "en-US")).get() == 1
    assert len(rt.store.current_descriptions(shop)) == 2 and len(_announced(rt, shop)) == 2


def test_a_refresh_republishes_a_stand_in_for_the_audience_it_reranked(rt) -> None:
    from workers.pipeline import publish, republish

    shop, event_id, cands = _ranked(rt, chosen={0, 1})
    assert publish.apply(args=(event_id, "en-US")).get() == 1
    refresh_id = uid("refresh")
    # The refresh found the commuters text (idx 2) now fits gamers best: it replaces the gamers text only.
    assert republish.apply(args=(refresh_id, "en-US", cands[2].id, "reviews praise the battery", "gamers")).get() == 3
    rows = {r.audience: r for r in rt.store.current_descriptions(shop)}
    assert (rows["gamers"].text, rows["gamers"].version) == (TEXTS[2], 3)
    assert (rows["commuters"].text, rows["commuters"].version) == (TEXTS[0], 1)
