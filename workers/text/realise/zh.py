"""The Chinese writer."""

from __future__ import annotations

import re
from collections.abc import Sequence

from workers.text.realise.writer import SPECS, YES, Realised, Writer, type_noun, within
from workers.text.roles import has_cjk

_GARMENT_END = tuple("衣裙裤衫套服袍装褂恤")
_GARMENT_NOUNS = ("夹克", "马甲", "背心", "西装", "文胸", "打底", "裙子", "裤子")
_ZH_SLEEVE_LENGTHS = frozenset({"长袖", "短袖", "七分袖", "五分袖", "中袖", "九分袖"})
_ZH_STYLE = {"潮": "潮流", "ol": "OL", "h": "H型"}  # one-character or lower-case values said in full
# Styles said as what the product is (风格复古又知性); the rest are labels one wears (走街头风).
_STYLE_ADJ = frozenset({"性感", "清新", "简约", "知性", "淑女", "高贵", "青春", "复古", "潮流", "文艺", "甜美", "优雅",
                        "可爱", "帅气", "气质", "名媛", "清纯", "自然", "少女", "随性", "休闲", "时尚", "百搭", "大气",
                        "典雅", "精致", "端庄", "浪漫", "中性", "宽松", "潮"})
_LENGTH_STEMS = ("超短", "中长", "超长", "及膝", "及踝", "九分", "八分", "七分", "五分", "三分", "长", "短", "中")
# What a detail is: a part it has (配有口袋), an ornament (饰有钉珠), else a design (带有拼接设计).
_PARTS = frozenset({"口袋", "纽扣", "拉链", "抽绳", "腰带", "帽子", "肩带", "内衬", "扣子", "松紧带"})
_ORNAMENTS = frozenset({"钉珠", "亮片", "流苏", "铆钉", "蝴蝶结", "珍珠", "刺绣", "贴布", "徽章", "花边", "木耳边",
                        "荷叶边", "蕾丝", "毛球", "串珠", "水钻"})
_MOTIFS = ("纹", "花", "点", "格", "格子", "印花", "迷彩", "刺绣", "卡通", "扎染")  # said before the noun: 条纹衬衫
_ABSTRACT = frozenset({"线条", "创意", "几何", "文字", "人物", "手绘", "风景", "图案", "植物", "动物", "字母"})
_WEAVES = frozenset({"斜纹", "针织", "雪纺", "牛仔", "灯芯绒", "网纱", "蕾丝", "府绸", "平纹", "提花"})
_NUMERALS = {str(i): c for i, c in enumerate("零一二三四五六七八九十")}
_GENERIC = frozenset({"裤子", "裙子", "裤", "裙"})  # a noun a length or a fabric makes more specific
_SAID_AS_DESIGN = frozenset({"撞色", "拼色", "渐变", "拼接"})


def _measure(noun: str, garment: bool) -> str:
    """The measure word of 这…: 这条裙子, 这件衬衫, 这双鞋, else 这款."""
    if noun.endswith(("连体裤", "连衣裤", "背带裤")):
        return "件"
    if noun.endswith(("裙", "裤", "裙子", "裤子")) or noun in ("围巾", "项链", "腰带"):
        return "条"
    if noun.endswith(("鞋", "靴", "袜", "手套")):
        return "双"
    if noun.endswith(("套装", "件套")):
        return "套"
    return "件" if garment else "款"


def _and(items: Sequence[str]) -> str:
    """'口袋和纽扣', '拼接、破洞和抽绳'."""
    items = list(dict.fromkeys(i for i in items if i))
    return items[0] if len(items) == 1 else "、".join(items[:-1]) + "和" + items[-1] if items else ""


