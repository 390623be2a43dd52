"""Aspect mentions in reviews, and the per-product summary built from them.

A review rarely has one opinion: "battery is great but it runs small" praises
one thing and criticises another. The description writer needs to know which
aspects buyers praise or complain about, so a review is cut into clauses, each
clause is checked for aspect keywords (the product's own attribute names plus
common shopping topics, in English and Chinese), and each mention is later
scored on its own clause.

This module is pure (no models, no I/O): the sentiment engine supplies clause
scores, and `summarise` folds per-review results into an `AspectSummary`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

if TYPE_CHECKING:  # runtime import would be circular: sentiment imports this module
    from workers.cpu.sentiment import SentimentResult

Polarity = Literal["negative", "neutral", "positive"]
POLARITIES: tuple[Polarity, ...] = ("positive", "negative", "neutral")

# ---------------------------------------------------------------------------
# Clause splitting
# ---------------------------------------------------------------------------

# Sentence/clause punctuation in both scripts. A dot splits unless a digit
# follows, so "4.5 inch" stays whole.
_PUNCT_SPLIT = re.compile(r"[。！？；，、!?;,\n\r…]+|\.(?!\d)")
# Contrast connectors start a new clause and stay with it ("but it runs small").
# 但 alone is a connector too, except inside 不但 ("not only").
_CONNECTOR_SPLIT = re.compile(
    r"(?=\b(?:but|however|although|though|whereas|except)\b)|(?=但是|不过|可是|然而)|(?<!不)(?=但(?!是))",
    re.IGNORECASE,
)
_HAS_WORD = re.compile(r"\w")


def clause_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause in `text`: cut on EN/ZH punctuation and contrast connectors, stripped."""
    spans: list[tuple[int, int]] = []
    piece_start = 0
    for sep in [*_PUNCT_SPLIT.finditer(text), None]:
        piece_end = sep.start() if sep else len(text)
        cuts = [m.start() for m in _CONNECTOR_SPLIT.finditer(text, piece_start, piece_end)]
        bounds = [piece_start, *(c for c in cuts if piece_start < c < piece_end), piece_end]
        for begin, end in pairwise(bounds):
            while begin < end and text[begin].isspace():
                begin += 1
            while end > begin and text[end - 1].isspace():
                end -= 1
            if begin < end and _HAS_WORD.search(text, begin, end):
                spans.append((begin, end))
        if sep:
            piece_start = sep.end()
    return spans


def split_clauses(text: str) -> list[str]:
    """Cut a review into clauses on EN/ZH punctuation and contrast connectors."""
    return [text[begin:end] for begin, end in clause_spans(text)]


# ---------------------------------------------------------------------------
# Keyword tables
# ---------------------------------------------------------------------------

# Common shopping topics. English entries match on word boundaries (an
# optional plural "s" is allowed), Chinese entries as substrings.
TOPIC_KEYWORDS: dict[str, tuple[str, ...]] = {
    "quality": (
        "quality", "well made", "well-made", "cheaply made", "flimsy", "sturdy", "durable",
        "feels cheap", "felt cheap", "cheap material", "cheap plastic", "faded", "pilling", "fell apart",
        "质量", "品质", "做工", "用料", "起球", "掉色", "褪色", "开线",
    ),
    "size_fit": (
        "size", "sizing", "fit", "fits", "fitting", "runs small", "runs large", "runs big",
        "too big", "too small", "too large", "too tight", "too loose", "true to size",
        "偏小", "偏大", "尺码", "尺寸", "码数", "大小", "合身",
    ),
    "battery": (
        "battery", "battery life", "charge", "charging", "recharge",
        "电池", "续航", "充电", "电量", "待机",
    ),
    "comfort": (
        "comfort", "comfortable", "uncomfortable", "comfy", "soft", "itchy", "breathable",
        "舒适", "舒服", "柔软", "透气", "手感",
    ),
    "price_value": (
        "price", "priced", "value", "worth", "money", "expensive", "cheap", "overpriced", "pricey",
        "bargain", "good deal", "great deal", "cost", "affordable",
        "价格", "价钱", "性价比", "划算", "贵", "便宜", "实惠", "值得", "价位",
    ),
    "delivery": (
        "delivery", "delivered", "shipping", "shipped", "arrived", "arrival", "courier",
        "物流", "快递", "发货", "送货", "到货", "配送", "送达",
    ),
    "packaging": (
        "packaging", "package", "packaged", "packing", "wrapping", "box",
        "包装", "盒子", "外包装", "包裹",
    ),
    "service": (
        "customer service", "customer support", "tech support", "service", "seller", "refund",
        "客服", "服务", "售后", "卖家", "商家", "店家",
    ),
    "sound": (
        "sound", "sound quality", "audio", "audio quality", "speaker", "bass", "volume", "treble",
        "音质", "音效", "声音", "音量", "低音", "喇叭",
    ),
    "appearance": (
        "appearance", "looks great", "looks good", "looks nice", "looks beautiful", "looks cheap", "looks amazing",
        "good looking", "nice looking", "design", "stylish", "pretty", "gorgeous", "ugly",
        "外观", "颜值", "好看", "漂亮", "难看", "外形", "样子",
    ),
}

