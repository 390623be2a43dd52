"""Typed slots: the house model writes `[colour]`, `[type]`, `[brand]` … and the values are filled in after.

Delexicalised generation (the classic data-to-text technique): in training,
every value in the target text is replaced by its slot; the model learns how
to *say* things, and the values are copied exactly afterwards. A slot is
named for the role of what it holds (workers/text/roles.py), so the words
before it can learn what it says: "made of [material]" is learnable, where a
positional "made of [a3]" was not ([a3] held a colour in one product and a
battery life in the next). The product's type is a slot too, so the model
never learns a product noun ("kettle", 电水壶) to write about anything.

An attribute no role names, or a second attribute of a role already given
its slot, takes an extra slot `[x0]` … `[x7]`, which the prompt lists under
the attribute's own name.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from schemas.events import Product
from workers.text import english
from workers.text.realise import say_value, type_noun
from workers.text.roles import ProductFacts, has_cjk, inventory, lang_of, values_of

HOUSE_MARKER = "descflow.json"  # beside a house model: its prompt format and slots
HOUSE_FORMAT = "house-v3"  # the prompt and slot format; a house model trained on another is rebuilt
TITLE, BRAND, NAME, TYPE = "[title]", "[brand]", "[name]", "[type]"
FIXED = (TITLE, BRAND, NAME, TYPE)
EXTRA = 8
# Roles that hold no value of their own: the type has [type]; "suits" and "use" are cue words only.
_NO_SLOT = frozenset({"type", "suits", "use"})
_SENTENCE = re.compile(r"[^.!?。！？]+[.!?。！？]?")
_WINDOW = 16  # characters before a slot that can hold another role's cue
_LINK = re.compile(r"(?:[\s:：为是的]|\b(?:is|are|was|of)\b)+$")


def role_slot(role: str) -> str:
    return f"[{role}]"


def extra_slot(i: int) -> str:
    return f"[x{i}]"


@functools.cache
def placeholders() -> tuple[str, ...]:
    """Every slot a house model is trained with, in a stable order (its tokenizer adds one token per slot)."""
    roles = sorted(r for r in inventory().roles if r not in _NO_SLOT)
    return (*FIXED, *(role_slot(r) for r in roles), *(extra_slot(i) for i in range(EXTRA)))


@functools.cache
def _pattern(known: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(s) for s in sorted(known, key=len, reverse=True)))


@dataclass(frozen=True)
class Slot:
    """One slot of one product: what fills it, and the spellings a training text may use for it."""

    slot: str
    key: str  # the attribute's own name; "" for the title, brand, name and type
    value: str  # as it is filled in
    role: str = ""  # the role of the attribute's value, "" when no role knows it
    forms: tuple[str, ...] = ()  # the value as the shop wrote it (and as said), longest first


def join_list(values: Sequence[str], locale: str) -> str:
    items = [v for v in values if v]
    if len(items) < 2:
        return "".join(items)
    if lang_of(locale) == "zh":
        return "、".join(items[:-1]) + "和" + items[-1]
    return ", ".join(items[:-1]) + " and " + items[-1]


def product_name(product: Product | Mapping[str, Any]) -> str:
    """The title without a leading brand: what a sentence calls the product after naming the brand."""
    title = product.title if isinstance(product, Product) else product["title"]
    brand = (product.brand if isinstance(product, Product) else product.get("brand")) or ""
    if brand and title.startswith(brand):
        rest = title[len(brand):].strip(" -·|")
        if rest:
            return rest
    return title


def product_type(product: Product, locale: str) -> str:
    """What the [type] slot holds: the product's type in the locale's words ("" when nothing names it)."""
    return _type_of(inventory().facts(product), lang_of(locale))


def _type_of(facts: ProductFacts, lang: str) -> str:
    noun = type_noun(facts, lang)
    if lang == "en":
        if has_cjk(noun) or not noun:
            return ""
        noun = noun if noun.isupper() else noun.lower()
        # "pair of jeans": a plural type is then the subject of "is", as a singular one is.
        return f"pair of {noun}" if english.is_plural(noun.split()[-1]) else noun
    return noun if has_cjk(noun) else ""


def slots_of(product: Product, locale: str, known: Collection[str] | None = None) -> list[Slot]:
    """The product's slots: title, name, brand and type, then one per attribute in the record's order.

    known: the slots the model has tokens for (a model trained before a role was added lacks it: its
    attribute takes an extra slot instead). Kept for the same product object: the generator asks three
    times per candidate (the decoding constraint, filling, the misplaced check), and reading a product's
    roles was a third of the house model's generation time on the CPU.
    """
    key = (id(product), locale, None if known is None else tuple(known))
    with _LOCK:
        hit = _KEPT.get(key)
        if hit is not None and hit[0] is product:
            _KEPT.move_to_end(key)
            return list(hit[1])
    out = _slots_of(product, locale, known)
    with _LOCK:
        _KEPT[key] = (product, out)
        while len(_KEPT) > _KEEP:
            _KEPT.popitem(last=False)
    return list(out)


_KEEP = 256
_KEPT: OrderedDict[tuple[int, str, tuple[str, ...] | None], tuple[Product, list[Slot]]] = OrderedDict()
_LOCK = threading.Lock()


def _slots_of(product: Product, locale: str, known: Collection[str] | None) -> list[Slot]:
    known = set(placeholders() if known is None else known)
    inv, lang = inventory(), lang_of(locale)
    own = lang_of(product.locale) == lang
    facts_of = inv.facts(product)
    noun = _type_of(facts_of, lang) if TYPE in known else ""
    name = product_name(product)
    out = [Slot(TITLE, "", product.title, forms=(product.title,))]
    if name not in (product.title, noun):  # one slot per text, or a text could be read back two ways
        out.append(Slot(NAME, "", name, forms=(name,)))
    if product.brand:
        out.append(Slot(BRAND, "", product.brand, forms=(product.brand,)))
    if noun:
        out.append(Slot(TYPE, "", noun, forms=_spellings({noun, noun.removeprefix("pair of ")})))
    taken: set[str] = set()
    extra = 0
    for key, raw in product.attributes.items():
        values = values_of(raw)
        if not values:
            continue
        facts = [inv.fact(key, v) for v in values]
        said = [say_value(inv, f, lang, own=own) or f.value for f in facts]
        role = facts[0].role
        if role == "type" and all(v in noun for v in said):
            continue  # 类型 裤 of a 阔腿裤: [type] says it
        slot = role_slot(role) if role and role not in _NO_SLOT else ""
        if not slot or slot in taken or slot not in known:
            slot = extra_slot(extra) if extra < EXTRA else ""
            extra += 1
        if not slot or slot not in known:
            continue  # more attributes than the model has slots for: the realiser says them
        taken.add(slot)
        forms = {join_list(values, locale), join_list(said, locale), ", ".join(values), *values, *said}
        out.append(Slot(slot, key, join_list(said, locale), role, _spellings(forms)))
    for fact in facts_of.facts:  # what the title says that no attribute does: "Slim Fit", "Floral Print"
        slot = role_slot(fact.role)
        if fact.source != "title" or not fact.role or fact.role in _NO_SLOT or slot in taken or slot not in known:
            continue
        said_one = say_value(inv, fact, lang, own=own)
        if said_one:
            taken.add(slot)
            label = inv.roles[fact.role].label[lang]
            out.append(Slot(slot, label, said_one, fact.role, _spellings({said_one, fact.value})))
    return out


def _spellings(forms: set[str]) -> tuple[str, ...]:
    """The forms, and each with and without the space between a number and its unit ("283 g", "283g")."""
    more = set(forms)
    for form in forms:
        more.add(re.sub(r"(\d)\s+(?=[^\W\d_])", r"\1", form))
        more.add(re.sub(r"(\d)(?=[A-Za-z])", r"\1 ", form))
        more.add(form[:1].upper() + form[1:])  # at the start of a sentence
    return tuple(sorted((f for f in more if f), key=len, reverse=True))


def values(product: Product, locale: str, known: Collection[str] | None = None) -> dict[str, str]:
    """Placeholder → the text it stands for in this product."""
    return {s.slot: s.value for s in slots_of(product, locale, known)}


def delexicalize(product: Product, text: str, locale: str, name: str | None = None,
                 known: Collection[str] | None = None) -> str:
    """Replace the product's values in `text` by their slots: the longest span first, a list as a whole."""
    spans: list[tuple[str, str]] = [(name, NAME)] if name else []
    for s in slots_of(product, locale, known):
        spans.extend((form, s.slot) for form in s.forms)
        raw = values_of(product.attributes.get(s.key)) if s.key else []
        if len(raw) > 1:
            text = _replace_list(text, raw, s.slot)
    # Longest first; of equal spans the type (a name that is only the type noun is said as the type).
    for needle, slot in sorted(spans, key=lambda s: (-len(s[0]), s[1] != TYPE)):
        if len(needle) >= 2 or needle.isdigit() or has_cjk(needle):  # 材质 棉 is one character
            text = _replace_outside_slots(text, needle, slot, whole_words=slot not in (TITLE, NAME, BRAND))
    return _REPEATED.sub(r"\1", text)


