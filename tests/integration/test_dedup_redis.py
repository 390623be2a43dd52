"""DedupIndex against a real Redis (database 14), including two OS processes sharing one index.

Every test uses its own namespace under `descflow-test:` and clears only that.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from workers.cpu.dedup import DedupIndex, minhash

REDIS_URL = os.environ.get("DESCFLOW_TEST_DEDUP_REDIS", "redis://127.0.0.1:6379/14")
REPO = Path(__file__).resolve().parents[2]

SHOE = ("This lightweight running shoe has a breathable mesh upper, a cushioned midsole and a grippy "
        "rubber outsole for all-day comfort on the road.")
SHOE_EDIT = ("This lightweight running shoe has a breathable mesh upper, a cushioned midsole and a grippy "
             "rubber outsole for all-day comfort on roads.")
SHOE_MORE = ("This lightweight running shoe has a breathable mesh upper, a cushioned midsole and a grippy "
             "rubber outsole for comfort on the road. Available in blue.")
KETTLE = ("The stainless steel electric kettle boils 1.7 litres in under four minutes and switches itself "
          "off automatically when the water is ready.")
DRESS_ZH = "这款连衣裙采用优质雪纺面料，轻盈透气，上身飘逸灵动，腰部收褶设计修饰身材，搭配小白鞋就很好看。"
DRESS_ZH_EDIT = "这款连衣裙采用优质雪纺面料，轻盈透气，上身飘逸灵动，腰部的收褶设计修饰身材，搭配小白鞋非常好看。"


def _redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); "
                    "start one or point DESCFLOW_TEST_DEDUP_REDIS at one")
    return client


@pytest.fixture
def client() -> redis.Redis:
    return _redis_or_skip()


@pytest.fixture
def namespace(client: redis.Redis) -> Iterator[str]:
    ns = f"descflow-test:dedup:{uuid.uuid4().hex}"
    yield ns
    for key in client.scan_iter(match=f"{ns}*"):
        client.delete(key)


@pytest.fixture
def index(namespace: str) -> DedupIndex:
    return DedupIndex(REDIS_URL, namespace=namespace, threshold=0.7, num_perm=128)


def test_add_and_query(index: DedupIndex) -> None:
    index.add("shop1:shoe:en", SHOE)
    index.add("shop1:kettle:en", KETTLE)
    hits = index.query(SHOE_EDIT)
    assert [h.key for h in hits] == ["shop1:shoe:en"]
    assert 0.7 <= hits[0].similarity <= 1.0
    assert index.query("A completely unrelated text about garden hoses and watering cans.") == []
    assert "shop1:shoe:en" in index and "nope" not in index and 42 not in index
    assert len(index) == 2


def test_chinese_texts(index: DedupIndex) -> None:
    index.add("zh:dress", DRESS_ZH)
    assert [h.key for h in index.query(DRESS_ZH_EDIT)] == ["zh:dress"]
    assert index.query(SHOE) == []


def test_results_are_sorted_by_similarity(index: DedupIndex) -> None:
    index.add("edit", SHOE_EDIT)
    index.add("more", SHOE_MORE)
    index.add("same", SHOE)
    hits = index.query(SHOE)
    assert [h.key for h in hits][0] == "same" and hits[0].similarity == 1.0
    assert [h.similarity for h in hits] == sorted((h.similarity for h in hits), reverse=True)
    assert {h.key for h in hits} >= {"same", "edit"}


def test_exclude(index: DedupIndex) -> None:
    index.add("own", SHOE)
    index.add("other", SHOE_EDIT)
    assert [h.key for h in index.query(SHOE, exclude={"own"})] == ["other"]
    assert index.query(SHOE, exclude=["own", "other"]) == []


def test_remove(index: DedupIndex) -> None:
    index.add("a", SHOE)
    index.remove("a")
    index.remove("a")  # removing twice, or a key never added, is fine
    index.remove("never-added")
    assert index.query(SHOE) == []
    assert "a" not in index and len(index) == 0


def test_add_replaces_the_old_text(index: DedupIndex) -> None:
    index.add("p", SHOE)
    index.add("p", KETTLE)
    assert index.query(SHOE) == []
    assert [h.key for h in index.query(KETTLE)] == ["p"]
    assert len(index) == 1
    # no stale LSH bucket entry for the old text either
    assert b"p" not in index._lsh.query(minhash(SHOE))


def test_add_is_idempotent(index: DedupIndex) -> None:
    for _ in range(3):
        index.add("p", SHOE)
    assert len(index) == 1
    assert [h.key for h in index.query(SHOE)] == ["p"]


def test_text_with_nothing_to_index_clears_the_key(index: DedupIndex) -> None:
    index.add("p", SHOE)
    index.add("p", "!!! ...")
    assert "p" not in index and index.query(SHOE) == [] and index.query("!!!") == []


def test_clear_deletes_only_its_namespace(index: DedupIndex, namespace: str, client: redis.Redis) -> None:
    neighbour = DedupIndex(REDIS_URL, namespace=namespace + "-neighbour")
    sentinel = f"{namespace}x"
    try:
        index.add("a", SHOE)
        neighbour.add("b", SHOE)
        client.set(sentinel, "keep me")
        index.clear()
        assert not list(client.scan_iter(match=f"{namespace}:*"))
        assert len(index) == 0 and index.query(SHOE) == []
        assert [h.key for h in neighbour.query(SHOE)] == ["b"]
        assert client.get(sentinel) == b"keep me"
        index.add("a", SHOE)  # usable again after clear
        assert "a" in index
    finally:
        neighbour.clear()
        client.delete(sentinel)


def test_other_parameters_on_the_same_namespace_are_refused(index: DedupIndex, namespace: str) -> None:
    index.add("a", SHOE)
    other = DedupIndex(REDIS_URL, namespace=namespace, num_perm=64)
    with pytest.raises(ValueError, match="was built with"):
        other.query(SHOE)


# ---------------------------------------------------------------------------
# Separate processes
# ---------------------------------------------------------------------------

_SCRIPT = """
import json, sys
from workers.cpu.dedup import DedupIndex
url, namespace, action, key, text = sys.argv[1:6]
index = DedupIndex(url, namespace=namespace)
if action == "add":
    index.add(key, text)
    print(json.dumps({"len": len(index)}))
