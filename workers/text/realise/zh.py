"""The Chinese writer."""

from __future__ import annotations

import re
from collections.abc import Sequence

from workers.text.realise.writer import SPECS, YES, Realised, Writer, type_noun, within
from workers.text.roles import has_cjk

_GARMENT_END = tuple("衣裙裤衫套服袍装褂")
_ZH_SLEEVE_LENGTHS = frozenset({"长袖", "短袖", "七分袖", "五分袖", "中袖", "九分袖"})
_ZH_VERB_LEAD = r"(?:采用|搭配|配以|加入|饰有|具备|配有|经|选用)"
_ZH_PREDICATE = r"(?:选用|以|整体|融合|兼具|走|适合|专为|经|采用|配色为)"  # a clause "这款…" can be the subject of
_ZH_STYLE = {"潮": "潮流", "ol": "OL", "h": "H型"}  # one-character or lower-case values said in full


class Chinese(Writer):
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
            if v and not within(v, self.noun):
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
                for _, label, values in self.grouped(SPECS + ("fits",))]

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
    if values[0] in YES:
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