_JOINER_TEXT = r"(?:\s*(?:,|、|/|和|或|及|，)\s*|,?\s+(?:and|or|&)\s+)"
_JOINER = re.compile(_JOINER_TEXT)
# One slot twice across a list's joiner ("[colour] and [colour]"): the items of one value, said apart.
_REPEATED = re.compile(rf"(\[[a-z_0-9]+\])(?:{_JOINER_TEXT}\1)+")


def _replace_list(text: str, items: list[str], slot: str) -> str:
    """The span from the first to the last item, when all items appear in order close together."""
    start = text.find(items[0])
    if start < 0:
        return text
    end = pos = start + len(items[0])
    for item in items[1:]:
        nxt = text.find(item, pos)
        if nxt < 0 or not _JOINER.fullmatch(text[pos:nxt]):
            return text
        end = pos = nxt + len(item)
    return text[:start] + slot + text[end:]


def _replace_outside_slots(text: str, needle: str, slot: str, *, whole_words: bool = True) -> str:
    """whole_words: only where the value stands as words; a name is replaced anywhere ("[brand][name]" is written
    as one run of letters, "NordvikAria")."""
    pattern = _pattern(placeholders())
    parts = pattern.split(text)
    found = pattern.findall(text)
    parts = [_replace_word(p, needle, slot) if whole_words else p.replace(needle, slot) for p in parts]
    out = parts[0]
    for s, p in zip(found, parts[1:]):
        out += s + p
    return out


