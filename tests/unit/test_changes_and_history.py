"""Which product updates regenerate a description, and the history diff (word-level EN, character-level ZH)."""

from __future__ import annotations

from schemas.events import Product
from schemas.tables import PublishedDescription
from workers.changes import plan_update
from workers.history import diff, entries, render, tokens

EN = Product(product_id="p1", title="Nordvik Wireless Headphones", category="headphones", locale="en-US",
             brand="Nordvik", attributes={"battery life": "30 h", "weight": "250g", "colour": "black"})
ZH = Product(product_id="p2", title="声悦 无线耳机", category="耳机", locale="zh-CN", brand="声悦",
             attributes={"续航时间": "30小时", "重量": "250g", "颜色": "黑色"})
EN_TEXT = "Nordvik headphones in black with 30 h of battery life."
ZH_TEXT = "声悦耳机，黑色，续航30小时。"


def changed(product: Product, **attributes: object) -> Product:
    return product.model_copy(update={"attributes": {**product.attributes, **attributes}})


def test_a_change_to_a_stated_fact_regenerates():
    plan = plan_update(EN, changed(EN, **{"battery life": "32 h"}), {"en-US": [EN_TEXT]}, ["en-US"])
    assert plan.regenerate == ["en-US"] and plan.cause == "attribute_change" and not plan.kept
    assert "battery life 30 h → 32 h" in plan.reason and "states" in plan.reason
    zh = plan_update(ZH, changed(ZH, 颜色="白色"), {"zh-CN": [ZH_TEXT]}, ["zh-CN"])
    assert zh.regenerate == ["zh-CN"] and "颜色 黑色 → 白色" in zh.reason


def test_a_change_the_text_does_not_state_leaves_it_alone_and_says_why():
    plan = plan_update(EN, changed(EN, weight="240g"), {"en-US": [EN_TEXT]}, ["en-US"])
    assert plan.regenerate == [] and "weight 250g → 240g" in plan.kept["en-US"]
    assert "touches nothing the description states" in plan.kept["en-US"]
    zh = plan_update(ZH, changed(ZH, 重量="240g"), {"zh-CN": [ZH_TEXT]}, ["zh-CN"])
    assert zh.regenerate == [] and "重量" in zh.kept["zh-CN"]
    same = plan_update(EN, EN, {"en-US": [EN_TEXT]}, ["en-US"])
    assert same.regenerate == [] and same.kept == {"en-US": "no fact the description is written from changed"}


def test_a_new_attribute_lowers_coverage_and_regenerates():
    plan = plan_update(EN, changed(EN, driver="40mm"), {"en-US": [EN_TEXT]}, ["en-US"])
    assert plan.regenerate == ["en-US"] and "coverage" in plan.reason


def test_a_removed_stated_attribute_regenerates_and_an_unstated_one_does_not():
    dropped = EN.model_copy(update={"attributes": {"battery life": "30 h", "weight": "250g"}})
    assert plan_update(EN, dropped, {"en-US": [EN_TEXT]}, ["en-US"]).regenerate == ["en-US"]
    light = EN.model_copy(update={"attributes": {"battery life": "30 h", "colour": "black"}})
    assert plan_update(EN, light, {"en-US": [EN_TEXT]}, ["en-US"]).regenerate == []


def test_brand_and_price_are_facts_too():
    rebrand = EN.model_copy(update={"brand": "Fjord"})
    assert plan_update(EN, rebrand, {"en-US": [EN_TEXT]}, ["en-US"]).regenerate == ["en-US"]
    priced = Product.model_validate({**EN.model_dump(), "price": {"amount": "79.99", "currency": "USD"}})
    repriced = Product.model_validate({**EN.model_dump(), "price": {"amount": "69.99", "currency": "USD"}})
    assert plan_update(priced, repriced, {"en-US": [EN_TEXT]}, ["en-US"]).regenerate == []
    assert plan_update(priced, repriced, {"en-US": [EN_TEXT + " Only 79.99."]}, ["en-US"]).regenerate == ["en-US"]


def test_what_the_writer_reads_beyond_facts_regenerates_every_locale_and_new_locales_are_written():
    retitled = EN.model_copy(update={"title": "Nordvik Wireless Headphones II"})
    plan = plan_update(EN, retitled, {"en-US": [EN_TEXT], "de-DE": ["Nordvik Kopfhörer."]}, ["en-US", "de-DE"])
    assert plan.regenerate == ["en-US", "de-DE"] and plan.cause == "product_update" and "title" in plan.reason
    more = plan_update(EN, EN, {"en-US": [EN_TEXT]}, ["en-US", "fr-FR"])
    assert more.regenerate == ["fr-FR"] and "en-US" in more.kept
    assert plan_update(None, EN, {}, ["en-US"]).cause == "new_product"


def test_one_audience_stating_the_fact_is_enough():
    texts = ["Nordvik headphones for commuters.", EN_TEXT]
    assert plan_update(EN, changed(EN, colour="white"), {"en-US": texts}, ["en-US"]).regenerate == ["en-US"]


def test_english_diffs_by_word_chinese_by_character():
    assert tokens("Hi, you.", "en-US") == ["Hi", ",", " ", "you", "."]
    assert tokens("续航30小时", "zh-CN") == list("续航30小时")
    en = diff("Black headphones with 30 h battery.", "White headphones with 32 h battery.", "en-US")
    assert render(en) == "[-Black-]{+White+} headphones with [-30-]{+32+} h battery."
    assert [c.op for c in en if c.op != "equal"] == ["replace", "replace"]
    zh = diff("黑色耳机，续航30小时。", "白色耳机，续航32小时。", "zh-CN")
    assert render(zh) == "[-黑-]{+白+}色耳机，续航3[-0-]{+2+}小时。"
    assert render(diff("", "New text.", "en-US")) == "{+New text.+}"


def test_history_diffs_each_version_against_the_one_before_it_of_the_same_audience():
    def row(version: int, text: str, audience: str = "", **kw: object) -> PublishedDescription:
        return PublishedDescription(shop_id="s", product_id="p", locale="en-US", version=version, text=text,
                                    scores={"total": 0.5}, event_id=f"e{version}", audience=audience, **kw)

    got = entries([row(3, "Quiet and light.", "office"), row(1, "Loud and light."), row(2, "Loud, light, black.",
                                                                                       owner="merchant")])
    assert [(e.version, e.previous_version, e.audience) for e in got] == [(1, None, None), (2, 1, None),
                                                                         (3, None, "office")]
    assert got[1].diff_text == "Loud[- and-]{+,+} light{+, black+}." and got[1].produced_by == "merchant"
