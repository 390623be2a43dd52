"""The English writer: the type as subject, cut and look in one or two sentences, then details, specs and care."""

from __future__ import annotations

import re
from collections.abc import Sequence

from workers.text import english
from workers.text.realise.writer import SPECS, YES, Realised, Writer, proper, type_noun
from workers.text.roles import Fact, has_cjk

_NOT_PEOPLE = frozenset({"budget", "office", "travel", "fitness", "outdoor", "outdoors", "family", "maternity",
                         "gift", "gifts", "gifting", "beginner"})  # audience words that name no people
_FINISHES = re.compile(r"^(?!.*\bwith\b).*\b(?:coating|finish|paint|varnish|lacquer|glaze)$", re.I)
_FEATURE_LISTS = frozenset({"features", "feature", "safety", "functions", "功能", "安全功能", "特点"})
_DESIGN = re.compile(r"\b(?:design|detail|finish|print)$")
_CARE_VERBS = re.compile(r"^(?:hand|machine|dry|wipe|spot|do not|wash|cold|gentle|tumble)\b", re.I)
_COUNTABLE = re.compile(r"(?:frame|microphone|pocket|hood|display|handle|strap|case|zip|button|screen|light|"
                        r"timer|lid|cable|adapter|clip|loop|belt|compartment|panel|drawer)$", re.I)


def _a(phrase: str) -> str:
    return english.with_article(phrase)


