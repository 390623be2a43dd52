"""Scoring candidates: which one a shop would publish.

Each signal is in [0, 1] and stored on the candidate (DescriptionCandidate.scores),
with a one-line explanation, so a person can see why one text won:

- coverage: share of attribute values (and the brand) the text states, with
  units, number spellings and colour/material synonyms normalised (matching.py);
- faithfulness: 1 / (1 + facts the correction engine had to fix or remove and sentences the fact gate dropped);
- fluency: exp(mean token log-likelihood) under the generator (the caller scores);
- review_alignment: praised aspects mentioned, criticised ones not over-claimed;
- audience: fit to the candidate's audience (audience.py);
- novelty: 1 - similarity to the catalog (the dedup engine's figure);
- length: inside the locale's target length (the prompt asks for the same).

The total is the weighted mean over the signals that apply to the product
(no reviews: no review alignment). A candidate with nothing fixed or dropped
beats any that had (faithfulness 1.00 first); then the total decides, and ties
break on candidate index.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from schemas.events import Product
from schemas.settings import RankWeights, get_settings
from workers.cpu.aspects import find_aspects, is_negated
from workers.gpu import matching
from workers.gpu.audience import AudienceFit, AudienceScorer, default_scorer
from workers.gpu.prompt import ReviewHighlights, aspect_label, length_target
from workers.text.realise import WRITER as REALISER

SIGNALS: tuple[str, ...] = tuple(RankWeights.model_fields)

# Fix codes that mean the raw candidate stated something the attributes do not support.
# The fact gate's drops (workers/text/gate.py) count too: a candidate that lost a sentence never scores 1.00.
FACT_CODES = {"fact_number", "fact_brand", "fact_colour", "fact_material", "unsupported_claim", "banned_term",
              "slot_misplaced", "markup", "broken_word", "mixed_language", "wrong_product_type", "misbinding",
              "unsupported_fact", "repetition", "ungrammatical"}

# The length band that scores 1: the prompt's target with this much slack either side.
LENGTH_SLACK = (0.6, 1.2)
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

# Description wording that claims an aspect is good, beyond the review cues of
# workers/cpu/aspects.py (which are written for how buyers talk).
OVERCLAIMS: dict[str, tuple[str, ...]] = {
    "size_fit": (r"true[- ]to[- ]size", r"fits? true", r"(?:standard|regular|accurate|reliable) (?:sizing|fit)",
                 r"fits? (?:like a glove|as expected)", "尺码标准", "尺码精准", "尺码准", "版型标准", "尺码正"),
    "battery": (r"all[- ]day battery", r"long[- ]lasting battery", r"battery (?:that )?lasts", r"lasts? all day",
                "超长续航", "持久续航", "续航持久", "续航强", "续航长", "续航给力"),
    "quality": (r"built to last", r"long[- ]lasting", r"high[- ]quality", r"premium (?:quality|build)",
                r"well[- ]made", r"durable", "经久耐用", "品质优良", "做工精良", "做工精细", "结实耐用"),
    "comfort": (r"all[- ]day comfort", r"(?:very|super|extremely|truly) comfortable", r"comfortable",
                "舒适透气", "穿着舒适", "佩戴舒适", "舒适"),
    "sound": (r"(?:rich|crisp|clear|powerful|deep|great) (?:sound|bass|audio)", r"studio[- ]quality",
              "音质清晰", "音质出色", "低音浑厚", "音质好"),
    "price_value": (r"great value", r"value for money", r"affordable", "超值", "性价比高", "实惠"),
    "appearance": (r"(?:stylish|elegant|beautiful|sleek|gorgeous) (?:look|design)", "颜值高", "时尚美观"),
}
_OVERCLAIM_RE = {
    aspect: re.compile("|".join(p if not p.isascii() else rf"\b(?:{p})\b" for p in patterns), re.IGNORECASE)
    for aspect, patterns in OVERCLAIMS.items()
}


def coverage(product: Product, text: str) -> float:
    """Share of attribute values (and the brand) the text states; lists count item by item."""
    return matching.coverage(product, text).score


def value_expressed(value: object, text: str, key: str = "") -> bool:
    """Whether the text states an attribute value (units, separators and synonyms normalised)."""
    return matching.value_expressed(value, text, key)


def text_length(text: str, locale: str) -> int:
    """Words, or characters for Chinese and Japanese: what the locale's target counts."""
    return len(_CJK.findall(text)) if length_target(locale)[2] == "characters" else len(text.split())


