"""`descflow train sentiment`: learning a shop's own sentiment model from rated reviews (file or database)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workers.cpu.sentiment import EmbeddedSentiment, TrainedSentiment
from workers.cpu.sentiment_train import (
    LabelledReview,
    SentimentTrainConfig,
    TrainingDataError,
    examples_from_jsonl,
    examples_from_store,
    label_of_rating,
    train_sentiment,
)

# Shop-specific complaints and praise a general lexicon does not know ("the lid rattles",
# "盖子松动"): the trained model has to learn them from the shop's ratings.
EN_GOOD = ["the lid clicks shut", "the hinge stays tight", "it pairs instantly", "keeps drinks cold all day",
           "the seal holds", "the strap sits flat", "it fits the cup holder", "the handle stays put"]
EN_BAD = ["the lid rattles", "the hinge wobbles", "it drops the connection", "drinks go warm by noon",
          "the seal leaks", "the strap twists", "it jams in the cup holder", "the handle comes loose"]
EN_FILLER = ["Bought this for my son.", "Second one I ordered.", "Used it on a long trip.", "Got it last month.",
             "My wife picked the blue one.", "Took it to work every day."]
ZH_GOOD = ["盖子扣得很紧", "保温一整天", "连上就不断", "密封圈严实", "把手很稳", "放得进杯架", "拧得很顺", "底座稳当"]
ZH_BAD = ["盖子松动", "下午就凉了", "老是断连", "密封圈漏水", "把手晃", "塞不进杯架", "拧不动", "底座摇晃"]
ZH_FILLER = ["给儿子买的", "第二次买了", "出差带着用", "上个月买的", "老婆选的蓝色", "每天带去上班"]


def _review(rng: random.Random, good: list[str], bad: list[str], filler: list[str], positive: bool, zh: bool) -> str:
    own = rng.sample(good if positive else bad, 2)
    parts = [rng.choice(filler), *own]
    rng.shuffle(parts)
    return ("，".join(parts) + "。") if zh else (" ".join(p.rstrip(".") + "." for p in parts))


def labelled_set(n: int, seed: int) -> list[dict]:
    """Half English, half Chinese; ratings 1-2 / 4-5, some 3-star reviews, some labels instead of ratings."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        zh = i % 2 == 1
        positive = rng.random() < 0.5
        text = _review(rng, ZH_GOOD if zh else EN_GOOD, ZH_BAD if zh else EN_BAD, ZH_FILLER if zh else EN_FILLER,
                       positive, zh)
        row: dict = {"text": text, "locale": "zh-CN" if zh else "en-US"}
        if i % 7 == 0:
            row["label"] = "positive" if positive else "negative"
        else:
            row["rating"] = rng.choice([4, 5]) if positive else rng.choice([1, 2])
        rows.append(row)
    rows += [{"text": "It is fine, nothing special.", "rating": 3}, {"text": "一般般吧", "rating": 3, "locale": "zh-CN"}]
    return rows


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


# The embedded lexicon alone gets little of this (the words are neutral to it); a constant or
# random model gets about half. Learning the shop's own phrases is what clears the bar.
MIN_HELD_OUT_ACCURACY = 0.9


@pytest.fixture(scope="module")
def jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_jsonl(tmp_path_factory.mktemp("labelled") / "reviews.jsonl", labelled_set(480, seed=1))


def test_ratings_become_labels() -> None:
    assert [label_of_rating(r) for r in (1, 2, 3, 4, 5)] == ["negative", "negative", "neutral", "positive", "positive"]
    assert LabelledReview(text="x", rating=2, label="positive").polarity == "positive"  # an explicit label wins
    assert LabelledReview(text="x", label=0).polarity == "negative"
    with pytest.raises(ValueError):
        LabelledReview(text="x")