def _replace_word(text: str, needle: str, slot: str) -> str:
    """Every whole-word occurrence (Chinese has no word edges: every occurrence)."""
    if has_cjk(needle):
        return text.replace(needle, slot)
    if needle.isdigit():  # a count ("sleeps 2", "2个口袋"): not a digit of 5.2 or 12
        return re.sub(rf"(?<![\d.,]){needle}(?![\d]|[.,]\d)", slot, text)
    # Latin word edges only: in "搭载48mm发声单元" the value stands between hanzi, which \w would count as letters.
    return re.sub(rf"(?<![A-Za-z0-9_-]){re.escape(needle)}(?![A-Za-z0-9_-])", slot.replace("\\", "\\\\"), text)


def relexicalize(product: Product, text: str, locale: str, known: Collection[str] | None = None) -> str:
    """Fill slots with the product's values; drop a sentence whose slot this product lacks."""
    fill = values(product, locale, known)
    pattern = _pattern(placeholders() if known is None else tuple(known))
    english = lang_of(locale) == "en"
    kept = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0)
        if any(slot not in fill for slot in pattern.findall(sentence)):
            continue
        if english:  # "a [type]" of an analogue watch is "an analogue watch"
            sentence = _ARTICLE.sub(lambda m: _article_for(m, fill), sentence)
        filled = pattern.sub(lambda m: fill[m.group(0)], sentence)
        if english:
            filled = re.sub(r"^(\s*)([a-z])", lambda m: m.group(1) + m.group(2).upper(), filled)
        kept.append(filled)
    return "".join(kept).strip()


_ARTICLE = re.compile(r"\b([Aa]n?) (\[[a-z_0-9]+\])")


def _article_for(match: re.Match[str], fill: Mapping[str, str]) -> str:
    value = fill.get(match.group(2))
    if not value:
        return match.group(0)
    article = english.with_article(value).split(" ", 1)[0]
    if match.group(1)[0].isupper():
        article = article.capitalize()
    return f"{article} {match.group(2)}"


def misplaced(product: Product, text: str, locale: str | None = None,
              known: Collection[str] | None = None) -> list[str]:
    """Attribute names whose slot follows another role's cue word ("made of [colour]"), in slot-form text."""
    locale = locale or product.locale
    lang = lang_of(locale)
    cues = inventory().cue_roles(lang)
    by_slot = {s.slot: s for s in slots_of(product, locale, known) if s.key}
    out: list[str] = []
    for match in _pattern(placeholders() if known is None else tuple(known)).finditer(text):
        s = by_slot.get(match.group(0))
        if s is None or not s.role:
            continue
        window = text[max(0, match.start() - _WINDOW): match.start()].lower()
        before = window.rstrip(" :：为是的")
        bare = _LINK.sub("", window)  # "the colour is [x]" ends in the cue "colour"
        cue = next((c for c, _ in cues if _ends_with_word(before, c) or _ends_with_word(bare, c)), None)
        if cue is None or any(c in window for c, r in cues if r == s.role):  # "sleeve length [sleeve]" is right
            continue
        if s.role not in {r for c, r in cues if c == cue} and s.key not in out:
            out.append(s.key)
    return out


def _ends_with_word(text: str, cue: str) -> bool:
    return text.endswith(cue) if has_cjk(cue) else re.search(rf"(?<![\w-]){re.escape(cue)}$", text) is not None
