"""Publishing policies and the merchant-owned rule on real Redis, a real database and real workers."""

from __future__ import annotations

import json
import re
import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner

from descflow.cli import app as cli_app
from producers.webhook import create_app
from schemas.tables import DescriptionCandidate, PublishedDescription
from tests.factories import product_event, review_event, uid
from workers.outbound import STREAM
from workers.shop import update_profile

pytestmark = pytest.mark.parametrize("stack", ["sqlite"], indirect=True)

RUNS_SMALL = ["Runs small, order a size up.", "The headband runs small and feels too tight.",
              "Runs small and pinches after an hour.", "It runs small; I had to return my first pair."]


def versions(stack, shop: str, product: str) -> list[PublishedDescription]:
    with stack.store.session() as s:
        return list(s.exec(select(PublishedDescription).where(
            PublishedDescription.shop_id == shop, PublishedDescription.product_id == product
        ).order_by(PublishedDescription.version)))


def stream_for(stack, product: str) -> list[dict]:
    entries = [json.loads(f[b"event"]) for _, f in stack.redis.xrange(STREAM)]
    return [e for e in entries if e["product_id"] == product]


def held(stack, shop: str, product: str, status: str | None = "pending"):
    return stack.store.review_items(shop_id=shop, product_id=product, status=status)


def chosen(stack, event_id: str) -> DescriptionCandidate:
    with stack.store.session() as s:
        return s.exec(select(DescriptionCandidate).where(DescriptionCandidate.event_id == event_id,
                                                         DescriptionCandidate.chosen)).one()


def cli(stack, *args: str):
    env = {"DESCFLOW_DATABASE_URL": stack.settings.database_url, "DESCFLOW_BROKER_URL": stack.settings.broker_url,
           "DESCFLOW_HOME": str(stack.settings.home), "DESCFLOW_PARAPHRASE_CHECK": "false", "COLUMNS": "200"}
    return CliRunner().invoke(cli_app, list(args), env=env)


def signed_post(stack, client: TestClient, path: str, payload: dict):
    body, headers = stack.signed(payload)
    return client.post(path, content=body, headers=headers)


def update(event: dict, hour: int, **changes) -> dict:
    return product_event(event["locale"], shop_id=event["shop_id"], product_id=event["product_id"],
                         event_type="product.updated", occurred_at=f"2026-11-05T{hour:02d}:00:00Z", **changes)


def test_review_policy_holds_then_a_signed_approve_publishes(stack):
    event = product_event("en-US", shop_id=uid("shop"))
    shop, product = event["shop_id"], event["product_id"]
    update_profile(stack.store, shop, {"publish_policy": "review"})
    stack.intake().submit(event)
    item = stack.wait_for(lambda: held(stack, shop, product), what="a held candidate")[0]
    assert "review" in item.held_because and item.text == chosen(stack, event["event_id"]).text
    time.sleep(1)  # the publish task has finished: nothing went out
    assert versions(stack, shop, product) == [] and stream_for(stack, product) == []

    path = f"/shops/{shop}/reviews/{item.id}/approve"
    with TestClient(create_app(stack.settings)) as client:
        unsigned = client.post(path, content=json.dumps({"review_id": item.id, "action": "approve"}))
        assert unsigned.status_code == 401
        other_item = signed_post(stack, client, path, {"review_id": item.id + 1, "action": "approve"})
        assert other_item.status_code == 400  # a signed body fits one decision only
        wrong_shop = signed_post(stack, client, f"/shops/other/reviews/{item.id}/approve",
                                 {"review_id": item.id, "action": "approve"})
        assert wrong_shop.status_code == 404
        ok = signed_post(stack, client, path, {"review_id": item.id, "action": "approve"})
        assert ok.status_code == 200 and ok.json()["status"] == "approved", ok.text
        again = signed_post(stack, client, path, {"review_id": item.id, "action": "approve"})
        assert again.status_code == 409 and "already approved" in again.json()["message"]

    rows = versions(stack, shop, product)
    assert len(rows) == 1 and rows[0].text == item.text and rows[0].version == 1 and rows[0].owner is None
    assert rows[0].reason.startswith("approved in review") and rows[0].candidate_id == item.candidate_id
    entries = stack.wait_for(lambda: stream_for(stack, product), what="the stream entry")
    assert entries[0]["text"] == item.text and entries[0]["version"] == 1


