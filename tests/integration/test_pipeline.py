"""The whole path on real Redis, real databases (SQLite and PostgreSQL) and real worker processes."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from producers.webhook import create_app
from schemas.tables import (
    DescriptionCandidate,
    FailedTask,
    InboundEvent,
    ProductAspectRow,
    PublishedDescription,
    RejectedEvent,
    ReviewSentimentRow,
    StageRun,
)
from tests.factories import product_event, review_event
from workers.outbound import STREAM

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture()
def client(stack):
    with TestClient(create_app(stack.settings)) as c:
        yield c


def published(stack, event_id: str) -> list[PublishedDescription]:
    with stack.store.session() as s:
        return list(s.exec(select(PublishedDescription).where(PublishedDescription.event_id == event_id)))


def stream_entries(stack, event_id: str) -> list[dict]:
    entries = [json.loads(fields[b"event"]) for _, fields in stack.redis.xrange(STREAM)]
    return [e for e in entries if e["source_event_id"] == event_id]


def count(stack, model, *where) -> int:
    with stack.store.session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_product_event_through_webhook_is_published(stack, client, locale):
    event = product_event(locale)
    body, headers = stack.signed(event)
    response = client.post("/events", content=body, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "accepted" and response.json()["task_id"]

    rows = stack.wait_for(lambda: published(stack, event["event_id"]), what=f"publication of {event['event_id']}")
    assert len(rows) == 1
    row = rows[0]
    assert row.locale == locale and row.version == 1 and row.text.strip()
    if locale.startswith("zh"):
        assert len(CJK.findall(row.text)) > len(LATIN.findall(row.text)), row.text
    else:
        assert len(LATIN.findall(row.text)) > 0 and not CJK.search(row.text), row.text
    for banned in ("BEST", "100%", "最好", "第一"):
        assert banned not in row.text
    assert {"total", "coverage", "fluency", "faithfulness", "novelty"} <= set(row.scores)

    entries = stack.wait_for(lambda: stream_entries(stack, event["event_id"]), what="stream entry")
    assert entries[0]["text"] == row.text and entries[0]["version"] == 1 and entries[0]["locale"] == locale

    # Every stage ran once and left its timing (publish's is written once the stage returns, after
    # the stream entry); all candidates are kept with scores.
    expected = {"ingest", "generate", "correct", "dedup", "rank", "publish"}
    stack.wait_for(lambda: {r.stage for r in _stage_runs(stack, event["event_id"])} >= expected,
                   what="the publish stage's timing")
    assert {r.stage for r in _stage_runs(stack, event["event_id"])} == expected
    with stack.store.session() as s:
        cands = list(s.exec(select(DescriptionCandidate).where(DescriptionCandidate.event_id == event["event_id"])))
    assert len(cands) == 4 + 1 and sum(c.chosen for c in cands) == 1  # the model's four and the realiser's one
    assert [c.model for c in cands].count("realiser") == 1
    assert all(c.stage == "ranked" and "total" in c.scores for c in cands)


def _stage_runs(stack, event_id):
    with stack.store.session() as s:
        return list(s.exec(select(StageRun).where(StageRun.event_id == event_id)))


def test_each_target_locale_gets_its_own_chain(stack):
    """One chain per target locale, each ending in a published text: whatever the tiny test model writes for a
    product described in another language, the realiser's candidate says its values in the target language."""
    event = product_event("en-US", target_locales=["en-US", "zh-CN"])
    assert stack.intake().submit(event).status == "accepted"

    def ended():
        done = {r.locale for r in published(stack, event["event_id"])}
        with stack.store.session() as s:
            dead = {f.args[1] for f in s.exec(select(FailedTask)) if f.args and f.args[0] == event["event_id"]}
        return (done | dead) == {"en-US", "zh-CN"} and done

    done = stack.wait_for(ended, what="both locale chains to end")
    assert done == {"en-US", "zh-CN"}
    zh = next(r for r in published(stack, event["event_id"]) if r.locale == "zh-CN")
    assert CJK.search(zh.text) and not re.search(r"[a-z]{3,}", zh.text.replace("Nordvik", "")), zh.text
    assert {r.stage for r in _stage_runs(stack, event["event_id"]) if r.locale == "zh-CN"} >= {"generate", "correct"}


def test_a_locale_whose_values_cannot_be_translated_waits_for_a_person(stack):
    """A value the lexicon cannot put into the target language is neither left in another script nor silently
    dropped from a published text: that locale's text is held for review with the value named."""
    attributes = {"colour": "black", "weight": "250g", "ports": "1 x HDMI 4K@30Hz"}
    event = product_event("en-US", target_locales=["en-US", "zh-CN"], attributes=attributes,
                          title="Nordvik USB-C Hub", category="usb hub")
    assert stack.intake().submit(event).status == "accepted"
    shop, product = event["shop_id"], event["product_id"]

    def ended():
        held = [i for i in stack.store.review_items(shop_id=shop, product_id=product) if i.locale == "zh-CN"]
        return held if held and {r.locale for r in published(stack, event["event_id"])} == {"en-US"} else None

    [item] = stack.wait_for(ended, what="en-US published and zh-CN held")
    assert "no zh-CN form" in item.held_because and "HDMI 4K@30Hz" in item.held_because, item.held_because
    assert CJK.search(item.text) and "HDMI" not in item.text and "黑色" in item.text, item.text
    with stack.store.session() as s:
        assert not [f for f in s.exec(select(FailedTask)) if f.args and f.args[0] == event["event_id"]]


