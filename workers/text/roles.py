"""What each attribute of a product is: its role (colour, material, audience, type …), in English and Chinese.

Everything that writes or checks a description asks this module, so that a
value is always said as what it is. The inventory is data (roles.yaml: key
names and cue words per role; lexicon.yaml: product types, known values with
their translations, units), read once per process.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from english_words import get_english_words_set

from schemas.events import Product
from workers.text.phrases import PhraseIndex, has_cjk
from workers.text.zh_title import descriptor

HERE = Path(__file__).resolve().parent
_BRACKETS = re.compile(r"\s*[(（][^)）]*[)）]\s*")

# Roles whose key may hold a value of another role (颜色#纯色 is a pattern, 裙长#连衣裙 a type, style: over-ear
# a way of wearing): for these keys the lexicon's role of the value wins.
SOFT_ROLES = frozenset({"type", "colour", "style", "length", "detail", "feature", "pattern", "fit", "material"})
_GENERIC_TYPE_KEYS = frozenset({"type", "category", "product type", "kind", "类型", "品类", "种类"})
_GARMENT_CHARS = tuple("衣裙裤衫套服袍装褂")
_NOUN_FORMS = {"裙": "裙子", "裤": "裤子"}  # a one-character type is not said alone
_UNITS = frozenset({"ml", "l", "g", "kg", "mg", "oz", "cm", "mm", "m", "inch", "inches", "pcs", "pc", "x"})
_GARMENT_CUTS = frozenset({"a-line", "a line", "flared", "bodycon", "straight", "bootcut", "boot cut"})  # cuts a title says without "fit"
_VAGUE = frozenset({"blend", "blended", "mix", "multi", "solid colour"})  # title words too vague to state alone
_AMOUNT = r"\b(?:set|pack) of \d+\b|(?<![\w.])\d+(?:\.\d+)?\s?(?:ml|l|g|gm|kg)\b(?:\s+each\b)?"  # said as a pack or quantity
# A line's name that is praise ("Favorite Jeggings", "Ultimate Tee", "Super Light Gel"): said in a sentence it is
# the shop's claim, not a fact of the product.
_PRAISE = frozenset({"favorite", "favourite", "perfect", "best", "ultimate", "iconic", "signature", "essential",
                     "premium", "luxury", "luxurious", "super", "amazing", "awesome", "ideal", "classy"})
_SELF_EVIDENT = frozenset({"colour", "material", "pattern", "style", "audience"})
# Product-type nouns that are also common words ("set of 2", "on top", "suits you"): not used to spot a wrong type.
AMBIGUOUS_TYPES = frozenset({
    "set", "top", "kit", "cup", "ring", "belt", "watch", "suit", "flats", "heels", "pumps", "cover", "covers", "bin",
    "holder", "studs", "frame", "plant", "case", "tray", "pack", "runner", "slides", "shades", "bowl", "fit", "shell",
    "stand", "hub", "box", "lamp", "mat", "clutch", "bottle", "mug", "sleeve", "liners", "glasses", "cap", "衫", "衣",
    "帽子",  # a garment's 帽子 is its hood
})


def lang_of(locale: str) -> str:
    """'zh' for any Chinese locale, else 'en' (the two languages descflow writes)."""
    return "zh" if locale.lower().startswith("zh") else "en"


def norm(text: str) -> str:
    """Lower-case, NFKC, single spaces: how keys and values are looked up."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).lower().replace("_", " ").split())


def norm_key(key: str) -> str:
    """'Sizes (US)' -> 'sizes': brackets only qualify a key."""
    return norm(_BRACKETS.sub(" ", str(key)))


