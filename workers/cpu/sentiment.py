"""Review sentiment, overall and per aspect, from small embedded models.

The cpu workers score every review as it arrives, so the engine must be cheap,
need no download and no GPU: VADER (a rule-based English lexicon) and SnowNLP
(a naive Bayes model trained on Chinese shopping reviews). Both are imported on
first use and built once per process, so importing this module stays cheap and
a prefork worker pays the ~2 s SnowNLP load only if it sees Chinese.

The star rating is deliberately not an input: it is the label the text model is
measured against, and reviews without a rating must be scored the same way.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from workers.cpu.aspects import (
    AspectSummary,
    Polarity,
    combine_polarity,
    find_aspects,
    is_negated,
    polarity_of,
    summarise,
)

__all__ = [
    "AspectMention",
    "AspectSummary",
    "EmbeddedSentiment",
    "SentimentBackend",
    "SentimentResult",
    "detect_language",
    "get_backend",
    "summarise",
]

Language = Literal["en", "zh"]


class AspectMention(BaseModel):
    aspect: str
    polarity: Polarity
    evidence: str = Field(description="The clause the aspect was found in.")


class SentimentResult(BaseModel):
    polarity: Polarity
    score: float = Field(ge=-1.0, le=1.0)
    confidence: float = Field(ge=0.0, le=1.0)
    aspects: list[AspectMention] = Field(default_factory=list)
    backend: str


class SentimentBackend(Protocol):
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


def _build_vader() -> Callable[[str], float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    return lambda text: float(analyser.polarity_scores(text)["compound"])


def _build_snownlp() -> Callable[[str], float]:
    from snownlp import sentiment

    # classify() gives P(positive); map it onto VADER's -1..1 scale.
    return lambda text: 2.0 * float(sentiment.classify(text)) - 1.0


_BUILDERS: dict[Language, Callable[[], Callable[[str], float]]] = {"en": _build_vader, "zh": _build_snownlp}
_MODEL_NAMES: dict[Language, str] = {"en": "vader", "zh": "snownlp"}


def _scorer(lang: Language) -> Callable[[str], float]:
    scorer = _scorers.get(lang)
    if scorer is None:
        with _lock:
            scorer = _scorers.get(lang) or _BUILDERS[lang]()
            _scorers[lang] = scorer
    return scorer


def _to_simplified(text: str) -> str:
    """SnowNLP was trained on simplified Chinese; convert zh-Hant reviews first."""
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
# Engine
# ---------------------------------------------------------------------------


class EmbeddedSentiment:
    """VADER for English, SnowNLP for Chinese; no network, no GPU."""

    name = "embedded"

    def score(self, text: str, lang: Language, *, with_cues: bool = True) -> float:
        """-1..1 polarity of one text; the model's score shifted by shopping cues."""
        raw = _scorer(lang)(text)
        return round(_clip(raw + cue_shift(text, lang) if with_cues else raw), 4)

    def analyse(
        self,
        texts: Sequence[str],
        locales: Sequence[str | None],
        attribute_names: Sequence[Sequence[str]] | None = None,
    ) -> list[SentimentResult]:
        """Score each text overall and per aspect mention."""
        if len(locales) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(locales)} locales")
        if attribute_names is not None and len(attribute_names) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(attribute_names)} attribute name lists")
        names = attribute_names if attribute_names is not None else [()] * len(texts)
        return [self._one(text, locale, attrs) for text, locale, attrs in zip(texts, locales, names)]

    def _one(self, text: str, locale: str | None, attribute_names: Sequence[str]) -> SentimentResult:
        lang = detect_language(text, locale)
        if lang == "zh" and locale and _TRADITIONAL.search(locale):
            text = _to_simplified(text)
        band = NEUTRAL_BAND[lang]
        score = self.score(text, lang)
        return SentimentResult(
            polarity=polarity_of(score, band),
            score=score,
            confidence=confidence_of(score, band),
            aspects=self._aspects(text, lang, attribute_names),
            backend=f"{self.name}/{_MODEL_NAMES[lang]}",
        )

    def _aspects(self, text: str, lang: Language, attribute_names: Sequence[str]) -> list[AspectMention]:
        """Each mention takes the polarity of its own clause, corrected by aspect cues."""
        band = NEUTRAL_BAND[lang]
        clause_scores: dict[str, float] = {}
        mentions = []
        for hit in find_aspects(text, attribute_names):
            if hit.clause not in clause_scores:
                clause_scores[hit.clause] = self.score(hit.clause, lang)
            polarity = combine_polarity(clause_scores[hit.clause], hit.cue, band)
            mentions.append(AspectMention(aspect=hit.aspect, polarity=polarity, evidence=hit.evidence()))
        return mentions


_BACKENDS: dict[str, Callable[[], SentimentBackend]] = {"embedded": EmbeddedSentiment}


def get_backend(name: str = "embedded") -> SentimentBackend:
    """The named backend, one instance per process (the models inside are shared anyway)."""
    if name not in _BACKENDS:
        raise ValueError(f"unknown sentiment backend {name!r}; available: {', '.join(sorted(_BACKENDS))}")
    return _backend(name)


@lru_cache(maxsize=None)
def _backend(name: str) -> SentimentBackend:
    return _BACKENDS[name]()