def test_review_event_ends_as_sentiment_and_aspects(stack, client):
    product = product_event("en-US")
    assert stack.intake().submit(product).status == "accepted"
    review = review_event(product["product_id"], text="The battery life is excellent but the weight is too heavy.",
                          rating=4)
    body, headers = stack.signed(review)
    assert client.post("/events", content=body, headers=headers).status_code == 202

    def sentiment_row():
        with stack.store.session() as s:
            return s.exec(select(ReviewSentimentRow).where(ReviewSentimentRow.review_id == review["review_id"])).first()

    row = stack.wait_for(sentiment_row, what="review sentiment")
    assert row.polarity in {"positive", "neutral", "negative"} and -1 <= row.score <= 1
    assert row.product_id == product["product_id"]
    stack.wait_for(lambda: count(stack, ProductAspectRow, ProductAspectRow.product_id == product["product_id"]),
                   what="aspect summary")


def test_a_review_resent_under_a_new_id_counts_once(stack):
    from schemas.tables import ProductRow

    product = product_event("zh-CN")
    assert stack.intake().submit(product).status == "accepted"
    reviews = [review_event(product["product_id"], text="物流很快，音质不错！", rating=5),
               review_event(product["product_id"], text="物流很快 音质不错", rating=5),
               review_event(product["product_id"], text="续航太短了，有点失望。", rating=2)]
    for review in reviews:
        assert stack.intake().submit(review).status == "accepted"

    def summarised():
        with stack.store.session() as s:
            done = s.exec(select(func.count()).select_from(InboundEvent).where(
                InboundEvent.event_id.in_([r["event_id"] for r in reviews]), InboundEvent.status == "done")).one()
            row = s.exec(select(ProductRow).where(ProductRow.product_id == product["product_id"])).first()
        return row if done == 3 and row is not None else None

    stack.wait_for(summarised, what="three reviews summarised")
    with stack.store.session() as s:
        row = s.exec(select(ProductRow).where(ProductRow.product_id == product["product_id"])).one()
    assert row.review_count == 2 and row.rating_mean == 3.5


def test_same_event_twice_is_processed_once(stack, client):
    event = product_event("en-US")
    body, headers = stack.signed(event)
    first = client.post("/events", content=body, headers=headers)
    second = client.post("/events", content=body, headers=headers)
    assert first.status_code == 202
    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    # The row is committed before the stream entry is written: wait for the announcement.
    stack.wait_for(lambda: stream_entries(stack, event["event_id"]), what="publication and stream entry")
    # Also via the Python API: still a duplicate.
    assert stack.intake().submit(event).status == "duplicate"
    assert len(published(stack, event["event_id"])) == 1
    assert count(stack, DescriptionCandidate, DescriptionCandidate.event_id == event["event_id"]) == 4 + 1  # with the realiser's
    assert len(stream_entries(stack, event["event_id"])) == 1


def test_redelivered_stage_changes_nothing(stack):
    """At-least-once delivery: each stage run again for a finished event leaves one result."""
    from workers.app import create_app as celery_app

    event = product_event("zh-CN")
    stack.intake().submit(event)
    stack.wait_for(lambda: stream_entries(stack, event["event_id"]), what="publication and stream entry")
    app = celery_app(stack.settings)
    for task in ("generate", "correct", "dedup", "rank", "publish"):
        app.send_task(f"descflow.{task}", args=[event["event_id"], "zh-CN"])
    app.send_task("descflow.ingest", args=[event["event_id"]])
    # The re-run ingest starts a new chain; wait until its publish stage has run again.
    stack.wait_for(lambda: _publish_runs(stack, event["event_id"]) >= 1, what="re-run")
    import time

    time.sleep(3)
    assert len(published(stack, event["event_id"])) == 1
    assert count(stack, DescriptionCandidate, DescriptionCandidate.event_id == event["event_id"]) == 4 + 1
    assert len(stream_entries(stack, event["event_id"])) == 1


def _publish_runs(stack, event_id):
    return sum(1 for r in _stage_runs(stack, event_id) if r.stage == "publish")


def test_bad_signature_is_401_and_nothing_enqueued(stack, client):
    event = product_event("en-US")
    body, headers = stack.signed(event)
    before = count(stack, InboundEvent)
    for bad in ({}, {"X-Descflow-Signature": "sha256=" + "0" * 64}, {"X-Descflow-Signature": headers["X-Descflow-Signature"][:-2]}):
        response = client.post("/events", content=body, headers={"Content-Type": "application/json", **bad})
        assert response.status_code == 401
    assert count(stack, InboundEvent) == before
    assert count(stack, InboundEvent, InboundEvent.event_id == event["event_id"]) == 0
    assert stack.redis.llen("cpu") == 0


def test_invalid_payload_is_422_with_field_errors_and_recorded(stack, client):
    event = product_event("en-US", title="", price={"amount": "-3", "currency": "USD"})
    del event["category"]
    body, headers = stack.signed(event)
    response = client.post("/events", content=body, headers=headers)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"title", "price.amount", "category"} <= fields
    with stack.store.session() as s:
        row = s.exec(select(RejectedEvent).where(RejectedEvent.event_id == event["event_id"])).one()
    assert row.source == "webhook" and {e["field"] for e in row.errors} == fields
    assert event["event_id"] in row.raw
    assert count(stack, InboundEvent, InboundEvent.event_id == event["event_id"]) == 0


def test_task_that_keeps_failing_becomes_a_dead_letter(stack):
    from workers.app import create_app as celery_app

    app = celery_app(stack.settings)
    result = app.send_task("descflow.generate", args=["evt-does-not-exist", "en-US"])

    def dead():
        with stack.store.session() as s:
            return s.exec(select(FailedTask).where(FailedTask.task_id == result.id)).first()

    row = stack.wait_for(dead, what="dead letter")
    assert row.task == "descflow.generate" and row.args == ["evt-does-not-exist", "en-US"]
    assert "evt-does-not-exist" in row.error and row.status == "dead"
