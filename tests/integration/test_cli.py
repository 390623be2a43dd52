"""The `descflow` command as a user runs it: replay with bad lines, settings errors, refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import redis

from tests.factories import product_event, review_event
from workers.store import Store

REPLAY_REDIS = "redis://127.0.0.1:6379/13"  # its own database: nothing here is consumed by a worker


def descflow(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "descflow.cli", *args], env={**os.environ, "COLUMNS": "200",
                          **(env or {})}, capture_output=True, text=True, timeout=timeout)


def test_publish_reports_bad_lines_by_number_and_goes_on(tmp_path, redis_url):
    client = redis.Redis.from_url(REPLAY_REDIS)
    client.flushdb()
    good = [product_event(), review_event("p-1")]
    bad_field = product_event(locale="not a locale")
    lines = [json.dumps(good[0]), "{broken json", json.dumps(bad_field), "", json.dumps(good[1]), json.dumps(good[0])]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    result = descflow("publish", str(path), env={"DESCFLOW_BROKER_URL": REPLAY_REDIS, "DESCFLOW_DATABASE_URL": db})
    assert result.returncode == 1  # some lines were rejected
    assert "line 2" in result.stderr and "not valid JSON" in result.stderr
    assert "line 3" in result.stderr and "locale" in result.stderr
    summary = {row.split("│")[1].strip(): row.split("│")[2].strip()
               for row in result.stdout.splitlines() if row.count("│") == 3}
    assert summary == {"accepted": "2", "duplicate": "1", "rejected": "2"}
    assert client.llen("cpu") == 2  # the two accepted events, once each
    store = Store(db)
    assert {r.event_id for r in [store.get_inbound(e["event_id"]) for e in good]} == {e["event_id"] for e in good}


def test_unknown_queue_and_bad_settings_say_what_to_fix():
    result = descflow("worker", "--queues", "gpuu")
    assert result.returncode == 2 and "choose from gpu, cpu" in result.stderr
    result = descflow("status", env={"DESCFLOW_BROKER_URL": "amqp://localhost"})
    assert result.returncode == 2 and "Redis URL" in result.stderr


def test_flower_refuses_to_start_without_credentials():
    result = descflow("flower", env={"DESCFLOW_FLOWER_USER": "", "DESCFLOW_FLOWER_PASSWORD": ""})
    assert result.returncode == 2 and "DESCFLOW_FLOWER_USER" in result.stderr


def test_gpu_worker_without_a_model_says_to_train(tmp_path):
    result = descflow("worker", "--queues", "gpu", env={"DESCFLOW_HOME": str(tmp_path), "DESCFLOW_GENERATOR_MODEL": ""})
    assert result.returncode == 2 and "descflow train" in result.stderr


@pytest.mark.parametrize("as_json", [True, False])
def test_status_reports_queues_and_dead_letters(tmp_path, redis_url, as_json):
    db = f"sqlite:///{tmp_path / 'status.db'}"
    Store(db).record_failure(task_id="t-1", task="descflow.rank", args=["e-1", "en-US"], kwargs={}, error="boom",
                             traceback="", attempts=3)
    result = descflow("status", *(["--json"] if as_json else []),
                      env={"DESCFLOW_BROKER_URL": REPLAY_REDIS, "DESCFLOW_DATABASE_URL": db})
    assert result.returncode == 0, result.stderr
    if as_json:
        report = json.loads(result.stdout)
        assert set(report["queues"]) == {"gpu", "cpu"} and report["dead_letters"] == 1
        assert report["recent_failures"][0]["task"] == "descflow.rank"
    else:
        assert "queues" in result.stdout and "dead letters: 1" in result.stdout


def test_dedup_rebuild_indexes_the_current_published_descriptions(tmp_path, redis_url):
    from workers.cpu.dedup import DedupIndex

    client = redis.Redis.from_url(REPLAY_REDIS)
    client.flushdb()
    db = f"sqlite:///{tmp_path / 'rebuild.db'}"
    store = Store(db)
    text = "The Nordvik power bank stores 10000mAh, weighs 210 g and charges over USB-C in about three hours."
    for version, event_id in enumerate(["e-1", "e-2"], start=1):
        store.publish(shop_id="s", product_id="p-1", locale="en-US", event_id=event_id,
                      text=text if version == 2 else "An older text about something else entirely, v1.",
                      scores={}, candidate_id=None)
    stale = DedupIndex(REPLAY_REDIS)
    stale.add("s/p-gone/en-US", "A description of a product that no longer exists in the catalog at all.")
    result = descflow("dedup", "rebuild", env={"DESCFLOW_BROKER_URL": REPLAY_REDIS, "DESCFLOW_DATABASE_URL": db})
    assert result.returncode == 0, result.stderr
    assert "indexed 1 published" in result.stderr
    index = DedupIndex(REPLAY_REDIS)
    assert "s/p-gone/en-US" not in index and len(index) == 1
    hits = index.query(text.replace("three", "3"))
    assert [h.key for h in hits] == ["s/p-1/en-US"] and hits[0].similarity > 0.7


def _publish_pairs(db: str, pairs: list[dict]) -> None:
    """Products and their published descriptions, as the pipeline leaves them in the database."""
    from schemas.events import ProductEvent

    store = Store(db)
    for i, pair in enumerate(pairs):
        event = ProductEvent.model_validate({**pair["product"], "event_id": f"evt-train-{i}", "event_type":
                                             "product.created", "occurred_at": "2026-11-01T10:00:00Z",
                                             "shop_id": "shop-train", "schema_version": 1})
        store.upsert_product(event)
        store.publish(shop_id="shop-train", product_id=event.product_id, locale=event.locale,
                      event_id=event.event_id, text=pair["description"], scores={}, candidate_id=None)


def test_train_from_the_database_then_fine_tune_it_again(tmp_path):
    """The shop's published descriptions train the house model; a re-run fine-tunes the saved one in place."""
    from producers.samples.phrasebank import generate_pairs

    db = f"sqlite:///{tmp_path / 'train.db'}"
    pairs = [p for p in generate_pairs(400, seed=5) if p["product"]["category"] == "power_banks"]
    _publish_pairs(db, pairs)
    out = tmp_path / "house"
    env = {"DESCFLOW_DATABASE_URL": db, "DESCFLOW_HOME": str(tmp_path), "DESCFLOW_DEVICE": "cpu"}
    first = descflow("train", "--from-db", "--small", "--epochs", "2", "--output", str(out), env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    report = json.loads((out / "training_report.json").read_text())
    assert report["mode"] == "scratch" and report["pairs"] == len(pairs) and report["eval_loss"] < report["initial_eval_loss"]
    again = descflow("train", "--from-db", "--base-model", str(out), "--output", str(out), "--epochs", "1",
                     "--lr", "5e-4", env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    report = json.loads((out / "training_report.json").read_text())
    assert report["mode"] == "full" and report["style"] == "house" and report["base_model"] == str(out)
    assert "eval loss" in again.stderr


def test_train_refuses_bad_input_with_the_reason(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"product": {"product_id": "p"}, "description": "x"}\n', encoding="utf-8")
    env = {"DESCFLOW_HOME": str(tmp_path)}
    result = descflow("train", "--pairs", str(path), "--output", str(tmp_path / "m"), env=env)
    assert result.returncode == 2 and "pairs.jsonl:1" in result.stderr and "product.title" in result.stderr
    result = descflow("train", "--from-db", env={**env, "DESCFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"})
    assert result.returncode == 2 and "only 0 published descriptions" in result.stderr
    result = descflow("train", "--save-adapter", "--output", str(tmp_path / "m"), env=env)
    assert result.returncode == 2 and "--save-adapter needs --lora" in result.stderr