def _join(items: Sequence[str], conj: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


class English(Writer):
    lang = "en"

    def write(self) -> Realised:
        f = self.facts
        self.american = self.locale in ("en-us", "en-ph")  # "color" in American copy
        plural = bool(f.type.plural) if f.type else bool(f.type_text) and english.is_plural(f.type_text.split()[-1])
        noun = type_noun(f, "en") or "product"
        if not plural and any(x.key in ("pack of", "set of") for x in f.by_role("pack")):
            noun, plural = english.plural(noun), True  # "a pack of 2" is of boxers, not of a boxer
        self.noun = proper(noun.lower())
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
        audiences = self._audiences()
        adjs: list[str] = [self.tier] if self.tier else []  # "unisex" says only that anyone may buy it: nothing
        people = [a for a in audiences if a.lower() not in ("unisex", "unisex kids")] + (
            ["kids"] if any(a.lower() == "unisex kids" for a in audiences) else [])
        self.solid = len(colours) == 1 and any(v in ("solid", "plain") for v in self.values("pattern"))
        if len(colours) == 1:
            adjs.append(("solid " if self.solid else "") + colours[0].lower())  # "this solid black T-shirt"
        name, noun = self.facts.name, self.noun
        for f in self.facts.by_role("feature"):  # "active noise cancelling" said later: not also in the name
            words = f"{f.value} {f.key}".lower().split()
            for phrase in (" ".join(words[i:i + 2]) for i in range(len(words) - 1)):
                name = re.sub(rf"\b{re.escape(phrase)}\b", "", name, flags=re.I)
                if len(noun.split()) > len(phrase.split()):
                    noun = re.sub(rf"\b{re.escape(phrase)}\s+", "", noun, flags=re.I)
        described = " ".join(adjs + [proper(" ".join(name.split())), noun]).replace("  ", " ").strip()
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
        if len(colours) > 1:  # a sentence of its own: "Made for women, … from Ostra, available in …" dangles
            text += f". {self.it.capitalize()} come{self.s} in {_join(colours, 'or')}"
        return text

    def _audiences(self) -> list[str]:
        """Who it is for, as people: a title's "Travel" is said as the lexicon's people ("travelers"), never "made
        for travel"; "Budget" is a price tier, said of the product ("this budget rain jacket"); "gift" names no one
        and is not said."""
        out = []
        self.tier = ""
        for f in self.facts.by_role("audience"):
            v = self.say(f)
            if v is not None and v.lower() == "budget":
                self.tier = "budget"
                continue
            if v is None or f.term is None and v.lower() in _NOT_PEOPLE:
                continue
            if f.term is not None and v.lower() in _NOT_PEOPLE:
                v = f.term.en if f.term.en.lower() not in ("gifts",) else ""
            if v and v not in out:
                out.append(v)
        return out

    def extras(self) -> str:
        """What the title says comes with it: "It comes with churidar and dupatta", "They feature perforated detail"."""
        extra = self.facts.extras
        if not extra:
            return ""
        if re.search(r"\b(?:detail|details|yoke|hem|print|trim|border)$", extra):
            return f"{self.it} feature{self.s} {extra}"
        items = re.split(r"\s+and\s+", extra)
        if all(len(i.split()) <= 2 for i in items):  # "with Chain" -> "a chain", "palazzos and a dupatta"
            extra = " and ".join(i if english.is_plural(i.split()[-1]) or re.match(r"(?:a|an|the|\d)\b", i)
                                 else _a(i) for i in items)
        return f"{self.it} come{self.s} with {extra}"

    def body(self) -> str:
        """How it is cut and what it looks like and is made of, in one or two sentences."""
        phrases = self.cut() + self.look()
        materials = self.values("material")
        finishes = [m for m in materials if _FINISHES.search(m)]  # beech wood and water-based paint
        materials = [m for m in materials if m not in finishes]
        if "blend" in materials and len(materials) > 1:  # cotton, wool, blend: one fabric, a cotton and wool blend
            materials = [_a(_join([m for m in materials if m != "blend"]) + " blend")]
        materials = [re.sub(r", (?!with |\d)", ", with ", m, count=1) if len(materials) == 1 else m for m in materials]
        made = f"made of {_join(materials)}" if materials else ""  # oak veneer on MDF, with solid oak legs
        if finishes:
            made = f"{made} and finished with {_join(finishes)}" if made else f"finished with {_join(finishes)}"
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
        for v in self.values("fit"):  # a slim fit, a fitted cut (never "a fitted fit")
            phrases.append(_a(v if re.search(r"\b(?:fit|cut)$", v) else f"{v} cut" if v.lower() in ("fitted", "tailored")
                                  else f"{v} fit"))
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
        named = set(" ".join(self.values("colour")[:1] + [self.facts.name]).lower().split())  # "navy floral"
        patterns = [v for v in patterns if not (words := set(re.sub(r"\b(?:print|pattern|design)$", "", v.lower())
                                                             .split())) or not words <= named]
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
        built = [v for v in styles if re.fullmatch(r"[a-z]+-[a-z]+(?:, [a-z]+-[a-z]+)*", v)]  # closed-back: a build
        if built:
            phrases.append(_a(f"{_join(built)} design"))
        styles = [v for v in styles if v not in built]
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
            if values[0].lower() in YES:
                clauses.append(f"{self.it} {self.be} lined" if label == "lining" else f"{self.it} {self.have} "
                               f"{_a(label)}")
            elif len(values) == 1 and _head(label) in values[0].lower():  # blades: 6 stainless steel blades
                clauses.append(f"{self.it} {self.have} {values[0] if values[0][:1].isdigit() else _a(values[0])}")
            elif len(values) == 1 and _FINISHES.search(values[0]):  # the basket has a non-stick coating
                clauses.append(f"the {label} {'have' if _plural_noun(label) else 'has'} {_a(values[0])}")
            else:
                verb = "are" if _plural_noun(label) or len(values) > 1 else "is"
                clauses.append(f"the {label} {verb} {_with_a(_join(values))}")
        return _join(clauses)

    def specs(self) -> str:
        clauses = [self._spec(role, label, values) for role, label, values in self.grouped(SPECS + ("fits",))]
        sentences = [" and ".join(clauses[i:i + 2]) for i in range(0, len(clauses), 2)]
        return ". ".join(_sentence(s)[:-1] for s in sentences)

    def _spec(self, role: str, label: str, values: list[str]) -> str:
        v = _join(values)
        if role == "weight" and label == "weight":
            return f"{self.it} weigh{self.s} {v}"
        if role == "dimensions" and label in ("dimensions", "size"):
            return f"{self.it} measure{self.s} {v}"
        if role == "ports" and all(_PORT.match(v) for v in values):
            return f"{self.it} {self.have} {_join([_port(v) for v in values])}"  # 2 USB-C ports, not "2 x USB-C"
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
        if values[0].lower() in YES:
            return f"{self.it} {self.have} {_a(label)}"
        words = label.split()
        if len(values) == 1 and label == "protection" and v.upper().startswith("SPF"):
            return f"{self.it} offer{self.s} {v} protection"
        if len(values) == 1 and label == "water resistance":
            return f"{self.it} {self.be} rated {v}" if re.fullmatch(r"IP\w+", v) else \
                f"{self.it} {self.be} water-resistant for {v}"
        if len(values) == 1 and (m := re.fullmatch(r"(\d+)\s*(?:people|persons)", v)) and "capacity" in label:
            return f"{self.it} sleep{self.s} {m.group(1)}"  # a tent's capacity: 2 people
        if len(values) == 1 and len(words) == 2 and v.lower().endswith(" " + words[0].lower()):
            return f"{self.it} {self.have} {_a(v + ' ' + words[1])}"  # tog rating: 10.5 tog -> a 10.5 tog rating
        if len(values) == 1 and label in ("light", "display", "timer") and len(v.split()) <= 3:
            return f"{self.it} {self.have} {_a(v + ' ' + label)}"  # a blue LED light, a 60 min timer
        return f"{self.its} {label} {'are' if len(values) > 1 or _plural_noun(label) else 'is'} {_with_a(v)}"

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
        if len(v) == 1 and (m := re.fullmatch(r"(\w+) ((?:machine |hand )?washable.*)", v[0])):
            return f"the {m.group(1)} is {m.group(2)}"  # cover machine washable: the cover is machine washable
        return f"care: {_join(v)}"


def _with_a(value: str) -> str:
    """'mesh with waterproof membrane' -> 'mesh with a waterproof membrane' (a record's terse value in prose)."""
    return re.sub(r"\bwith (?!a |an |the |\d)([a-z-]+(?: [a-z-]+)?)$", lambda m: "with " + (
        m.group(1) if english.is_plural(m.group(1).split()[-1]) else _a(m.group(1))), value)


_PORT = re.compile(r"(\d+)\s*x\s*(\S+)(?:\s+(.+))?$")


def _port(value: str) -> str:
    """'2 x USB-C' -> '2 USB-C ports', '1 x HDMI 4K@30Hz' -> '1 HDMI port (4K@30Hz)', '1 x USB-C data' -> '1 USB-C
    data port', '1 x SD card reader' -> '1 SD card reader'."""
    m = _PORT.match(value)
    assert m is not None
    n, name, rest = m.group(1), m.group(2), m.group(3) or ""
    if re.search(r"\b(?:reader|slot|jack)s?$", rest or name):
        return f"{n} {name} {rest}".strip()
    port = "port" if n == "1" else "ports"
    if re.fullmatch(r"[a-z]+|\d+(?:\.\d+)?", rest):  # a USB-C data port, 2 USB-A 3.0 ports
        return f"{n} {name} {rest} {port}"
    return f"{n} {name} {port}" + (f" ({rest})" if rest else "")


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


def _head(label: str) -> str:
    """The singular head noun of a key: 'blades' -> 'blade', 'front pockets' -> 'pocket'."""
    word = label.split()[-1].lower() if label.split() else label.lower()
    return english.singular(word)


def _plural_noun(label: str) -> bool:
    word = label.split()[-1] if label.split() else label
    return english.is_plural(word)


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "." if text else ""


