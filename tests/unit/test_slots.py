"""Slot placeholders: values out of the training text, and exactly back into generated text."""

from __future__ import annotations

from schemas.events import Product
from workers.gpu import slots

EN = Product(product_id="p-1", title="Nordvik Aria 700 Headphones", category="headphones", locale="en-US",
             brand="Nordvik", attributes={"battery life": "30 h", "colours": ["black", "sand", "olive"],
                                          "driver size": "40 mm", "weight": 254.0})
ZH = Product(product_id="p-2", title="声悦 S3 蓝牙耳机", category="耳机", locale="zh-CN", brand="声悦",
             attributes={"颜色": ["曜石黑", "冰川白"], "续航": "35小时"})


def test_delexicalize_replaces_title_brand_name_values_and_whole_lists():
    text = ("The Nordvik Aria 700 Headphones last 30 h. Nordvik's Aria 700 Headphones come in black, sand and "
            "olive, with 40 mm drivers, and weigh 254 g.")
    assert slots.delexicalize(EN, text, "en-US") == (
        "The [title] last [a0]. [brand]'s [name] come in [a1], with [a2] drivers, and weigh [a3] g."
    )


def test_relexicalize_is_the_inverse_and_joins_lists_per_language():
    assert slots.relexicalize(EN, "It comes in [a1] and lasts [a0].", "en-US") == \
        "It comes in black, sand and olive and lasts 30 h."
    assert slots.relexicalize(ZH, "[brand][name]提供[a0]两种颜色，续航[a1]。", "zh-CN") == \
        "声悦S3 蓝牙耳机提供曜石黑和冰川白两种颜色，续航35小时。"


def test_a_sentence_with_a_slot_the_product_lacks_is_dropped():
    no_brand = EN.model_copy(update={"brand": None})
    text = "Made by [brand]. It lasts [a0]. It has [a9] ports."
    assert slots.relexicalize(no_brand, text, "en-US") == "It lasts 30 h."


def test_values_in_the_text_that_are_inside_a_slot_are_not_replaced_twice():
    product = Product(product_id="p-3", title="Volt Bank", category="power banks", locale="en-US", brand="Volt",
                      attributes={"input": "USB-C 18 W", "port": "USB-C"})
    assert slots.delexicalize(product, "Charges via USB-C 18 W and has a USB-C port.", "en-US") == \
        "Charges via [a0] and has a [a1] port."


def test_product_name_drops_a_leading_brand():
    assert slots.product_name(EN) == "Aria 700 Headphones"
    assert slots.product_name(ZH) == "S3 蓝牙耳机"
    assert slots.product_name(EN.model_copy(update={"brand": "Other"})) == EN.title


def test_slot_constraint_bans_missing_and_repeated_attribute_slots():
    import torch

    from workers.gpu.generate import SlotConstraint

    # ids: 10=[brand] 11=[a0] 12=[a1] 13=[a2]; the request's product has [brand], [a0], [a1].
    constraint = SlotConstraint({10, 11, 12, 13}, [{10, 11, 12}], once={11, 12, 13}, prompt_length=2)
    input_ids = torch.tensor([[5, 6, 11, 10, 7]])  # prompt 5 6; generated [a0] [brand] …
    scores = constraint(input_ids, torch.zeros(1, 20))
    assert scores[0, 13] == float("-inf")  # the product has no [a2]
    assert scores[0, 11] == float("-inf")  # [a0] already written
    assert scores[0, 12] == 0 and scores[0, 10] == 0  # [a1] still free; [brand] may repeat


def test_misplaced_finds_values_after_another_quantitys_words():
    product = Product(product_id="p-4", title="t", category="headphones", locale="en-US",
                      attributes={"connectivity": "Bluetooth 5.3", "weight": "254 g", "battery life": "30 h",
                                  "颜色": "黑色"})
    text = "It has a weight of [a0], weighs [a1] and lasts [a2]. The battery life of [a1] is odd."
    assert slots.misplaced(product, text) == ["connectivity", "weight"]
    assert slots.misplaced(product, "它的重量为[a1]，续航[a2]，颜色为[a3]。") == []
    assert slots.misplaced(product, "它的重量为[a2]，颜色为[a0]。") == ["battery life", "connectivity"]
    assert slots.misplaced(product, "It pairs over [a0] and comes in [a3].") == []  # no quantity named before


def test_a_misplaced_slot_costs_faithfulness_in_ranking():
    from workers.gpu import rank

    scored = rank.score(EN, "en-US", ["Nordvik lasts 30 h.", "Nordvik lasts 30 h."], loglik=[-1.0, -1.0],
                        issues=[[{"code": "slot_misplaced"}], []], similarity=[0.0, 0.0], duplicate=[False, False])
    assert scored[0].scores["faithfulness"] < scored[1].scores["faithfulness"]
    assert rank.best(scored).idx == 1