def test_reject_and_edit_from_the_cli_and_the_edit_is_never_replaced(stack):
    event = product_event("zh-CN", shop_id=uid("shop"))
    shop, product = event["shop_id"], event["product_id"]
    assert cli(stack, "shop", "set", shop, "--policy", "review").exit_code == 0
    stack.intake().submit(event)
    first = stack.wait_for(lambda: held(stack, shop, product), what="a held candidate")[0]
    listed = cli(stack, "review", "list", "--shop", shop, "--json")
    assert listed.exit_code == 0 and f'"id": {first.id}' in listed.stdout

    rejected = cli(stack, "review", "reject", str(first.id), "--why", "too generic")
    assert rejected.exit_code == 0, rejected.output
    assert stack.store.review_item(first.id).status == "rejected"
    assert stack.store.review_item(first.id).note == "too generic"
    assert cli(stack, "review", "approve", str(first.id)).exit_code == 1  # decided already

    stack.intake().submit(update(event, 1))
    second = stack.wait_for(lambda: held(stack, shop, product), what="the update's held candidate")[0]
    mine = "声悦头戴式耳机，续航30小时，蓝牙5.3连接稳定。"
    edited = cli(stack, "review", "edit", str(second.id), "--text", mine)
    assert edited.exit_code == 0, edited.output
    rows = versions(stack, shop, product)
    assert [(r.text, r.owner) for r in rows] == [(mine, "merchant")]

    # From now on the merchant's text stays, even under the auto policy, and even when an update changes a fact
    # it states (so a new candidate is written).
    assert cli(stack, "shop", "set", shop, "--policy", "auto").exit_code == 0
    third = update(event, 2, attributes={**event["attributes"], "续航时间": "40小时"})
    stack.intake().submit(third)
    item = stack.wait_for(lambda: [i for i in held(stack, shop, product) if i.event_id == third["event_id"]],
                          what="the next held candidate")[0]
    assert "merchant" in item.held_because
    assert [(r.text, r.owner) for r in versions(stack, shop, product)] == [(mine, "merchant")]


def test_a_merchant_description_survives_updates_and_review_refreshes(stack):
    mine = "Hand-finished Nordvik headphones, 30 h of battery, tuned in our Oslo studio."
    event = product_event("en-US", shop_id=uid("shop"), merchant_description=mine)
    shop, product = event["shop_id"], event["product_id"]
    stack.intake().submit(event)
    rows = stack.wait_for(lambda: versions(stack, shop, product), what="the merchant's text")
    assert [(r.text, r.owner, r.candidate_id) for r in rows] == [(mine, "merchant", None)]
    stack.wait_for(lambda: held(stack, shop, product), what="descflow's candidate held for review")

    # An update of a fact the merchant's text states is written and held; one it does not state is left alone.
    stated = update(event, 3, attributes={**event["attributes"], "battery life": "32 h"})
    unstated = update(event, 4, attributes={**stated["attributes"], "weight": "240g"})
    stack.intake().submit(stated)
    stack.wait_for(lambda: [i for i in held(stack, shop, product, status=None) if i.event_id == stated["event_id"]],
                   timeout=240, what="the stated fact's candidate held")
    stack.intake().submit(unstated)
    for text in RUNS_SMALL:  # enough criticism for a review refresh of the live description
        stack.intake().submit(review_event(product, text=text, rating=2, shop_id=shop))
    stack.wait_for(lambda: [i for i in held(stack, shop, product, status=None) if i.event_id.startswith("refresh-")],
                   timeout=240, what="the review refresh's candidate held")
    kept = stack.wait_for(lambda: (stack.store.get_inbound(unstated["event_id"]).status == "kept"
                                   and stack.store.get_inbound(unstated["event_id"])), what="the update left alone")
    assert "weight 250g → 240g" in kept.decision["kept"]["en-US"]
    assert [(r.text, r.owner) for r in versions(stack, shop, product)] == [(mine, "merchant")]
    pending = held(stack, shop, product)
    assert pending and all("merchant" in i.held_because for i in held(stack, shop, product, status=None))
    assert [e["text"] for e in stream_for(stack, product)] == [mine]