# Phrases that contain a topic keyword without being about the topic: a
# keyword match inside one of them is ignored ("works out of the box").
SHADOW_PHRASES: tuple[str, ...] = (
    "out of the box", "looks like", "look like", "looks forward", "sounds like", "sound like",
    "soft reset", "free of charge", "in charge", "fit in", "fits in", "size of",
)

# Aspect-specific polarity cues: words whose polarity a general sentiment model
# does not know because it depends on the aspect ("runs small" is a complaint
# about fit, "快" is praise for delivery). (positive cues, negative cues); all
# entries are regular expressions, English ones matched on word boundaries.
ASPECT_CUES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "quality": (
        (r"sturdy", r"solid", r"durable", r"well[ -]made", r"well built", "结实", "扎实", "精细", "耐用"),
        (r"flimsy", r"(?:feels?|felt) cheap", r"cheaply made", r"cheap (?:material|plastic)", r"fell apart", r"broke",
         r"fade[sd]?", r"pilling", r"ripped", r"torn",
         "粗糙", "劣质", "易坏", "开线", "起球", "掉色", "褪色"),
    ),
    "size_fit": (
        (r"true to size", r"fits? (?:perfectly|well|great|nicely)", r"perfect fit",
         "合身", "合适", "刚好", "正好", "标准"),
        (r"runs? (?:small|large|big)", r"too (?:small|big|large|tight|loose|short|long)",
         r"(?:doesn[’']t|does not|didn[’']t|did not) fit",
         "偏小", "偏大", "太小", "太大", "小了", "大了", "不合身", "太紧", "太松"),
    ),
    "battery": (
        (r"lasts? (?:all day|for days|long|forever)", r"long battery", r"holds? (?:a |its )?charge",
         "耐用", "持久", "续航长", "续航强", "省电"),
        (r"dies", r"died", r"drains?", r"(?:doesn[’']t|does not|won[’']t) (?:last|hold)", r"short battery",
         "不耐用", "耗电", "续航短", "续航差", "充不进", "没电"),
    ),
    "delivery": (
        (r"fast", r"quick(?:ly)?", r"early", r"on time", r"promptly", "快", "及时", "迅速", "神速"),
        (r"slow", r"late", r"delayed", r"never arrived", r"took forever", "慢", "延迟", "迟迟"),
    ),
    "packaging": (
        (r"well packaged", r"securely", r"intact", "完好", "严实", "精美", "结实", "仔细"),
        (r"damaged", r"broken", r"crushed", r"torn", r"dented", r"leak(?:ed|ing)?",
         "破损", "破了", "坏了", "压坏", "压扁", "简陋", "漏"),
    ),
    "price_value": (
        (r"cheap", r"affordable", r"worth (?:it|every|the)", r"bargain", r"(?:good|great) (?:value|deal|price)",
         "便宜", "实惠", "划算", "值得", "性价比[很挺非常特别超]*高", "超值"),
        (r"expensive", r"overpriced", r"pricey", r"not worth", r"waste of money", "贵", "不值", "性价比[很挺太]*低"),
    ),
    "sound": (
        (r"loud", r"crisp", r"clear", r"rich", "清晰", "洪亮", "震撼", "饱满", "[很挺非常超]*足", "浑厚"),
        (r"tinny", r"muffled", r"crackl(?:e|es|ing)", r"distorted", r"too quiet", "杂音", "失真", "太小", "刺耳"),
    ),
    "comfort": (
        (r"soft", r"cozy", r"comfy", r"comfortable", r"breathable", "柔软", "透气", "软", "舒服", "舒适"),
        (r"itchy", r"scratchy", r"stiff", r"too tight", r"uncomfortable", r"hurts?", r"blisters?",
         "磨脚", "扎人", "闷", "勒", "不舒服", "硌"),
    ),
    "appearance": (
        (r"beautiful", r"gorgeous", r"stylish", r"pretty", "好看", "漂亮", "颜值高", "大气", "精致"),
        (r"ugly", r"cheap looking", "丑", "难看", "色差"),
    ),
    "service": (
        (r"helpful", r"responsive", r"friendly", r"patient", r"quick(?:ly)?", r"prompt(?:ly)?",
         "耐心", "热情", "态度[很挺非常特别超还]*好", "周到", "及时", "专业", "快"),
        (r"rude", r"unhelpful", r"never (?:respond(?:ed)?|replied)", r"ignored", r"slow",
         "态度[很挺非常特别超太]*差", "态度不好", "不理", "敷衍", "慢", "推脱"),
    ),
}