def length_band(locale: str, target: tuple[int, int] | None = None) -> tuple[int, int]:
    """The band that scores 1; target: the shop's own (fewest, most), else the locale's default."""
    lo, hi = target if target is not None else length_target(locale)[:2]
    return round(lo * LENGTH_SLACK[0]), round(hi * LENGTH_SLACK[1])


def length_fit(text: str, locale: str, target: tuple[int, int] | None = None) -> float:
    """1 inside the locale's band (or the shop's), decaying linearly outside it."""
    n = text_length(text, locale)
    lo, hi = length_band(locale, target)
    if n == 0:
        return 0.0
    if lo <= n <= hi:
        return 1.0
    return max(0.0, 1 - (lo - n) / lo) if n < lo else max(0.0, 1 - (n - hi) / hi)


class Alignment(BaseModel):
    """How a text sits with what buyers say: praised aspects it mentions, criticised ones it praises."""

    score: float
    praised_said: list[str]
    praised_missed: list[str]
    overclaimed: list[str]


def _overclaims(text: str, aspect: str, claimed: set[str]) -> bool:
    if aspect in claimed:
        return True
    pattern = _OVERCLAIM_RE.get(aspect)
    return bool(pattern and any(not is_negated(text, m.start()) for m in pattern.finditer(text)))


def review_alignment(product: Product, text: str, highlights: ReviewHighlights | None) -> Alignment | None:
    """None without clear review opinions; else praise share (0.4) and honesty 1/(1+over-claims) (0.6).

    Over-claiming a criticised aspect (many "runs small" reviews, the text says
    "true to size") weighs more than leaving out a praised one: the first is a
    claim buyers have already contradicted.
    """
    if highlights is None or highlights.empty:
        return None
    hits = find_aspects(text, list(product.attributes))
    mentioned = {h.aspect for h in hits if h.cue >= 0}
    claimed = {h.aspect for h in hits if h.cue > 0}
    said = [o.aspect for o in highlights.praised if o.aspect in mentioned]
    missed = [o.aspect for o in highlights.praised if o.aspect not in mentioned]
    over = [o.aspect for o in highlights.criticised if _overclaims(text, o.aspect, claimed)]
    parts: list[tuple[float, float]] = []
    if highlights.praised:
        parts.append((0.4, len(said) / len(highlights.praised)))
    if highlights.criticised:
        parts.append((0.6, 1.0 / (1.0 + len(over))))
    value = sum(w * v for w, v in parts) / sum(w for w, _ in parts)
    return Alignment(score=round(value, 4), praised_said=said, praised_missed=missed, overclaimed=over)


@dataclass(frozen=True)
class Scored:
    """One candidate's scores (for DescriptionCandidate.scores: numbers only) and why."""

    idx: int
    scores: dict[str, float]
    eligible: bool
    locale: str = ""
    audience: str | None = None
    explanation: str = ""
    duplicate: bool = False  # not eligible only for being a near-duplicate (see best)


def _weights(weights: RankWeights | Mapping[str, float] | None) -> dict[str, float]:
    if weights is None:
        return get_settings().rank_weights.model_dump()
    if isinstance(weights, RankWeights):
        return weights.model_dump()
    return RankWeights(**weights).model_dump()


def _explain(parts: dict[str, float | None], detail: dict[str, str], total: float, why_not: str) -> str:
    head = f"total {total:.3f}" + (f" (not eligible: {why_not})" if why_not else "")
    bits = [head]
    for name in SIGNALS:
        value = parts.get(name)
        note = detail.get(name, "")
        if value is None:
            bits.append(f"{name} skipped" + (f" ({note})" if note else ""))
        else:
            bits.append(f"{name} {value:.2f}" + (f" ({note})" if note else ""))
    return "; ".join(bits)