def test_auto_if_clean_holds_exactly_the_candidates_correction_changed(stack):
    shop = uid("shop")
    update_profile(stack.store, shop, {"publish_policy": "auto-if-clean"})
    events = [product_event("en-US", shop_id=shop), product_event("zh-CN", shop_id=shop)]
    for e in events:
        stack.intake().submit(e)
    for e in events:
        product = e["product_id"]
        stack.wait_for(lambda product=product: versions(stack, shop, product) or held(stack, shop, product),
                       what=f"{product} published or held")
        cand = chosen(stack, e["event_id"])
        if cand.issues:
            item = held(stack, shop, product)[0]
            assert versions(stack, shop, product) == [] and "auto-if-clean" in item.held_because
            assert min(i["code"] for i in cand.issues) in item.held_because
        else:
            assert versions(stack, shop, product)[0].candidate_id == cand.id and not held(stack, shop, product)


def test_a_profile_change_applies_without_restarting_workers(stack):
    event = product_event("en-US", shop_id=uid("shop"))
    shop, product = event["shop_id"], event["product_id"]
    stack.intake().submit(event)
    stack.wait_for(lambda: versions(stack, shop, product), what="first publication (auto)")
    update_profile(stack.store, shop, {"publish_policy": "review", "restricted_terms": ["comfortable", "premium"]})
    time.sleep(stack.settings.shop_profile_ttl + 0.5)
    nxt = update(event, 5, title="Nordvik Wireless Headphones II")  # the writer reads the title: regenerated
    stack.intake().submit(nxt)
    stack.wait_for(lambda: [i for i in held(stack, shop, product) if i.event_id == nxt["event_id"]],
                   what="the update held under the new policy")
    assert len(versions(stack, shop, product)) == 1
    with stack.store.session() as s:
        cands = list(s.exec(select(DescriptionCandidate).where(DescriptionCandidate.event_id == nxt["event_id"])))
    for c in cands:  # the new restricted terms reached correction
        assert not re.search(r"\b(?:comfortable|premium)\b", c.text, re.IGNORECASE), c.text
        if re.search(r"\b(?:comfortable|premium)\b", c.raw_text, re.IGNORECASE):
            assert any(i["code"] == "banned_term" for i in c.issues) or re.search(
                r"\b(?:comfortable|premium)\b", _removed(c), re.IGNORECASE), c.issues


@pytest.mark.parametrize(("locale", "synonym", "preferred", "restricted"),
                         [("en-US", "headphones", "headset", "comfortable"), ("zh-CN", "耳机", "耳麦", "舒适")])
def test_preferred_and_restricted_terms_in_published_text(stack, locale, synonym, preferred, restricted):
    event = product_event(locale, shop_id=uid("shop"))
    shop, product = event["shop_id"], event["product_id"]
    update_profile(stack.store, shop, {"preferred_terms": {synonym: preferred}, "restricted_terms": [restricted]})
    stack.intake().submit(event)
    row = stack.wait_for(lambda: versions(stack, shop, product), what="publication")[0]
    word = (lambda t: re.compile(rf"\b{t}\b", re.IGNORECASE)) if locale == "en-US" else re.compile
    assert not word(synonym).search(row.text) and not word(restricted).search(row.text), row.text
    with stack.store.session() as s:
        cands = list(s.exec(select(DescriptionCandidate).where(DescriptionCandidate.event_id == event["event_id"])))
    said = [c for c in cands if word(synonym).search(c.raw_text)]
    for c in said:  # replaced, or gone with a sentence another fix removed (a truncated one, say)
        # the shop's term, in the number of the word it replaced ("headphones" -> "headsets")
        replaced = any(i["code"] == "preferred_term" and i["after"].lower() in {preferred, preferred + "s"}
                       for i in c.issues)
        assert replaced or word(synonym).search(_removed(c)), c.issues
    assert said or all(not word(synonym).search(c.text) for c in cands)


def _removed(cand: DescriptionCandidate) -> str:
    """The text that correction's other fixes took out without replacing it."""
    return " ".join(str(i.get("before") or "") for i in cand.issues
                    if i.get("code") not in {"preferred_term", "banned_term"} and not i.get("after"))
