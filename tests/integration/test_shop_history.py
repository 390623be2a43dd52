"""Attribute updates, per-audience publishing and the change history through real workers."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from descflow.cli import app as cli_app
from producers.webhook import create_app
from tests.factories import product_event, uid
from workers.api_keys import create_key
from workers.gpu.matching import value_share
from workers.shop import update_profile

pytestmark = pytest.mark.parametrize("stack", ["sqlite"], indirect=True)


def update(event: dict, hour: int, **changes) -> dict:
    base = {k: event[k] for k in ("attributes", "title", "brand", "price", "seller_description")}
    return product_event(event["locale"], shop_id=event["shop_id"], product_id=event["product_id"],
                         event_type="product.updated", occurred_at=f"2026-11-07T{hour:02d}:00:00Z",
                         **{**base, **changes})


def history(stack, shop: str, product: str) -> dict:
    env = {"DESCFLOW_DATABASE_URL": stack.settings.database_url, "DESCFLOW_BROKER_URL": stack.settings.broker_url,
           "DESCFLOW_HOME": str(stack.settings.home), "COLUMNS": "200"}
    result = CliRunner().invoke(cli_app, ["history", product, "--shop", shop, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_updates_regenerate_only_when_they_touch_what_the_text_states(stack):
    event = product_event("en-US", shop_id=uid("shop"))
    shop, product = event["shop_id"], event["product_id"]
    stack.intake().submit(event)
    first = stack.wait_for(lambda: stack.store.current_description(shop, product, "en-US"), what="version 1")
    writers = {stack.settings.generator_model, "realiser"}  # the model's candidates or the realiser's
    assert first.cause == "new_product" and first.model in writers
    assert first.decoding.get("seed") is not None if first.model != "realiser" else first.decoding["writer"] == "realiser"

    # Facts the text does not state (and an image) change: nothing is rewritten, and that is recorded.
    unstated = [k for k, v in event["attributes"].items() if not value_share(k, v, first.text)]
    quiet = update(event, 1, image_urls=["https://example.com/a.jpg"],
                   attributes={**event["attributes"], **({unstated[0]: "9"} if unstated else {})})
    stack.intake().submit(quiet)
    kept = stack.wait_for(lambda: (stack.store.get_inbound(quiet["event_id"]).status == "kept"
                                   and stack.store.get_inbound(quiet["event_id"])), what="the quiet update kept")
    assert "en-US" in kept.decision["kept"] and kept.decision["regenerate"] == []

    # A fact the text states changes: a new version, caused by the attribute change, with a diff.
    stated = next(k for k, v in event["attributes"].items() if value_share(k, v, first.text))
    loud = update(event, 2, attributes={**quiet["attributes"], stated: "77"})
    stack.intake().submit(loud)
    second = stack.wait_for(lambda: stack.store.published_for(loud["event_id"], "en-US"), what="version 2")
    assert second.version == 2 and second.cause == "attribute_change" and stated in second.reason

    found = history(stack, shop, product)
    v1, v2 = found["versions"]
    assert (v1["cause"], v2["cause"], v2["previous_version"]) == ("new_product", "attribute_change", 1)
    assert v2["produced_by"] in writers
    assert "".join(c["before"] for c in v2["diff"]) == v1["text"] and "".join(c["after"] for c in v2["diff"]) == v2["text"]
    assert any(c["op"] != "equal" for c in v2["diff"]) or v1["text"] == v2["text"]
    assert found["kept_updates"][0]["event_id"] == quiet["event_id"]


def test_a_shop_with_several_audiences_gets_a_text_for_each(stack):
    shop = uid("shop")
    update_profile(stack.store, shop, {"audiences": ["commuters", "gamers"]})
    event = product_event("en-US", shop_id=shop)
    product = event["product_id"]
    stack.intake().submit(event)
    rows = stack.wait_for(lambda: (len(stack.store.current_descriptions(shop, product)) == 2
                                   and stack.store.current_descriptions(shop, product)), what="two audiences")
    assert sorted(r.audience for r in rows) == ["commuters", "gamers"]
    assert sorted(r.version for r in rows) == [1, 2]
    for r in rows:  # written for its audience; or, when none written for it survived, the first audience's stands in
        written_for = stack.store.candidate(r.candidate_id).decoding["audience"]
        assert written_for == r.audience or (written_for == "commuters" and "stands in" in r.reason)
    key, _ = create_key(stack.store, shop)
    with TestClient(create_app(stack.settings)) as client:
        for r in rows:
            got = client.get(f"/products/{product}/description", params={"audience": r.audience},
                             headers={"Authorization": f"Bearer {key}"}).json()
            assert (got["audience"], got["text"]) == (r.audience, r.text)
        default = client.get(f"/products/{product}/description", headers={"X-Descflow-Key": key}).json()
        assert default["audience"] == "commuters"  # the shop's first
