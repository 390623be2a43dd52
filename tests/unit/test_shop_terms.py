"""A shop's restricted and preferred terms in correction, English and Chinese."""

from __future__ import annotations

import pytest

from schemas.events import Product
from tests.factories import product_event
from workers.gpu.correct import correct, prefer_terms
from workers.text.check import check_candidate
from workers.text.realise import realise

EN = Product(product_id="p1", title="Nordvik Wireless Earbuds", category="earbuds", locale="en-US", brand="Nordvik",
             attributes={"battery life": "30 h", "colour": "black"})
ZH = Product(product_id="p2", title="声悦 无线耳机", category="耳机", locale="zh-CN", brand="声悦",
             attributes={"续航时间": "30小时", "颜色": "黑色"})


def test_restricted_terms_are_removed_and_recorded_en():
    text = "These black earbuds are cheap and last 30 h on a charge. Nordvik earbuds pair fast."
    plain = correct(text, EN, "en-US")
    assert "cheap" in plain.text  # not banned by default
    fixed = correct(text, EN, "en-US", restricted_terms=["cheap"])
    assert "cheap" not in fixed.text.lower() and "30 h" in fixed.text
    assert any(f.code == "banned_term" and "cheap" in f.before.lower() for f in fixed.fixes)


def test_restricted_terms_are_removed_and_recorded_zh():
    text = "这款黑色耳机很便宜，续航30小时。"
    fixed = correct(text, ZH, "zh-CN", restricted_terms=["便宜"])
    assert "便宜" not in fixed.text and "30小时" in fixed.text
    assert any(f.code == "banned_term" and "便宜" in f.before for f in fixed.fixes)


def test_preferred_terms_replace_synonyms_and_record_each_en():
    text = "Black earbuds with 30 h of battery. The Earbuds fold flat."
    fixed = correct(text, EN, "en-US", preferred_terms={"earbuds": "in-ear headphones"})
    assert "earbuds" not in fixed.text.lower()
    assert "black in-ear headphones" in fixed.text.lower() and "The In-ear headphones fold" in fixed.text
    changes = [f for f in fixed.fixes if f.code == "preferred_term"]
    assert [f.before for f in changes] == ["earbuds", "Earbuds"] and all("in-ear" in f.after.lower() for f in changes)


def test_preferred_terms_replace_synonyms_and_record_each_zh():
    text = "黑色耳机，续航30小时。这款耳麦折叠方便。"
    fixed = correct(text, ZH, "zh-CN", preferred_terms={"耳麦": "耳机"})
    assert "耳麦" not in fixed.text and fixed.text.count("耳机") == 2
    assert [(f.before, f.after) for f in fixed.fixes if f.code == "preferred_term"] == [("耳麦", "耳机")]


def test_whole_words_only_and_text_already_in_the_shops_words_is_left_alone():
    assert prefer_terms("teeth and a tee", {"tee": "T-shirt"}).text == "teeth and a T-shirt"
    done = prefer_terms("这款蓝牙耳机", {"耳机": "蓝牙耳机"})
    assert done.text == "这款蓝牙耳机" and not done.fixes
    spans = prefer_terms("buy earbuds", {"earbuds": "headphones"}).fixes[0].span
    assert spans == (4, 11)


def test_a_preferred_term_takes_the_number_of_the_word_it_replaces():
    assert prefer_terms("These headphones fold flat.", {"headphones": "headset"}).text == "These headsets fold flat."
    assert prefer_terms("This headset folds flat.", {"headset": "headphones"}).text == "This headphone folds flat."
    assert prefer_terms("这款耳机", {"耳机": "耳麦"}).text == "这款耳麦"


@pytest.mark.parametrize(("locale", "preferred"), [("en-US", {"headphones": "headset"}), ("zh-CN", {"耳机": "耳麦"})])
def test_the_shops_preferred_word_for_the_product_is_no_wrong_product_type(locale, preferred):
    """The gate licensed only the record's nouns, so the realiser's first sentence, in the shop's words, was dropped
    as naming another product: with nothing else left, a shop's vocabulary could end a product as a dead letter."""
    product = Product.model_validate(product_event(locale))
    text = realise(product, locale).text
    checked = check_candidate(text, product, locale, restricted_terms=["comfortable"], preferred_terms=preferred)
    assert [f.code for f in checked.fixes if f.code != "preferred_term"] == []
    assert list(preferred.values())[0] in checked.text and len(checked.text) > len(text) * 0.8
