"""Aspect extraction, table-driven: which aspect, praised or criticised, and the evidence span in the review."""

from __future__ import annotations

import pytest

from workers.cpu.aspects import clause_spans, find_aspects, split_clauses
from workers.cpu.sentiment import EmbeddedSentiment, SentimentResult

# (review, the product's attribute names, {aspect: (polarity, evidence)})
Case = tuple[str, list[str], dict[str, tuple[str, str]]]

EN_CASES: list[Case] = [
    ("Battery life is great but it runs small.", [],
     {"battery": ("positive", "Battery life is great"), "size_fit": ("negative", "but it runs small")}),
    ("The colour is gorgeous, although the material feels cheap.", ["colour", "material"],
     {"colour": ("positive", "The colour is gorgeous"), "material": ("negative", "although the material feels cheap")}),
    ("Fast shipping and the packaging was perfect.", [],
     {"delivery": ("positive", "Fast shipping and the packaging was perfect"),
      "packaging": ("positive", "Fast shipping and the packaging was perfect")}),
    ("Delivery took forever. The box was crushed when it arrived.", [],
     {"delivery": ("negative", "Delivery took forever"), "packaging": ("negative", "The box was crushed when it arrived")}),
    ("Runs large, order a size down. Otherwise very comfortable.", [],
     {"size_fit": ("negative", "Runs large"), "comfort": ("positive", "Otherwise very comfortable")}),
    ("Fits true to size and the fabric is so soft!", ["fabric"],
     {"size_fit": ("positive", "Fits true to size and the fabric is so soft"),
      "fabric": ("positive", "Fits true to size and the fabric is so soft")}),
    ("The sound is crisp and clear; the bass could be deeper.", [],
     {"sound": ("positive", "The sound is crisp and clear")}),
    ("Way too expensive for what you get.", [], {"price_value": ("negative", "Way too expensive for what you get")}),
    ("Great value for money, would buy again.", [], {"price_value": ("positive", "Great value for money")}),
    ("Customer service was rude and unhelpful when I asked for a refund.", [],
     {"service": ("negative", "Customer service was rude and unhelpful when I asked for a refund")}),
    ("The seller was very helpful and responsive.", [],
     {"service": ("positive", "The seller was very helpful and responsive")}),
    ("The screen is bright and sharp, but the battery dies within hours.", ["Screen"],
     {"Screen": ("positive", "The screen is bright and sharp"), "battery": ("negative", "but the battery dies within hours")}),
    ("Sturdy and well made, I expect it to last years.", [],
     {"quality": ("positive", "Sturdy and well made")}),
    ("Flimsy plastic, it fell apart after a week.", [],
     {"quality": ("negative", "it fell apart after a week")}),
    ("The color faded after one wash.", ["Colour"], {"Colour": ("negative", "The color faded after one wash")}),
    ("These boots are not too big and very comfy.", [],
     {"size_fit": ("positive", "These boots are not too big and very comfy"),
      "comfort": ("positive", "These boots are not too big and very comfy")}),
    ("The straps are itchy and uncomfortable.", [],
     {"comfort": ("negative", "The straps are itchy and uncomfortable")}),
    ("It holds a charge for days.", [], {"battery": ("positive", "It holds a charge for days")}),
    ("Arrived early and well packaged.", [],
     {"delivery": ("positive", "Arrived early and well packaged"), "packaging": ("positive", "Arrived early and well packaged")}),
    ("Looks beautiful on my shelf; however, the design is a bit ugly from the back.", [],
     {"appearance": ("positive", "Looks beautiful on my shelf")}),
    ("Weight is perfect for travel, so light.", ["weight"], {"weight": ("positive", "Weight is perfect for travel")}),
    ("The storage is way too small for photos.", ["capacity"],
     {"capacity": ("negative", "The storage is way too small for photos")}),
    ("The speaker sounds tinny at high volume.", [], {"sound": ("negative", "The speaker sounds tinny at high volume")}),
]

