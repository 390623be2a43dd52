"""What every writer shares: values said in the target language, the product's type noun, and the writer's base.

A value that has no form in the target language is left out, never copied across scripts; what was left out is
reported in `Realised.omitted`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from workers.text import english
from workers.text.gate import ZH_LATIN_OK, ZH_LETTERS, ZH_UNITS
from workers.text.roles import Fact, Inventory, ProductFacts, has_cjk, norm

_QTY = re.compile(r"^\s*([\d][\d.,]*(?:\s*[-–x×]\s*[\d.,]+)*)\s*([^\d\s].*?)\s*$")
# Roles said in each part of the text, in order.
CUT = ("fit", "length", "neckline", "sleeve", "waist", "hem", "closure")
LOOK = ("material", "pattern", "style")
SPECS = ("weight", "dimensions", "capacity", "pack", "power", "battery", "connectivity", "ports")
SUITS = ("age", "skin_type", "season")
_SKIP = frozenset({"price", "type", "audience", "colour"})  # said elsewhere, or not in a description at all
_PLANNED = frozenset({"detail", "feature", "part", "size", "care", "ingredients", "texture", "fragrance", "wearing",
                      "origin", "fits", "assembly"})
YES = frozenset({"yes", "true", "lined", "included", "有", "是", "带"})
_PROPER = {"bluetooth": "Bluetooth", "usb": "USB", "usb-c": "USB-C", "hdmi": "HDMI", "led": "LED", "tv": "TV",
           "wi-fi": "Wi-Fi", "eva": "EVA", "abs": "ABS", "spf": "SPF", "lcd": "LCD", "tritan": "Tritan"}


@dataclass
class Realised:
    text: str
    omitted: list[str] = field(default_factory=list)  # "key: value" left out for want of a translation


def type_noun(facts: ProductFacts, lang: str) -> str:
    """What the product is called in `lang`, before any plural or article; "" when nothing names it."""
    if lang == "zh":
        return _fix_case(facts.type_text if has_cjk(facts.type_text) else facts.type.zh if facts.type else "", "zh")
    noun = facts.type_text if facts.type_text and not has_cjk(facts.type_text) else facts.type.en if facts.type else ""
    if facts.type and re.sub(r"[\s-]", "", noun) == re.sub(r"[\s-]", "", facts.type.en.lower()):
        noun = facts.type.en  # the lexicon's spelling of the record's word: "Tshirt" is a T-shirt
    return noun if re.search(r"[^\W\d_]", noun) else ""  # a category of digits names nothing


# ---- values in the target language -------------------------------------------------------


def say_value(inv: Inventory, fact: Fact, lang: str, *, own: bool = False) -> str | None:
    """The value in `lang`, or None when it has no form there (it is then left out).

    own: the record is written in `lang`, so a Latin spelling in a Chinese record ("Micro-USB", "Lightning") is the
    shop's own and stands as it is; in a record of another language it is an English word to translate."""
    value = fact.value.strip()
    if fact.term is not None and lang == "en" and not own:
        return proper(fact.term.en)  # a Chinese record's "h" under 版型 is an H-line cut
    if _native(value, lang) or (own and lang == "zh"):
        if lang == "en" and fact.term is not None and value.lower() in fact.term.forms and not value.isupper():
            value = value.lower()  # a known word mid-sentence: "a matte texture", not "a Matte texture"
        return _fix_case(value, lang) if lang == "zh" else proper(value)  # the shop's own words
    if fact.term is not None:
        return _fix_case(fact.term.say(lang), lang)
    m = _QTY.match(value)
    if m:
        unit = inv.unit(m.group(2))
        if unit is not None:
            number = m.group(1).replace("×", " x ") if lang == "en" else m.group(1).replace(" x ", "×")
            return f"{number} {unit.en}" if lang == "en" else f"{number}{unit.zh}"
    return _composed(inv, value, lang)


_NUMBER_PIECE = re.compile(r"\d+(?:[.,]\d+)*")
_SEPARATOR = {"/": "/", "+": "+", "&": ("and", "和"), "and": ("and", "和"), "和": ("and", "和"), ",": (",", "、"),
              "，": (",", "、"), "、": (",", "、")}


