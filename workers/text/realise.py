"""The realiser: a correct description written from a product's roles, in English or Chinese, with no model.

Every value is said as its role ("made of linen", "采用亚麻面料"), the type is
the subject, related roles share a sentence, and the openings vary with the
product so that a catalogue of similar products does not read as one text.
A value that has no form in the target language is left out, never copied
across scripts; what was left out is reported.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from schemas.events import Product
from workers.text import english
from workers.text.gate import ZH_LATIN_OK, ZH_LETTERS, ZH_UNITS, is_unsafe
from workers.text.roles import Fact, Inventory, ProductFacts, has_cjk, inventory, lang_of, norm

WRITER = "realiser"
_QTY = re.compile(r"^\s*([\d][\d.,]*(?:\s*[-–x×]\s*[\d.,]+)*)\s*([^\d\s].*?)\s*$")
# Roles said in each part of the text, in order.
_CUT = ("fit", "length", "neckline", "sleeve", "waist", "hem", "closure")
_LOOK = ("material", "pattern", "style")
_SPECS = ("weight", "dimensions", "capacity", "pack", "power", "battery", "connectivity", "ports")
_SUITS = ("age", "skin_type", "season")
_SKIP = frozenset({"price", "type", "audience", "colour"})  # said elsewhere, or not in a description at all
_PLANNED = frozenset({"detail", "feature", "part", "size", "care", "ingredients", "texture", "fragrance", "wearing",
                      "origin", "fits", "assembly"})
_FEATURE_LISTS = frozenset({"features", "feature", "safety", "functions", "功能", "安全功能", "特点"})
_YES = frozenset({"yes", "true", "lined", "included", "有", "是", "带"})
_PROPER = {"bluetooth": "Bluetooth", "usb": "USB", "usb-c": "USB-C", "hdmi": "HDMI", "led": "LED", "tv": "TV",
           "wi-fi": "Wi-Fi", "eva": "EVA", "abs": "ABS", "spf": "SPF", "lcd": "LCD"}
_DESIGN = re.compile(r"\b(?:design|detail|finish|print)$")
_CARE_VERBS = re.compile(r"^(?:hand|machine|dry|wipe|spot|do not|wash|cold|gentle|tumble)\b", re.I)
_COUNTABLE = re.compile(r"(?:frame|microphone|pocket|hood|display|handle|strap|case|zip|button|screen|light|"
                        r"timer|lid|cable|adapter|clip|loop|belt|compartment|panel|drawer)$", re.I)


@dataclass
class Realised:
    text: str
    omitted: list[str] = field(default_factory=list)  # "key: value" left out for want of a translation


def realise(product: Product, locale: str, *, facts: ProductFacts | None = None) -> Realised:
    """A description of `product` for `locale` from its roles alone."""
    inv = inventory()
    facts = facts or inv.facts(product, is_unsafe)
    lang = lang_of(locale)
    seed = zlib.crc32(f"{product.product_id}/{locale}".encode())
    own = lang_of(product.locale) == lang  # the shop wrote these values for this language
    writer = (_Chinese if lang == "zh" else _English)(inv, facts, seed, locale, own=own)
    return writer.write()


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
        return _proper(fact.term.en)  # a Chinese record's "h" under 版型 is an H-line cut
    if _native(value, lang) or (own and lang == "zh"):
        if lang == "en" and fact.term is not None and value.lower() in fact.term.forms and not value.isupper():
            value = value.lower()  # a known word mid-sentence: "a matte texture", not "a Matte texture"
        return _fix_case(value, lang) if lang == "zh" else _proper(value)  # the shop's own words
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


# ---- English ----------------------------------------------------------------------------


def _a(phrase: str) -> str:
    return english.with_article(phrase)


def _join(items: Sequence[str], conj: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


class _Writer:
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
            elif v not in out and not _within(v, self.noun):
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
        planned = set(_CUT + _LOOK + _SPECS + _SUITS) | _SKIP | _PLANNED
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


class _English(_Writer):
    lang = "en"

    def write(self) -> Realised:
        f = self.facts
        self.american = self.locale in ("en-us", "en-ph")  # "color" in American copy
        plural = bool(f.type.plural) if f.type else bool(f.type_text) and english.is_plural(f.type_text.split()[-1])
        noun = type_noun(f, "en") or "product"
        if not plural and any(x.key in ("pack of", "set of") for x in f.by_role("pack")):
            noun, plural = english.plural(noun), True  # "a pack of 2" is of boxers, not of a boxer
        self.noun = _proper(noun.lower())
        self.it, self.its = ("they", "their") if plural else ("it", "its")
        self.be, self.have = ("are", "have") if plural else ("is", "has")
        self.s = "" if plural else "s"
        parts = [self.intro(plural), self.extras(), self.body(), self.details(), self.parts(), self.specs(),
                 self.suits(), self.sizes(), self.rest(), self.care()]
        text = " ".join(_sentence(p) for p in parts if p)
        if self.american:
            text = _american(text, keep=self.facts.brand)
        return Realised(text, self.omitted)

    def intro(self, plural: bool) -> str:
        colours = self.values("colour")
        audiences = self.values("audience")
        adjs: list[str] = []  # "unisex" says only that anyone may buy it: nothing to say
        people = [a for a in audiences if a.lower() not in ("unisex", "unisex kids")] + (
            ["kids"] if any(a.lower() == "unisex kids" for a in audiences) else [])
        self.solid = len(colours) == 1 and any(v in ("solid", "plain") for v in self.values("pattern"))
        if len(colours) == 1:
            adjs.append(("solid " if self.solid else "") + colours[0].lower())  # "this solid black T-shirt"
        described = " ".join(adjs + [_proper(self.facts.name), self.noun]).replace("  ", " ").strip()
        brand = self.facts.brand if self.facts.brand and not has_cjk(self.facts.brand) else None
        this = "these" if plural else "this"
        lead = brand is not None and brand[:1].isupper()  # a sentence may start with it as written
        aud = _join([p.lower() for p in people])
        options: list[str]
        if brand and aud:
            options = [f"{this} {described} from {brand} {self.be} made for {aud}",
                       f"made for {aud}, {this} {described} come{self.s} from {brand}",
                       f"{brand} made {this} {described} for {aud}" if lead else
                       f"{this} {described} for {aud} come{self.s} from {brand}"]
        elif brand:
            options = [f"{this} {described} come{self.s} from {brand}",
                       (f"these are {described} from {brand}" if plural else f"this is {_a(described)} from {brand}"),
                       f"{brand} made {this} {described}" if lead else f"{this} {described} come{self.s} from {brand}"]
        elif aud:
            options = [f"{this} {described} {self.be} made for {aud}",
                       (f"these are {described} for {aud}" if plural else f"this is {_a(described)} for {aud}")]
        else:
            options = [(f"these are {described}" if plural else f"this is {_a(described)}")]
        text = self.pick(options)
        if len(colours) > 1:
            text += f", available in {_join(colours, 'or')}"
        return text

    def extras(self) -> str:
        """What the title says comes with it: "It comes with churidar and dupatta", "They feature perforated detail"."""
        extra = self.facts.extras
        if not extra:
            return ""
        if len(extra.split()) == 1 and not english.is_plural(extra):
            extra = _a(extra)  # "with Chain" -> "a chain"
        if re.search(r"\b(?:detail|details|yoke|hem|print|trim|border)$", extra):
            return f"{self.it} feature{self.s} {extra}"
        return f"{self.it} come{self.s} with {extra}"

    def body(self) -> str:
        """How it is cut and what it looks like and is made of, in one or two sentences."""
        phrases = self.cut() + self.look()
        materials = self.values("material")
        if "blend" in materials and len(materials) > 1:  # cotton, wool, blend: one fabric, a cotton and wool blend
            materials = [_a(_join([m for m in materials if m != "blend"]) + " blend")]
        made = f"made of {_join(materials)}" if materials else ""
        first, later = phrases[:4], phrases[4:]
        if made and first:
            text = self.pick([f"{made}, {self.it} {self.have} {_join(first)}",
                              f"{self.it} {self.be} {made} and {self.have} {_join(first)}"], 2)
        elif made:
            text = f"{self.it} {self.be} {made}"
        elif first:
            text = self.pick([f"{self.it} {self.have} {_join(first)}", f"{self.it} feature{self.s} {_join(first)}"],
                             1)
        else:
            return ""
        return text + (f". {self.it.capitalize()} also {self.have} {_join(later)}" if later else "")

    def cut(self) -> list[str]:
        phrases = []
        for v in self.values("fit"):
            phrases.append(_a(v if re.search(r"\bfit$", v) else f"{v} fit"))
        for v in self.values("length"):
            phrases.append(_a(f"{v} cut" if "length" in v else f"{v} length"))
        for v in self.values("neckline"):
            phrases.append(_a(v if re.search(r"neck|collar|neckline", v, re.I) else f"{v} neckline"))
        for v in self.values("sleeve"):
            phrases.append(_a(f"{v} cut") if v.endswith("less") else re.sub(r"sleeve$", "sleeves", v) if "sleeve" in v
                           else f"{v} sleeves")  # "Long Sleeve T-Shirt": long sleeves
        for v in self.values("waist"):
            v = re.sub(r"\b(mid|high|low) rise\b", r"\1-rise", v, flags=re.I)  # "a mid-rise waist"
            phrases.append(_a(v if v.endswith("waist") else f"{v} waist"))
        for v in self.values("hem"):
            phrases.append(_a(v) if "hem" in v else f"{v} at the hem" if english.is_plural(v.split()[-1])
                           else _a(f"{v} hem"))
        for v in self.values("closure"):
            phrases.append(_a(v if "closure" in v else f"{v} closure"))
        return phrases

    def look(self) -> list[str]:
        phrases = []
        wearing = self.values("wearing")
        if wearing:
            phrases.append(_a(f"{_join(wearing)} design"))
        patterns = self.values("pattern")
        motifs = [v for v in patterns if v not in ("solid", "plain", "printed", "print") and not re.search(
            r"(?:pattern|print|design|ed)$", v) and not english.is_plural(v.split()[-1])]
        if motifs and any(v in ("printed", "print") for v in patterns):  # "Floral Printed" is one floral print
            patterns = [f"{v} print" if v == motifs[0] else v for v in patterns
                        if v not in ("printed", "print")]
        for v in patterns:
            if v in ("solid", "plain"):
                if not self.solid:  # said in the first sentence, before the colour
                    phrases.append("a solid color" if self.american else "a solid colour")
            elif v in ("self design", "self-design"):
                phrases.append("a self-design pattern")
            elif re.search(r"(?:pattern|print|design)$", v):
                phrases.append(_a(v))
            elif english.is_plural(v.split()[-1]):
                phrases.append(v)  # "ethnic motifs", not "an ethnic motifs pattern"
            else:
                phrases.append(_a(f"{v} design" if v.endswith("ed") else f"{v} pattern"))
        phrases += [_a(d if _DESIGN.search(d) else f"{d} design") for d in self.values("detail") if _a_design(d)]
        said = " ".join(phrases)
        styles = [v.removesuffix(" look") for v in self.values("style")
                  if not re.search(rf"\b{re.escape(v)}\b", said)]  # "ethnic motifs" already says it is ethnic
        if styles:
            phrases.append(_a(f"{_join(styles)} look"))  # "a casual and sexy look"
        return phrases

    def details(self) -> str:
        details = self.values("detail")
        features = [self._feature(f) for f in self.facts.by_role("feature")]
        features = [v for v in dict.fromkeys(features) if v]
        out = []
        said = [d for d in details if not re.search(r"(?:ed|ing|ic|al|ous|ive|able|ible)$|^made ", d)]
        states = [d for d in details if d not in said]  # "padded", "asymmetric": what it is, not a detail it has
        if states:
            out.append(f"{self.it} {self.be} {_join(states)}")
        said = [d for d in said if not _a_design(d)]  # said with the look
        if said:
            out.append(f"details include {_join(said)}")
        if features:
            out.append(f"{self.it} come{self.s} with {_join(features)}")
        for v in self.values("assembly"):
            out.append("assembly is required" if v.lower() in ("required", "assembly required") else f"assembly: {v}")
        return ". ".join(_sentence(x)[:-1] for x in out)

    def _feature(self, fact: Fact) -> str | None:
        """'foldable frame' -> 'a foldable frame'; noise cancelling: active -> 'active noise cancelling'."""
        v = self.say(fact)
        if v is None:
            self.omitted.append(f"{fact.key}: {fact.value}")
            return None
        key = (self.label(fact) or "").lower()
        if " " not in v and key and key not in _FEATURE_LISTS and key not in v.lower():
            return f"{v} {key}"
        return _a(v) if _COUNTABLE.search(v) else v

    def parts(self) -> str:
        clauses = []
        for _, label, values in self.grouped(("part",)):
            if values[0].lower() in _YES:
                clauses.append(f"{self.it} {self.be} lined" if label == "lining" else f"{self.it} {self.have} "
                               f"{_a(label)}")
            elif len(values) == 1 and _head(label) in values[0].lower():  # blades: 6 stainless steel blades
                clauses.append(f"{self.it} {self.have} {values[0] if values[0][:1].isdigit() else _a(values[0])}")
            else:
                verb = "are" if _plural_noun(label) or len(values) > 1 else "is"
                clauses.append(f"the {label} {verb} {_join(values)}")
        return _join(clauses)

    def specs(self) -> str:
        clauses = [self._spec(role, label, values) for role, label, values in self.grouped(_SPECS + ("fits",))]
        sentences = [" and ".join(clauses[i:i + 2]) for i in range(0, len(clauses), 2)]
        return ". ".join(_sentence(s)[:-1] for s in sentences)

    def _spec(self, role: str, label: str, values: list[str]) -> str:
        v = _join(values)
        if role == "weight" and label == "weight":
            return f"{self.it} weigh{self.s} {v}"
        if role == "dimensions" and label in ("dimensions", "size"):
            return f"{self.it} measure{self.s} {v}"
        if role == "connectivity":
            return f"{self.it} connect{self.s} over {v}"
        if role == "pack" and label in ("set of", "pack of"):
            return f"{self.it} come{self.s} as {_a(label)} {v}"
        if role == "pack" and label == "pieces":
            return f"{self.it} {self.have} {v} pieces"
        if role == "fits":
            return f"{self.it} fit{self.s} {v}" + (" screens" if "screen" in label and v[-1:].isdigit() is False
                                                   and not v.endswith("s") else "")
        return self._is(label, values)

    def _is(self, label: str, values: list[str]) -> str:
        """'its driver size is 40 mm', 'it has 2 drawers', 'it has an adjustable hood'."""
        v = _join(values)
        if len(values) == 1 and re.fullmatch(r"\d+", v) and _plural_noun(label):
            noun = label if v != "1" else english.singular(label)
            return f"{self.it} {self.have} {v} {noun}"
        if len(values) == 1 and _head(label) in v.lower():  # "hood: adjustable hood", "pockets: 1 front pocket"
            return f"{self.it} {self.have} {v if v[:1].isdigit() else _a(v)}"
        if values[0].lower() in _YES:
            return f"{self.it} {self.have} {_a(label)}"
        return f"{self.its} {label} {'are' if len(values) > 1 or _plural_noun(label) else 'is'} {v}"

    def suits(self) -> str:
        out = []
        for v in self.values("age"):
            out.append(f"{self.it} {self.be} suitable for ages {v}")
        for v in self.values("skin_type"):
            out.append(f"{self.it} suit{self.s} {v}")
        for v in self.values("season"):
            out.append(f"{self.it} suit{self.s} {v} use")
        return ". ".join(_sentence(x)[:-1] for x in out)

    def sizes(self) -> str:
        sizes = self.values("size")
        if not sizes:
            return ""
        if len(sizes) == 1:
            return f"{self.it} come{self.s} in size {sizes[0]}" if not re.search(r"\d\s*x\s*\d", sizes[0]) \
                else f"{self.it} measure{self.s} {sizes[0]}"
        return f"{self.it} come{self.s} in sizes {_join(sizes)}"

    def rest(self) -> str:
        out = []
        if v := self.values("texture"):
            out.append(f"{self.it} {self.have} {_a(_join(v) + ' texture')}")
        if v := self.values("fragrance"):
            out.append(f"{self.it} {self.be} {v[0]}" if v[0].endswith("free") else f"{self.its} scent is {_join(v)}")
        if v := self.values("ingredients"):
            out.append(f"{self.its} key ingredients are {_join(v)}" if len(v) > 1
                       else f"{self.its} key ingredient is {v[0]}")
        if v := self.values("origin"):
            out.append(f"{self.it} {self.be} made in {_join(v)}")
        out += [self._is(label, values) for label, values in self.others()]
        return ". ".join(_sentence(x)[:-1] for x in out)

    def care(self) -> str:
        v = self.values("care")
        if not v:
            return ""
        if v[0].lower().startswith(("machine washable", "washable", "dry clean only")):
            return f"{self.it} {self.be} {_join(v)}"
        if _CARE_VERBS.match(v[0]):
            return _join(v)
        return f"care: {_join(v)}"


def _a_design(detail: str) -> bool:
    """A detail said as a design with the look: the title's "Yoke Design", "Satin Finish", or a compound such as
    "cold-shoulder" (not a state like "gold-plated")."""
    return _DESIGN.search(detail) is not None or (re.fullmatch(r"[a-z]+-[a-z]+", detail) is not None
                                                   and not detail.endswith("ed"))


def _american(text: str, keep: str | None = None) -> str:
    """American spelling of the record's British words ('multicoloured', 'colourblocked' -> 'multicolored',
    'colorblocked'); a brand is a name and keeps its spelling."""
    pieces = re.split(f"({re.escape(keep)})", text) if keep else [text]
    return "".join(p if keep and p == keep else english.american(p) for p in pieces)


def _within(value: str, noun: str) -> bool:
    """Whether the type's name already says the value ('midi' of a midi dress, 阔腿裤 of 阔腿裤)."""
    v, n = value.lower(), noun.lower()
    if not v or not n:
        return False
    return v in n if has_cjk(v) else re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", n) is not None


