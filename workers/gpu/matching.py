"""Does a text state an attribute value? Units, number spellings and synonyms, in English and Chinese.

A description says "5,000 mAh", "5000mAh", "5 Ah" or "5000毫安时" for the same
battery, "grey", "gray" or "灰色" for the same colour. Ranking (coverage) and
the prompt builder (which seller sentences carry a fact) both need to see
these as one value, so the comparison lives here, over the correction
engine's unit and colour/material tables (workers/gpu/lexicon.py), so that the
two engines agree on what a unit or a colour is.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel

from schemas.events import Product
from workers.cpu.aspects import attribute_keywords
from workers.gpu import lexicon as lex
from workers.gpu.prompt import format_value

# ---------------------------------------------------------------------------
# Numbers and quantities
# ---------------------------------------------------------------------------

_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# 10,000 / 10 000 / 1.5 / 1,5 ; 万/千 multiply (2万毫安 = 20000 mAh).
_NUMBER = r"(?<![\d.,])(\d{1,3}(?:[,\u202f\u00a0 ]\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)(?![\d])\s?([万千])?"
_NUMBER_RE = re.compile(_NUMBER)


_QUANTITY_RE = re.compile(rf"{_NUMBER}[ \u00a0-]?({lex.unit_pattern()})")
_UNIT_INFO: dict[str, tuple[str, float]] = {
    **{a.lower(): v for a, v in lex.UNITS.items() if a in lex.UNITS_ANY_CASE},
    **lex.UNITS,
}
_KEY_UNIT_RE = re.compile(r"[(\[（]\s*([^)\]）]{1,8})\s*[)\]）]\s*$")


def _to_number(digits: str, multiplier: str | None) -> float:
    d = re.sub(r"[\u202f\u00a0 ]", "", digits)
    if "," in d:
        # 10,000 is ten thousand; 1,5 (one comma, not three digits after it) is a decimal comma.
        d = d.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", d) else d.replace(",", ".")
    value = float(d)
    return value * {"万": 10_000, "千": 1_000}.get(multiplier or "", 1)


@dataclass(frozen=True)
class Quantity:
    """A number with a unit, in the base unit of its family (mAh, g, mm, hours…)."""

    value: float
    family: str
    base: float

    def same_as(self, other: Quantity) -> bool:
        return self.family == other.family and _close(self.base, other.base)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.025 * max(abs(a), abs(b)) + 1e-9


def fold(text: str) -> str:
    """NFKC (full-width digits and letters to half-width) and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def quantities(text: str) -> list[Quantity]:
    """Every number-with-unit in the text; ranges and chains give one quantity per number."""
    out = []
    for m in _QUANTITY_RE.finditer(unicodedata.normalize("NFKC", text)):
        info = _UNIT_INFO.get(m.group(3)) or _UNIT_INFO.get(m.group(3).lower())
        if info:
            value = _to_number(m.group(1), m.group(2))
            out.append(Quantity(value, info[0], value * info[1]))
    return out


def numbers(text: str) -> list[float]:
    """Every number in the text, separators removed."""
    return [_to_number(m.group(1), m.group(2)) for m in _NUMBER_RE.finditer(unicodedata.normalize("NFKC", text))]


def key_unit(key: str) -> tuple[str, float] | None:
    """The unit an attribute name carries, "weight (kg)" → kg; None when it names none."""
    m = _KEY_UNIT_RE.search(unicodedata.normalize("NFKC", key))
    if m:
        unit = m.group(1).strip()
        return _UNIT_INFO.get(unit) or _UNIT_INFO.get(unit.lower())
    return None


def key_family(key: str) -> str | None:
    """Which quantity a bare number under this attribute name is ("battery" → charge)."""
    unit = key_unit(key)
    if unit:
        return unit[0]
    low = key.lower()
    for hint in sorted(lex.KEY_FAMILY_HINTS, key=len, reverse=True):
        if hint in low:
            return lex.KEY_FAMILY_HINTS[hint]
    return None


