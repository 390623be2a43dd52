"""Slot placeholders: values out of the training text, and exactly back into generated text."""

from __future__ import annotations

from schemas.events import Product
from workers.gpu import slots

EN = Product(product_id="p-1", title="Nordvik Aria 700 Headphones", category="headphones", locale="en-US",
             brand="Nordvik", attributes={"battery life": "30 h", "colours": ["black", "sand", "olive"],
                                          "driver size": "40 mm", "weight": 254.0})
ZH = Product(product_id="p-2", title="声悦 S3 蓝牙耳机", category="耳机", locale="zh-CN", brand="声悦",
             attributes={"颜色": ["曜石黑", "冰川白"], "续航": "35小时"})


def test_delexicalize_names_each_slot_for_the_role_of_what_it_holds():
    text = ("The Nordvik Aria 700 Headphones last 30 h. Nordvik's Aria 700 Headphones come in black, sand and "
            "olive, with 40 mm drivers, and weigh 254 g. These headphones fold flat.")
    assert slots.delexicalize(EN, text, "en-US") == (
        "The [title] last [battery]. [brand]'s [name] come in [colour], with [x0] drivers, and weigh [weight] g. "
        "These [type] fold flat."
    )


def test_a_list_said_apart_is_one_slot_and_a_chinese_list_is_replaced_whole():
    assert slots.delexicalize(EN, "In black or in sand and olive.", "en-US") == "In [colour] or in [colour]."
    assert slots.delexicalize(ZH, "提供曜石黑、冰川白两种颜色，续航35小时。", "zh-CN") == "提供[colour]两种颜色，续航[battery]。"


def test_relexicalize_is_the_inverse_joins_lists_per_language_and_starts_a_sentence_with_a_capital():
    assert slots.relexicalize(EN, "It comes in [colour] and lasts [battery].", "en-US") == \
        "It comes in black, sand and olive and lasts 30 h."
    assert slots.relexicalize(EN, "[type] with [x0] drivers.", "en-US") == "Pair of headphones with 40 mm drivers."
    assert slots.relexicalize(ZH, "[brand][name]提供[colour]两种颜色，续航[battery]。", "zh-CN") == \
        "声悦S3 蓝牙耳机提供曜石黑和冰川白两种颜色，续航35小时。"


def test_a_sentence_with_a_slot_the_product_lacks_is_dropped():
    no_brand = EN.model_copy(update={"brand": None})
    text = "Made by [brand]. It lasts [battery]. It is made of [material]."
    assert slots.relexicalize(no_brand, text, "en-US") == "It lasts 30 h."


def test_an_attribute_no_role_knows_and_a_second_of_a_role_take_extra_slots_in_order():
    product = Product(product_id="p-5", title="Volt Bank", category="power banks", locale="en-US", brand="Volt",
                      attributes={"input": "USB-C 18 W", "colour": "black", "frame colour": "grey",
                                  **{f"spec {i}": f"value {i}" for i in range(slots.EXTRA + 2)}})
    got = {s.key: s.slot for s in slots.slots_of(product, "en-US") if s.key}
    assert got["input"] == "[x0]" and got["colour"] == "[colour]" and got["frame colour"] == "[x1]"
    assert got[f"spec {slots.EXTRA - 3}"] == f"[x{slots.EXTRA - 1}]"
    assert f"spec {slots.EXTRA - 2}" not in got  # no slot left: the realiser says it, the model cannot
    # A model trained before a role existed has no token for it: the attribute takes an extra slot.
    known = [s for s in slots.placeholders() if s != "[colour]"]
    assert {s.key: s.slot for s in slots.slots_of(product, "en-US", known)}["colour"] == "[x1]"


def test_what_the_title_says_and_no_attribute_does_gets_its_role_slot():
    product = Product(product_id="m-1", title="Roadster Women Navy Blue Slim Fit Checked Jeans", category="Jeans",
                      locale="en-US", brand="Roadster", attributes={"gender": "Women", "colour": "Navy Blue"})
    assert slots.values(product, "en-US") == {
        "[title]": product.title, "[name]": "Women Navy Blue Slim Fit Checked Jeans", "[brand]": "Roadster",
        "[type]": "pair of jeans", "[audience]": "women", "[colour]": "navy blue", "[pattern]": "checked",
        "[fit]": "slim fit"}