def test_the_cli_trains_evaluates_and_saves_a_model_the_worker_loads(jsonl: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from descflow.cli import app

    monkeypatch.setenv("DESCFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DESCFLOW_SENTIMENT_MODEL", raising=False)
    monkeypatch.delenv("DESCFLOW_SENTIMENT_BACKEND", raising=False)
    result = CliRunner().invoke(app, ["train", "sentiment", "--file", str(jsonl)])
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and "confusion" in result.output
    out = tmp_path / "home" / "models" / "sentiment"
    meta = json.loads((out / "model.json").read_text())
    for lang in ("en", "zh"):
        metrics = meta["metrics"][lang]
        assert metrics["accuracy"] >= MIN_HELD_OUT_ACCURACY, metrics
        assert sum(map(sum, metrics["confusion"])) == metrics["test"]

    backend = TrainedSentiment(out)
    unseen = ["Got it for my dad. The lid rattles and the seal leaks.", "The hinge stays tight, the seal holds.",
              "老公买的，盖子松动，密封圈漏水", "保温一整天，底座稳当"]
    results = backend.analyse(unseen, ["en", "en", "zh-CN", "zh-CN"])
    assert [r.polarity for r in results] == ["negative", "positive", "negative", "positive"]
    assert {r.backend for r in results} == {"trained/linear-en", "trained/linear-zh"}


def test_the_embedded_backend_alone_does_not_clear_the_bar(jsonl: Path) -> None:
    """The bound above is one a model that did not learn cannot reach."""
    examples = [e for e in examples_from_jsonl(jsonl) if e.polarity != "neutral"]
    engine = EmbeddedSentiment()
    results = engine.analyse([e.text for e in examples], [e.locale for e in examples])
    accuracy = sum((r.score >= 0) == (e.polarity == "positive") for r, e in zip(results, examples)) / len(examples)
    assert accuracy < MIN_HELD_OUT_ACCURACY - 0.1


def test_shuffled_labels_do_not_train_a_good_model(tmp_path: Path) -> None:
    rows = labelled_set(480, seed=2)
    rng = random.Random(0)
    labels = [r.get("rating") or r.get("label") for r in rows]
    rng.shuffle(labels)
    noise = [LabelledReview(text=r["text"], locale=r.get("locale"),
                            **({"rating": label} if isinstance(label, int) else {"label": label}))
             for r, label in zip(rows, labels)]
    report = train_sentiment(noise, tmp_path / "m", SentimentTrainConfig(refit_all=False))
    assert all(r.accuracy is not None and r.accuracy < 0.75 for r in report.languages.values())


def test_repeats_and_three_star_reviews_are_left_out(tmp_path: Path) -> None:
    rows = labelled_set(120, seed=3)
    examples = [LabelledReview.model_validate(r) for r in rows + rows[:10]]
    report = train_sentiment(examples, tmp_path / "m")
    assert report.neutral_left_out == 2
    assert report.duplicates_dropped >= 10
    assert sum(r.examples for r in report.languages.values()) == len({r["text"] for r in rows if r.get("rating") != 3})


def test_a_language_with_too_few_examples_is_left_to_the_embedded_backend(tmp_path: Path) -> None:
    rows = [r for r in labelled_set(200, seed=4) if r.get("locale") == "en-US"]
    rows.append({"text": "很好", "rating": 5, "locale": "zh-CN"})
    report = train_sentiment([LabelledReview.model_validate(r) for r in rows], tmp_path / "m")
    assert report.languages["zh"].skipped and "at least" in report.languages["zh"].skipped
    assert TrainedSentiment(tmp_path / "m").languages == ["en"]


def test_nothing_to_learn_from_is_an_error_that_says_so(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="enough labelled reviews"):
        train_sentiment([LabelledReview(text="great", rating=5)], tmp_path / "m")


def test_bad_lines_are_reported_with_their_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "good", "rating": 5}\nnot json\n{"text": "meh"}\n{"text": "x", "rating": 9}\n')
    with pytest.raises(TrainingDataError) as info:
        examples_from_jsonl(path)
    message = str(info.value)
    assert "3 bad line(s)" in message and "line 2: not JSON" in message and "line 3" in message and "line 4" in message


def test_the_cli_reports_bad_data_and_exits_non_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from descflow.cli import app

    monkeypatch.setenv("DESCFLOW_HOME", str(tmp_path / "home"))
    path = _write_jsonl(tmp_path / "few.jsonl", [{"text": "great", "rating": 5}])
    result = CliRunner().invoke(app, ["train", "sentiment", "--file", str(path)])
    assert result.exit_code == 1
    assert "cannot train the sentiment model" in result.output
    assert not (tmp_path / "home" / "models" / "sentiment" / "model.json").exists()


