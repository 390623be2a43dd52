"""Idempotent persistence on both databases."""

from __future__ import annotations

import threading

import pytest

from schemas.events import parse_event
from schemas.tables import DescriptionCandidate
from tests.factories import product_event, review_event
from workers.store import Store


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    return Store(url)


def test_inbound_event_is_recorded_once(store):
    raw = product_event()
    event = parse_event(raw)
    assert store.record_inbound(event, raw, "api", task_id="t-1")
    assert not store.record_inbound(event, raw, "webhook", task_id="t-2")
    row = store.get_inbound(event.event_id)
    assert row.source == "api" and row.task_id == "t-1" and row.status == "queued"
    store.forget_inbound(event.event_id)
    assert store.record_inbound(event, raw, "webhook")


def test_older_product_update_does_not_overwrite_a_newer_one(store):
    newer = parse_event(product_event(event_type="product.updated", occurred_at="2026-11-02T00:00:00Z", title="New"))
    older = parse_event(product_event(product_id=newer.product_id, event_type="product.updated",
                                      occurred_at="2026-11-01T00:00:00+08:00", title="Old"))
    assert store.upsert_product(newer).title == "New"
    assert store.upsert_product(older) is None
    assert store.get_product(newer.shop_id, newer.product_id).title == "New"
    assert store.upsert_product(newer).title == "New"  # the same event again: no change, no error


def test_publish_is_once_per_event_and_locale_and_versions_increase(store):
    kwargs = dict(shop_id="s", product_id="p-v", locale="en-US", text="t", scores={}, candidate_id=None)
    first = store.publish(event_id="e-1", **kwargs)
    again = store.publish(event_id="e-1", **kwargs)
    second = store.publish(event_id="e-2", **kwargs)
    assert first.id == again.id and first.version == 1 and second.version == 2
    assert store.publish(event_id="e-1", **{**kwargs, "locale": "zh-CN"}).version == 1


def test_concurrent_publishes_get_distinct_versions(store):
    """Twelve racers for one (product, locale): the last to commit lost to each of the others first."""
    results: list[int] = []

    def publish(i: int) -> None:
        row = store.publish(event_id=f"c-{i}", shop_id="s", product_id="p-c", locale="en-US", text=str(i),
                            scores={}, candidate_id=None)
        results.append(row.version)

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(1, 13))


def test_candidate_set_is_inserted_once(store):
    def rows(text: str) -> list[DescriptionCandidate]:
        return [DescriptionCandidate(event_id="e-c", shop_id="s", product_id="p", locale="en-US", idx=i,
                                     raw_text=f"{text} {i}", text=f"{text} {i}") for i in range(3)]

    assert not store.has_candidates("e-c", "en-US")
    assert [c.text for c in store.add_candidates(rows("first"))] == ["first 0", "first 1", "first 2"]
    assert [c.text for c in store.add_candidates(rows("second"))] == ["first 0", "first 1", "first 2"]
    assert store.has_candidates("e-c", "en-US") and not store.has_candidates("e-c", "zh-CN")


def test_an_event_status_stamps_its_finish_only_when_it_is_final(store):
    raw = product_event()
    event = parse_event(raw)
    store.record_inbound(event, raw, "api")
    store.set_inbound(event.event_id, status="processing", task_id="t-9")
    row = store.get_inbound(event.event_id)
    assert (row.status, row.task_id, row.finished_at) == ("processing", "t-9", None)
    store.set_inbound(event.event_id, status="done")
    row = store.get_inbound(event.event_id)
    assert row.status == "done" and row.task_id == "t-9" and row.finished_at is not None
    store.set_inbound("never-seen", status="done")  # an unknown event: nothing to change, no error
    assert store.get_inbound("never-seen") is None


def test_the_stored_product_reads_back_as_the_event_described_it(store):
    event = parse_event(product_event(title="Trail Tent", attributes={"weight": "1.8 kg", "colour": "green"}))
    assert store.product_model(event.shop_id, event.product_id) is None
    store.upsert_product(event)
    assert store.product_model(event.shop_id, event.product_id) == event.product()


