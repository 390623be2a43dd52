"""A real cpu worker scores reviews with the shop's trained model when one is saved, embedded otherwise."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from sqlmodel import select

from descflow.services import WorkerProcess
from producers.intake import Intake
from schemas.settings import Settings
from schemas.tables import ReviewSentimentRow
from tests.factories import product_event, review_event
from tests.unit.test_sentiment_train import labelled_set
from workers.cpu.sentiment_train import LabelledReview, train_sentiment
from workers.store import Store


@pytest.fixture(scope="module")
def cpu_worker(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[tuple[Settings, Store]]:
    """A cpu worker over SQLite whose HOME holds an English-only trained model (Chinese stays embedded)."""
    home = tmp_path_factory.mktemp("sentiment-worker")
    examples = [LabelledReview.model_validate(r) for r in labelled_set(240, seed=11) if r.get("locale") == "en-US"]
    train_sentiment(examples, home / "models" / "sentiment")
    env = {"DESCFLOW_BROKER_URL": redis_url, "DESCFLOW_DATABASE_URL": f"sqlite:///{home / 'descflow.db'}",
           "DESCFLOW_HOME": str(home), "DESCFLOW_SENTIMENT_BACKEND": "auto", "DESCFLOW_MAX_RETRIES": "1",
           "DESCFLOW_RETRY_BACKOFF_MAX": "1"}
    redis.Redis.from_url(redis_url).flushdb()
    settings = Settings(**{k.removeprefix("DESCFLOW_").lower(): v for k, v in env.items()})
    worker = WorkerProcess("cpu", env, home / "cpu.log", concurrency=1).start()
    try:
        worker.wait_ready(timeout=120)
        yield settings, Store(settings.database_url)
    finally:
        worker.stop()


def _wait_for_sentiment(store: Store, review_id: str, timeout: float = 90.0) -> ReviewSentimentRow:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.session() as s:
            row = s.exec(select(ReviewSentimentRow).where(ReviewSentimentRow.review_id == review_id)).first()
        if row is not None:
            return row
        time.sleep(0.25)
    pytest.fail(f"no sentiment for review {review_id} within {timeout} s")


def test_the_worker_uses_the_shop_model_and_falls_back_per_language(cpu_worker: tuple[Settings, Store]) -> None:
    settings, store = cpu_worker
    intake = Intake(settings, source="api")
    en = product_event("en-US")
    zh = product_event("zh-CN")
    assert intake.submit(en).status == "accepted" and intake.submit(zh).status == "accepted"
    # A complaint only this shop's ratings teach: a general lexicon finds nothing negative in it.
    complaint = review_event(en["product_id"], text="Took it to work every day. The lid rattles and the seal leaks.",
                             rating=2)
    chinese = review_event(zh["product_id"], text="音质很好，物流也很快，很满意", rating=5, locale="zh-CN")
    assert intake.submit(complaint).status == "accepted" and intake.submit(chinese).status == "accepted"

    row = _wait_for_sentiment(store, complaint["review_id"])
    assert (row.backend, row.polarity) == ("trained/linear-en", "negative")
    row = _wait_for_sentiment(store, chinese["review_id"])
    assert (row.backend, row.polarity) == ("embedded/bayes-zh", "positive")
    assert {a["aspect"] for a in row.aspects} >= {"sound", "delivery"}
    assert all(a["evidence"] == chinese["text"][a["start"] : a["end"]] for a in row.aspects)