# ---------------------------------------------------------------------------
# Words, colours and materials
# ---------------------------------------------------------------------------

_EN_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_STOPWORDS = frozenset(
    ["a", "an", "and", "or", "the", "of", "for", "with", "in", "on", "to", "by", "at", "from", "is", "are", "be", "this", "that", "its", "it", "as", "x"]
)
_YES = frozenset({"yes", "true", "y", "是", "有", "支持", "带", "具备"})
_NO = frozenset({"no", "false", "n", "none", "否", "无", "不支持", "没有", "n/a", "na", "-"})


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Latin content words, stemmed (plural s off), stop words out."""
    return [_stem(w) for w in _EN_WORD.findall(fold(text)) if w not in _STOPWORDS]


def _bigrams(text: str) -> set[str]:
    han = "".join(_CJK_CHAR.findall(text))
    return {han[i:i + 2] for i in range(len(han) - 1)}


class _Vocabulary:
    """Words of a family table (colours, materials) → family, found on word boundaries (EN) or as is (ZH)."""

    def __init__(self, table: dict[str, tuple[str, str, tuple[str, ...]]]):
        self.family: dict[str, str] = {}
        for family, (en, zh, spellings) in table.items():
            for word in (en, zh, *spellings):
                self.family[fold(word)] = family
        latin = sorted((w for w in self.family if w.isascii()), key=len, reverse=True)
        han = sorted((w for w in self.family if not w.isascii()), key=len, reverse=True)
        self._latin = re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(w) for w in latin) + r")(?![a-z])")
        self._han = re.compile("|".join(re.escape(w) for w in han)) if han else None

    def families(self, text: str) -> set[str]:
        t = fold(text)
        found = {self.family[m.group()] for m in self._latin.finditer(t)}
        if self._han is not None:
            found |= {self.family[m.group()] for m in self._han.finditer(t)}
        return found

    def spans(self, text: str) -> list[tuple[int, int]]:
        t = fold(text)
        out = [m.span() for m in self._latin.finditer(t)]
        if self._han is not None:
            out += [m.span() for m in self._han.finditer(t)]
        return out


COLOURS = _Vocabulary(lex.COLOURS)
MATERIALS = _Vocabulary(lex.MATERIALS)


@lru_cache(maxsize=256)
def brand_aliases(brand: str) -> tuple[str, ...]:
    """The brand and its other spellings (Anker / 安克)."""
    folded = fold(brand)
    for group in lex.KNOWN_BRANDS:
        if folded in {fold(g) for g in group}:
            return tuple(fold(g) for g in group)
    return (folded,)


# ---------------------------------------------------------------------------
# One value against one text
# ---------------------------------------------------------------------------


def _squash(text: str) -> str:
    """Folded, spaces, thousands separators and punctuation out; a dot between digits stays."""
    t = fold(text)
    t = re.sub(r"(?<=\d)[,\u202f\u00a0 ](?=\d{3}(?!\d))", "", t)
    return re.sub(r"(?!(?<=\d)\.(?=\d))[\s\W_]+", "", t)


class _Text:
    """A candidate text, parsed once for all values."""

    def __init__(self, text: str):
        self.raw = text
        self.folded = fold(text)
        self.squashed = _squash(text)
        self.quantities = quantities(text)
        self.numbers = numbers(text)
        self.words = set(words(text))
        self.bigrams = _bigrams(text)
        self.colours = COLOURS.families(text)
        self.materials = MATERIALS.families(text)


def _has_number(value: float, text: _Text) -> bool:
    return any(_close(value, n) for n in text.numbers)


def _item_expressed(key: str, item: object, text: _Text) -> bool | None:
    """True/False whether `text` states one attribute item; None when the item is no fact to state."""
    if isinstance(item, bool):
        item = "yes" if item else "no"
    if isinstance(item, (int, float)):
        family, unit = key_family(key), key_unit(key)
        if unit is not None:
            want = Quantity(float(item), unit[0], float(item) * unit[1])
            if any(want.same_as(q) for q in text.quantities):
                return True
        if family is not None and any(q.family == family and _close(q.value, float(item)) for q in text.quantities):
            return True
        return _has_number(float(item), text)
    s = format_value(item).strip()
    low = fold(s)
    if not low or low in _NO:
        return None
    if low in _YES:  # "waterproof: yes" is stated by naming the attribute
        return any(fold(k) in text.folded for k in attribute_keywords(key))
    squashed = _squash(s)
    if squashed and squashed in text.squashed:
        return True
    wanted = quantities(s)
    if wanted:
        return all(any(w.same_as(q) for q in text.quantities) for w in wanted)
    colour, material = COLOURS.families(s), MATERIALS.families(s)
    if colour or material:
        return colour <= text.colours and material <= text.materials
    bare = numbers(s)
    family = key_family(key)
    if bare and family is not None:
        return all(any(q.family == family and _close(q.value, n) for q in text.quantities) or _has_number(n, text)
                   for n in bare)
    if bare and not all(_has_number(n, text) for n in bare):
        return False
    latin = [w for w in words(s) if not w.isdigit()]
    han = _bigrams(s)
    if not latin and not han:
        return bool(bare)
    hits = sum(w in text.words for w in latin) + len(han & text.bigrams)
    need = len(latin) + len(han)
    return hits >= max(1, math.ceil(need * 0.6))


def value_share(key: str, value: object, text: str | _Text) -> float | None:
    """Share of the value stated by the text: 0 or 1, a list item by item; None when nothing is to state."""
    t = text if isinstance(text, _Text) else _Text(text)
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list):
        whole = _item_expressed(key, ", ".join(format_value(v) for v in value), t)
        if whole:
            return 1.0
    results = [r for r in (_item_expressed(key, v, t) for v in items) if r is not None]
    if not results:
        return None
    return sum(results) / len(results)


def value_expressed(value: object, text: str, key: str = "") -> bool:
    """Whether the text states the value (a list: all of its items)."""
    return value_share(key, value, text) == 1.0


class Coverage(BaseModel):
    """Which of a product's facts (attribute values and the brand) a text states."""

    score: float
    stated: list[str]
    missing: list[str]
    partial: dict[str, float] = {}