def score(
    product: Product,
    locale: str,
    texts: Sequence[str],
    *,
    loglik: Sequence[float],
    issues: Sequence[Sequence[Mapping[str, object]]],
    similarity: Sequence[float | None],
    duplicate: Sequence[bool],
    audiences: Sequence[str | None] | None = None,
    highlights: ReviewHighlights | None = None,
    audience_scorer: AudienceScorer | None = None,
    weights: RankWeights | Mapping[str, float] | None = None,
    length_range: tuple[int, int] | None = None,
    writers: Sequence[str | None] | None = None,
    min_fluency: float = 0.0,
) -> list[Scored]:
    """Score every candidate of one (product, locale).

    audiences: the audience each candidate was written for (None: none; the
    audience signal then drops out). highlights: ReviewHighlights.from_rows of
    the product's aspect rows. weights: default DESCFLOW_RANK_WEIGHTS.
    length_range: the shop's target (fewest, most) for the locale; None: the locale's default.
    writers: who wrote each candidate (the model's name, or "realiser"). The generator's likelihood measures how
    much a text is like its own writing, so it cannot judge the realiser's: that text's fluency is 1.0, grammatical
    by construction, and a model text wins over it only by saying more, or saying it better for the audience.
    min_fluency: a model text less fluent than this is not eligible (DESCFLOW_RANK_MIN_FLUENCY): the gate drops
    what it can name, but a garbled text can pass it sentence by sentence and still outscore a plain correct one.
    """
    n = len(texts)
    for name, seq in (("loglik", loglik), ("issues", issues), ("similarity", similarity), ("duplicate", duplicate)):
        if len(seq) != n:
            raise ValueError(f"{name} has {len(seq)} entries for {n} candidates; give one per candidate")
    auds = list(audiences) if audiences is not None else [None] * n
    if len(auds) != n:
        raise ValueError(f"audiences has {len(auds)} entries for {n} candidates; give one per candidate")
    w = _weights(weights)
    fits: list[AudienceFit] = [AudienceFit(score=None, method="skipped", detail="no audience")] * n
    if any(a for a in auds):
        fits = (audience_scorer or default_scorer(get_settings().embedding_model)).fit(texts, auds, locale)
    out = []
    lo, hi = length_band(locale, length_range)
    unit = length_target(locale)[2]
    realised = [w == REALISER for w in (writers or [None] * n)]
    for i, text in enumerate(texts):
        codes = [str(fix.get("code")) for fix in issues[i] if fix.get("code") in FACT_CODES]
        ll = 0.0 if realised[i] else loglik[i]
        cov = matching.coverage(product, text)
        align = review_alignment(product, text, highlights)
        parts: dict[str, float | None] = {
            "coverage": cov.score,
            "faithfulness": 1.0 / (1.0 + len(codes)),
            # exp(mean log-prob) is the geometric-mean token probability: 0..1.
            "fluency": math.exp(ll) if math.isfinite(ll) else 0.0,
            "review_alignment": align.score if align else None,
            "audience": fits[i].score,
            "novelty": 1.0 - (similarity[i] or 0.0),
            "length": length_fit(text, locale, length_range),
        }
        applied = {k: v for k, v in parts.items() if v is not None and w.get(k, 0.0) > 0}
        weight_sum = sum(w[k] for k in applied)
        total = sum(w[k] * v for k, v in applied.items()) / weight_sum if weight_sum else 0.0
        detail = {
            "coverage": ("missing " + ", ".join(cov.missing + list(cov.partial))) if cov.missing or cov.partial
            else "all values stated",
            "faithfulness": ("fixed: " + ", ".join(codes)) if codes else "no unsupported facts",
            "fluency": "the realiser's text: grammatical by construction" if realised[i]
            else f"mean log-likelihood {ll:.2f}" if math.isfinite(ll) else "not scored",
            "review_alignment": _align_note(align, locale) if align else "no clear review opinions",
            "audience": fits[i].detail,
            "novelty": f"similarity {similarity[i]:.2f}" if similarity[i] else "nothing similar",
            "length": f"{text_length(text, locale)} {unit}, target {lo}-{hi}",
        }
        why_not = "empty" if not text.strip() else "duplicate" if duplicate[i] else ""
        if not why_not and not realised[i] and parts["fluency"] < min_fluency:
            why_not = f"fluency {parts['fluency']:.2f} below {min_fluency:.2f}"
        scores = {k: round(v, 4) for k, v in parts.items() if v is not None}
        scores.update(total=round(total, 4), loglik=round(float(ll), 4) if math.isfinite(ll) else -99.0,
                      violations=float(len(codes)), overclaims=float(len(align.overclaimed) if align else 0))
        out.append(Scored(idx=i, scores=scores, eligible=not why_not, locale=locale, audience=auds[i],
                          duplicate=why_not == "duplicate",
                          explanation=_explain(parts, detail, total, why_not)))
    return out


