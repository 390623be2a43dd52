"""Descriptions follow the reviews: review events → aspect summary → refresh → a new published version."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from schemas.tables import DescriptionCandidate, ProductRow, PublishedDescription, StageRun
from tests.factories import product_event, review_event
from workers.app import create_app
from workers.outbound import STREAM

RUNS_SMALL = [
    "Runs small, order a size up.",
    "The headband runs small and feels too tight.",
    "Runs small and pinches after an hour.",
    "It runs small; I had to return my first pair.",
]


def versions(stack, shop_id: str, product_id: str) -> list[PublishedDescription]:
    with stack.store.session() as s:
        return list(s.exec(select(PublishedDescription).where(
            PublishedDescription.shop_id == shop_id, PublishedDescription.product_id == product_id
        ).order_by(PublishedDescription.version)))


def refresh_finished(stack, refresh_id: str):
    with stack.store.session() as s:
        run = s.exec(select(StageRun).where(StageRun.stage == "refresh", StageRun.event_id == refresh_id)).first()
        return run.finished_at if run else None


def claim_true_to_size(stack, row: PublishedDescription) -> str:
    """Make the live description say what the coming reviews contradict (a shop's older copy might)."""
    with stack.store.session() as s:
        live = s.get(PublishedDescription, row.id)
        cand = s.get(DescriptionCandidate, live.candidate_id)
        text = cand.text.rstrip(". ") + ". They fit true to size."
        live.text, cand.text = text, text
        s.add(live), s.add(cand)
        s.commit()
    return text


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_criticised_fit_replaces_a_description_that_claims_it(stack):
    event = product_event("en-US")
    shop, product = event["shop_id"], event["product_id"]
    stack.intake().submit(event)
    first = stack.wait_for(lambda: versions(stack, shop, product), what="first publication")[0]
    assert first.reason == "new product"
    claim_true_to_size(stack, first)

    for text in RUNS_SMALL:
        stack.intake().submit(review_event(product, text=text, rating=2))
    newer = stack.wait_for(lambda: [v for v in versions(stack, shop, product) if v.version > 1],
                           timeout=180, what="a version that follows the reviews")
    latest = newer[-1]
    assert latest.reason.startswith("reviews: size_fit is now the most criticised aspect")
    assert "true to size" not in latest.text.lower()
    assert latest.event_id.startswith("refresh-")

    with stack.store.session() as s:
        row = s.exec(select(ProductRow).where(ProductRow.shop_id == shop, ProductRow.product_id == product)).one()
    assert row.review_state["criticised"][:1] == ["size_fit"]

    def announced() -> list[dict]:
        entries = [json.loads(f[b"event"]) for _, f in stack.redis.xrange(STREAM)]
        return [e for e in entries if e["product_id"] == product and e["version"] == latest.version]

    assert stack.wait_for(announced, what="the stream entry")[0]["reason"] == latest.reason  # follows the commit

    # The same refresh delivered again (at-least-once) publishes nothing new.
    finished = stack.wait_for(lambda: refresh_finished(stack, latest.event_id), what="the refresh's stage run")
    celery = create_app(stack.settings)
    celery.send_task("descflow.refresh", args=[latest.event_id, shop, product, "redelivered"], queue="gpu")
    stack.wait_for(lambda: refresh_finished(stack, latest.event_id) != finished, what="the redelivered refresh")
    stack.wait_for(lambda: all(v.announced for v in versions(stack, shop, product)), what="announcements")
    assert [v.version for v in versions(stack, shop, product)] == [v.version for v in [first, *newer]]


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_reviews_that_change_nothing_meaningful_leave_the_description(stack):
    event = product_event("en-US")
    shop, product = event["shop_id"], event["product_id"]
    stack.intake().submit(event)
    stack.wait_for(lambda: versions(stack, shop, product), what="first publication")
    stack.intake().submit(review_event(product, text="Arrived on Tuesday.", rating=4))
    stack.intake().submit(review_event(product, text="Gave it to my brother.", rating=4))
    stack.wait_for(lambda: _product_row(stack, product).review_count >= 2, what="the review recount")
    # Below DESCFLOW_REFRESH_MIN_REVIEWS nothing is enqueued: the state a refresh records stays unset.
    assert _product_row(stack, product).review_state is None
    assert len(versions(stack, shop, product)) == 1


def _product_row(stack, product_id: str) -> ProductRow:
    with stack.store.session() as s:
        return s.exec(select(ProductRow).where(ProductRow.product_id == product_id)).one()