def test_a_stage_updates_its_candidates_in_place_and_leaves_their_identity(store):
    stored = store.add_candidates([DescriptionCandidate(event_id="e-u", shop_id="s", product_id="p", locale="en-US",
                                                        idx=i, raw_text=f"raw {i}", text=f"raw {i}",
                                                        scores={"new_tokens": 9}) for i in range(3)])
    for c in stored:
        c.text, c.stage, c.chosen = f"fixed {c.idx}", "ranked", c.idx == 1
        c.scores = {**c.scores, "total": 0.5 + c.idx / 10}
        c.issues = [{"code": "banned_term", "before": "best", "after": ""}]
        c.duplicate_of, c.similarity, c.duplicate_method = ("s/q/en-US", 0.9, "minhash") if c.idx == 2 else (None, 0.0, None)
        c.idx, c.event_id = 99, "other"  # identity is not a stage's to change
    store.update_candidates(stored)
    again = store.candidates("e-u", "en-US")
    assert [(c.idx, c.text, c.stage, c.chosen, c.raw_text) for c in again] == [
        (0, "fixed 0", "ranked", False, "raw 0"), (1, "fixed 1", "ranked", True, "raw 1"),
        (2, "fixed 2", "ranked", False, "raw 2")]
    assert [c.scores for c in again] == [{"new_tokens": 9, "total": 0.5 + i / 10} for i in range(3)]
    assert again[0].issues[0]["code"] == "banned_term"
    assert (again[2].duplicate_of, again[2].similarity, again[2].duplicate_method) == ("s/q/en-US", 0.9, "minhash")
    with pytest.raises(ValueError, match="stored candidates"):
        store.update_candidates([DescriptionCandidate(event_id="e-u", shop_id="s", product_id="p", locale="en-US",
                                                      idx=5, raw_text="x", text="x")])


def test_review_and_aspect_recount_are_repeatable(store):
    event = parse_event(review_event("p-a", rating=2))
    store.upsert_review(event)
    store.upsert_review(event)
    counts = {"battery": {"positive": 2, "negative": 1}, "size_fit": {"negative": 3}}
    for _ in range(2):
        store.replace_aspects("shop-test", "p-a", counts, review_count=3, rating_mean=3.0, sentiment_mean=0.1)
    aspects = {a.aspect: (a.positive, a.negative) for a in store.product_aspects("shop-test", "p-a")}
    assert aspects == {"battery": (2, 1), "size_fit": (0, 3)}


def test_dead_letter_is_one_row_per_task_id(store):
    for attempts in (1, 3):
        store.record_failure(task_id="tid-1", task="descflow.generate", args=["e", "en-US"], kwargs={},
                             error="boom", traceback="tb", attempts=attempts)
    rows = store.failed_tasks(task="descflow.generate")
    mine = [r for r in rows if r.task_id == "tid-1"]
    assert len(mine) == 1 and mine[0].attempts == 3
    store.set_failed_status(mine[0].id, "retried")
    assert all(r.task_id != "tid-1" for r in store.failed_tasks())


def test_a_review_text_resent_under_a_new_id_is_marked_and_counted_once(store):
    from schemas.tables import ReviewSentimentRow

    first = parse_event(review_event("p-dup", text="Runs small, order a size up."))
    again = parse_event(review_event("p-dup", text="runs small — order a size up!"))
    other = parse_event(review_event("p-dup", text="Comfortable and light."))
    assert store.upsert_review(first, "k1").duplicate_of is None
    assert store.upsert_review(again, "k1").duplicate_of == first.review_id
    assert store.upsert_review(other, "k2").duplicate_of is None
    assert store.upsert_review(again, "k1").duplicate_of == first.review_id  # a redelivery changes nothing
    for review in (first, again, other):
        store.save_sentiment(ReviewSentimentRow(shop_id=review.shop_id, review_id=review.review_id,
                                                product_id="p-dup", polarity="negative", score=-0.3,
                                                confidence=0.6, aspects=[], backend="test"))
    counted = [r.review_id for r, _ in store.product_sentiments("shop-test", "p-dup")]
    assert sorted(counted) == sorted([first.review_id, other.review_id])


