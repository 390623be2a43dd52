"""Scoring candidates: which one a shop would publish.

Each signal is in [0, 1] and stored on the candidate, so a person can see why
one text won. The total is a weighted sum; ties break on candidate index.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from schemas.events import Product
from workers.gpu.prompt import format_value, language

DEFAULT_WEIGHTS: dict[str, float] = {
    "coverage": 0.35,
    "faithfulness": 0.25,
    "fluency": 0.15,
    "novelty": 0.15,
    "length": 0.10,
}

# Fix codes that mean the raw candidate stated something the attributes do not support.
FACT_CODES = {"fact_number", "fact_brand", "fact_colour", "fact_material", "unsupported_claim", "banned_term",
              "slot_misplaced"}

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _squash(text: str) -> str:
    return re.sub(r"[\s,，]+", "", text.lower())


def value_expressed(value: object, text: str) -> bool:
    """Whether the text states an attribute value (numbers compared without separators)."""
    values = value if isinstance(value, list) else [value]
    squashed = _squash(text)
    for v in values:
        s = format_value(v).strip()
        if not s:
            continue
        numbers = _NUMBER.findall(s)
        if numbers:
            if all(_squash(n) in squashed for n in numbers):
                return True
            continue
        if _squash(s) in squashed:
            return True
        words = [w for w in _WORD.findall(s.lower()) if len(w) > 2]
        if words and sum(w in text.lower() for w in words) >= max(1, math.ceil(len(words) * 0.6)):
            return True
    return False


def coverage(product: Product, text: str) -> float:
    """Share of attribute values (and the brand) the text expresses."""
    facts: list[object] = list(product.attributes.values())
    if product.brand:
        facts.append(product.brand)
    if not facts:
        return 1.0
    return sum(value_expressed(v, text) for v in facts) / len(facts)


def length_fit(text: str, locale: str) -> float:
    """1 inside the target length, decaying outside it (English in words, Chinese in characters)."""
    if language(locale) == "zh":
        n, lo, hi = len(_CJK.findall(text)), 40, 180
    else:
        n, lo, hi = len(text.split()), 25, 110
    if n == 0:
        return 0.0
    if lo <= n <= hi:
        return 1.0
    return max(0.0, 1 - (lo - n) / lo) if n < lo else max(0.0, 1 - (n - hi) / hi)


@dataclass(frozen=True)
class Scored:
    idx: int
    scores: dict[str, float]
    eligible: bool


def score(
    product: Product,
    locale: str,
    texts: Sequence[str],
    *,
    loglik: Sequence[float],
    issues: Sequence[Sequence[Mapping[str, object]]],
    similarity: Sequence[float | None],
    duplicate: Sequence[bool],
    weights: Mapping[str, float] | None = None,
) -> list[Scored]:
    weights = dict(weights or DEFAULT_WEIGHTS)
    out = []
    for i, text in enumerate(texts):
        violations = sum(1 for fix in issues[i] if fix.get("code") in FACT_CODES)
        ll = loglik[i]
        parts = {
            "coverage": coverage(product, text),
            "faithfulness": 1.0 / (1.0 + violations),
            # exp(mean log-prob) is the geometric-mean token probability: 0..1.
            "fluency": math.exp(ll) if math.isfinite(ll) else 0.0,
            "novelty": 1.0 - (similarity[i] or 0.0),
            "length": length_fit(text, locale),
        }
        parts["total"] = sum(weights.get(k, 0.0) * v for k, v in parts.items()) / max(sum(weights.values()), 1e-9)
        parts["loglik"] = ll if math.isfinite(ll) else -99.0
        parts["violations"] = float(violations)
        out.append(Scored(idx=i, scores={k: round(v, 4) for k, v in parts.items()},
                          eligible=bool(text.strip()) and not duplicate[i]))
    return out


def best(scored: Sequence[Scored]) -> Scored | None:
    """Highest total among eligible candidates; the lower index wins a tie."""
    eligible = [s for s in scored if s.eligible]
    if not eligible:
        return None
    return max(eligible, key=lambda s: (s.scores["total"], -s.idx))