def _head(label: str) -> str:
    """The singular head noun of a key: 'blades' -> 'blade', 'front pockets' -> 'pocket'."""
    word = label.split()[-1].lower() if label.split() else label.lower()
    return english.singular(word)


def _plural_noun(label: str) -> bool:
    word = label.split()[-1] if label.split() else label
    return english.is_plural(word)


def _proper(text: str) -> str:
    """'usb-c hub' -> 'USB-C hub', 'a-line dress' -> 'A-line dress', 't-shirt' -> 'T-shirt'."""
    text = " ".join(_PROPER.get(w.lower(), w) for w in text.split(" "))
    return re.sub(r"(?<![\w-])([a-z])-(?=[a-z]{2,})", lambda m: m.group(1).upper() + "-", text)


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "." if text else ""


# ---- Chinese ----------------------------------------------------------------------------



_GARMENT_END = tuple("衣裙裤衫套服袍装褂")
_ZH_SLEEVE_LENGTHS = frozenset({"长袖", "短袖", "七分袖", "五分袖", "中袖", "九分袖"})
_ZH_VERB_LEAD = r"(?:采用|搭配|配以|加入|饰有|具备|配有|经|选用)"
_ZH_PREDICATE = r"(?:选用|以|整体|融合|兼具|走|适合|专为|经|采用|配色为)"  # a clause "这款…" can be the subject of
_ZH_STYLE = {"潮": "潮流", "ol": "OL", "h": "H型"}  # one-character or lower-case values said in full


