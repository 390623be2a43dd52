"""The fact gate: every sentence of every candidate, whoever wrote it, is checked before it can be published.

A sentence fails when it says a value as something it is not (a colour after
"made of", a zip after 颜色), names a product type the record does not, mixes
languages or scripts, carries a broken word, repeats itself or an earlier
sentence, or holds markup, a link or instruction text. A failing sentence is
dropped and the drop recorded; what is left is the candidate's text. Ranking
reads the drops as the candidate's faithfulness.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import inflect
from wordfreq import zipf_frequency

from schemas.events import Product
from workers.text.phrases import PhraseIndex, word_key
from workers.text.roles import Inventory, ProductFacts, has_cjk, inventory, lang_of, norm

# Issue codes of a dropped sentence (also the blind read's fault codes where they overlap).
CODES = ("markup", "broken_word", "mixed_language", "wrong_product_type", "misbinding", "repetition", "ungrammatical")

_MARKUP = re.compile(
    r"<\s*/?\s*[a-z!][^>]*>|https?://|www\.|javascript:|\{\{|\}\}|\[\[|\]\]|;\s*--|\b(?:drop|delete|truncate)\s+table\b"
    r"|\b(?:select|insert|update)\b[^.]{0,40}\b(?:from|into|set)\b[^.]{0,40}(?:;|--|')"
    r"|\bignore\b[^.]{0,30}\b(?:instructions?|prompts?|rules)\b|\b(?:system|developer)\s+prompt\b"
    r"|\byou\s+are\s+(?:now\s+)?(?:a|an|the)\s+\w+\s+(?:assistant|model|ai)\b|\bassistant\s*:|\buser\s*:"
    r"|忽略.{0,8}(?:指令|提示|规则|要求)|系统提示|提示词|你现在是",
    re.IGNORECASE,
)
_BROKEN = re.compile(r"\ufffd|<unk>|<0x[0-9a-f]{2}>|\u2581|##|\[a\d+\]|\[[a-z_]+\]|[\x00-\x08\x0b-\x1f]", re.I)
_EN_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
_ZH_SPLIT = re.compile(r"(?<=[。！？!?])|\n+")
_EN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9.+\-/]*")
# Latin spellings at home in Chinese copy: units, standards, letters that name a cut or a connector.
ZH_LATIN_OK = frozenset({
    "mm", "cm", "m", "kg", "g", "ml", "l", "w", "v", "mah", "usb", "usb-c", "usb-a", "type-c", "led", "lcd", "hdmi",
    "spf", "pa", "eva", "abs", "pu", "pvc", "tpu", "t", "v", "a", "h", "x", "o", "s", "xs", "xl", "xxl", "xxxl", "l",
    "polo", "ol", "diy", "app", "wifi", "wi-fi", "ipx4", "ipx5", "ipx7", "pd", "sd", "tf", "4k", "hz", "ai",
})
_ARTICLE = re.compile(r"\b([Aa]n?)\s+([A-Za-z0-9][\w'’-]*)")

# Which roles a cue of one role may legitimately introduce (a material cue before a part's material …).
_COMPATIBLE: dict[str, frozenset[str]] = {
    "material": frozenset({"material", "part", "texture"}),
    "audience": frozenset({"audience", "age", "skin_type"}),
    "colour": frozenset({"colour"}),
    "style": frozenset({"style", "wearing", "fit", "pattern", "detail", "length", "neckline", "sleeve"}),
    "capacity": frozenset({"capacity", "pack"}),
    "pack": frozenset({"pack", "capacity"}),
    "fit": frozenset({"fit", "length", "style"}),
    "length": frozenset({"length", "fit", "dimensions"}),
    "size": frozenset({"size", "dimensions", "fit"}),
    "dimensions": frozenset({"dimensions", "size"}),
    "detail": frozenset({"detail", "feature", "pattern", "hem", "closure", "neckline", "sleeve", "waist"}),
    "feature": frozenset({"feature", "detail", "battery", "ports", "connectivity"}),
}


@dataclass(frozen=True)
class Drop:
    """A sentence the gate removed, and why."""

    code: str
    sentence: str
    detail: str

    def as_issue(self) -> dict[str, object]:
        """The candidate issue row (the shape correction's fixes have)."""
        return {"code": self.code, "before": self.sentence, "after": "", "span": None, "detail": self.detail,
                "round": 0}


@dataclass
class Gated:
    text: str
    kept: int
    drops: list[Drop] = field(default_factory=list)

    @property
    def faithfulness(self) -> float:
        """Share of sentences that passed; 0 for a text with nothing left."""
        total = self.kept + len(self.drops)
        return self.kept / total if total else 0.0


def is_unsafe(value: str) -> bool:
    """A value that must never reach a storefront: markup, a link, instruction or query text."""
    return bool(_MARKUP.search(value) or _BROKEN.search(value))


def sentences(text: str, lang: str) -> list[str]:
    parts = (_ZH_SPLIT if lang == "zh" else _EN_SPLIT).split(text.strip())
    return [p.strip() for p in parts if p and p.strip()]


def gate(text: str, product: Product, locale: str, facts: ProductFacts | None = None) -> Gated:
    """Keep the sentences of `text` that pass every check for `product` in `locale`; record the others."""
    inv = inventory()
    lang = lang_of(locale)
    facts = facts or inv.facts(product, is_unsafe)
    ctx = _context(inv, product, facts, lang)
    kept: list[str] = []
    drops: list[Drop] = []
    for sentence in sentences(text, lang):
        found = _check(sentence, kept, ctx, lang)
        if found:
            drops.append(Drop(found[0], sentence, found[1]))
        else:
            kept.append(sentence)
    joined = ("" if lang == "zh" else " ").join(kept)
    return Gated(joined, len(kept), drops)


# ---- what a product licenses ------------------------------------------------------------


@dataclass
class _Context:
    inv: Inventory
    licensed: list[str]  # word keys / spellings of the types the record names (any of their forms)
    record_values: PhraseIndex[tuple[str, tuple[str, ...]]]  # the record's values -> (role, its keys)
    latin_ok: frozenset[str]
    record_words: frozenset[str]  # every Latin word of the record, lower-cased
    compact: str  # the record's letters and digits only: a phrase repeated from it is not a loop
    cues: list[tuple[str, str]]
    plural_types: tuple[str, ...]


def _context(inv: Inventory, product: Product, facts: ProductFacts, lang: str) -> _Context:
    strings = [product.title, product.category.replace("_", " "), product.brand or "",
               *(str(k) for k in product.attributes), *(f.value for f in facts.facts), facts.type_text]
    record = norm(" ".join(strings))
    terms = [f.term for f in facts.facts if f.term] + ([facts.type] if facts.type else [])
    terms += [t for _, _, _, t in inv.type_index.find(record, every=True)]
    licensed = sorted({word_key(f) if not has_cjk(f) else f for t in terms if t.role == "type" for f in t.forms}
                      - {""}, key=len)
    values: dict[str, tuple[str, tuple[str, ...]]] = {}
    for f in facts.facts:
        if f.role:
            keys = tuple(k for k in {norm(f.key), norm(inv.key_name(f.key, lang) or "")} if k)
            for form in {norm(f.value), *(f.term.forms if f.term else ())}:
                if len(form) >= 2:
                    values.setdefault(form, (f.role, keys))
    # Latin words a Chinese text may carry: the brand, model codes and acronyms, never English words of the record
    latin = {w.lower() for s in strings for w in _LATIN_RUN.findall(s)
             if w.lower() in norm(product.brand or "") or any(c.isdigit() for c in w) or (w.isupper() and len(w) > 1)}
    plural = tuple(form for t in ([facts.type] if facts.type else []) if t.plural for form in t.forms
                   if not has_cjk(form))
    record_words = frozenset(w.lower() for s in strings for w in re.findall(r"[A-Za-z]+", s))
    return _Context(inv, licensed, PhraseIndex(values), frozenset(latin | ZH_LATIN_OK), record_words,
                    "".join(c for c in record if c.isalnum()), inv.cue_roles(lang), plural)


# ---- the checks -------------------------------------------------------------------------


def _check(sentence: str, earlier: list[str], ctx: _Context, lang: str) -> tuple[str, str] | None:
    for check in (_markup, _script, _wrong_type, _misbinding, _repetition, _broken, _grammar):
        found = check(sentence, earlier, ctx, lang)
        if found:
            return found
    return None


def _markup(sentence: str, _e: list[str], _c: _Context, _l: str) -> tuple[str, str] | None:
    m = _MARKUP.search(sentence)
    return ("markup", f"markup, link or instruction text {m.group(0)[:40]!r}") if m else None


def _broken(sentence: str, _e: list[str], ctx: _Context, lang: str) -> tuple[str, str] | None:
    m = _BROKEN.search(sentence)
    if m:
        return "broken_word", f"a token fragment {m.group(0)!r}"
    for word in _EN_WORD.findall(sentence):
        low = word.lower()
        if low in ctx.record_words or any(c.isdigit() for c in word):
            continue
        if re.search(r"[a-z][A-Z]", word) or re.search(r"([a-z])\1\1", low):  # "wAter", "ShoesIt", "Allll"
            return "broken_word", f"a broken word {word!r}"
        if lang == "en" and len(low) > 2 and any(not _is_word(part) for part in re.split(r"['’-]", low) if part):
            return "broken_word", f"{word!r} is no English word"
    return None


def _is_word(word: str) -> bool:
    """In English's word list (wordfreq), or a word of the lexicon."""
    return len(word) <= 2 or _zipf(word) > 0 or word in _lexicon_words()


@functools.lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    return zipf_frequency(word, "en")


@functools.lru_cache(maxsize=1)
def _lexicon_words() -> frozenset[str]:
    inv = inventory()
    return frozenset(w for t in inv.types + inv.values + inv.units for f in t.forms if not has_cjk(f)
                     for w in re.split(r"[\s'’-]+", f) if w)


def _script(sentence: str, _e: list[str], ctx: _Context, lang: str) -> tuple[str, str] | None:
    if lang == "en":
        if has_cjk(sentence):
            return "mixed_language", "Chinese characters in an English text"
        return None
    if not has_cjk(sentence):
        return "mixed_language", "no Chinese in a Chinese sentence"
    for word in _LATIN_RUN.findall(sentence):
        w = word.lower().strip(".-/+")
        if w and w not in ctx.latin_ok and not re.fullmatch(r"[a-z]?\d[\w.]*|[a-z]{1,2}\d*", w):
            return "mixed_language", f"the foreign word {word!r}"
    return None


def _wrong_type(sentence: str, _e: list[str], ctx: _Context, _l: str) -> tuple[str, str] | None:
    for _, _, key, term in ctx.inv.type_index.find(norm(sentence)):
        # the record's type, or a narrower name of it ("trail running shoes" where the record says shoes)
        if not any(key == own or key.endswith(" " + own) or (has_cjk(own) and key.endswith(own))
                   for own in ctx.licensed):
            return "wrong_product_type", f"names a {term.en} ({term.zh}), which the record is not"
    return None


def _misbinding(sentence: str, _e: list[str], ctx: _Context, lang: str) -> tuple[str, str] | None:
    text = norm(sentence)
    own = list(ctx.record_values.find(text))
    spans = [(a, b) for a, b, _, _ in own]
    known = [(a, b, k, (role, ())) for a, b, k, role in ctx.inv.value_index.find(text)
             if not any(a < y and x < b for x, y in spans)]
    for at, _end, form, (role, keys) in own + known:
        cue = _cue_before(text, at, ctx.cues, lang)
        if not cue or any(_said_after(text, at, key) for key in keys):
            continue  # no cue, or named by the record's own key for it ("电池容量为1500毫安时")
        if cue[1] != role and role not in _COMPATIBLE.get(cue[1], frozenset({cue[1]})):
            return "misbinding", f"{form!r} (a {role}) is said as a {cue[1]} after {cue[0]!r}"
    return None


def _said_after(text: str, at: int, key: str) -> bool:
    head = text[:at].rstrip(_FILLER_ZH + " ")
    head = _FILLER_EN.sub("", head).rstrip() if not has_cjk(key) else head
    return head.endswith(key)


_FILLER_EN = re.compile(r"(?:\s*\b(?:is|are|was|of|a|an|the|its|their|in|at|about|around|:)\b|\s*:)*\s*$")
_FILLER_ZH = "是为：:的采用选用约达有"


def _cue_before(text: str, at: int, cues: list[tuple[str, str]], lang: str) -> tuple[str, str] | None:
    """The cue a value directly follows (only filler words between): 'made of [a] X', '颜色[是]X'."""
    before = text[:at]
    if lang == "zh" or has_cjk(before[-2:]):
        head = before.rstrip(_FILLER_ZH + " ")
        if len(before) - len(head) > 3:
            return None
        for cue, role in cues:
            if has_cjk(cue) and head.endswith(cue):
                return cue, role
        return None
    stripped = _FILLER_EN.sub("", before).rstrip()
    heads = [before.rstrip()] + ([stripped] if len(before) - len(stripped) <= 16 else [])
    for head in heads:  # "made of X" ends in its cue; "weighs about X" once the filler is gone
        for cue, role in cues:
            if not has_cjk(cue) and re.search(rf"(?<![\w-]){re.escape(cue)}$", head):
                return cue, role
    return None


def _ngrams(text: str, n: int, lang: str) -> list[tuple[str, ...]]:
    units = [c.lower() for c in text if c.isalnum()] if lang == "zh" else [w.lower() for w in _EN_WORD.findall(text)]
    return [tuple(units[i:i + n]) for i in range(len(units) - n + 1)]


def _repetition(sentence: str, earlier: list[str], ctx: _Context, lang: str) -> tuple[str, str] | None:
    if norm(sentence) in {norm(s) for s in earlier}:
        return "repetition", "the same sentence again"
    within, across = (5, 8) if lang == "zh" else (3, 5)

    def own(gram: tuple[str, ...]) -> bool:  # a run of the record's own words (a list of ports) is no loop
        return "".join(gram) in ctx.compact

    grams = [g for g in _ngrams(sentence, within, lang) if not own(g)]
    if len(grams) != len(set(grams)):
        return "repetition", "a phrase repeated within the sentence"
    before = {g for s in earlier for g in _ngrams(s, across, lang)}
    if any(g in before and not own(g) for g in _ngrams(sentence, across, lang)):
        return "repetition", "a phrase of an earlier sentence again"
    return None


def _grammar(sentence: str, _e: list[str], ctx: _Context, lang: str) -> tuple[str, str] | None:
    if lang != "en":
        return None
    for m in _ARTICLE.finditer(sentence):
        article, word = m.group(1).lower(), m.group(2)
        if word.isupper() and len(word) > 1 or word[0].isdigit():
            continue  # an acronym or a number: read aloud, either article may be right
        if _article(word) != article:
            return "ungrammatical", f"'{m.group(1)} {word}'"
    low = norm(sentence)
    for form in ctx.plural_types:
        if re.search(rf"(?<![\w-]){re.escape(form)}\s+(?:is|has|comes|features|weighs|was)\b", low):
            return "ungrammatical", f"'{form}' takes a plural verb"
    return None


@functools.lru_cache(maxsize=4096)
def _article(word: str) -> str:
    return _inflect().a(word).split(" ", 1)[0].lower()


@functools.lru_cache(maxsize=1)
def _inflect() -> inflect.engine:
    return inflect.engine()


def drop_codes(issues: Iterable[dict[str, object]]) -> list[str]:
    return [str(i.get("code")) for i in issues if i.get("code") in CODES]


__all__ = ["CODES", "Drop", "Gated", "drop_codes", "gate", "is_unsafe", "sentences"]