# Attribute names and their synonyms: a product attribute called "colour" must
# also catch "color" and "颜色" in reviews.
ATTRIBUTE_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("colour", "color", "colours", "colors", "颜色", "配色", "色彩"),
    ("material", "fabric", "materials", "材质", "面料", "材料"),
    ("size", "sizing", "尺码", "尺寸", "大小", "码数"),
    ("weight", "weighs", "heavy", "重量", "分量"),
    ("capacity", "storage", "容量", "内存"),
    ("screen", "display", "屏幕", "显示屏", "屏"),
    ("battery", "battery life", "电池", "续航"),
    ("brand", "品牌", "牌子"),
    ("style", "design", "款式", "设计", "风格"),
    ("sound", "audio", "音质", "声音"),
    ("price", "cost", "价格", "价钱"),
    ("scent", "smell", "fragrance", "香味", "气味", "味道"),
    ("taste", "flavour", "flavor", "口感", "口味", "味道"),
)

# A negator up to two words (EN) or two characters (ZH) before a cue flips it:
# "not too big", "一点也不贵". 非/别 are left out (非常, 特别 mean "very"), and 不错
# ("not bad") is praise.
_EN_NEGATORS = re.compile(r"\b(?:not|no|never|hardly|cannot|\w+n[’']t)\W+(?:\w+\W+){0,2}$", re.IGNORECASE)
_ZH_NEGATORS = re.compile(r"(?:不(?![错但仅过])|没|未|毫无|(?<!毫)无(?!比|论))[^，。！？,.!?]{0,2}$")


_HAN_CHAR = re.compile(r"[\u4e00-\u9fff]")


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _keyword_pattern(keyword: str) -> str:
    """EN keywords on word boundaries with an optional plural; ZH as-is."""
    if _is_cjk(keyword):
        return re.escape(keyword)
    body = re.escape(keyword).replace(r"\ ", r"\s+")
    return rf"\b{body}(?:s|es)?\b"


def _compile(keywords: Iterable[str]) -> re.Pattern[str]:
    # Longest first, so "battery life" wins over "battery" in the alternation.
    ordered = sorted(set(keywords), key=len, reverse=True)
    return re.compile("|".join(_keyword_pattern(k) for k in ordered), re.IGNORECASE)


def _cue_pattern(cue: str) -> str:
    return cue if _is_cjk(cue) else rf"\b{cue}\b"


