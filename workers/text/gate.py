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
from collections.abc import Sequence
from dataclasses import dataclass, field

from wordfreq import zipf_frequency

from schemas.events import Product
from workers.text import english
from workers.text.english import article as _article
from workers.text.english import singular as _singular
from workers.text.phrases import PhraseIndex, segmenter, word_key
from workers.text.roles import Inventory, ProductFacts, has_cjk, inventory, lang_of, lexicon_words, norm

# Issue codes of a dropped sentence (also the blind read's fault codes where they overlap).
CODES = ("markup", "broken_word", "mixed_language", "wrong_product_type", "misbinding", "unsupported_fact", "repetition",
         "ungrammatical")

_MARKUP = re.compile(
    r"<\s*/?\s*[a-z!][^>]*>|https?://|www\.|javascript:|\{\{|\}\}|\[\[|\]\]|;\s*--|\b(?:drop|delete|truncate)\s+table\b"
    r"|\b(?:select|insert|update)\b[^.]{0,40}\b(?:from|into|set)\b[^.]{0,40}(?:;|--|')"
    r"|\bignore\b[^.]{0,30}\b(?:instructions?|prompts?|rules)\b|\b(?:system|developer)\s+prompt\b"
    r"|\byou\s+are\s+(?:now\s+)?(?:a|an|the|in)\s+\w+\s+(?:assistant|model|ai|mode)\b|\b(?:assistant|user|system)\s*:"
    r"|\bdeveloper\s+mode\b|\bdisregard\b|\breply\s+only\b|\bforget\s+(?:the|all|previous|your)\b|#{2,}"
    r"|<\|[a-z_]+\|>|\binstructions?\s*:|\bnew\s+instructions?\b|\$\{|<%|%>|[a-z]+://"
    r"|\bor\s+'?1'?\s*=\s*'?1|\bunion\s+select\b|\bdelete\s+from\b|/\*|\*/"
    r"|忽略.{0,8}(?:指令|提示|规则|要求)|系统提示|提示词|你现在是",
    re.IGNORECASE,
)
_BROKEN = re.compile(r"\ufffd|<unk>|<0x[0-9a-f]{2}>|\u2581|##|\[a\d+\]|\[[a-z_]+\]|[\x00-\x08\x0b-\x1f]", re.I)
_EN_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
_ZH_SPLIT = re.compile(r"(?<=[。！？!?])|\n+")
_EN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9.+\-/]*")
# Latin spellings at home in Chinese copy. Units stand after a number ("5mm"), a letter that names a cut or a size
# stands before a Chinese word (T恤, V领, A字裙, XL码); acronyms stand anywhere.
ZH_UNITS = frozenset({"mm", "cm", "m", "kg", "g", "ml", "l", "w", "v", "mah", "hz", "pa", "k"})
ZH_LETTERS = frozenset({"t", "v", "a", "h", "x", "o", "u", "y", "s", "m", "l", "xs", "xl", "xxl", "xxxl"})
ZH_LATIN_OK = frozenset({
    "usb", "usb-c", "usb-a", "type-c", "led", "lcd", "hdmi", "spf", "eva", "abs", "pu", "pvc", "tpu",
    "polo", "ol", "diy", "app", "wifi", "wi-fi", "ipx4", "ipx5", "ipx7", "pd", "sd", "tf", "4k", "ai",
})
_ARTICLE = re.compile(r"\b([Aa]n?)\s+([A-Za-z0-9][\w'’-]*)")