class _Chinese(_Writer):
    lang = "zh"

    def write(self) -> Realised:
        f = self.facts
        self.noun = type_noun(f, "zh") or "商品"
        self.bare = ""  # the intro's "这款…" when it waits for a verb
        self.sleeve_said = ""  # a sleeve length said before the noun
        self.garment = any(c in self.noun for c in _GARMENT_END)
        groups = [self.intro() + self.look(), self.cut(), self.parts(), self.specs(),
                  self.suits(), self.sizes(), self.rest(), self.care()]
        groups = [g for g in groups if g]
        if len(groups) > 1 and len(groups[0]) == 1:  # a first sentence never stops after the noun
            groups[0:2] = [groups[0] + groups[1]]
        first = groups[0]
        if first[0] == self.bare and len(first) > 1 and re.match(_ZH_PREDICATE, first[1]):
            first[0:2] = [first[0] + first[1]]  # 这款连衣裙选用网纱面料: the noun is the clause's subject
        elif first[0] == self.bare:
            first[0] = f"这是一款{first[0][2:]}"
        return Realised("".join(_zh_sentence(g) for g in groups), self.omitted)

    def intro(self) -> list[str]:
        colours = self.values("colour")
        audiences = self.values("audience")
        adj = "".join(a for a in audiences if a == "男女同款")
        people = [a for a in audiences if a != "男女同款"]
        if len(colours) == 1:
            adj += colours[0]
        lengths = [v for v in self.values("sleeve") if v in _ZH_SLEEVE_LENGTHS]
        if len(lengths) == 1 and self.garment:  # 黑色长袖衬衫, not 搭配长袖
            adj += lengths[0]
            self.sleeve_said = lengths[0]
        brand = self.facts.brand or ""
        if brand and not has_cjk(brand) and not re.fullmatch(r"[A-Za-z0-9&'. -]+", brand):
            brand = ""
        described = f"{adj}{self.noun}"
        if brand:
            head = self.pick([f"这款{described}来自{brand}", f"{brand}推出的这款{described}",
                              f"这是{brand}的一款{described}"])
            if head.startswith(brand) and not people:  # "X推出的这款…" needs a predicate of its own
                head = f"这款{described}来自{brand}"
        else:  # "这款…" only as the subject of the next clause's verb (write() joins them, or says 这是一款)
            head = self.bare = self.pick([f"这是一款{described}", f"这款{described}", f"本款{described}"], 4)
            if head.startswith("这是"):
                self.bare = ""
        clauses = [head]
        if people:
            clauses.append(self.pick([f"适合{'、'.join(people)}", f"专为{'、'.join(people)}设计"], 1))
        if len(colours) > 1:
            clauses.append(f"配色为{'、'.join(colours)}")
        return clauses

    def look(self) -> list[str]:
        clauses = []
        materials = self.values("material")
        washed = "水洗" in materials + self.values("detail")  # a finish, said as one (材质 水洗 is no fabric)
        materials = [m for m in materials if m != "水洗"]
        if "混纺" in materials and len(materials) > 1:  # 棉、羊毛、混纺 is one fabric: 棉、羊毛混纺
            materials = ["、".join(m for m in materials if m != "混纺") + "混纺"]
        if materials:
            word = "面料" if self.garment or any(f.key in ("面料", "fabric") for f in self.facts.by_role("material")) \
                else "材质"
            joined = "、".join(materials)
            tail = "" if joined.endswith(("料", "材质", "布")) else word
            clauses.append(self.pick([f"选用{joined}{tail}", f"以{joined}为{word}" if not tail == "" else
                                      f"选用{joined}"], 2))
        if washed:
            clauses.append("经水洗处理")
        styles = [_ZH_STYLE.get(v, v) for v in self.values("style")]
        tail = "" if styles and styles[-1].endswith("风") else "风格"  # 中国风, not 中国风风格
        if len(styles) == 1:
            clauses.append(self.pick([f"整体为{styles[0]}{tail}", f"走{styles[0]}{tail}",
                                      f"整体偏{styles[0]}{tail}"], 5))
        elif styles:
            joined = "、".join(styles[:-1]) + "与" + styles[-1]
            clauses.append(self.pick([f"融合{joined}{tail}", f"兼具{joined}{tail}"], 5))
        wearing = self.values("wearing")
        if wearing:
            clauses.append(f"{'、'.join(wearing)}设计")
        return clauses

    def cut(self) -> list[str]:
        """版型, 袖, one list of design points, the pattern, hem and features, each said once."""
        clauses = []
        fits = [_ZH_STYLE.get(v, v) for v in self.values("fit")]  # 版型 h is an H型 cut
        waists = self.values("waist")
        if fits:
            joined = "、".join(fits)
            waist = waists[0] if len(waists) == 1 and len(fits) == 1 and waists[0].endswith("腰") else ""
            waists = [w for w in waists if w != waist]  # 高腰 with 显瘦: 采用高腰显瘦版型
            clauses.append(f"采用{waist}{joined}" if joined.endswith(("版型", "剪裁")) else f"采用{waist}{joined}版型")
        sleeves = [v for v in self.values("sleeve") if v != self.sleeve_said]
        plain = [v for v in sleeves if "袖" in v and not v.startswith("无")]
        if plain:
            clauses.append(f"搭配{'、'.join(plain)}")
        design = [v for v in sleeves if v not in plain]  # 无袖, 收口: design points, not sleeves to wear
        design += self.values("neckline")
        lengths = []  # a length is a cut, not a design point one adds ("加入长款设计"): it leads the design list
        for v in self.values("length"):
            if v == "常规":
                clauses.append("常规裤长" if "裤" in self.noun else "常规裙长" if "裙" in self.noun else "常规衣长")
            else:
                stem = "长" if v in ("长裙", "长裤") else "短" if v in ("短裙", "短裤") else re.sub(r"[款裤裙]$", "", v)
                lengths.append(f"{stem}款" if stem.endswith(("长", "短")) else stem)  # 九分, 长款
        design += waists
        design += self.values("closure")
        adorned, pictured = [], []
        for v in self.values("pattern"):
            if v == "纯色":
                clauses.append("通体纯色")
            elif v == "环保":  # 图案 环保 says nothing of the print, and read as a claim
                self.omitted.append(f"图案: {v}")
            elif v.endswith("色") or v in ("渐变", "创意"):
                design.append(v)
            elif v.endswith(("纹", "花", "点", "绣", "丝", "图案")):
                adorned.append(v)
            else:
                pictured.append(v)
        design += [v for v in self.values("detail") if v != "水洗"]  # said with the fabric
        design = [v for v in design if not any(v in f for f in fits)]  # 裙型 a字 beside 版型 A字: said once
        if lengths:
            clauses.append(f"{'、'.join(dict.fromkeys(lengths + design))}设计")  # 九分、高腰设计
        elif design:
            points = list(dict.fromkeys(design))
            said = "、".join(points[:3] if len(points) > 4 else points)
            clauses.append(f"{said}设计" if not clauses else self.pick([f"加入{said}设计", f"配以{said}设计"], 3))
            if len(points) > 4:  # a long list is two clauses, not one run-on list
                clauses.append(f"细节上还有{'、'.join(points[3:])}")
        if adorned or pictured:
            clauses.append("饰有" + "、".join(adorned + ([f"{'、'.join(pictured)}图案"] if pictured else [])))
        hems: dict[str, list[str]] = {}
        for f in self.facts.by_role("hem"):
            v = self.say(f)
            if v and not _within(v, self.noun):
                where = "裤口" if "裤" in f.key else "下摆"
                hems.setdefault(where, []).append(v[:-1] if where == "裤口" and v.endswith("裤") else v)
        clauses += [f"{'、'.join(vs)}{where}" for where, vs in hems.items()]
        features = self.values("feature")
        if features:
            clauses.append(f"具备{'、'.join(features)}功能" if not features[-1].endswith(("功能", "屏", "灯"))
                           else f"配有{'、'.join(features)}")
        clauses += self.values("assembly")
        if clauses and not any(re.match(_ZH_VERB_LEAD, c) for c in clauses):  # a sentence of its own needs its verb
            if "通体纯色" in clauses:
                clauses[clauses.index("通体纯色")] = "采用纯色设计"
            elif clauses[0].endswith("设计"):
                clauses[0] = "采用" + clauses[0]
        return clauses

    def parts(self) -> list[str]:
        return [_zh_is(label, values) for _, label, values in self.grouped(("part",))]

    def specs(self) -> list[str]:
        return [f"{values[0]}件装" if label in ("set of", "pack of") else _zh_is(label, values)
                for _, label, values in self.grouped(_SPECS + ("fits",))]

    def suits(self) -> list[str]:
        out = [f"适合{v}使用" for v in self.values("age")]
        out += [f"适合{v}" for v in self.values("skin_type")]
        out += [f"适用于{v}" for v in self.values("season")]
        return out

    def sizes(self) -> list[str]:
        sizes = self.values("size")
        if not sizes:
            return []
        if len(sizes) == 1:
            return [f"尺寸为{sizes[0]}" if re.search(r"\d\s*[x×]\s*\d", sizes[0]) else f"尺码为{sizes[0]}"]
        return [f"提供{'、'.join(sizes)}尺码"]

    def rest(self) -> list[str]:
        out = []
        if v := self.values("texture"):
            out.append(f"质地为{'、'.join(v)}")
        if v := self.values("fragrance"):
            out.append(f"{'、'.join(v)}" if v[0].startswith("无") else f"香味为{'、'.join(v)}")
        if v := self.values("ingredients"):
            out.append(f"核心成分为{'、'.join(v)}")
        if v := self.values("origin"):
            out.append(f"产地为{'、'.join(v)}")
        out += [_zh_is(label, values) for label, values in self.others()]
        return out

    def care(self) -> list[str]:
        v = self.values("care")
        return [f"洗涤方式为{'、'.join(v)}"] if v else []


def _zh_is(label: str, values: list[str]) -> str:
    """'带内衬', '帽子可拆卸', '共有2个抽屉', '阻抗为32欧姆'."""
    joined = "、".join(values)
    if values[0] in _YES:
        return f"带{label}"
    if len(values) == 1 and len(joined) <= 3 and joined.startswith(("可", "无", "需")):
        return f"{label}{joined}"
    if re.fullmatch(r"\d+", joined) and len(label) <= 2 and not label.endswith("数"):
        return f"共有{joined}个{label}"
    return f"{label}为{joined}"


def _zh_sentence(clauses: Sequence[str] | str) -> str:
    items = [clauses] if isinstance(clauses, str) else list(clauses)
    items = [c for c in items if c]
    return "，".join(items) + "。" if items else ""


__all__ = ["WRITER", "Realised", "realise", "say_value"]