def test_two_copies_ingested_at_the_same_moment_still_count_once(store):
    """Neither copy saw the other at ingest (duplicate_of unset on both): the recount still counts one."""
    from sqlmodel import select

    from schemas.tables import ReviewRow, ReviewSentimentRow

    product = "p-race"
    first = parse_event(review_event(product, text="物流很快，音质不错！"))
    again = parse_event(review_event(product, text="物流很快 音质不错"))
    for review in (first, again):
        store.upsert_review(review, "same-key")
        store.save_sentiment(ReviewSentimentRow(shop_id=review.shop_id, review_id=review.review_id,
                                                product_id=product, polarity="positive", score=0.6,
                                                confidence=0.7, aspects=[], backend="test"))
    with store.session() as s:  # what a concurrent ingest leaves behind
        for row in s.exec(select(ReviewRow).where(ReviewRow.product_id == product)):
            row.duplicate_of = None
            s.add(row)
        s.commit()
    counted = [r.review_id for r, _ in store.product_sentiments("shop-test", product)]
    assert counted == [first.review_id]


def test_a_stage_run_again_keeps_one_row_with_its_latest_timing(store):
    store.record_stage("evt-stage", "en-US", "dedup", 0.5, 1, "cpu@a")
    store.record_stage("evt-stage", "en-US", "dedup", 0.25, 2, "cpu@b")  # the retry that finished
    store.record_stage("evt-stage", "zh-CN", "dedup", 0.75, 1, "cpu@a")
    assert store.stage_timings(["evt-stage"]) == {("evt-stage", "en-US"): {"dedup": 0.25},
                                                  ("evt-stage", "zh-CN"): {"dedup": 0.75}}
    from sqlmodel import select

    from schemas.tables import StageRun

    with store.session() as s:
        rows = list(s.exec(select(StageRun).where(StageRun.event_id == "evt-stage", StageRun.locale == "en-US")))
    assert [(r.attempts, r.worker) for r in rows] == [(2, "cpu@b")]


def test_ingest_stores_the_product_with_the_events_decision_and_status_in_one_step(store):
    raw = product_event(event_type="product.updated", occurred_at="2026-11-02T00:00:00Z", title="New")
    event = parse_event(raw)
    store.record_inbound(event, raw, "api")
    assert store.inbound_decision(event.event_id) is None
    decision = {"cause": "new_product", "reason": "new product", "regenerate": ["en-US"]}
    assert store.upsert_product(event, decision=decision, status="processing").title == "New"
    row = store.get_inbound(event.event_id)
    assert (row.decision, row.status, row.finished_at) == (decision, "processing", None)
    assert store.inbound_decision(event.event_id) == decision
    assert store.upsert_product(event, decision=decision, status="processing").title == "New"  # redelivered

    older_raw = product_event(product_id=event.product_id, event_type="product.updated",
                              occurred_at="2026-11-01T00:00:00Z", title="Old")
    older = parse_event(older_raw)
    store.record_inbound(older, older_raw, "api")
    assert store.upsert_product(older, decision={"regenerate": []}, status="kept") is None
    stale = store.get_inbound(older.event_id)
    assert stale.status == "stale" and stale.finished_at is not None
    assert store.get_product(event.shop_id, event.product_id).title == "New"


def test_a_version_is_marked_announced_once(store):
    row = store.publish(event_id="e-a", shop_id="s", product_id="p-a", locale="en-US", text="t", scores={},
                        candidate_id=None)
    assert not row.announced
    store.mark_announced(row.id)
    store.mark_announced(row.id)  # a redelivered publish: still one announced version, no error
    assert store.published_for("e-a", "en-US").announced
    store.mark_announced(10**9)  # gone (a reset database): nothing to mark