# Which roles a cue of one role may legitimately introduce (a material cue before a part's material …).
_COMPATIBLE: dict[str, frozenset[str]] = {
    "material": frozenset({"material", "part", "texture"}),
    # 使用/选用/采用 take what a product is made or cut with, never its type, colour, style or audience
    "use": frozenset({"material", "part", "texture", "fit", "detail", "closure", "neckline", "sleeve", "pattern",
                      "waist", "hem", "length", "feature", "wearing", "ingredients"}),
    "audience": frozenset({"audience", "age", "skin_type"}),
    "suits": frozenset({"audience", "age", "skin_type", "season", "fits", "style"}),
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


_ABBREVIATION = re.compile(r"(?:\b[A-Za-z]\.|\b(?:Assn|Co|Corp|Inc|Ltd|No|St|Mr|Mrs|Ms|Dr|Jr|Sr|vs|approx)\.)$")


def sentences(text: str, lang: str) -> list[str]:
    parts = [p for p in (_ZH_SPLIT if lang == "zh" else _EN_SPLIT).split(text.strip()) if p and p.strip()]
    out: list[str] = []
    for part in parts:  # "U.S. Polo Assn. Kids" is one name, not three sentences
        if out and lang == "en" and _ABBREVIATION.search(out[-1].rstrip()):
            out[-1] = f"{out[-1].rstrip()} {part.strip()}"
        else:
            out.append(part.strip())
    return out


def gate(text: str, product: Product, locale: str, facts: ProductFacts | None = None,
         shop_terms: Sequence[str] = ()) -> Gated:
    """Keep the sentences of `text` that pass every check for `product` in `locale`; record the others.

    shop_terms: the shop's own words (its preferred terms), licensed like the record's: a shop that writes
    "headset" for "headphones" names its product so.
    """
    inv = inventory()
    lang = lang_of(locale)
    facts = facts or inv.facts(product, is_unsafe)
    ctx = _context(inv, product, facts, lang, tuple(shop_terms))
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
    names: tuple[str, ...]  # the brand and the record's own keys, normalised: words in them are no values
    titles: tuple[str, ...]  # the title and the type's name as the record words them
    record_text: str  # the record's words, normalised
    numbers: frozenset[str]  # every number the record holds (1.50 and 1.5 alike)
    licensed: list[str]  # word keys / spellings of the types the record names (any of their forms)
    record_values: PhraseIndex[tuple[str, tuple[str, ...]]]  # the record's values -> (role, its keys)
    latin_ok: frozenset[str]
    record_words: frozenset[str]  # every Latin word of the record, lower-cased
    nouns: frozenset[str]  # words a colour or an audience may stand before: the record's and the lexicon's
    compact: str  # the record's letters and digits only: a phrase repeated from it is not a loop
    cues: list[tuple[str, str]]
    plural_types: tuple[str, ...]


def _context(inv: Inventory, product: Product, facts: ProductFacts, lang: str,
             shop_terms: tuple[str, ...] = ()) -> _Context:
    strings = [product.title, product.category.replace("_", " "), product.brand or "",
               *(str(k) for k in product.attributes), *(f.value for f in facts.facts), facts.type_text, *shop_terms]
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
                    values.setdefault(english.american(form), (f.role, keys))
    # Latin words a Chinese text may carry: the brand, model codes and acronyms, never English words of the record
    own = lang_of(product.locale) == lang  # a Chinese record's Latin spellings (Micro-USB) are the shop's own
    latin = {w.lower() for s in strings for w in _LATIN_RUN.findall(s)
             if own or w.lower() in norm(product.brand or "") or any(c.isdigit() for c in w) or w.isupper()}
    plural = tuple(form for t in ([facts.type] if facts.type else []) if t.plural for form in t.forms
                   if not has_cjk(form))
    record_words = frozenset(w.lower() for s in strings for pattern in (r"[A-Za-z]+", r"[A-Za-z]+(?:[-'’][A-Za-z]+)+")
                             for w in re.findall(pattern, english.american(s) + " " + s))  # "PERFKT-U" as a whole
    nouns = record_words | lexicon_words()
    names = tuple(n for n in {norm(product.brand or ""), *(norm(k) for k in product.attributes)} if len(n) >= 2)
    named = f"{facts.name} {facts.type_text}" if facts.name else ""  # the title's words for it, as the text says them
    titles = tuple(t for t in (product.title, facts.type_text, named) if t)
    numbers = frozenset(_number_key(n) for s in [*strings, str(product.price.amount) if product.price else ""]
                        for n in _NUMBER.findall(s))
    return _Context(inv, names, titles, record, numbers, licensed, PhraseIndex(values), frozenset(latin | ZH_LATIN_OK),
                    record_words, nouns,
                    "".join(c for c in record if c.isalnum()), inv.cue_roles(lang), plural)


# ---- the checks -------------------------------------------------------------------------


def _check(sentence: str, earlier: list[str], ctx: _Context, lang: str) -> tuple[str, str] | None:
    for check in (_markup, _fragment, _script, _wrong_type, _misbinding, _numbers, _repetition, _broken, _grammar):
        found = check(sentence, earlier, ctx, lang)
        if found:
            return found
    return None


def _markup(sentence: str, _e: list[str], _c: _Context, _l: str) -> tuple[str, str] | None:
    m = _MARKUP.search(sentence)
    return ("markup", f"markup, link or instruction text {m.group(0)[:40]!r}") if m else None


def _fragment(sentence: str, _e: list[str], _c: _Context, _l: str) -> tuple[str, str] | None:
    m = _BROKEN.search(sentence)
    return ("broken_word", f"a token fragment {m.group(0)!r}") if m else None


# Single characters that stand as words in product copy; any other one-character "word" is a dictionary miss.
_ZH_SINGLE = frozenset("的了是为和与在这款及有上更也很让其可不就都而并或对从到把被将使件条个种套双只既又")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")


def _broken(sentence: str, _e: list[str], ctx: _Context, lang: str) -> tuple[str, str] | None:
    if lang == "zh" and (found := _unsegmentable(sentence, ctx)):
        return found
    for word in _EN_WORD.findall(sentence):
        low = word.lower()
        if low in ctx.record_words or any(c.isdigit() for c in word) or inventory().unit(word) is not None:
            continue  # a unit is written as units are: mAh, kWh
        if re.search(r"[a-z][A-Z]", word) or re.search(r"([a-z])\1\1", low):  # "wAter", "ShoesIt", "Allll"
            return "broken_word", f"a broken word {word!r}"
        if lang == "en" and len(low) > 2 and any(not _is_word(part) for part in re.split(r"['’-]", low) if part):
            return "broken_word", f"{word!r} is no English word"
    return None


def _zh_fragment(sentence: str) -> tuple[str, str] | None:
    """Nouns with nothing said of them ("群耳机。", "纯色图案。"): no verb, adjective, adverb or preposition.

    Design points such as "拉链设计" pass (设计 is a verbal noun), and so do "标签：值" spec lines."""
    if "：" in sentence or ":" in sentence:
        return None
    tags = [flag for word, flag in segmenter().posseg.lcut(sentence, HMM=False) if _HAN_RUN.search(word)]
    if tags and not any(flag[:1] in "vadp" for flag in tags):
        return "ungrammatical", "no verb or description: a fragment, not a sentence"
    return None


def _unsegmentable(sentence: str, ctx: _Context) -> tuple[str, str] | None:
    """Characters that form no words: what an untrained or derailed model writes ("骁勤锦于镜湖烫").

    Human copy keeps at least half of its characters in dictionary words even in terse clauses ("顺滑挺括"); a
    sentence under a third is a string of characters, not Chinese.
    """
    han = [t for t in segmenter().lcut(sentence, HMM=False) if _HAN_RUN.fullmatch(t)]
    total = sum(len(t) for t in han)
    if total < 4:
        return None
    known = sum(len(t) for t in han if len(t) > 1 or t in _ZH_SINGLE or t in ctx.record_text)
    if known / total < 0.35:
        return "broken_word", f"hardly a Chinese word in it ({known} of {total} characters in words)"
    return None


def _is_word(word: str) -> bool:
    """In English's word list (wordfreq), or a word of the lexicon."""
    return len(word) <= 2 or _zipf(word) > 0 or word in lexicon_words()


@functools.lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    return zipf_frequency(word, "en")


def _script(sentence: str, _e: list[str], ctx: _Context, lang: str) -> tuple[str, str] | None:
    if lang == "en":
        if has_cjk(sentence):
            return "mixed_language", "Chinese characters in an English text"
        return None
    if not has_cjk(sentence):
        return "mixed_language", "no Chinese in a Chinese sentence"
    for m in _LATIN_RUN.finditer(sentence):
        w = m.group().lower().strip(".-/+")
        if not w or w in ctx.latin_ok or any(c.isdigit() for c in w):
            continue  # the record's own spellings, acronyms; a model code is the number check's to judge
        before, after = sentence[:m.start()].rstrip(), sentence[m.end():]
        if w in ZH_UNITS and before[-1:].isdigit():
            continue
        if w in ZH_LETTERS and has_cjk(after[:1]):
            continue
        return "mixed_language", f"the foreign word {m.group()!r}"
    return None


def _wrong_type(sentence: str, _e: list[str], ctx: _Context, _l: str) -> tuple[str, str] | None:
    for _, _, key, term in ctx.inv.type_index.find(norm(sentence)):
        if has_cjk(key) and len(key) == 1 and key not in segmenter().lcut(sentence, HMM=False):
            continue  # 包 inside 包装重量 names no bag
        words = key.split()
        if not has_cjk(key) and " ".join(words[:-1] + [_singular(words[-1])]) in ctx.record_text:
            continue  # the record's own noun in the plural ("these boxers" of a Boxer)
        # the record's type, or a narrower name of it ("trail running shoes" where the record says shoes)
        if not any(key == own or key.endswith(" " + own) or (has_cjk(own) and key.endswith(own))
                   for own in ctx.licensed):
            return "wrong_product_type", f"names a {term.en} ({term.zh}), which the record is not"
    return None


def _misbinding(sentence: str, _e: list[str], ctx: _Context, lang: str) -> tuple[str, str] | None:
    text = english.american(norm(sentence))  # one spelling: an en-US text says the record's cream-coloured "colored"
    own = list(ctx.record_values.find(text))
    spans = [(a, b) for a, b, _, _ in own]
    names = [(m.start(), m.end()) for name in ctx.names for m in re.finditer(re.escape(name), text)]
    own = [o for o in own if not any(o[0] < y and x < o[1] for x, y in names)]  # "Van Heusen Woman" names a brand
    known = [(a, b, k, (role, ())) for a, b, k, role in ctx.inv.value_index.find(text)
             if not any(a < y and x < b for x, y in spans + names)]
    for at, end, form, (role, keys) in own + known:
        if role == "colour" and word_key(form) in ctx.licensed:
            continue  # the product's own type that is also a colour word ("anti pigmentation cream")
        if lang == "en" and (frame := _outside_frame(text, at, end, role, ctx.nouns)):
            return "misbinding", f"{form!r} (a {role}) {frame}"
        cue = _cue_before(text, at, ctx.cues, lang)
        if not cue or any(_said_after(text, at, key) for key in keys):
            continue  # no cue, or named by the record's own key for it ("电池容量为1500毫安时")
        phrase = f"{cue[0]} {form}"
        if phrase in text and any(phrase in english.american(norm(title)) for title in ctx.titles):
            continue  # the title's own words ("Churidar Length Leggings"): the shop's phrase, not a binding
        if cue[1] != role and role not in _COMPATIBLE.get(cue[1], frozenset({cue[1]})):
            return "misbinding", f"{form!r} (a {role}) is said as a {cue[1]} after {cue[0]!r}"
    return None


_AFTER = re.compile(r"\s*([a-z0-9'’-]+|[.,;:!?]|$)")
_BEFORE = re.compile(r"([a-z0-9'’-]+)\s*$")
_ENDS = {"", ".", ",", ";", ":", "!", "?", "and", "or", "but", "with", "is", "are"}
_COLOUR_LEADS = {"in", "is", "are", "colour", "color", "shade", "of", "and", "or", "both", "either"}
_AUDIENCE_LEADS = {"for", "men's", "women's"}
_PRICE_LEADS = {"at", "for", "costs", "cost", "is", "price", "priced", "only", "just"}


def _outside_frame(text: str, at: int, end: int, role: str, words: frozenset[str]) -> str | None:
    """English frames a colour or an audience must stand in: 'a grey shirt', 'comes in grey', 'for women',
    "women's"; not 'it is a Grey.', 'comes in Men', 'labelled for Black'."""
    after = _AFTER.match(text, end)
    nxt = after.group(1) if after else ""
    prev_m = _BEFORE.search(text[:at])
    prev = prev_m.group(1) if prev_m else ""
    # before a noun the product has ("grey t-shirt", the title's "Men Grey Melange …"), not any word ("Men pieces")
    before_noun = nxt not in _ENDS and (nxt in words or _singular(nxt) in words
                                        or all(p in words for p in nxt.split("-") if p))  # "skinny-fit tights"
    in_list = text[:at].rstrip().endswith((",", "/", "&"))  # "in lavender, black or mint"
    if role == "colour":
        if before_noun or prev in _COLOUR_LEADS or in_list:
            return None
        return f"is not said as a colour (after {prev!r}, before {nxt!r})"
    if role == "price":
        return None if prev in _PRICE_LEADS else f"is not said as a price (after {prev!r})"
    if role == "audience":
        if prev in _AUDIENCE_LEADS or text[end:end + 2] in ("'s", "’s") or before_noun:
            return None
        return f"is not said as who it is for (after {prev!r}, before {nxt!r})"
    return None


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _numbers(sentence: str, _e: list[str], ctx: _Context, _l: str) -> tuple[str, str] | None:
    """Every number is the record's: a count, size or amount it does not hold is invented ("4人", "5个口袋")."""
    for m in _NUMBER.finditer(sentence):
        if _number_key(m.group(0)) not in ctx.numbers:
            return "unsupported_fact", f"the number {m.group(0)} is not in the record"
    return None


def _number_key(number: str) -> str:
    value = number.replace(",", "")
    return value.rstrip("0").rstrip(".") if "." in value else value


def _said_after(text: str, at: int, key: str) -> bool:
    head = _FILLER_ZH.sub("", text[:at])
    head = _FILLER_EN.sub("", head).rstrip() if not has_cjk(key) else head
    return head.endswith(key)


_FILLER_EN = re.compile(r"(?:\s*\b(?:is|are|was|of|a|an|the|its|their|in|at|about|around|:)\b|\s*:)*\s*$")
_FILLER_ZH = re.compile(r"(?:是|为|：|:|的|约|达|有|\s)*$")


def _cue_before(text: str, at: int, cues: list[tuple[str, str]], lang: str) -> tuple[str, str] | None:
    """The cue a value directly follows (only filler words between): 'made of [a] X', '颜色[是]X'."""
    before = text[:at]
    if lang == "zh" or has_cjk(before[-2:]):
        head = _FILLER_ZH.sub("", before)
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
        return "".join(c for c in "".join(gram) if c.isalnum()) in ctx.compact

    grams = _ngrams(sentence, within, lang)
    for gram in set(grams):
        seen = grams.count(gram)  # as often as the record itself says it ("1 x USB-C, 1 x USB-A"), no more
        if seen > 1 and seen > ctx.compact.count("".join(c for c in "".join(gram) if c.isalnum())):
            return "repetition", "a phrase repeated within the sentence"
    before = {g for s in earlier for g in _ngrams(s, across, lang)}
    if any(g in before and not own(g) for g in _ngrams(sentence, across, lang)):
        return "repetition", "a phrase of an earlier sentence again"
    return None


_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|do|does|can|will|comes?|features?|offers?|makes?|made|includes?|"
    r"gives?|keeps?|lets?|fits?|suits?|weighs?|measures?|holds?|connects?|uses?|adds?|pairs?|sits?|runs?|meet|"
    r"brings?|carries|carry|provides?|needs?|lasts?|contains?|says?|goes|go|looks?|feels?|stays?|wash|dry|"
    r"available|required)\b|\b(?:it|they)\s+\w+", re.I)


_SPEC_LINE = re.compile(r"^\s*[A-Z][\w -]{0,30}:\s+\S")  # "Care: hand wash cold." - a specification line


def _without(sentence: str, phrases: tuple[str, ...]) -> str:
    """The sentence with the record's names taken out ("Face Wash" names the product, it is no verb)."""
    for phrase in phrases:
        sentence = re.sub(re.escape(phrase), " ", sentence, flags=re.I)
    return sentence


def _grammar(sentence: str, _e: list[str], ctx: _Context, lang: str) -> tuple[str, str] | None:
    if lang == "zh":
        return _zh_fragment(sentence)
    if lang != "en":
        return None
    if not _VERB.search(_without(sentence, ctx.titles)) and not _SPEC_LINE.match(sentence):
        return "ungrammatical", "no verb: a fragment, not a sentence"
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


__all__ = ["CODES", "Drop", "Gated", "gate", "is_unsafe", "sentences"]