else:
    print(json.dumps([h.model_dump() for h in index.query(text)]))
"""


def _run(namespace: str, action: str, key: str, text: str) -> object:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, REDIS_URL, namespace, action, key, text],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_processes_share_one_index(namespace: str) -> None:
    assert _run(namespace, "add", "from-process-a", SHOE) == {"len": 1}
    hits = _run(namespace, "query", "", SHOE_EDIT)
    assert isinstance(hits, list) and [h["key"] for h in hits] == ["from-process-a"]
    assert [h.key for h in DedupIndex(REDIS_URL, namespace=namespace).query(SHOE)] == ["from-process-a"]


def _replace_many(namespace: str, worker: int, rounds: int) -> None:
    index = DedupIndex(REDIS_URL, namespace=namespace)
    for i in range(rounds):
        index.add("contested", SHOE if (worker + i) % 2 else KETTLE)
        index.add(f"own-{worker}", DRESS_ZH)


@pytest.mark.slow
def test_concurrent_writers_leave_a_consistent_index(namespace: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_replace_many, args=(namespace, w, 15)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
        assert p.exitcode == 0
    index = DedupIndex(REDIS_URL, namespace=namespace)
    assert len(index) == 5
    contested = [h.key for h in index.query(SHOE)] + [h.key for h in index.query(KETTLE)]
    assert contested.count("contested") == 1  # exactly one text survives, no stale entry
    assert {h.key for h in index.query(DRESS_ZH)} == {f"own-{w}" for w in range(4)}