def test_the_type_slot_holds_the_type_in_the_target_language():
    adgen = Product(product_id="z-1", title="简约格子阔腿裤", category="裤", locale="zh-CN",
                    attributes={"类型": "裤", "裤型": "阔腿裤", "图案": ["格子", "纯色"]})
    got = slots.values(adgen, "zh-CN")
    assert got["[type]"] == "阔腿裤" and got["[pattern]"] == "格子和纯色"
    assert "裤" not in got.values()  # 类型 裤 is what [type] already says


def test_values_in_the_text_that_are_inside_a_slot_are_not_replaced_twice():
    product = Product(product_id="p-3", title="Volt Bank", category="power banks", locale="en-US", brand="Volt",
                      attributes={"input": "USB-C 18 W", "port": "USB-C"})
    assert slots.delexicalize(product, "Charges via USB-C 18 W and has a USB-C port.", "en-US") == \
        "Charges via [x0] and has a [ports] port."


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


def test_misplaced_finds_a_slot_after_another_roles_cue_words():
    product = Product(product_id="p-4", title="t", category="headphones", locale="en-US",
                      attributes={"connectivity": "Bluetooth 5.3", "weight": "254 g", "battery life": "30 h",
                                  "colour": "black", "material": "aluminium"})
    text = "It is made of [colour], weighs [weight] and lasts [battery]. The colour is [material]."
    assert slots.misplaced(product, text) == ["colour", "material"]
    assert slots.misplaced(product, "It is made of [material] and comes in [colour].") == []
    zh = Product(product_id="p-6", title="t", category="耳机", locale="zh-CN",
                 attributes={"颜色": "黑色", "材质": "铝合金"})
    assert slots.misplaced(zh, "颜色为[material]，材质为[colour]。") == ["材质", "颜色"]
    assert slots.misplaced(zh, "材质为[material]，颜色为[colour]。") == []


def test_every_role_that_holds_a_value_has_a_slot_and_the_order_is_stable():
    from workers.text.roles import inventory

    names = slots.placeholders()
    assert names[:4] == slots.FIXED and len(set(names)) == len(names)
    assert {f"[{r}]" for r in inventory().roles if r not in ("type", "suits", "use")} <= set(names)
    assert names[-slots.EXTRA:] == tuple(f"[x{i}]" for i in range(slots.EXTRA))


def test_a_misplaced_slot_costs_faithfulness_in_ranking():
    from workers.gpu import rank

    scored = rank.score(EN, "en-US", ["Nordvik lasts 30 h.", "Nordvik lasts 30 h."], loglik=[-1.0, -1.0],
                        issues=[[{"code": "slot_misplaced"}], []], similarity=[0.0, 0.0], duplicate=[False, False])
    assert scored[0].scores["faithfulness"] < scored[1].scores["faithfulness"]
    assert rank.best(scored).idx == 1


def test_a_plural_type_is_a_pair_and_an_article_before_a_slot_fits_its_value():
    watch = Product(product_id="m-2", title="Titan Women White Analogue Watch", category="Watches", locale="en-US",
                    brand="Titan", attributes={"gender": "Women", "colour": "White"})
    assert slots.relexicalize(watch, "It is a [type]. A [type] in [colour].", "en-US") == \
        "It is an analogue watch. An analogue watch in white."
    jeans = Product(product_id="m-3", title="Roadster Women Blue Skinny Fit Jeans", category="Jeans",
                    locale="en-US", brand="Roadster", attributes={"gender": "Women", "colour": "Blue"})
    assert slots.values(jeans, "en-US")["[type]"] == "pair of jeans"
    assert slots.relexicalize(jeans, "This [type] has a [fit].", "en-US") == "This pair of jeans has a skinny fit."


def test_slots_are_kept_per_product_object_and_read_afresh_for_another():
    first = slots.slots_of(EN, "en-US")
    assert slots.slots_of(EN, "en-US") == first
    changed = EN.model_copy(update={"attributes": {**EN.attributes, "colours": ["red"]}})
    assert slots.values(changed, "en-US")["[colour]"] == "red"
    assert slots.values(EN, "en-US")["[colour]"] == "black, sand and olive"
    first.clear()  # a caller's list is its own
    assert slots.slots_of(EN, "en-US")