def coverage(product: Product, text: str) -> Coverage:
    """Share of the attribute values (lists item by item) and the brand that the text states."""
    t = _Text(text)
    stated: list[str] = []
    missing: list[str] = []
    partial: dict[str, float] = {}
    total = 0.0
    count = 0
    if product.brand:
        count += 1
        if any(_squash(a) in t.squashed for a in brand_aliases(product.brand) if _squash(a)):
            total += 1
            stated.append("brand")
        else:
            missing.append("brand")
    for key, value in product.attributes.items():
        share = value_share(key, value, t)
        if share is None:
            continue
        count += 1
        total += share
        if share == 1.0:
            stated.append(key)
        elif share == 0.0:
            missing.append(key)
        else:
            partial[key] = round(share, 4)
    return Coverage(score=total / count if count else 1.0, stated=stated, missing=missing, partial=partial)


def sentence_facts(product: Product, sentence: str) -> list[str]:
    """Attribute names (and "brand") whose value the sentence states, fully or in part."""
    t = _Text(sentence)
    found = [key for key, value in product.attributes.items() if (value_share(key, value, t) or 0.0) > 0]
    if product.brand and any(_squash(a) in t.squashed for a in brand_aliases(product.brand) if _squash(a)):
        found.append("brand")
    return found


def contains_any(text: str, needles: Iterable[str]) -> bool:
    folded = fold(text)
    return any(fold(n) in folded for n in needles if n)


__all__: Sequence[str] = (
    "COLOURS",
    "MATERIALS",
    "Coverage",
    "Quantity",
    "brand_aliases",
    "coverage",
    "fold",
    "key_family",
    "key_unit",
    "numbers",
    "quantities",
    "sentence_facts",
    "value_expressed",
    "value_share",
    "words",
)