_TOPIC_PATTERNS: dict[str, re.Pattern[str]] = {t: _compile(kws) for t, kws in TOPIC_KEYWORDS.items()}
_SHADOW_PATTERN = _compile(SHADOW_PHRASES)
_WORD = re.compile(r"\w+")
_TOPIC_KEYS = [k.lower() for kws in TOPIC_KEYWORDS.values() for k in kws]
_ZH_TOPIC_KEYS = frozenset(k for k in _TOPIC_KEYS if _is_cjk(k))
_ZH_TOPIC_LENGTHS = sorted({len(k) for k in _ZH_TOPIC_KEYS})
_EN_TOPIC_FIRST_WORDS = frozenset(_WORD.findall(k)[0] for k in _TOPIC_KEYS if not _is_cjk(k))


def _may_name_topic(clause: str) -> bool:
    """A cheap test that never misses a topic keyword: a keyword's first word as a token (EN), or a substring (ZH).

    The per-topic regular expressions cost ~100 µs a clause; a set lookup per
    token or per short substring is ~20x cheaper, and most clauses have no topic.
    """
    lowered = clause.lower()
    for word in _WORD.findall(lowered):
        if word in _EN_TOPIC_FIRST_WORDS or (word.endswith("s") and (
                word[:-1] in _EN_TOPIC_FIRST_WORDS or word[:-2] in _EN_TOPIC_FIRST_WORDS)):
            return True
    if _HAN_CHAR.search(lowered):
        size = len(lowered)
        return any(lowered[i : i + n] in _ZH_TOPIC_KEYS for n in _ZH_TOPIC_LENGTHS for i in range(size - n + 1))
    return False
_CUE_PATTERNS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    topic: (
        re.compile("|".join(_cue_pattern(c) for c in pos), re.IGNORECASE),
        re.compile("|".join(_cue_pattern(c) for c in neg), re.IGNORECASE),
    )
    for topic, (pos, neg) in ASPECT_CUES.items()
}


def _normalise_name(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())


def attribute_keywords(name: str) -> tuple[str, ...]:
    """The attribute's own name plus the synonyms of its group, if it has one."""
    norm = _normalise_name(name)
    words = {norm}
    for group in ATTRIBUTE_SYNONYMS:
        if norm in group:
            words.update(group)
    return tuple(sorted(w for w in words if w))


# ---------------------------------------------------------------------------
# Aspect detection
# ---------------------------------------------------------------------------


MAX_EVIDENCE = 300  # a review without punctuation is one 5,000-character "clause"