def _align_note(align: Alignment, locale: str) -> str:
    notes = []
    if align.praised_said:
        notes.append("says praised " + ", ".join(aspect_label(a, locale) for a in align.praised_said))
    if align.praised_missed:
        notes.append("misses praised " + ", ".join(aspect_label(a, locale) for a in align.praised_missed))
    if align.overclaimed:
        notes.append("over-claims criticised " + ", ".join(aspect_label(a, locale) for a in align.overclaimed))
    return "; ".join(notes) or "nothing to say"


def _key(s: Scored) -> tuple[bool, float, int]:
    # A text nothing had to be fixed or dropped from comes first: the realiser's candidate always is one, so a
    # model text that lost a sentence to the gate is published only when no clean text is left.
    return s.scores.get("violations", 0.0) == 0, s.scores["total"], -s.idx


def _clean(s: Scored) -> bool:
    return s.scores.get("violations", 0.0) == 0


def _choosable(scored: Sequence[Scored]) -> list[Scored]:
    """The eligible candidates; when none is clean, a clean near-duplicate (the realiser's text of a product much
    like another) comes before a text that lost sentences: a plain true text over a broken one."""
    eligible = [s for s in scored if s.eligible]
    if any(_clean(s) for s in eligible):
        return eligible
    return [s for s in scored if s.duplicate and _clean(s)] or eligible


def best(scored: Sequence[Scored]) -> Scored | None:
    """Highest total among eligible candidates with nothing fixed or dropped, else a clean near-duplicate, else any
    eligible one; the lower index wins a tie."""
    choosable = _choosable(scored)
    return max(choosable, key=_key) if choosable else None


# An audience's own text is published only when it scores within this of its locale's best; below that it says
# less, or less truly, than the lead text, which then serves that audience too.
AUDIENCE_MARGIN = 0.15


def best_per_audience(scored: Sequence[Scored], *, margin: float = AUDIENCE_MARGIN
                      ) -> dict[tuple[str, str | None], Scored]:
    """The best eligible candidate of each (locale, audience) that is within `margin` of its locale's best; ties go
    to the lower index. A text written for "office" that scores .38 beside a .93 one is no text for anyone."""
    groups: dict[tuple[str, str | None], list[Scored]] = {}
    for s in scored:
        groups.setdefault((s.locale, s.audience), []).append(s)
    chosen = {key: _choosable(group) for key, group in groups.items()}
    picks = {key: max(group, key=_key) for key, group in sorted(chosen.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
             if group}
    top: dict[str, float] = {}
    for (locale, _), s in picks.items():
        top[locale] = max(top.get(locale, s.scores["total"]), s.scores["total"])
    return {key: s for key, s in picks.items() if s.scores["total"] >= top[key[0]] - margin}


__all__ = ["AUDIENCE_MARGIN", "FACT_CODES", "SIGNALS", "Alignment", "Scored", "best", "best_per_audience", "coverage", "length_fit",
           "review_alignment", "score", "text_length", "value_expressed"]