class Chinese(Writer):
    """Ad copy as a shop's editor writes it: what it is as one noun phrase (这条高腰黑色阔腿裤), then how it is cut,
    its details by where they are, and its style; each value said as what it is, and no verb said twice."""

    lang = "zh"

    def write(self) -> Realised:
        self.noun = (type_noun(self.facts, "zh") or "商品").replace("裙摆裙", "摆裙")  # 大裙摆 of a 裙: a 大摆裙
        self.garment = (self.noun.endswith(_GARMENT_END) or self.noun.endswith(_GARMENT_NOUNS)) and \
            not self.noun.endswith("件套")  # 四件套 is bedding
        for f in self.values("feature"):  # 主动降噪 of a 降噪耳机: one 主动降噪耳机, the feature not said again
            k = next((k for k in range(len(f) - 1, 1, -1) if self.noun.startswith(f[-k:])), 0)
            if k:
                self.noun = f[:-k] + self.noun
        self.used: set[str] = set()  # verbs said once already
        style = self.style()
        self.has_style = bool(style)
        self.bare = False  # the first sentence is the noun phrase alone
        head, body, details = self.intro()
        groups: list[list[str]] = []
        first = [head, *body]
        if len(details) >= 2 and len(first) >= 3:
            groups = [first, ["细节上" + details[0], *details[1:]]]
        else:
            groups = [first + details]
        if style and groups[-1] == [head] and self.bare:
            groups[-1] = [head + style]  # 这条蓝色连衣裙风格复古又知性
        elif style:
            groups[-1].append(style)
        rest = [self.parts(), self.specs(), self.suits(), self.sizes(), self.rest(), self.care()]
        groups += [g for g in rest if g]
        if len(groups) > 1 and len(groups[0]) == 1:  # a first sentence never stops after the noun
            groups[0:2] = [groups[0] + groups[1]]
        for i in range(len(groups) - 1, 0, -1):  # "带内衬。" is no sentence of its own: it joins the one before
            if len(groups[i]) == 1 and len(groups[i][0]) <= 6:
                groups[i - 1] = groups[i - 1] + groups.pop(i)
        return Realised("".join(_zh_sentence(g) for g in groups), self.omitted)

    def verb(self, options: Sequence[str], salt: int = 0) -> str:
        """One of `options` (each "verb…") whose verb is not yet said, chosen by the product."""
        n = len(options)
        start = (self.seed >> (salt * 3)) % n
        for i in range(n):
            choice = options[(start + i) % n]
            verb = "点缀" if choice.endswith("点缀") else choice[:2]
            if verb not in self.used:
                self.used.add(verb)
                return choice
        return options[start]

    # ---- what it is ---------------------------------------------------------------------

    def intro(self) -> tuple[str, list[str], list[str]]:
        """The noun phrase with its brand, the clauses of cut and fabric, and the clauses of its details."""
        audiences = self.values("audience")
        worn = [a for a in audiences if a == "男女同款" or a.endswith("款")]  # 男款跑鞋: who it is cut for
        people = [a for a in audiences if a not in worn]
        mods, body = self.modifiers()
        named = self.facts.zh_name if not any(self.facts.zh_name in m for m in mods) else ""
        described = "".join(worn[:1] + mods + self.style_mods) + named + self.noun
        m = _measure(self.noun, self.garment)
        brand = self.facts.brand or ""
        if brand and not has_cjk(brand) and not re.fullmatch(r"[A-Za-z0-9&'. -]+", brand):
            brand = ""
        if people:
            body.insert(0, self.pick([f"适合{'、'.join(people)}", f"专为{'、'.join(people)}设计"], 1))
        self.neck: tuple[list[str], str] | None = None
        body += self.cut()
        details = self.details()
        if self.neck and self.neck[1] in body and 0 < len(self.designs) <= 2:  # 采用圆领和收腰设计: 设计 said once
            body.remove(self.neck[1])
            at = next(i for i, c in enumerate(details) if c.endswith("设计") and self.designs[-1] in c)
            details[at] = f"{details[at][:2]}{_and(self.neck[0] + self.designs)}设计"
        if brand:
            head = self.pick([f"这{m}{described}来自{brand}", f"来自{brand}的这{m}{described}"])
            if head.startswith("来自") and body:
                head, body = head + self.predicate(body[0]), body[1:]
            elif head.startswith("来自"):
                head = f"这{m}{described}来自{brand}"
        else:
            head = f"这{m}{described}"
            if body:
                head, body = head + self.predicate(body[0]), body[1:]
            elif details:  # 这条牛仔裙的裙摆带有毛边, not 牛仔裙裙摆
                joint = "的" if details[0].startswith(("裙摆", "裤脚", "下摆", "腰间")) else ""
                head, details = head + joint + details[0], details[1:]
            elif self.has_style:
                self.bare = True
            else:
                head = f"这是一{m}{described}"
        return head, body, details

    def predicate(self, clause: str) -> str:
        """A clause said of the noun right after it: 这条连衣裙采用V领设计, not 这条连衣裙V领设计."""
        if clause.endswith("设计") and not clause.startswith(("采用", "带有", "选用", "配有")) and "采用" not in self.used:
            self.used.add("采用")
            return "采用" + clause
        return clause

    def modifiers(self) -> tuple[list[str], list[str]]:
        """What goes before the noun (length, colour, print, fabric, sleeve, waist), at most three, and the
        clauses of what did not fit there; the noun itself may take a length (裤子 + 九分裤 -> 九分裤)."""
        body: list[str] = []
        length = ""
        self.lengths_left: list[str] = []
        for v in self.values("length"):
            stem = re.sub(r"[款裤裙]$", "", v)
            if v == "常规" or stem not in _LENGTH_STEMS or length:
                self.lengths_left.append(v)
            elif self.noun in _GENERIC and v.endswith(("裤", "裙")):
                self.noun = v  # 裤子 of 九分裤 is a 九分裤
            elif (stem in ("长", "短") and self.noun.endswith(("裤", "裙")) and self.noun != "连衣裙") or (
                    stem.endswith("分") and self.noun.endswith("裤")):
                self.noun = self.noun[:-1] + stem + self.noun[-1]  # 直筒长裤, 百褶短裙, 直筒九分裤
            else:
                length = stem + "款" if stem in ("长", "短", "中长", "超长", "超短") else stem
        colours = self.values("colour")
        colour = colours[0] if len(colours) == 1 else ""
        fading = "渐变" in [f.value for f in self.facts.by_role("pattern")]
        if len(colours) > 1 and fading:  # 白色、紫色 and 渐变: one 白色与紫色渐变配色, no choice of two
            body.append(f"配色为{_and(colours).replace('和', '与')}渐变")
        elif len(colours) > 1:  # as the English says "available in": 有白色与粉色可选
            body.append(f"有{_and(colours).replace('和', '与')}可选")
        patterns = [v for v in self.values("pattern") if v != "环保"]
        if "环保" in [f.value for f in self.facts.by_role("pattern")]:
            self.omitted.append("图案: 环保")  # says nothing of the print, and reads as a claim
        self.solid = "纯色" in patterns and len(colours) <= 1  # 纯色 beside two colours says neither
        if len(colours) > 1 and fading:
            patterns = [v for v in patterns if v != "渐变"]
        if "条纹" in patterns or "纯色" in patterns:  # 线条 beside 条纹 repeats it, beside 纯色 contradicts it
            patterns = [v for v in patterns if v != "线条"]
        motifs = [v for v in patterns if v != "纯色" and v not in _ABSTRACT and v not in _SAID_AS_DESIGN
                  and (v.endswith(_MOTIFS) or v in _MOTIFS)]
        others = [m for m in motifs if m != "印花"]
        if "印花" in motifs and len(others) == 1 and not others[0].endswith(("纹", "格", "点", "花")):
            motifs = [others[0] + "印花"]  # 卡通 and 印花: one 卡通印花 (条纹 and 印花 are two)
        self.patterns_left = [v for v in patterns if v not in motifs and v != "纯色" and v + "印花" not in motifs
                              and not (v == "印花" and any(m.endswith("印花") for m in motifs))]
        if self.solid and motifs:
            self.solid = False  # a print beside 纯色: the print is what it has
        motifs = [m for m in motifs if m not in colour]  # 颜色 蓝色碎花 says its 碎花
        motif = motifs[0] if len(motifs) == 1 else ""
        if len(motifs) > 1:
            self.patterns_left = motifs + self.patterns_left
        if self.noun in _GENERIC and any(m.startswith("牛仔") for m in self.values("material")):
            self.noun = "牛仔" + self.noun[0]  # 裤子 of 牛仔布 is a 牛仔裤
        fabric, self.fabric_clause = self.fabric()
        sleeves = [v for v in self.values("sleeve") if v in _ZH_SLEEVE_LENGTHS]
        sleeve = sleeves[0] if len(sleeves) == 1 and self.garment else ""
        self.sleeve_said = sleeve
        waists = self.values("waist")
        heights = [w for w in waists if w in ("高腰", "中腰", "低腰")]
        self.waists_left = [w for w in waists if w not in heights]  # 高腰 with 中腰 says neither
        waist = heights[0] if len(heights) == 1 else ""
        if waist and self.noun in ("裤子", "裤"):
            self.noun, waist = waist + self.noun[0], ""  # 裤子 of 高腰 is a 高腰裤
        hooded = "连帽" if "连帽" in self.values("detail") and self.noun.endswith(("卫衣", "外套", "衫", "夹克")) else ""
        mods = [length, colour or ("纯色" if self.solid else ""), motif, fabric, sleeve, waist, hooded]
        if self.solid and not colour:
            self.solid = False  # said before the noun
        while sum(1 for x in mods if x) > 3:  # a long stack reads as a list: the print, then the fabric, go after
            if motif and mods[2]:
                mods[2] = ""
                self.patterns_left.insert(0, motif)
            elif fabric and mods[3]:
                mods[3] = ""
                self.fabric_clause = self.fabric_clause or f"选用{fabric}面料"
            else:
                break
        self.hooded = bool(hooded)
        if self.fabric_clause:
            body.append(self.fabric_clause)
        if self.finish_clause:
            body.append(self.finish_clause)
        return [x for x in mods if x], body

    def fabric(self) -> tuple[str, str]:
        """(the fabric as a modifier, or the clause that says it): 针织开衫, 选用天丝混纺面料."""
        materials = self.values("material")
        self.washed = "水洗" in materials + self.values("detail")  # a finish (材质 水洗 is no fabric)
        materials = [m for m in materials if m != "水洗"]
        finishes = [m for m in materials if m.endswith(("漆", "涂层"))]  # 榉木、水性漆: wood with a painted face
        materials = [m for m in materials if m not in finishes]
        self.finish_clause = f"表面为{'、'.join(finishes)}" if finishes else ""
        weaves = [m for m in materials if m.endswith("布") or m in _WEAVES]
        fibres = [m for m in materials if m not in weaves and m not in ("混纺", "纤维")]  # 纤维 names no fibre
        if weaves and fibres and len(weaves) == 1:  # 棉 + 牛仔布 + 混纺: 棉混纺牛仔布; 棉 + 斜纹: 棉质斜纹
            blend = "混纺" if "混纺" in materials else "质" if len(fibres) == 1 and len(fibres[0]) == 1 else ""
            materials = ["、".join(fibres) + blend + weaves[0]]
        elif "混纺" in materials and len(materials) > 1:  # 棉、羊毛、混纺 is one fabric: 棉、羊毛混纺
            materials = ["、".join(m for m in materials if m != "混纺") + "混纺"]
        washed = "水洗" if self.washed and self.garment else ""
        if not materials:
            return washed, "" if washed or not self.washed else "经水洗处理"
        stems = [re.sub(r"(?<=.)(?:布|面料)$", "", m) for m in materials]
        if all(s in self.noun for s in stems):
            return washed, ""  # 牛仔裤 of 牛仔布: the noun says it
        if len(materials) == 1 and self.garment and len(stems[0]) <= 3 and "、" not in stems[0]:
            return washed + stems[0] + ("质" if len(stems[0]) == 1 else ""), ""  # 针织开衫, 棉质衬衫
        joined = "、".join(materials)
        word = "面料" if self.garment or any(f.key in ("面料", "fabric") for f in self.facts.by_role("material")) \
            else "材质"
        tail = "" if joined.endswith(("料", "材质", "布")) else word
        return washed, self.verb([f"选用{joined}{tail}", f"采用{joined}{tail}"] if tail else [f"选用{joined}"], 2)

    # ---- how it is cut, and its details --------------------------------------------------

    def cut(self) -> list[str]:
        clauses = []
        fits = [_ZH_STYLE.get(v, v) for v in self.values("fit")]  # 版型 h is an H型 cut
        slimming = "显瘦" in fits
        fits = [v for v in fits if v != "显瘦"]
        cuts = [v for v in fits if v.endswith(("剪裁", "版型", "廓形"))]
        shapes = [v for v in fits if v not in cuts and re.fullmatch(r"[A-Z]字?型?|[A-Z]字", v)]
        plain = [v for v in fits if v not in cuts and v not in shapes]
        shapes = [re.sub(r"字型$", "字", s) for s in shapes]
        shapes = [s for s in shapes if s.removesuffix("型") not in self.noun]  # A字连衣裙 says its A字
        if shapes:  # 采用宽松H型版型, 采用A字版型
            clauses.append(self.verb([f"采用{''.join(plain[:1])}{'、'.join(shapes)}版型",
                                      f"选用{''.join(plain[:1])}{'、'.join(shapes)}版型"], 5))
            plain = plain[1:]
        if plain:
            clauses.insert(0, f"版型{'又'.join(plain)}" if len(plain) <= 2 else f"版型{'、'.join(plain)}")
        if cuts:
            clauses.append(self.verb([f"采用{'与'.join(cuts)}", f"选用{'与'.join(cuts)}"], 5))
        if slimming:
            clauses.append("上身显瘦")
        necks = self.values("neckline")
        sleeves = [v for v in self.values("sleeve") if v != self.sleeve_said]
        plain_sleeves = [v for v in sleeves if "袖" in v and not v.startswith("无")]
        self.sleeve_points = [  # 无袖, 收口: design points
            "袖口收口" if v == "收口" else v for v in sleeves if v not in plain_sleeves]
        necks = [n for n in necks if n.removesuffix("领") not in self.noun]  # 西装 says its 西装领
        shoulder = [v for v in plain_sleeves if v.startswith("落肩")]
        if len(shoulder) == 1 and len(plain_sleeves) == 2:  # 落肩袖、灯笼袖: one 落肩灯笼袖
            plain_sleeves = ["落肩" + next(v for v in plain_sleeves if v not in shoulder)]
        if necks and plain_sleeves:  # 圆领搭配喇叭袖
            clauses.append(f"{'、'.join(necks)}搭配{'、'.join(plain_sleeves)}")
        elif necks:
            self.neck = (necks, self.verb([f"{'、'.join(necks)}设计", f"采用{'、'.join(necks)}"], 6))
            clauses.append(self.neck[1])
        elif plain_sleeves:
            clauses.append(self.verb([f"{'、'.join(plain_sleeves)}设计", f"采用{'、'.join(plain_sleeves)}设计"], 6))
        for v in self.lengths_left:
            if v == "常规":
                clauses.append("常规裤长" if "裤" in self.noun else "常规裙长" if "裙" in self.noun else "常规衣长")
            else:
                self.sleeve_points.insert(0, v)
        for v in self.waists_left:  # 松紧腰, 收腰: design points ("腰间为松紧腰" read stiffly)
            self.sleeve_points.append(v)
        return clauses

    def details(self) -> list[str]:
        """Closure, parts, ornaments and designs, the hem by where it is, the prints that are no motif."""
        clauses = []
        points = list(self.sleeve_points)
        closures = self.values("closure")
        for v in closures:
            if v in _PARTS:
                points.append(v)
            elif v.endswith("扣"):
                clauses.append(self.verb([f"采用{v}门襟", f"搭配{v}门襟"], 11))
            else:
                points.append(v)
        points += [v for v in self.values("detail") if v != "水洗" and not (v == "连帽" and self.hooded)]
        fits = self.values("fit")
        points = [v for v in dict.fromkeys(points) if not any(v in f for f in fits)]
        parts = [v for v in points if v in _PARTS]
        ornaments = [v for v in points if v in _ORNAMENTS]
        designs = [v for v in points if v not in parts and v not in ornaments]
        designs += [v for v in self.patterns_left if v in _SAID_AS_DESIGN]
        pictures = [v for v in self.patterns_left if v not in _SAID_AS_DESIGN]
        self.designs = designs
        if designs:
            clauses.append(self.verb([f"带有{_and(designs)}设计", f"采用{_and(designs)}设计"], 3)
                           if len(designs) <= 3 else f"{'、'.join(designs[:3])}设计，另有{_and(designs[3:])}")
        if parts:
            clauses.append(self.verb([f"配有{_and(parts)}", f"设有{_and(parts)}"], 4))
        if ornaments:
            clauses.append(self.verb([f"饰有{_and(ornaments)}", f"缀有{_and(ornaments)}",
                                      f"以{_and(ornaments)}点缀"], 7))
        if self.solid:
            clauses.append("通体纯色")
        if pictures:
            # a print or a motif says what it is (条纹, 印花); any other picture is said as one (骷髅图案)
            named = [v for v in pictures if v.endswith(_MOTIFS)]
            drawn = [v for v in pictures if v not in named]
            said = _and(named + ([f"{'、'.join(drawn)}图案"] if drawn else []))
            clauses.append(self.verb([f"饰有{said}", f"以{said}点缀"], 8))  # never 印有: a print is a fact
        hems: dict[str, list[str]] = {}
        for f in self.facts.by_role("hem"):
            v = self.say(f)
            if v and not within(v, self.noun):
                where = "裤脚" if "裤" in f.key or "裤" in self.noun else "裙摆" if "裙" in self.noun else "下摆"
                hems.setdefault(where, []).append(v[:-1] if where == "裤脚" and v.endswith("裤") else v)
        for where, vs in hems.items():
            if vs == ["小脚"]:
                clauses.append("裤脚收为小脚")
            elif vs == ["开叉"]:
                clauses.append(f"{where}开叉")
            elif len(vs) == 1:
                clauses.append(f"{where}饰有{vs[0]}" if vs[0].endswith("边") else f"{where}带有{vs[0]}"
                               if vs[0].endswith(("褶", "摆")) else f"{where}为{vs[0]}设计")
            else:
                clauses.append(f"{where}带有{_and(vs)}")
        features = self.values("feature")
        if features:
            clauses.append(f"具备{'、'.join(features)}功能" if not features[-1].endswith(("功能", "屏", "灯"))
                           else f"配有{'、'.join(features)}")
        clauses += self.values("assembly")
        return clauses

    def style(self) -> str:
        """风格复古又知性, 走街头风, 风格上融合街头与休闲，又兼具简约和青春."""
        styles = [_ZH_STYLE.get(v, v) for v in self.values("style")]
        styles = [v for v in styles if v]
        self.style_mods: list[str] = []
        if not self.garment and styles and len(styles) <= 2:  # 运动 of 运动蓝牙耳机 is its kind, not a look one wears
            self.style_mods = [v for v in styles if v not in self.noun and v not in self.facts.zh_name]
            styles = []
        wearing = self.values("wearing")
        if not styles:
            return f"{'、'.join(wearing)}设计" if wearing else ""
        adjs = [v for v in styles if v in _STYLE_ADJ]
        labels = [v if v.endswith("风") else v + "风" for v in styles if v not in _STYLE_ADJ]
        out = []
        if adjs and labels:  # one clause, not 风格偏青春，走通勤风
            said = _and(adjs + [v.removesuffix("风") for v in labels]).replace("和", "与")
            out.append(self.pick([f"兼具{said}风格", f"融合{said}风格"], 5))
        elif adjs:
            said = adjs[0] if len(adjs) == 1 else "、".join(adjs[:-1]) + "又" + adjs[-1]
            if len(adjs) == 1:  # 风格性感 is no sentence: 风格偏性感, 走性感路线
                out.append(self.pick([f"风格偏{said}", f"整体风格偏{said}"] + ([] if labels else [f"走{said}路线"]), 5))
            else:
                out.append(self.pick([f"风格{said}", f"整体风格{said}"], 5) if len(adjs) < 4 else
                           f"风格上兼具{_and(adjs)}")
        elif labels:
            stems = [v.removesuffix("风") for v in labels]
            if len(stems) == 2 and all(len(x) <= 2 for x in stems):
                out.append(f"走{''.join(stems)}风")  # 街头运动风
            else:
                out.append(f"走{'、'.join(stems)}风" if len(stems) > 1 else f"走{labels[0]}")
        if wearing:
            out.append(f"{'、'.join(wearing)}设计")
        return "，".join(out)

    def parts(self) -> list[str]:
        return [_zh_is(label, values) for _, label, values in self.grouped(("part",))]

    def specs(self) -> list[str]:
        out = []
        for role, label, values in self.grouped(SPECS + ("fits",)):
            if role == "pack" and any(f"{_NUMERALS.get(v, v)}件" in self.noun for v in values):
                continue  # 四件套 says its 4 pieces
            if label == "适用人数" and any(f"{'双' if v == '2' else _NUMERALS.get(v, v)}人" in self.facts.zh_name
                                       for v in values):
                continue  # 双人帐篷 says it sleeps 2
            if label in ("set of", "pack of"):
                out.append(f"{values[0]}件装")
            elif role == "connectivity":
                out.append(f"支持{'、'.join(values)}")  # 支持蓝牙5.3, not 蓝牙版本为蓝牙5.3
            else:
                out.append(_zh_is(label, values))
        return out

    def suits(self) -> list[str]:
        out = [f"适合{v}使用" for v in self.values("age")]
        out += [f"适合{v}" for v in self.values("skin_type")]
        out += [f"适用于{v}" for v in self.values("season") if not (v.endswith("季") and v[0] in self.noun)]  # 冬被
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
    """'带内衬', '帽子可拆卸', '共有2个抽屉', '设有1个前袋', '内胆采用不粘涂层', '阻抗为32欧姆'."""
    joined = "、".join(values)
    if values[0] in YES:
        return f"带{label}"
    if len(values) == 1 and len(joined) <= 3 and joined.startswith(("可", "无", "需")):
        return f"{label}{joined}"
    if len(values) == 1 and joined.startswith("可") and label.endswith("方式"):
        return joined  # 收纳方式: 可收进自带口袋 is a clause of its own
    if label == "适用人数" and re.fullmatch(r"\d+人?", joined):
        return f"可容纳{joined.removesuffix('人')}人"
    if label in ("定时", "定时时间") and re.fullmatch(r"\d+\S*", joined):
        return f"可定时{joined}"
    if re.fullmatch(r"\d+", joined) and len(label) <= 4 and not label.endswith("数"):
        return f"共有{joined}个{label}"
    if re.match(r"\d+个", joined):  # 口袋: 1个前袋; 接口: 1个USB-C接口
        return "设有" + "、".join(v + "接口" if label == "接口" and re.search(r"[A-Za-z0-9]$", v) else v
                                for v in values)
    if joined.endswith(("涂层", "涂料", "处理", "工艺")):  # 内胆采用不粘涂层, not 内胆为不粘涂层
        return f"带有{joined}" if label.endswith("性能") else f"{label}采用{joined}"
    if label == "件数" and re.fullmatch(r"\d+", joined):
        return f"共{joined}件"
    if len(values) == 1 and joined.endswith(("屏", "灯")) and label.endswith("显示"):
        return f"配有{joined}"  # 电量显示: 数字显示屏
    if label.startswith("适用") and re.search(r"[\u4e00-\u9fff]$", joined) and re.search(r"\d", joined):
        return f"适用于{joined}"  # 适用尺寸: 10-17英寸笔记本
    return f"{label}为{joined}"


def _zh_sentence(clauses: Sequence[str] | str) -> str:
    items = [clauses] if isinstance(clauses, str) else list(clauses)
    items = [c for c in items if c]
    return "，".join(items) + "。" if items else ""