@dataclass(frozen=True)
class AspectHit:
    """One aspect found in one clause; `cue` is +1/-1 from an aspect-specific cue, else 0."""

    aspect: str
    clause: str
    cue: int = 0
    start: int = 0  # where the aspect's first keyword starts in the clause
    offset: int = 0  # where the clause starts in the review
    term: str = ""  # the keyword as written in the review ("runs small", "尺码")

    def span(self, limit: int = MAX_EVIDENCE) -> tuple[int, int]:
        """(start, end) of the evidence in the review: the clause, or a window around the keyword if very long."""
        if len(self.clause) <= limit:
            return self.offset, self.offset + len(self.clause)
        begin = max(0, min(self.start - limit // 3, len(self.clause) - limit))
        end = begin + limit
        while begin < end and self.clause[begin].isspace():
            begin += 1
        while end > begin and self.clause[end - 1].isspace():
            end -= 1
        return self.offset + begin, self.offset + end

    def evidence(self, limit: int = MAX_EVIDENCE) -> str:
        """The clause, or a window of it around the keyword when the clause is very long."""
        if len(self.clause) <= limit:
            return self.clause
        begin, end = self.span(limit)
        window = self.clause[begin - self.offset : end - self.offset]
        return ("…" if begin > self.offset else "") + window + ("…" if end < self.offset + len(self.clause) else "")


Span = tuple[int, int]


def _spans(pattern: re.Pattern[str], text: str) -> list[Span]:
    return [m.span() for m in pattern.finditer(text)]


def _overlaps(span: Span, others: Iterable[Span]) -> bool:
    return any(span[0] < o[1] and o[0] < span[1] for o in others)


def _strictly_inside(span: Span, others: Iterable[Span]) -> bool:
    return any(o[0] <= span[0] and span[1] <= o[1] and (o[1] - o[0]) > (span[1] - span[0]) for o in others)


def is_negated(clause: str, start: int) -> bool:
    """Whether a negator stands just before position `start` ("not too big", "不贵")."""
    before = clause[max(0, start - 30) : start]
    return bool(_ZH_NEGATORS.search(before) or _EN_NEGATORS.search(before))


def _cue_sign(pattern: re.Pattern[str], clause: str, keyword_spans: list[Span]) -> int:
    """+1 per cue match (-1 if negated); a cue strictly inside a keyword (快 in 快递) does not count."""
    total = 0
    for m in pattern.finditer(clause):
        if not _strictly_inside(m.span(), keyword_spans):
            total += -1 if is_negated(clause, m.start()) else 1
    return total


def aspect_cue(topic: str, clause: str, keyword_spans: list[Span]) -> int:
    """Net aspect-specific polarity cue of a clause: +1, -1 or 0."""
    if topic not in _CUE_PATTERNS:
        return 0
    pos, neg = _CUE_PATTERNS[topic]
    net = _cue_sign(pos, clause, keyword_spans) - _cue_sign(neg, clause, keyword_spans)
    return (net > 0) - (net < 0)


@lru_cache(maxsize=1024)
def _attribute_pattern(label: str) -> re.Pattern[str]:
    return _compile(attribute_keywords(label))


def _attribute_patterns(attribute_names: Sequence[str]) -> list[tuple[str, re.Pattern[str]]]:
    seen: set[str] = set()
    patterns = []
    for name in attribute_names:
        label = name.strip()
        if label and label.lower() not in seen:
            seen.add(label.lower())
            patterns.append((label, _attribute_pattern(label)))
    return patterns


def _topic_spans(clause: str) -> dict[str, list[Span]]:
    """Topic matches, longest wins: "sound quality" is sound, not quality; "feels cheap" is not price."""
    if not _may_name_topic(clause):  # most clauses name no topic: skip the per-topic scans
        return {}
    found = {t: _spans(p, clause) for t, p in _TOPIC_PATTERNS.items()}
    every = [s for spans in found.values() for s in spans] + _spans(_SHADOW_PATTERN, clause)
    kept = {t: [s for s in spans if not _strictly_inside(s, every)] for t, spans in found.items()}
    return {t: spans for t, spans in kept.items() if spans}


def _clause_hits(clause: str, attrs: list[tuple[str, re.Pattern[str]]], offset: int = 0) -> list[AspectHit]:
    """Attribute aspects first; a topic whose every match overlaps an attribute match is the same mention."""
    hits: list[AspectHit] = []
    attr_spans: list[Span] = []
    covered: set[str] = set()  # topics an attribute in this clause already stands for
    for label, pattern in attrs:
        spans = _spans(pattern, clause)
        if spans:
            topic = _attribute_topic(label)
            attr_spans.extend(spans)
            if topic:
                covered.add(topic)
            cue = aspect_cue(topic, clause, spans) if topic else _property_cue(clause, spans)
            hits.append(AspectHit(label, clause, cue, spans[0][0], offset, clause[spans[0][0] : spans[0][1]]))
    for topic, spans in _topic_spans(clause).items():
        if topic not in covered and not all(_overlaps(s, attr_spans) for s in spans):
            hits.append(AspectHit(topic, clause, aspect_cue(topic, clause, spans), spans[0][0], offset,
                                  clause[spans[0][0] : spans[0][1]]))
    return hits


def _property_cue(clause: str, spans: list[Span]) -> int:
    """An attribute that is no topic ("colour", "面料") is judged on the product-property cues."""
    net = sum(aspect_cue(t, clause, spans) for t in ("quality", "comfort", "appearance", "size_fit"))
    return (net > 0) - (net < 0)


@lru_cache(maxsize=1024)
def _attribute_topic(label: str) -> str | None:
    """The topic an attribute stands for, if any: "size" is size_fit, "电池" is battery."""
    keywords = set(attribute_keywords(label))
    for topic, topic_keywords in TOPIC_KEYWORDS.items():
        if keywords & set(topic_keywords):
            return topic
    return None


def find_aspects(text: str, attribute_names: Sequence[str] = ()) -> list[AspectHit]:
    """Every (aspect, clause) mention in a review, in reading order, without repeats."""
    attrs = _attribute_patterns(attribute_names)
    hits: list[AspectHit] = []
    seen: set[tuple[str, str]] = set()
    for begin, end in clause_spans(text):
        for hit in _clause_hits(text[begin:end], attrs, begin):
            if (hit.aspect, hit.clause) not in seen:
                seen.add((hit.aspect, hit.clause))
                hits.append(hit)
    return hits


def combine_polarity(model_score: float, cue: int, neutral_band: float) -> Polarity:
    """Clause polarity for an aspect: an aspect cue decides, else the model's score.

    A general model calls "it runs small" neutral and the Chinese Bayes model
    calls "客服态度很好" negative (客服 mostly appears in complaints); the narrow
    aspect cue is the more reliable witness when there is one.
    """
    if cue:
        return "positive" if cue > 0 else "negative"
    return polarity_of(model_score, neutral_band)


def polarity_of(score: float, neutral_band: float) -> Polarity:
    """Scores within the band around zero are neutral."""
    if score >= neutral_band:
        return "positive"
    if score <= -neutral_band:
        return "negative"
    return "neutral"


# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------

TOP_N = 5


class AspectSummary(BaseModel):
    """What buyers say about a product, folded over all of its reviews."""

    review_count: int
    rating_mean: float | None
    sentiment_mean: float
    positive: int
    negative: int
    neutral: int
    aspects: dict[str, dict[str, int]]  # aspect -> {"positive": n, "negative": n, "neutral": n}
    top_praised: list[str]
    top_criticised: list[str]


def _aspect_counts(results: Iterable[SentimentResult]) -> dict[str, dict[str, int]]:
    """One vote per (review, aspect, polarity): a review repeating itself counts once."""
    counts: dict[str, dict[str, int]] = {}
    for result in results:
        for aspect, polarity in {(m.aspect, m.polarity) for m in result.aspects}:
            counts.setdefault(aspect, dict.fromkeys(POLARITIES, 0))[polarity] += 1
    return dict(sorted(counts.items()))


def _top(counts: dict[str, dict[str, int]], good: str, bad: str) -> list[str]:
    """Aspects where `good` votes are at least twice the `bad` ones, strongest first.

    The 2:1 rule keeps contested aspects (5 praise, 4 complaints) out of both
    lists, so a description never claims praise that half the buyers dispute.
    """
    chosen = [a for a, c in counts.items() if c[good] > 0 and c[good] >= 2 * c[bad]]
    chosen.sort(key=lambda a: (-(counts[a][good] - counts[a][bad]), -counts[a][good], a))
    return chosen[:TOP_N]


def _mean(values: Sequence[float]) -> float | None:
    # fsum is exact, so the mean does not depend on review order (idempotent recompute).
    return round(math.fsum(values) / len(values), 6) if values else None


def summarise(results: Sequence[tuple[int | None, SentimentResult]]) -> AspectSummary:
    """Fold (rating, result) per review into a summary; pure and order-independent."""
    ratings = [float(r) for r, _ in results if r is not None]
    sentiments = [res for _, res in results]
    counts = _aspect_counts(sentiments)
    return AspectSummary(
        review_count=len(results),
        rating_mean=_mean(ratings),
        sentiment_mean=_mean([s.score for s in sentiments]) or 0.0,
        positive=sum(s.polarity == "positive" for s in sentiments),
        negative=sum(s.polarity == "negative" for s in sentiments),
        neutral=sum(s.polarity == "neutral" for s in sentiments),
        aspects=counts,
        top_praised=_top(counts, "positive", "negative"),
        top_criticised=_top(counts, "negative", "positive"),
    )