@dataclass(frozen=True)
class Role:
    name: str
    label: dict[str, str]
    keys: frozenset[str]
    cues: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Term:
    """One known value (or product type) with its forms in both languages."""

    role: str
    en: str
    zh: str
    plural: bool = False
    forms: tuple[str, ...] = ()  # every spelling, normalised, both languages

    def say(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Fact:
    """One value of a product, with the role it is said as. key: the shop's own name for it."""

    role: str  # "" when no role knows the key: it is said under its own name
    key: str
    value: str
    source: str = "attribute"  # attribute | title | category
    term: Term | None = None  # the lexicon entry, when the value is a known one


@dataclass
class ProductFacts:
    """What may be said of a product: its type, brand and facts by role."""

    type: Term | None
    type_text: str  # the type as the record words it (for a type the lexicon does not know)
    brand: str | None
    facts: list[Fact] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # values not stated at all (markup, instructions, links)
    # The title's own words for the product that no fact says, before its type noun, in the title's order
    # ("front open" sweater, "Brooklyn stretchable" jeans), and what it says the product comes with.
    name: str = ""
    zh_name: str = ""  # the Chinese title's words for what the product is that no fact says (全自动速开)
    extras: str = ""

    def by_role(self, role: str) -> list[Fact]:
        return [f for f in self.facts if f.role == role]

    @property
    def roles(self) -> set[str]:
        return {f.role for f in self.facts}


class Inventory:
    """The roles, the product types and the known values, indexed for lookup."""

    def __init__(self, roles: dict, lexicon: dict) -> None:  # type: ignore[type-arg]
        self.roles: dict[str, Role] = {}
        self._key_role: dict[str, str] = {}
        for name, spec in roles["roles"].items():
            keys = frozenset(norm_key(k) for k in spec.get("keys", []))
            cues = {lang: tuple(norm(c) for c in spec.get("cues", {}).get(lang, []) or []) for lang in ("en", "zh")}
            self.roles[name] = Role(name, dict(spec["label"]), keys, cues)
            for key in keys:
                self._key_role.setdefault(key, name)
        self._key_names: dict[str, dict[str, str]] = {}
        for pair in roles.get("key_names", []):
            for lang in ("en", "zh"):
                self._key_names[norm_key(pair[lang])] = {"en": pair["en"], "zh": pair["zh"]}
        self.types: list[Term] = [self._term("type", t) for t in lexicon.get("types", [])]
        self.values: list[Term] = [self._term(role, v) for role, items in lexicon.get("values", {}).items()
                                   for v in items or []]
        self.units: list[Term] = [self._term("unit", u) for u in lexicon.get("units", [])]
        self._type_index = _index(self.types)
        self._value_index = _index(self.values)
        self._unit_index = _index(self.units)

    @staticmethod
    def _term(role: str, spec: dict) -> Term:  # type: ignore[type-arg]
        en, zh = str(spec["en"]).strip(), str(spec["zh"]).strip()
        forms = {norm(en), norm(zh), *(norm(x) for x in spec.get("also_en", []) or []),
                 *(norm(x) for x in spec.get("also_zh", []) or [])}
        return Term(role, en, zh, bool(spec.get("plural", False)), tuple(sorted(f for f in forms if f)))

    def role_of_key(self, key: str) -> Role | None:
        name = self._key_role.get(norm_key(key))
        return self.roles[name] if name else None

    def key_name(self, key: str, lang: str) -> str | None:
        """An attribute name in the other language ('driver size' -> 单元尺寸), when the glossary has it."""
        names = self._key_names.get(norm_key(key))
        return names[lang] if names else None

    def known_value(self, value: str) -> Term | None:
        return self._value_index.get(norm(value))

    def known_type(self, noun: str) -> Term | None:
        return self._type_index.get(norm(noun))

    def unit(self, unit: str) -> Term | None:
        return self._unit_index.get(norm(unit))

    def cue_roles(self, lang: str) -> list[tuple[str, str]]:
        """(cue, role) for the language, longest cue first."""
        pairs = [(cue, r.name) for r in self.roles.values() for cue in r.cues.get(lang, ())]
        return sorted(pairs, key=lambda p: -len(p[0]))

    @functools.cached_property
    def type_index(self) -> PhraseIndex[Term]:
        """Every spelling of every product type that is not also a common word."""
        return PhraseIndex(dict(self.type_nouns()))

    @functools.cached_property
    def value_index(self) -> PhraseIndex[str]:
        """Every known value's spelling -> its role; product types -> "type"."""
        entries = {form: t.role for t in self.values for form in t.forms}
        entries.update({form: "type" for form, _ in self.type_nouns() if form not in entries})
        return PhraseIndex(entries)

    def type_nouns(self) -> Iterator[tuple[str, Term]]:
        """Every spelling of every product type that is not also a common word."""
        for term in self.types:
            for form in term.forms:
                if form not in AMBIGUOUS_TYPES:
                    yield form, term

    # ---- a product's facts ------------------------------------------------------------

    def facts(self, product: Product, is_unsafe: callable = lambda _v: False) -> ProductFacts:  # type: ignore[valid-type]
        """The product's facts by role: its attributes, then what its title adds (colour, audience, pattern, fit …
        words the attributes lack), and its type from the type attribute, the title's head noun or the category."""
        out = ProductFacts(type=None, type_text="", brand=(product.brand or "").strip() or None)
        typed: list[tuple[str, str]] = []
        for key, raw in product.attributes.items():
            for value in values_of(raw):
                if is_unsafe(value) or is_unsafe(key):
                    out.refused.append(value)
                    continue
                fact = self.fact(key, value)
                if fact.role == "type":
                    typed.append((key, value))
                else:
                    out.facts.append(fact)
        self._type(product, typed, out)
        self._from_title(product, out)
        self._title_name(product, out)
        _drop_contradictions(out)
        if has_cjk(product.title):
            said = [f.value for f in out.facts] + [f.term.zh for f in out.facts if f.term is not None] + [
                v for raw in product.attributes.values() for v in values_of(raw)]  # one a contradiction dropped too
            out.zh_name = descriptor(product.title, out.type_text, said, out.brand)
        return out

    def fact(self, key: str, value: str) -> Fact:
        """One value under its key, said as the role the key gives it (or, under a loose key, the value itself)."""
        role = self.role_of_key(key)
        name = role.name if role else ""
        known = self.known_value(value)
        kind = self.known_type(value)
        if name in SOFT_ROLES or not name:
            if kind is not None and (name in ("type", "length", "") or known is None):
                return Fact("type", key, value, term=kind)
            # Under a key no role knows, only a value that says what it is wherever it stands takes the lexicon's
            # role (a colour, a material); "可拆卸" under 帽子 says something of the hood, not of the product.
            if known is not None and (name in SOFT_ROLES or known.role in _SELF_EVIDENT) and not (
                    name == "pattern" and known.role == "feature"):  # 图案 环保 is no function the product has
                return Fact(known.role, key, value, term=known)
        # A known word under a key that says otherwise: the key decides the role, the lexicon still translates it.
        return Fact(name, key, value, term=known)

    def _type(self, product: Product, typed: list[tuple[str, str]], out: ProductFacts) -> None:
        # The most specific type attribute first (衣样式 外套 over 类型 上衣), in the record's own words.
        known = [(key, v, t) for key, v in typed if (t := self.known_type(v))]
        if known:
            title = norm(product.title)  # of two 裙型 (包臀裙, a字), the one the title names
            key, value, term = max(known, key=lambda k: (norm_key(k[0]) not in _GENERIC_TYPE_KEYS, norm(k[1]) in title,
                                                          len(k[1])))
            generic = next((v for k, v in typed if norm_key(k) in _GENERIC_TYPE_KEYS), "")
            if (has_cjk(value) and not value.endswith(_GARMENT_CHARS) and generic[-1:] in _GARMENT_CHARS
                    and term.zh.endswith(generic[-1])):
                value += generic[-1]  # 裙型 a字 of a 裙 is an A字裙; 马甲 stays 马甲
            out.type, out.type_text = term, _NOUN_FORMS.get(value, value)
            dress = next((t for _, v, t in known if t.zh == "连衣裙" and v == "连衣裙"), None)
            if dress is not None and term is not dress and value.endswith("裙") and "半身" not in value:
                # 裙长 连衣裙 with 裙型 百褶: a pleated dress (百褶连衣裙), not a pleated skirt
                out.type, out.type_text = dress, value.removesuffix("裙") + "连衣裙"
        if out.type is not None and out.type.zh == "半身裙" and any(
                self.role_of_key(k) and self.role_of_key(k).name in ("sleeve", "neckline") for k in product.attributes):
            generic = next((v for k, v in typed if norm_key(k) in _GENERIC_TYPE_KEYS), "")  # a skirt has no sleeves
            if generic:
                out.type, out.type_text = self.known_type(generic), _NOUN_FORMS.get(generic, generic)
        head = self.head_noun(product.title, product.brand)
        if head is not None and (out.type is None or _refines(head, out.type)):
            out.type, out.type_text = head
        if out.type is None:
            category = self.known_type(product.category) or self.known_type(product.category.rstrip("s"))
            if category is not None:
                out.type, out.type_text = category, category.en
        if out.type is None:
            last = _last_word(re.sub(_AMOUNT, " ", _without(product.title, product.brand or ""), flags=re.I))
            if last and self.known_value(last) is not None:
                last = ""  # "DODO & MOA Pink" names no type: a colour is not one
            category = product.category.replace("_", " ")
            out.type_text = typed[0][1] if typed else last or (
                "" if self.known_value(category) or category == last else category)
        # A type word the chosen type does not say is a design detail (裙型 百褶 of a 连衣裙), when it is not a
        # garment of its own.
        for key, value in typed:
            if (value not in out.type_text and has_cjk(value) and not value.endswith(_GARMENT_CHARS)
                    and norm_key(key) not in _GENERIC_TYPE_KEYS
                    and not (out.type_text[-1:] and self.known_type(value + out.type_text[-1]))):  # a字 of 包臀裙
                out.facts.append(Fact("detail", key, value))

    def _title_colours(self, text: str, out: ProductFacts) -> None:
        """The colours an English title names, in its order, say what the product looks like better than a colour
        attribute, which is often a coarse family ('Peach-Coloured' filed as Red, 'Black & Pink' as Black)."""
        found: list[tuple[int, str]] = []
        for m in re.finditer(r"(?<![\w-])([a-z]+)-(?:toned|coloured|colored)(?![\w-])", text):
            found.append((m.start(), m.group(0)))
        taken = [(at, at + len(c)) for at, c in found]
        if out.type_text and not has_cjk(out.type_text):  # "Coffee Mug": its coffee is the mug's kind, no colour
            taken += [(m.start(), m.end()) for m in re.finditer(
                rf"(?<![\w-]){re.escape(norm(out.type_text))}(?![\w-])", text)]
        spans = []  # every colour word, then the longest first: "Off White" is one colour, not "white"
        for term in self.values:
            if term.role == "colour":
                for form in term.forms:
                    if not has_cjk(form) and form in text:
                        spans += [(m.start(), m.group(0)) for m in re.finditer(
                            rf"(?<![\w-]){re.escape(form)}(?![\w-])", text)]
        for at, c in sorted(set(spans), key=lambda s: -len(s[1])):
            if not any(at < y and x < at + len(c) for x, y in taken):
                found.append((at, c))
                taken.append((at, at + len(c)))
        found = [(at, c) for at, c in found if not any(c != d and c in d for _, d in found)]
        names = [c for at, c in found if _in_a_name(text, at)]
        if names:  # "Code Platinum Body Perfume", "1981 Indigo Eau de Toilette": a line's name, not its colour
            found = [(at, c) for at, c in found if c not in names]
            out.facts = [f for f in out.facts if not (f.role == "colour" and norm(f.value) in names)]
        if re.search(r"\bassorted\b", text):  # "Pack of 4 Assorted Bras": no one colour is true of them all
            found = [(text.index("assorted"), "assorted")]
        if not found:
            return
        named: list[str] = []
        end = -2
        for at, c in sorted(found):  # "Navy Blue", "Mustard Brown": words side by side name one colour
            if m := re.search(r"\b(dusty|light|dark|pastel|neon|bright|deep|pale|soft|muted)\s+$", text[:at]):
                at, c = m.start(), m.group(1) + " " + c  # "Dusty Pink" is one colour
            if named and at == end + 1:
                named[-1] = f"{named[-1]} {c}"
            else:
                named.append(c)
            end = at + len(c)
        named = list(dict.fromkeys(c.replace(" & ", " and ") for c in named))
        said = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]
        out.facts = [f for f in out.facts if f.role != "colour"] + [
            Fact("colour", "title", said, "title", self.known_value(said))]

    def head_noun(self, title: str, brand: str | None = None) -> tuple[Term, str] | None:
        """The product type a title ends with ('… Cropped Jeans' -> jeans; '休闲阔腿裤' -> 阔腿裤), as worded there."""
        if brand:
            title = _without(title, brand)
        core = re.split(r"\s+with\s+", title, maxsplit=1, flags=re.I)[0]
        if has_cjk(core):
            text = norm(core)
            found = [(text.rfind(form) + len(form), len(form), term) for form, term in self._type_index.items()
                     if has_cjk(form) and form in text]
            if not found:
                return None
            at, size, term = max(found, key=lambda f: (f[0], f[1]))
            return term, text[at - size:at]  # the record's own words (针织连衣裙), not the lexicon's name (毛衣裙)
        words = re.sub(r"\s+\d[\d.,]*\s*\w*$", "", core).split()
        for end in range(len(words), 0, -1):  # the last noun first, the longest phrase ending there first
            for size in (4, 3, 2, 1):  # "Fit and Flare Dress"
                phrase = " ".join(words[max(0, end - size):end])
                term = self.known_type(phrase)
                if term is not None and (end == len(words) or norm(phrase) not in AMBIGUOUS_TYPES):
                    return term, norm(phrase)
        return None

    def _from_title(self, product: Product, out: ProductFacts) -> None:
        """Words of the title the attributes lack: colour, audience, pattern, fit, neckline, sleeve, length.

        A title colour that names the attribute's more precisely ('Navy Blue' for Blue) replaces it."""
        text = norm(product.title)
        if out.brand:  # "Red Tape", "Arrow Sport": a brand's words say nothing of the product
            text = re.sub(rf"(?<![\w-]){re.escape(norm(out.brand))}(?![\w-])", " ", text)
        text = re.split(r"\s+with\s+", text, maxsplit=1)[0]  # "… Joggers with Printed Detail": said as what it has
        cjk = has_cjk(text)
        if not cjk and len(out.by_role("colour")) <= 1:
            self._title_colours(text, out)
        have = out.roles | ({"material"} if out.by_role("part") else set())
        pack = re.search(r"\b(set|pack) of (\d+)\b", product.title, re.I)
        if pack and "pack" not in have:
            out.facts.append(Fact("pack", f"{pack.group(1).lower()} of", pack.group(2), source="title"))
        amount = re.search(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(ml|l|g|kg)\b", text)
        if amount and not cjk:
            role = "capacity" if amount.group(2) in ("ml", "l") else "weight"
            # "3L Rain Jacket" in sizes S to XXL: three layers, not three litres
            worn = amount.group(2) == "l" and "size" in have
            if role not in have and not worn:
                out.facts.append(Fact(role, "volume" if role == "capacity" else "weight",
                                      f"{amount.group(1)} {amount.group(2)}", source="title"))
        type_words = norm(out.type_text)
        colour_words = " ".join(norm(f.value) for f in out.by_role("colour"))  # "grey melange" is no pattern
        found: dict[str, list[Term]] = {}
        text = re.sub(r"\b(?:non|without|no)[\s-]+[a-z-]+", " ", text)  # "Non Padded" says it is not padded
        for term in self.values:
            if term.role in have or term.role not in ("audience", "pattern", "fit", "neckline", "sleeve", "length",
                                                       "waist", "style", "material", "detail"):
                continue
            for form in term.forms:
                if has_cjk(form) != cjk or len(form) < (2 if cjk else 4) or form in type_words or form in _VAGUE:
                    continue
                if term.role != "colour" and not cjk and _said_in(form, colour_words):
                    continue
                if term.role == "fit" and not cjk and "fit" not in form and form not in _GARMENT_CUTS:
                    continue  # "Slim" names a power bank's shape; "Slim Fit" a garment's cut
                if (form in text) if cjk else _said_in(form, text):
                    if term.role == "material" and not cjk and re.search(
                            rf"\b{re.escape(form)}[\s-](?:finish|look|effect|touch|print)\b", text):
                        continue  # "Satin Finish", "Leather Look": how it looks, not what it is made of
                    found.setdefault(term.role, []).append(term)
                    break
        type_forms = set(out.type.forms) if out.type else set()
        if not cjk:  # "Long Sleeve" is a sleeve, its "long" no length of the product
            said_of = {t: _said_in(max((f for f in t.forms if not has_cjk(f) and _said_in(f, text)), key=len), text)
                       for terms in found.values() for t in terms}
            found = {role: [t for t in terms if not any(
                o is not t and o.role != role and len(s) > len(said_of[t]) and _said_in(said_of[t], s)
                for o, s in said_of.items())] for role, terms in found.items()}
        for role, terms in found.items():
            # the longest match of a role only ("super skinny fit" over "skinny fit"), never a part of the type
            terms = [t for t in terms if not (set(t.forms) & type_forms)]
            terms.sort(key=lambda t: -len(t.en))
            saids = sorted(((next((f if cjk else _said_in(f, text)) for f in sorted(t.forms, key=len, reverse=True)
                                  if has_cjk(f) == cjk and (f in text if cjk else _said_in(f, text))), t)
                            for t in terms), key=lambda st: -len(st[0]))
            spans: list[tuple[str, Term]] = []
            for said, t in saids:
                if not any(said in other for other, _ in spans):  # "print" of "floral print" is said once
                    adverb = None if cjk else re.search(rf"\b([a-z]+ly) {re.escape(said)}\b", text)
                    # "Open Toe" is said "open toes"; "Straps" stays straps (not the lexicon's "spaghetti straps")
                    plain = t.en if role in ("detail", "audience") and not cjk and len(t.en.split()) <= len(
                        said.split()) else said  # "Men's Running Shoes" are made for men
                    plain = re.sub(r"-fit$", " fit", plain)  # "Regular-Fit" is a regular fit
                    spans.append((f"{adverb.group(1)} {said}" if adverb else plain, t))  # "lightly padded"
            if role == "audience":
                spans = spans[:1]
            for said, t in spans:
                # a material is said as its noun ("wooden" in a title is "wood")
                out.facts.append(Fact(role, "title", t.say("zh" if cjk else "en") if role == "material" else said,
                                      source="title", term=t))


    def _title_name(self, product: Product, out: ProductFacts) -> None:
        """The title's words for the product that no fact covers, said with its type noun ("Front Open Sweater" ->
        "front open"), and what it comes with ("Kurta with Churidar & Dupatta" -> "churidar and dupatta").

        Common words are lower-cased, other words keep the title's spelling ("IDP"); codes with digits, a maker's name
        for a fit ("Brooklyn Slim Fit") and a model name after the brand ("Calm") are left out. A style or length word
        right before the type is part of its name ("sports sandals", "long door curtains")."""
        title = product.title
        if has_cjk(title) or not re.fullmatch(r"[^\W\d_][\w\s'’&-]*", out.type_text):
            return  # no English type noun to name ("20" of "… Rhythmic Red 20" is a shade number)
        title = _without(title, out.brand or "")
        core, extra = title, ""
        if m := re.search(r"\s+with\s+", title, re.I):
            core, extra = title[:m.start()], title[m.end():]
        core = re.sub(_AMOUNT, " ", core, flags=re.I)
        core = re.sub(r"\b([^\W\d_]+)\s+(Free)\b", r"\1-\2", core)  # "Sulphate Free": sulphate-free, not free
        core = re.sub(r"\b(plus)\s+(size)\b", r"\1-\2", core, flags=re.I)  # "PARFAIT Plus Size …": no model name
        tokens = [t for t in re.split(r"\s+", core) if t]
        words = [_bare(t) for t in tokens]
        noun = norm(out.type_text).split()
        ends = [i for i in range(len(words) - len(noun), -1, -1) if words[i:i + len(noun)] == noun]
        if ends:
            head = ends[0]
            covered = {"&", "and", "+", "/", "of", "-", "pattern", "design", "print", "look"}  # said with their fact
            covered.update(f for t in self.values if t.role == "audience" for f in t.forms if " " not in f)
            styles = {}
            for f in out.facts:
                covered.update(_bare(w) for w in re.split(r"\s+", f.value))
                if f.term is not None:
                    covered.update(w for form in f.term.forms if not has_cjk(form) for w in form.split())
                if f.source == "title" and f.role in ("style", "length"):  # "Sports Sandals", "Long Door Curtains"
                    styles[norm(f.value)] = f

            def said(word: str) -> bool:
                return word in covered or all(p in covered for p in word.split("-") if p)

            keep: list[int] = []
            sub_brand = False  # "V Dot by Van Heusen …": the maker's name up to the first word a fact says
            for i, (token, word) in enumerate(zip(tokens[:head], words[:head])):
                sub_brand = (word == "by" and i < 2) or (sub_brand and not said(word)) or (
                    i + 1 < head and words[i + 1] == "by" and i < 2)  # "Wishful by W": a line of the brand
                if sub_brand or re.search(r"\d", token) or not re.search(r"[^\W\d_]", token) or word in _PRAISE:
                    continue
                adjacent = all(w in styles for w in words[i:head])  # "Sports Sandals": the style names the type
                if adjacent and word in styles:
                    keep.append(i)
                    out.facts.remove(styles.pop(word))
                    continue
                if said(word) or word in _SAYS_NOTHING:
                    continue
                after = words[i + 1:i + 3]
                if after and "-" not in token and said(after[0]) and ("fit" in after or after[0].endswith("-fit")):
                    continue  # "Tight Slim Fit", "Brooklyn Slim Fit": the maker's name for a fit that is said
                if after and after[0] in ("design", "detail", "finish", "print"):  # "Yoke Design", "Screen Print"
                    out.facts.append(Fact("detail", "title", f"{_as_written(token)} {after[0]}", source="title"))
                    if after[0] == "print":  # the kind of print says it: not also "a print"
                        out.facts = [f for f in out.facts if not (f.role == "pattern" and norm(f.value) == "print")]
                    continue
                keep.append(i)
            # Words away from the type noun stay only when they describe it ("Single-Breasted … Formal Blazer");
            # a model name there ("Remix … Pure Cotton Boxer") is the shop's label, not a description.
            run = set()
            for i in range(head - 1, -1, -1):
                if words[i] in ("and", "&") and i - 1 in keep:
                    continue  # "Face And Beard Wash": the run goes on past its conjunction
                if i not in keep:
                    break
                run.add(i)
            described = {i for i in keep if i in run or _descriptive(tokens[i])}
            keep = [i for i in keep if i in described or i + 1 in described]  # "Single Breasted": one phrase
            # Before the first word a fact says, a title names its model ("Aster Calm Cleansing Balm", "Kestrel
            # Crisp Air Fryer"): only a word that describes stays there; and no word the type noun says again.
            first = next((i for i in range(head) if said(words[i]) or words[i].isdigit()), head)
            keep = [i for i in keep if (i >= first or _descriptive(tokens[i])) and words[i] not in noun]
            # "Face And Beard Wash": a conjunction between two kept words is part of the name
            name = [tokens[i] for i in range(head) if i in keep or (
                words[i] in ("and", "&") and i - 1 in keep and i + 1 in keep)]
            out.name = " ".join("and" if t == "&" else t for t in _model_names(name))
            if "unisex" in words[:head]:  # the title says anyone may wear it: a word of its name ("unisex backpack")
                out.name = f"unisex {out.name}".strip()
        extra = re.sub(_AMOUNT, " ", extra, flags=re.I)
        if extra:
            pieces = [_as_written(t) for t in re.split(r"\s+", extra) if t and not re.search(r"\d\D|\D\d", t)]
            out.extras = " ".join("and" if p == "&" else p for p in pieces).strip(" &,")


_NEGATIONS = ("不", "无", "非")
_TONES = frozenset({"浅色", "深色"})
_SOLID = frozenset({"纯色", "solid", "Solid", "plain"})
_GENERIC_LENGTHS = frozenset({"长款", "长裤", "长裙", "短款", "短裤", "短裙", "常规", "long", "short", "regular"})


_EXCLUSIVE = (("单排扣", "双排扣"), ("single-breasted", "double-breasted"))


def _drop_contradictions(out: ProductFacts) -> None:
    """Values of one role that contradict or repeat each other, as records often list them: 对称 with 不对称 (neither
    is said), 浅色 with 深色, 黑色 and 白色 beside 黑白 (the pair says them), 长款 beside 九分 (the precise one)."""
    drop: set[int] = set()
    for role in {f.role for f in out.facts}:
        facts = [f for f in out.facts if f.role == role]
        words = {f.value.strip(): f for f in facts}
        if role == "pattern" and set(words) - _SOLID:  # 纯色 beside 碎花 or 撞色: the print is what is true
            drop |= {id(f) for f in facts if f.value.strip() in _SOLID}
        for f in facts:
            v = f.value.strip()
            if any(f"{n}{v}" in words for n in _NEGATIONS):
                drop |= {id(f), *(id(words[f"{n}{v}"]) for n in _NEGATIONS if f"{n}{v}" in words)}
        if role == "colour":
            if _TONES <= set(words):
                drop |= {id(words[t]) for t in _TONES}
            for pair in (v for v in words if re.fullmatch(r"[\u4e00-\u9fff]{2}", v) and not v.endswith("色")):
                drop |= {id(words[c + "色"]) for c in pair if c + "色" in words}
        for pair in _EXCLUSIVE:  # a shirt is single- or double-breasted, not both
            if all(v in words for v in pair):
                drop |= {id(words[v]) for v in pair}
        if role == "length" and len(facts) > 1 and any(f.value.strip() not in _GENERIC_LENGTHS for f in facts):
            drop |= {id(f) for f in facts if f.value.strip().lower() in _GENERIC_LENGTHS}
    out.facts = [f for f in out.facts if id(f) not in drop]


def _in_a_name(text: str, at: int) -> bool:
    """Whether the colour word at `at` of a title follows a word of a name: a number ("1981 Indigo", not "Set of 2
    Black") or a word no role knows ("Code Platinum")."""
    before = text[:at].split()
    if "by" in before[:2] and not any(w in lexicon_words() for w in before[before.index("by") + 1:]):
        return False  # "V Dot by Van Heusen Black …": the maker's name, then the colour
    prev = before[-1] if before else ""
    if not prev or prev in ("&", "and", ",", "with", "of", "in", "size") or prev in lexicon_words():
        return False
    if prev.isdigit():
        return len(before) < 2 or before[-2] != "of"
    return re.fullmatch(r"[a-z]+", prev) is not None


# Title words that say nothing alone ("Regular Trousers", "Set of Single …"), and the small words of a phrase cut
# apart ("Made to Measure").
_SAYS_NOTHING = frozenset({"regular", "featured", "set", "new", "style", "original", "finish", "to", "the", "a", "an",
                           "in", "on", "for", "at", "by", "from"})


def _model_names(tokens: list[str]) -> list[str]:
    """Words beside a name in a title's run are that name too ("Vigor Prime IDP", not "vigor prime IDP"): each
    word next to one written as a name keeps its capital, unless it describes the product."""
    names = [_as_written(t) != t.lower() and t[:1].isupper() for t in tokens]
    changed = True
    while changed:
        changed = False
        for i, t in enumerate(tokens):
            if not names[i] and t[:1].isupper() and not _descriptive(t) and t.lower() not in lexicon_words() and (
                    (i > 0 and names[i - 1]) or (i + 1 < len(tokens) and names[i + 1])):
                names[i] = changed = True
    return [t.strip(",;:()") if named else _as_written(t) for t, named in zip(tokens, names)]


def _descriptive(token: str) -> bool:
    """A word that says what the product is like: a compound ("single-breasted"), a known value, an adjective form."""
    low = token.lower()
    return "-" in low or low in _value_words() or re.search(r"(?:ed|ing|able|ible|less|ful|al|ic|ive|ous|proof)$",
                                                             low) is not None


def _said_in(form: str, text: str) -> str | None:
    """How an English title says the form as words of its own, hyphenated or not ("Skinny-Fit" for skinny fit)."""
    first, pattern = _form_pattern(form)
    if first not in text:  # most forms are not in a title: no regex for them
        return None
    m = pattern.search(text)
    return m.group(0) if m else None


@functools.lru_cache(maxsize=16384)
def _form_pattern(form: str) -> tuple[str, re.Pattern[str]]:
    """A form's first word and its pattern as whole words, compiled once (re's own cache holds 512, the lexicon
    has thousands of forms)."""
    words = re.split(r"[\s-]", form)
    return words[0], re.compile(r"(?<![\w-])" + r"[\s-]".join(map(re.escape, words)) + r"(?![\w-])")


def _without(title: str, brand: str) -> str:
    """The title with the brand's words taken out as words ("W" is a brand; the w of "with" stays)."""
    if not brand.strip():
        return title
    return re.sub(rf"(?<![\w-]){re.escape(brand.strip())}(?![\w-])", " ", title, flags=re.I)


def _bare(token: str) -> str:
    """A title word as facts are compared with it: 'Men's' -> 'men', 'Off-White,' -> 'off-white'."""
    return re.sub(r"['’]s$", "", norm(token).strip(",;:()"))


def _as_written(token: str) -> str:
    """A title word as prose writes it: common words lower-case, names and acronyms as the shop spells them."""
    token = token.strip(",;:()")
    if token.isupper() and len(token) > 1:
        return token
    parts = token.split("-")
    if all(_is_common(p.lower()) or p.lower() in lexicon_words() or re.search(r"..(?:ing|ed|able|less|ful)$", p.lower())
           for p in parts if p):  # a name seldom ends like a verb or an adjective ("Backpacking")
        return token.lower()
    return token


def _is_common(word: str) -> bool:
    """In the word list, itself or as the verb it inflects ('dyed' of dye, 'tapered' of taper)."""
    common = _common_words()
    return word in common or any(re.sub(pattern, repl, word) in common for pattern, repl in (
        (r"ed$", ""), (r"d$", ""), (r"ing$", ""), (r"ing$", "e"), (r"s$", ""), (r"es$", "")))


@functools.lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """English's common words, without its proper names (Webster's word list: 'square' is one, 'Brooklyn' is not)."""
    return frozenset(w for w in get_english_words_set(["web2"], lower=False) if w.islower())


@functools.lru_cache(maxsize=1)
def _value_words() -> frozenset[str]:
    """Words of known values (colours, materials, details …): words that describe, unlike a type's ("station")."""
    return frozenset(w for t in inventory().values for f in t.forms if not has_cjk(f) for w in f.split())


@functools.lru_cache(maxsize=1)
def lexicon_words() -> frozenset[str]:
    """Every English word of the lexicon's types and values, whole and split at hyphens ("off-white", "off", "white")."""
    inv = inventory()
    return frozenset(w for t in inv.types + inv.values for f in t.forms if not has_cjk(f)
                     for w in re.split(r"[\s'’-]+", f) + f.split() if w)


def _refines(head: tuple[Term, str], current: Term) -> bool:
    """A title noun that names the attribute's type more precisely ('阔腿裤' for 裤)."""
    return head[0] is not current and (current.zh in head[0].zh or current.en in head[0].en)


def _last_word(title: str) -> str:
    """The last plain word of a title, past model codes and sizes ('… Cotton Boxer XYBOX2PCKN156' -> boxer)."""
    words = [w for w in re.split(r"\s+", title) if re.fullmatch(r"[A-Za-z][a-z'-]*|[A-Za-z-]+", w)
             and not (w.isupper() and len(w) > 4) and w.lower() not in _UNITS]
    return words[-1].lower() if words else ""


def values_of(raw: object) -> list[str]:
    """An attribute's values as a shop would write them, one or a list."""
    items = raw if isinstance(raw, list) else [raw]
    return [s for v in items if (s := _text(v))]


def _text(value: object) -> str:
    """A value as a shop would write it: 6, not 6.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _index(terms: Iterable[Term]) -> dict[str, Term]:
    index: dict[str, Term] = {}
    for t in terms:
        for form in t.forms:
            index.setdefault(form, t)
    return index


@functools.lru_cache(maxsize=1)
def inventory() -> Inventory:
    """The inventory of this installation, read once per process."""
    with open(HERE / "roles.yaml", encoding="utf-8") as fh:
        roles = yaml.safe_load(fh)
    with open(HERE / "lexicon.yaml", encoding="utf-8") as fh:
        lexicon = yaml.safe_load(fh)
    return Inventory(roles, lexicon)


__all__ = ["Fact", "Inventory", "ProductFacts", "Role", "Term", "has_cjk", "inventory", "lang_of", "lexicon_words",
           "norm", "norm_key"]