def _with_bad_lines(tmp_path: Path) -> tuple[Path, list[int], int]:
    """A usable file in which a few lines have blank text, one is not JSON and one has no label: (path, bad, good)."""
    rows = [json.dumps(r, ensure_ascii=False) for r in labelled_set(240, seed=6)]
    bad = {5: json.dumps({"text": "   ", "rating": 5}), 17: json.dumps({"text": "", "rating": 1}),
           40: "{not json", 99: json.dumps({"text": "no label at all"})}
    for number, line in sorted(bad.items()):
        rows.insert(number - 1, line)
    path = tmp_path / "with-bad-lines.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path, sorted(bad), len(rows) - len(bad)


def test_the_cli_reports_bad_lines_skips_them_and_says_how_many_it_used(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from descflow.cli import app

    monkeypatch.setenv("DESCFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DESCFLOW_SENTIMENT_MODEL", raising=False)
    monkeypatch.delenv("DESCFLOW_SENTIMENT_BACKEND", raising=False)
    path, bad, good = _with_bad_lines(tmp_path)
    result = CliRunner().invoke(app, ["train", "sentiment", "--file", str(path)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    for number in bad:
        assert f"line {number}:" in said
    assert "text is blank" in said and "not JSON" in said and "give a label or a rating" in said
    assert f"{good} of {good + len(bad)} lines used, {len(bad)} bad line(s) skipped" in said
    meta = json.loads((tmp_path / "home" / "models" / "sentiment" / "model.json").read_text())
    assert set(meta["languages"]) == {"en", "zh"}


def test_strict_refuses_a_file_with_bad_lines_and_saves_nothing(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from descflow.cli import app

    monkeypatch.setenv("DESCFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DESCFLOW_SENTIMENT_MODEL", raising=False)
    monkeypatch.delenv("DESCFLOW_SENTIMENT_BACKEND", raising=False)
    path, bad, _ = _with_bad_lines(tmp_path)
    result = CliRunner().invoke(app, ["train", "sentiment", "--file", str(path), "--strict"])
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "cannot train the sentiment model" in said and f"{len(bad)} bad line(s)" in said
    assert all(f"line {number}:" in said for number in bad)
    assert not (tmp_path / "home" / "models" / "sentiment" / "model.json").exists()


def test_a_file_without_a_single_good_line_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from descflow.cli import app

    monkeypatch.setenv("DESCFLOW_HOME", str(tmp_path / "home"))
    path = tmp_path / "nothing.jsonl"
    path.write_text('{"text": " ", "rating": 5}\nnope\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "sentiment", "--file", str(path)])
    said = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "0 of 2 lines used" in said and "cannot train the sentiment model" in said


def test_training_from_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from descflow.cli import app
    from schemas.tables import ReviewRow
    from workers.store import Store

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    store = Store(url)
    now = datetime.now(UTC)
    rows = [r for r in labelled_set(400, seed=5) if "rating" in r]
    with store.session() as s:
        for i, r in enumerate(rows):
            s.add(ReviewRow(shop_id="shop-1" if i % 5 else "shop-2", review_id=f"r{i}", product_id="p1",
                            rating=r["rating"], text=r["text"], locale=r.get("locale"), event_id=f"e{i}",
                            occurred_at=now))
        s.add(ReviewRow(shop_id="shop-1", review_id="unrated", product_id="p1", text="meh", event_id="e-u",
                        occurred_at=now))
        s.add(ReviewRow(shop_id="shop-1", review_id="again", product_id="p1", rating=5, text=rows[1]["text"],
                        event_id="e-a", occurred_at=now, duplicate_of="r1"))
        s.commit()

    everything = examples_from_store(store)
    assert len(everything) == len(rows)  # the unrated review and the re-sent one are not examples
    assert len(examples_from_store(store, "shop-2")) == len([i for i in range(len(rows)) if i % 5 == 0])

    monkeypatch.setenv("DESCFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DESCFLOW_DATABASE_URL", url)
    out = tmp_path / "model"
    result = CliRunner().invoke(app, ["train", "sentiment", "--output", str(out)])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "model.json").read_text())
    assert meta["source"] == "database"
    assert min(meta["metrics"][lang]["accuracy"] for lang in ("en", "zh")) >= MIN_HELD_OUT_ACCURACY