def _composed(inv: Inventory, value: str, lang: str) -> str | None:
    """A value made of known words, numbers and units, said piece by piece: 'Bluetooth 5.3' -> '蓝牙5.3',
    '防水 透气' -> 'waterproof, breathable'; None when any piece is unknown (nothing is half translated)."""
    text = re.sub(r"(\d)-(?=[^\W\d_])", r"\1 ", norm(value))  # '3-layer' is a number and a unit
    known = sorted((a, b, t) for a, b, form, _ in inv.value_index.find(text)
                   if (t := inv.known_value(form) or inv.known_type(form)) is not None)
    pieces: list[str] = []
    at = 0
    for a, b, term in [*known, (len(text), len(text), None)]:
        gap = text[at:a]
        for token in re.findall(r"\d+(?:[.,]\d+)*|[^\W\d_]+|[^\w\s]", gap):
            if _NUMBER_PIECE.fullmatch(token):
                pieces.append(token)
            elif (unit := inv.unit(token)) is not None and pieces and _NUMBER_PIECE.fullmatch(pieces[-1]):
                pieces[-1] += (" " + unit.en) if lang == "en" else unit.zh
            elif token == "%" and pieces and _NUMBER_PIECE.fullmatch(pieces[-1]):
                pieces[-1] += "%"
            elif token in _SEPARATOR:
                sep = _SEPARATOR[token]
                pieces.append(sep if isinstance(sep, str) else sep[lang == "zh"])
            else:
                return None
        if term is not None:
            pieces.append(term.say(lang))
        at = max(at, b)
    if not pieces or all(_NUMBER_PIECE.match(p) for p in pieces):
        return None
    if lang == "zh":
        return "".join(pieces)
    # a measure before a noun is an adjective: '2.5 layers nylon' -> '2.5-layer nylon'
    for i, piece in enumerate(pieces[:-1]):
        number, _, unit = piece.partition(" ")
        if unit and _NUMBER_PIECE.fullmatch(number) and not _NUMBER_PIECE.match(pieces[i + 1]):
            pieces[i] = f"{number}-{english.singular(unit)}"
    return re.sub(r"\s+([,/+])", r"\1", " ".join(pieces))


def _native(value: str, lang: str) -> bool:
    """Whether a value can stand in a text of `lang` as it is."""
    if lang == "en":
        return not has_cjk(value)
    latin = re.findall(r"[A-Za-z][A-Za-z\-]*", value)
    return all(w.lower() in ZH_LATIN_OK | ZH_UNITS | ZH_LETTERS or w.isupper() or len(w) <= 2 for w in latin) and (
        has_cjk(value) or not latin or all(w.isupper() or w.lower() in ZH_LATIN_OK for w in latin))


def _fix_case(text: str, lang: str) -> str:
    """'v领' -> 'V领', 'a字' -> 'A字': single Latin letters in Chinese are capitals."""
    if lang == "zh":
        return re.sub(r"(?<![A-Za-z])([a-z])(?=[\u4e00-\u9fff])", lambda m: m.group(1).upper(),
                      text.replace("polo", "POLO"))
    return text


def within(value: str, noun: str) -> bool:
    """Whether the type's name already says the value ('midi' of a midi dress, 阔腿裤 of 阔腿裤)."""
    v, n = value.lower(), noun.lower()
    if not v or not n:
        return False
    return v in n if has_cjk(v) else re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", n) is not None


def proper(text: str) -> str:
    """'usb-c hub' -> 'USB-C hub', 'a-line dress' -> 'A-line dress', 't-shirt' -> 'T-shirt'."""
    text = " ".join(_PROPER.get(w.lower(), w) for w in text.split(" "))
    return re.sub(r"(?<![\w-])([a-z])-(?=[a-z]{2,})", lambda m: m.group(1).upper() + "-", text)


class Writer:
    """A text in one language from one product's facts; the seed varies the openings from product to product."""

    lang = "en"

    def __init__(self, inv: Inventory, facts: ProductFacts, seed: int, locale: str = "", *, own: bool = False) -> None:
        self.inv, self.facts, self.seed, self.locale, self.own = inv, facts, seed, locale.lower(), own
        self.omitted: list[str] = []
        self.solid = False  # "solid" said before the colour in the first sentence

    def say(self, fact: Fact) -> str | None:
        return say_value(self.inv, fact, self.lang, own=self.own)

    noun = ""

    def values(self, role: str) -> list[str]:
        """The role's values in the text's language; one the type's own name already says is not said again."""
        out = []
        for f in self.facts.by_role(role):
            v = self.say(f)
            if v is None:
                self.omitted.append(f"{f.key}: {f.value}")
            elif v not in out and not within(v, self.noun):
                out.append(v)
        return out

    def grouped(self, roles: Sequence[str]) -> list[tuple[str, str, list[str]]]:
        """(role, label, values) per key of the roles, in the roles' order: one statement per key."""
        groups: dict[tuple[str, str], list[str]] = {}
        for role in roles:
            for f in self.facts.by_role(role):
                label, v = self.label(f), self.say(f)
                if label is None or v is None:
                    self.omitted.append(f"{f.key}: {f.value}")
                elif v not in groups.setdefault((role, label), []):
                    groups[(role, label)].append(v)
        return [(role, label, values) for (role, label), values in groups.items()]

    def pick(self, options: Sequence[str], salt: int = 0) -> str:
        return options[(self.seed >> (salt * 3)) % len(options)]

    def others(self) -> list[tuple[str, list[str]]]:
        """(label, values) of facts no sentence plan covers, in record order, grouped by key."""
        planned = set(CUT + LOOK + SPECS + SUITS) | _SKIP | _PLANNED
        return [(label, values) for _, label, values in self.grouped(
            list(dict.fromkeys(f.role for f in self.facts.facts if f.role not in planned)))]

    def label(self, fact: Fact) -> str | None:
        """The key as the text names it: the shop's own word when it is in the text's language."""
        key = re.sub(r"\s*[(（].*?[)）]\s*", "", fact.key).strip()
        if has_cjk(key) == (self.lang == "zh") and key:
            return key if self.lang == "zh" else key.lower()
        if named := self.inv.key_name(key, self.lang):
            return named
        role = self.inv.roles.get(fact.role)
        return role.label[self.lang] if role and fact.role != "part" else None

