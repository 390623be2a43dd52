"""Slot placeholders: the house model writes `[brand]`, `[a3]`… and the values are filled in after.

Delexicalised generation (the classic data-to-text technique): in training,
every attribute value, the brand, the title and the product name in the
target text is replaced by its slot; the model learns how to *say* things,
and the values are copied exactly afterwards. A small model cannot then get a
number, a unit or a brand wrong by misspelling it — it can only choose which
facts to state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from schemas.events import Product
from workers.gpu.prompt import attr_slot, format_value, language

MAX_ATTRIBUTES = 24
TITLE, BRAND, NAME = "[title]", "[brand]", "[name]"
PLACEHOLDER = re.compile(r"\[(?:title|brand|name|a\d{1,2})\]")
_SENTENCE = re.compile(r"[^.!?。！？]+[.!?。！？]?")


def placeholders() -> list[str]:
    return [TITLE, BRAND, NAME] + [attr_slot(i) for i in range(MAX_ATTRIBUTES)]


def join_list(values: Sequence[Any], locale: str) -> str:
    items = [format_value(v) for v in values]
    if len(items) < 2:
        return "".join(items)
    if language(locale) == "zh":
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


def values(product: Product, locale: str) -> dict[str, str]:
    """Placeholder → the text it stands for in this product."""
    out = {TITLE: product.title, NAME: product_name(product)}
    if product.brand:
        out[BRAND] = product.brand
    for i, value in enumerate(list(product.attributes.values())[:MAX_ATTRIBUTES]):
        out[attr_slot(i)] = join_list(value, locale) if isinstance(value, list) else format_value(value)
    return out


def delexicalize(product: Product, text: str, locale: str, name: str | None = None) -> str:
    """Replace the product's values in `text` by their slots (longest first, lists as a whole)."""
    spans: list[tuple[str, str]] = [(product.title, TITLE)]
    if name:
        spans.append((name, NAME))
    spans.append((product_name(product), NAME))
    if product.brand:
        spans.append((product.brand, BRAND))
    for i, value in enumerate(list(product.attributes.values())[:MAX_ATTRIBUTES]):
        if isinstance(value, list):
            text = _replace_list(text, [format_value(v) for v in value], attr_slot(i))
        else:
            spans.append((format_value(value), attr_slot(i)))
    for needle, slot in sorted(spans, key=lambda s: -len(s[0])):
        if len(needle) >= 2:
            text = _replace_outside_slots(text, needle, slot)
    return text


def _replace_outside_slots(text: str, needle: str, slot: str) -> str:
    parts = PLACEHOLDER.split(text)
    slots = PLACEHOLDER.findall(text)
    parts = [p.replace(needle, slot) for p in parts]
    out = parts[0]
    for s, p in zip(slots, parts[1:]):
        out += s + p
    return out


def _replace_list(text: str, items: list[str], slot: str) -> str:
    """The span from the first to the last item, when all items appear in order close together."""
    if not items or not all(items):
        return text
    start = text.find(items[0])
    if start < 0:
        return text
    end, pos = start + len(items[0]), start + len(items[0])
    for item in items[1:]:
        nxt = text.find(item, pos)
        if nxt < 0 or nxt - pos > 8:  # a joiner (", ", " and ", "、", "和") is short
            return text
        end = pos = nxt + len(item)
    return text[:start] + slot + text[end:]


def relexicalize(product: Product, text: str, locale: str) -> str:
    """Fill slots with the product's values; drop a sentence whose slot this product lacks."""
    fill = values(product, locale)
    kept = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0)
        if any(slot not in fill for slot in PLACEHOLDER.findall(sentence)):
            continue
        kept.append(PLACEHOLDER.sub(lambda m: fill[m.group(0)], sentence))
    return "".join(kept).strip()


# Words that say which quantity comes next, and the words an attribute name of
# that quantity contains. "has a weight of [a3]" with [a3] = battery life is a
# value in the wrong place, which exact filling alone cannot prevent.
_FAMILIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "mass": (("weight of", "weighs", "weighing", "重量为", "重量是", "净重", "重约", "整体重量"),
             ("weight", "重")),
    "duration": (("battery life of", "lasts", "runs for", "playtime of", "续航", "播放"),
                 ("battery", "life", "playtime", "runtime", "续航", "时长", "时间")),
    "colour": (("colour is", "color is", "in the colour", "颜色为", "颜色是", "配色为", "配色是"),
               ("colour", "color", "颜色", "配色", "色")),
    "capacity": (("capacity of", "stores", "holds", "容量为", "容量是", "容量"),
                 ("capacity", "容量", "电量")),
    "size": (("dimensions of", "measures", "尺寸为", "尺寸是", "尺寸"),
             ("dimension", "size", "尺寸", "规格", "大小")),
}
_WINDOW = 16  # characters before a slot that can hold its cue


def misplaced(product: Product, text: str) -> list[str]:
    """Attribute names whose slot follows a cue for another quantity, in slot-form text."""
    names = list(product.attributes)[:MAX_ATTRIBUTES]
    out = []
    for match in re.finditer(r"\[a(\d{1,2})\]", text):
        index = int(match.group(1))
        if index >= len(names):
            continue
        before = text[max(0, match.start() - _WINDOW): match.start()].lower()
        key = names[index].lower()
        for cues, key_words in _FAMILIES.values():
            if any(before.rstrip().endswith(c) or f"{c} " in before[-len(c) - 2:] for c in cues) and not any(
                w in key for w in key_words
            ):
                out.append(names[index])
                break
    return out