ZH_CASES: list[Case] = [
    ("物流很快，但是包装破损了", [],
     {"delivery": ("positive", "物流很快"), "packaging": ("negative", "但是包装破损了")}),
    ("颜色很正，尺码偏小", ["颜色"], {"颜色": ("positive", "颜色很正"), "size_fit": ("negative", "尺码偏小")}),
    ("音质很好，低音很足，就是价格有点贵", [],
     {"sound": ("positive", "音质很好"), "price_value": ("negative", "就是价格有点贵")}),
    ("客服态度很好，发货也很及时", [], {"service": ("positive", "客服态度很好"), "delivery": ("positive", "发货也很及时")}),
    ("电池不耐用，充一次电用不了半天", [], {"battery": ("negative", "电池不耐用")}),
    ("衣服穿着很舒服，面料柔软，性价比很高", ["面料"],
     {"comfort": ("positive", "衣服穿着很舒服"), "面料": ("positive", "面料柔软"), "price_value": ("positive", "性价比很高")}),
    ("外观漂亮，做工精细，不过快递太慢了", [],
     {"appearance": ("positive", "外观漂亮"), "quality": ("positive", "做工精细"), "delivery": ("negative", "不过快递太慢了")}),
    ("质量太差了，用了两天就坏了，客服也不理人", [],
     {"quality": ("negative", "质量太差了"), "service": ("negative", "客服也不理人")}),
    ("一点也不贵，物流不快", [], {"price_value": ("positive", "一点也不贵"), "delivery": ("negative", "物流不快")}),
    ("尺码标准，版型好看，就是有点起球", [],
     {"size_fit": ("positive", "尺码标准"), "appearance": ("positive", "版型好看"), "quality": ("negative", "就是有点起球")}),
    ("续航很强，充电也快", [], {"battery": ("positive", "续航很强")}),
    ("屏幕显示很清晰，电池续航短", ["屏幕"], {"屏幕": ("positive", "屏幕显示很清晰"), "battery": ("negative", "电池续航短")}),
    ("鞋子磨脚，穿着不舒服", [], {"comfort": ("negative", "穿着不舒服")}),
    ("洗了一次就掉色了，质量一般", [], {"quality": ("negative", "洗了一次就掉色了")}),
    ("包装很严实，快递小哥服务也好", [], {"packaging": ("positive", "包装很严实")}),
    ("价格实惠，性价比超高，推荐购买！", [],
     {"price_value": ("positive", "价格实惠")}),
    ("售后服务态度差，推脱责任", [], {"service": ("negative", "售后服务态度差")}),
    ("发货太慢了，等了一个星期才到货", [], {"delivery": ("negative", "发货太慢了")}),
    ("裤子偏大，腰围大了一圈", [], {"size_fit": ("negative", "裤子偏大")}),
    ("材质很好，摸起来手感舒适", ["材质"], {"材质": ("positive", "材质很好"), "comfort": ("positive", "摸起来手感舒适")}),
    ("声音有杂音，音量调大就失真", [], {"sound": ("negative", "声音有杂音")}),
    ("颜值很高，很好看，就是太贵了", [], {"appearance": ("positive", "颜值很高"), "price_value": ("negative", "就是太贵了")}),
    ("合身，穿上很显瘦", [], {"size_fit": ("positive", "合身")}),
]


@pytest.fixture(scope="module")
def engine() -> EmbeddedSentiment:
    return EmbeddedSentiment()


def _analyse(engine: EmbeddedSentiment, text: str, attrs: list[str]) -> SentimentResult:
    locale = "zh-CN" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en-US"
    return engine.analyse([text], [locale], [attrs])[0]


def test_each_language_has_enough_cases() -> None:
    assert len(EN_CASES) >= 20 and len(ZH_CASES) >= 20


@pytest.mark.parametrize(("text", "attrs", "expected"), EN_CASES + ZH_CASES, ids=lambda v: str(v)[:24])
def test_aspect_polarity_and_evidence(engine: EmbeddedSentiment, text: str, attrs: list[str],
                                      expected: dict[str, tuple[str, str]]) -> None:
    result = _analyse(engine, text, attrs)
    found: dict[str, list[tuple[str, str]]] = {}
    for m in result.aspects:
        assert m.start is not None and m.end is not None
        assert text[m.start : m.end] == m.evidence, "the evidence span must point at the evidence in the review"
        assert m.term and m.term.lower() in m.evidence.lower(), "the keyword that named the aspect lies in the evidence"
        found.setdefault(m.aspect, []).append((m.polarity, m.evidence))
    for aspect, (polarity, evidence) in expected.items():
        assert (polarity, evidence) in found.get(aspect, []), f"{aspect}: expected {polarity} in {evidence!r}, found {found}"


def test_clause_spans_point_into_the_text() -> None:
    text = "  Battery life is great but it runs small!! 物流很快，但是包装破损了 "
    spans = clause_spans(text)
    assert [text[a:b] for a, b in spans] == split_clauses(text) == [
        "Battery life is great", "but it runs small", "物流很快", "但是包装破损了",
    ]


def test_traditional_chinese_evidence_is_quoted_as_written(engine: EmbeddedSentiment) -> None:
    text = "電池續航很好，外觀漂亮"
    result = engine.analyse([text], ["zh-TW"], [[]])[0]
    evidence = {m.aspect: (m.evidence, text[m.start : m.end]) for m in result.aspects}
    assert evidence["battery"] == ("電池續航很好", "電池續航很好")
    assert evidence["appearance"] == ("外觀漂亮", "外觀漂亮")


def test_the_term_is_the_keyword_as_written() -> None:
    (hit,) = find_aspects("The COLOR is lovely", ["colour"])
    assert (hit.aspect, hit.term, hit.span()) == ("colour", "COLOR", (0, 19))


def test_a_review_without_aspects_has_none(engine: EmbeddedSentiment) -> None:
    assert _analyse(engine, "Love it, my kids use it every day", []).aspects == []
    assert _analyse(engine, "我很喜欢，没什么可说的", []).aspects == []
