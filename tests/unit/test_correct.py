"""Table-driven tests of the correction engine (workers/gpu/correct.py).

Each case is a realistic candidate for a realistic product, the text the
engine must produce (exactly, or by what it must / must not contain), and the
set of Fix codes it must record.  Property tests after the table check
idempotence, determinism, spans, and that good copy is never thrown away.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # running `pytest` without an installed package
    sys.path.insert(0, str(ROOT))

from schemas.events import Product  # noqa: E402
from workers.gpu import lexicon  # noqa: E402
from workers.gpu.correct import Correction, Fix, correct  # noqa: E402


def _product(
    pid: str,
    title: str,
    category: str,
    locale: str,
    brand: str | None,
    attributes: dict,
    price: str | None = None,
    seller: str | None = None,
) -> Product:
    data = {"product_id": pid, "title": title, "category": category, "locale": locale, "brand": brand}
    data["attributes"] = attributes
    if price:
        data["price"] = {"amount": price, "currency": "USD"}
    if seller:
        data["seller_description"] = seller
    return Product.model_validate(data)


POWER_BANK = _product(
    "pb-1",
    "Anker PowerCore 10000 Portable Charger",
    "Power Banks",
    "en-US",
    "Anker",
    {"capacity": "10000mAh", "colour": "Black", "output": "20W", "weight": "180g", "ports": ["USB-C", "USB-A"]},
    price="29.99",
)
TSHIRT = _product(
    "ts-1",
    "Classic Crew Neck T-Shirt",
    "T-Shirts",
    "en-US",
    "Northwind",
    {"material": "100% cotton", "colour": ["Navy", "White"], "fit": "regular"},
)
SPEAKER = _product(
    "sp-1",
    "SoundPeak Go Bluetooth Speaker",
    "Speakers",
    "en-GB",
    "SoundPeak",
    {"battery life": "12 hours", "waterproof rating": "IPX7", "colour": "Blue", "warranty": "1 year"},
)
FIRST_AID = _product(
    "fa-1",
    "Compact First Aid Kit, 100 Pieces",
    "Health",
    "en-US",
    "CarePack",
    {"pieces": 100.0, "case material": "nylon"},
)
BACKPACK = _product(
    "bp-1",
    "Urban Laptop Backpack",
    "Bags",
    "en-US",
    "Urbano",
    {
        "dimensions": "45 x 30 x 15 cm",
        "capacity": "25L",
        "material": "PU leather",
        "color": "Grey",
        "laptop size": "15.6 inch",
    },
    seller="Water-resistant coating keeps your gear dry.",
)
XIAOMI = _product("xm-1", "Xiaomi Power Bank 3", "Power Banks", "en-US", "Xiaomi", {"capacity": "10000mAh"})

ZH_POWER_BANK = _product(
    "pb-2",
    "Anker 充电宝 10000毫安时",
    "充电宝",
    "zh-CN",
    "Anker",
    {"容量": "10000毫安时", "颜色": "黑色", "重量": "180克", "输出功率": "20W"},
)
ZH_TSHIRT = _product("ts-2", "经典圆领短袖T恤", "T恤", "zh-CN", "北风", {"面料": "100%纯棉", "颜色": ["白色", "藏青色"]})
ZH_CUP = _product(
    "cup-1",
    "真空保温杯 500毫升",
    "保温杯",
    "zh-CN",
    "暖途",
    {"容量": "500毫升", "材质": "不锈钢", "颜色": "红色", "保温时长": "12小时", "质保": "2年"},
)
ZH_SPEAKER = _product("sp-2", "声峰 便携蓝牙音箱", "音箱", "zh-CN", "声峰", {"防水等级": "IPX7", "续航": "12小时"})


@dataclass
class Case:
    id: str
    product: Product
    locale: str
    text: str
    codes: set[str]
    want: str | None = None  # exact expected output
    has: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    restricted: tuple[str, ...] = field(default_factory=tuple)


EN = "en-US"
ZH = "zh-CN"

CASES = [
    # --- English ----------------------------------------------------------------------------
    Case("en_clean", POWER_BANK, EN,
         "The Anker PowerCore 10000 holds 10000mAh in a slim black shell. Its 20W output is quick.",
         set(), want="The Anker PowerCore 10000 holds 10000mAh in a slim black shell. Its 20W output is quick."),
    Case("en_best_in_world_softened", POWER_BANK, EN,
         "This is the best power bank in the world. It holds 10000mAh.",
         {"banned_term"}, want="This is a great power bank. It holds 10000mAh."),
    Case("en_perfect_softened", POWER_BANK, EN,
         "A perfect companion for long trips.",
         {"banned_term"}, want="A great companion for long trips."),
    Case("en_predicate_superlative_sentence_dropped", POWER_BANK, EN,
         "It is simply the best. The 20W output charges phones quickly.",
         {"banned_term"}, want="The 20W output charges phones quickly."),
    Case("en_number_one_removed", POWER_BANK, EN,
         "Rated number one by travellers, it weighs just 180g.",
         {"banned_term"}, want="Rated by travellers, it weighs just 180g."),
    Case("en_satisfaction_guaranteed_dropped", POWER_BANK, EN,
         "Satisfaction guaranteed. It weighs 180g.",
         {"banned_term"}, want="It weighs 180g."),
    Case("en_miracle_removed", POWER_BANK, EN,
         "A miracle charger that weighs only 180g.",
         {"banned_term"}, want="A charger that weighs only 180g."),
    Case("en_ultimate_removed_article_fixed", POWER_BANK, EN,
         "An ultimate travel charger with 20W output.",
         {"banned_term"}, want="A travel charger with 20W output."),
    Case("en_first_aid_kept", FIRST_AID, EN,
         "This first aid kit packs 100 pieces into a tough nylon case.",
         set(), want="This first aid kit packs 100 pieces into a tough nylon case."),
    Case("en_100_cotton_supported_kept", TSHIRT, EN,
         "Made of 100% cotton, it stays soft wash after wash.",
         set(), want="Made of 100% cotton, it stays soft wash after wash."),
    Case("en_100_percent_unsupported_removed", POWER_BANK, EN,
         "Its shell is 100% recyclable and weighs 180g.",
         {"banned_term"}, want="Its shell is recyclable and weighs 180g."),
    Case("en_number_replaced", POWER_BANK, EN,
         "It stores 20,000 mAh of power for the whole weekend.",
         {"fact_number"}, want="It stores 10,000 mAh of power for the whole weekend."),
    Case("en_mass_replaced_when_attribute_named", POWER_BANK, EN,
         "At just 250g, it weighs less than a paperback.",
         {"fact_number"}, want="At just 180g, it weighs less than a paperback."),
    Case("en_mass_contradiction_dropped", POWER_BANK, EN,
         "Its 20W output is fast. The strap can carry up to 5 kg of gear.",
         {"fact_number"}, want="Its 20W output is fast."),
    Case("en_unit_conversion_agrees", POWER_BANK, EN,
         "It weighs only 0.18 kg, so it slips into any pocket.",
         set(), want="It weighs only 0.18 kg, so it slips into any pocket."),
    Case("en_unsupported_number_dropped", POWER_BANK, EN,
         "Its 20W output is fast. A full recharge takes 3 hours.",
         {"fact_number"}, want="Its 20W output is fast."),
    Case("en_number_matching_title_kept", FIRST_AID, EN,
         "Everything sits in a nylon case.",
         set(), want="Everything sits in a nylon case."),
    Case("en_colour_replaced", POWER_BANK, EN,
         "The red finish resists fingerprints.",
         {"fact_colour"}, want="The black finish resists fingerprints."),
    Case("en_colour_replaced_with_all_variants", TSHIRT, EN,
         "Available in a classic red.",
         {"fact_colour"}, want="Available in a classic navy or white."),
    Case("en_colour_contradiction_dropped", POWER_BANK, EN,
         "Choose black or red. Its 20W output is fast.",
         {"fact_colour"}, want="Its 20W output is fast."),
    Case("en_colour_led_kept", POWER_BANK, EN,
         "A blue LED shows how much charge is left.",
         set(), want="A blue LED shows how much charge is left."),
    Case("en_material_replaced", TSHIRT, EN,
         "Crafted from soft polyester, it keeps its shape.",
         {"fact_material"}, want="Crafted from soft cotton, it keeps its shape."),
    Case("en_brand_made_by_replaced", POWER_BANK, EN,
         "Made by Samsung, it charges two devices at once.",
         {"fact_brand"}, want="Made by Anker, it charges two devices at once."),
    Case("en_brand_unknown_maker_replaced", POWER_BANK, EN,
         "Designed by Voltix, it fits in any pocket.",
         {"fact_brand"}, want="Designed by Anker, it fits in any pocket."),
    Case("en_brand_compatibility_kept", POWER_BANK, EN,
         "It charges Apple and Samsung phones alike.",
         set(), want="It charges Apple and Samsung phones alike."),
    Case("en_waterproof_unsupported_dropped", POWER_BANK, EN,
         "Waterproof and dustproof for outdoor use. It weighs 180g.",
         {"unsupported_claim"}, want="It weighs 180g."),
    Case("en_waterproof_supported_kept", SPEAKER, "en-GB",
         "Its IPX7 waterproof body shrugs off rain.",
         set(), want="Its IPX7 waterproof body shrugs off rain."),
    Case("en_medical_claim_dropped", POWER_BANK, EN,
         "An antibacterial coating keeps germs away. It weighs 180g.",
         {"unsupported_claim"}, want="It weighs 180g."),
    Case("en_free_shipping_dropped", POWER_BANK, EN,
         "Free shipping on every order. Its 20W output is fast.",
         {"unsupported_claim"}, want="Its 20W output is fast."),
    Case("en_certification_dropped", POWER_BANK, EN,
         "It is CE and FCC certified. Its 20W output is fast.",
         {"unsupported_claim"}, want="Its 20W output is fast."),
    Case("en_warranty_length_corrected", SPEAKER, "en-GB",
         "Backed by a 2-year warranty.",
         {"fact_number"}, want="Backed by a 1-year warranty."),
    Case("en_word_loop_collapsed", POWER_BANK, EN,
         "It is very very very light at 180g.",
         {"repetition"}, want="It is very light at 180g."),
    Case("en_repeated_sentence_dropped", POWER_BANK, EN,
         "It weighs 180g. Its 20W output is fast. It weighs 180g.",
         {"repetition"}, want="It weighs 180g. Its 20W output is fast."),
    Case("en_truncated_dropped", POWER_BANK, EN,
         "Its 20W output is fast. It also comes with a braided",
         {"truncated"}, want="Its 20W output is fast."),
    Case("en_truncated_lone_finished", POWER_BANK, EN,
         "A slim charger that fits in any pocket",
         {"truncated"}, want="A slim charger that fits in any pocket."),
    Case("en_list_without_stops_kept", POWER_BANK, EN,
         "Key features\n- 10000mAh capacity\n- 20W output",
         set(), want="Key features\n- 10000mAh capacity\n- 20W output"),
    Case("en_cjk_sentence_dropped", POWER_BANK, EN,
         "Its 20W output is fast. 非常好用。",
         {"wrong_language"}, want="Its 20W output is fast."),
    Case("en_cjk_brand_name_kept", XIAOMI, EN,
         "The Xiaomi (小米) power bank holds 10000mAh.",
         set(), want="The Xiaomi (小米) power bank holds 10000mAh."),
    Case("en_prompt_labels_removed", POWER_BANK, EN,
         "Title: Anker PowerCore 10000\nDescription: A slim power bank with 20W output.",
         {"prompt_leak"}, want="A slim power bank with 20W output."),
    Case("en_end_token_and_rest_removed", POWER_BANK, EN,
         "A slim power bank with 20W output.<|endoftext|>Write a product description for",
         {"prompt_leak"}, want="A slim power bank with 20W output."),
    Case("en_assistant_lead_in_removed", POWER_BANK, EN,
         "Sure! Here is the description: A slim power bank with 20W output.",
         {"prompt_leak"}, want="A slim power bank with 20W output."),
    Case("en_whitespace_normalised", POWER_BANK, EN,
         "A slim power bank  with 20W output .It weighs 180g .",
         {"whitespace"}, want="A slim power bank with 20W output. It weighs 180g."),
    Case("en_price_corrected", POWER_BANK, EN,
         "Yours for just $19.99 today.",
         {"fact_number"}, want="Yours for just $29.99 today."),
    Case("en_superlative_on_the_market_dropped", POWER_BANK, EN,
         "Its 20W output is fast. It is the lightest power bank on the market.",
         {"banned_term"}, want="Its 20W output is fast."),
    Case("en_best_way_to_kept", POWER_BANK, EN,
         "The best way to keep it healthy is to top it up every three months.",
         set(), want="The best way to keep it healthy is to top it up every three months."),
    Case("en_negated_claim_kept", POWER_BANK, EN,
         "It's not waterproof, so keep it away from the pool.",
         set(), want="It's not waterproof, so keep it away from the pool."),
    Case("en_claim_backed_by_seller_text_kept", BACKPACK, EN,
         "It measures 45 x 30 x 15 cm, holds 25 litres and has a water-resistant shell.",
         set(), want="It measures 45 x 30 x 15 cm, holds 25 litres and has a water-resistant shell."),
    Case("en_dimension_chain_contradiction_dropped", BACKPACK, EN,
         "It measures 50 x 30 x 15 cm. A padded sleeve fits a 15.6\" laptop.",
         {"fact_number"}, want="A padded sleeve fits a 15.6\" laptop."),
    Case("en_screen_size_replaced_via_attribute_name", BACKPACK, EN,
         "A grey backpack with a padded 17-inch laptop sleeve.",
         {"fact_number"}, want="A grey backpack with a padded 15.6-inch laptop sleeve."),
    Case("en_house_model_tags_removed", POWER_BANK, EN,
         "<title> Anker PowerCore 10000\n<attr> capacity: 10000mAh\n<desc> A slim power bank with 20W output.",
         {"prompt_leak"}, want="A slim power bank with 20W output."),
    Case("en_shop_restricted_term_removed", POWER_BANK, EN,
         "This cheap charger delivers 20W.",
         {"banned_term"}, want="This charger delivers 20W.", restricted=("cheap",)),
    # --- Chinese -----------------------------------------------------------------------------
    Case("zh_clean", ZH_POWER_BANK, ZH,
         "Anker充电宝容量10000毫安时，重量仅180克，黑色机身小巧便携。",
         set(), want="Anker充电宝容量10000毫安时，重量仅180克，黑色机身小巧便携。"),
    Case("zh_superlative_softened", ZH_POWER_BANK, ZH,
         "这是最好的充电宝，出门必备。",
         {"banned_term"}, want="这是很好的充电宝，出门必备。"),
    Case("zh_rank_clause_removed", ZH_POWER_BANK, ZH,
         "销量第一，容量10000毫安时。",
         {"banned_term"}, want="容量10000毫安时。"),
    Case("zh_lowest_price_sentence_dropped", ZH_POWER_BANK, ZH,
         "全网最低价！重量仅180克。",
         {"banned_term"}, want="重量仅180克。"),
    Case("zh_shouxuan_softened", ZH_POWER_BANK, ZH,
         "出行首选，重量仅180克。",
         {"banned_term"}, want="出行优选，重量仅180克。"),
    Case("zh_zuijin_kept", ZH_POWER_BANK, ZH,
         "最近出差时，它是我的好帮手。",
         set(), want="最近出差时，它是我的好帮手。"),
    Case("zh_spec_maximum_kept", ZH_POWER_BANK, ZH,
         "最大输出功率20W，充电更快。",
         set(), want="最大输出功率20W，充电更快。"),
    Case("zh_100_cotton_supported_kept", ZH_TSHIRT, ZH,
         "采用100%纯棉面料，柔软透气。",
         set(), want="采用100%纯棉面料，柔软透气。"),
    Case("zh_100_percent_unsupported_removed", ZH_POWER_BANK, ZH,
         "100%安全可靠，重量仅180克。",
         {"banned_term"}, want="安全可靠，重量仅180克。"),
    Case("zh_number_replaced", ZH_POWER_BANK, ZH,
         "容量高达20000毫安时，出行无忧。",
         {"fact_number"}, want="容量高达10000毫安时，出行无忧。"),
    Case("zh_unsupported_number_dropped", ZH_POWER_BANK, ZH,
         "黑色机身小巧便携。充满电只需3小时。",
         {"fact_number"}, want="黑色机身小巧便携。"),
    Case("zh_unit_equivalence_kept", ZH_POWER_BANK, ZH,
         "重量0.18公斤，轻巧便携。",
         set(), want="重量0.18公斤，轻巧便携。"),
    Case("zh_time_replaced_by_named_attribute", ZH_CUP, ZH,
         "保温长达24小时，冬天也能喝到热水。",
         {"fact_number"}, want="保温长达12小时，冬天也能喝到热水。"),
    Case("zh_colour_replaced", ZH_POWER_BANK, ZH,
         "红色外观时尚大方。",
         {"fact_colour"}, want="黑色外观时尚大方。"),
    Case("zh_colour_contradiction_dropped", ZH_POWER_BANK, ZH,
         "有黑色和红色两款可选。重量仅180克。",
         {"fact_colour"}, want="重量仅180克。"),
    Case("zh_indicator_colour_kept", ZH_POWER_BANK, ZH,
         "充电时指示灯亮红色。",
         set(), want="充电时指示灯亮红色。"),
    Case("zh_material_replaced", ZH_TSHIRT, ZH,
         "采用涤纶面料，挺括有型。",
         {"fact_material"}, want="采用纯棉面料，挺括有型。"),
    Case("zh_brand_attribution_replaced", ZH_POWER_BANK, ZH,
         "这款小米充电宝容量10000毫安时。",
         {"fact_brand"}, want="这款Anker充电宝容量10000毫安时。"),
    Case("zh_brand_compatibility_kept", ZH_POWER_BANK, ZH,
         "兼容苹果和三星手机。",
         set(), want="兼容苹果和三星手机。"),
    Case("zh_waterproof_unsupported_dropped", ZH_POWER_BANK, ZH,
         "防水防尘，户外无忧。重量仅180克。",
         {"unsupported_claim"}, want="重量仅180克。"),
    Case("zh_waterproof_supported_kept", ZH_SPEAKER, ZH,
         "IPX7级防水，雨天也能放心使用。",
         set(), want="IPX7级防水，雨天也能放心使用。"),
    Case("zh_medical_claim_dropped", ZH_TSHIRT, ZH,
         "面料抗菌除臭，穿着更健康。柔软透气，四季可穿。",
         {"unsupported_claim"}, want="柔软透气，四季可穿。"),
    Case("zh_free_shipping_dropped", ZH_POWER_BANK, ZH,
         "全国包邮，下单即发。重量仅180克。",
         {"unsupported_claim"}, want="重量仅180克。"),
    Case("zh_warranty_length_corrected", ZH_CUP, ZH,
         "享受3年质保服务。",
         {"fact_number"}, want="享受2年质保服务。"),
    Case("zh_char_loop_collapsed", ZH_POWER_BANK, ZH,
         "这款充电宝好好好好用。",
         {"repetition"}, want="这款充电宝好用。"),
    Case("zh_repeated_sentence_dropped", ZH_POWER_BANK, ZH,
         "小巧便携。重量仅180克。小巧便携。",
         {"repetition"}, want="小巧便携。重量仅180克。"),
    Case("zh_truncated_dropped", ZH_POWER_BANK, ZH,
         "重量仅180克，小巧便携。容量高达10000毫安时，可以为",
         {"truncated"}, want="重量仅180克，小巧便携。"),
    Case("zh_truncated_lone_finished", ZH_POWER_BANK, ZH,
         "黑色机身小巧便携",
         {"truncated"}, want="黑色机身小巧便携。"),
    Case("zh_english_sentence_dropped", ZH_POWER_BANK, ZH,
         "This power bank is great for travel. 黑色机身，小巧便携。",
         {"wrong_language"}, want="黑色机身，小巧便携。"),
    Case("zh_prompt_labels_removed", ZH_POWER_BANK, ZH,
         "标题：Anker充电宝\n描述：黑色机身，小巧便携。",
         {"prompt_leak"}, want="黑色机身，小巧便携。"),
    Case("zh_assistant_lead_in_removed", ZH_POWER_BANK, ZH,
         "好的，以下是商品描述：黑色机身，小巧便携。",
         {"prompt_leak"}, want="黑色机身，小巧便携。"),
    Case("zh_whitespace_normalised", ZH_POWER_BANK, ZH,
         "黑色 机身 , 小巧 便携 。",
         {"whitespace"}, want="黑色机身，小巧便携。"),
    Case("zh_price_without_product_price_dropped", ZH_POWER_BANK, ZH,
         "现在仅售99元，性价比超高。重量仅180克。",
         {"fact_number"}, want="重量仅180克。"),
    Case("zh_shop_restricted_term_removed", ZH_POWER_BANK, ZH,
         "爆款充电宝，重量仅180克。",
         {"banned_term"}, want="充电宝，重量仅180克。", restricted=("爆款",)),
]


def _codes(result: Correction) -> set[str]:
    return {f.code for f in result.fixes}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_correction_table(case: Case) -> None:
    result = correct(case.text, case.product, case.locale, restricted_terms=case.restricted)
    assert _codes(result) == case.codes, [f.model_dump() for f in result.fixes]
    if case.want is not None:
        assert result.text == case.want
    for needle in case.has:
        assert needle in result.text
    for needle in case.lacks:
        assert needle not in result.text
    assert result.clean == (not case.codes)


def test_table_covers_every_category_in_both_languages() -> None:
    en = [c for c in CASES if c.locale.startswith("en")]
    zh = [c for c in CASES if c.locale.startswith("zh")]
    assert len(CASES) >= 40 and len(en) >= 15 and len(zh) >= 15
    wanted = {
        "banned_term", "fact_number", "fact_brand", "fact_colour", "fact_material", "unsupported_claim",
        "repetition", "truncated", "wrong_language", "prompt_leak", "whitespace",
    }
    for group in (en, zh):
        assert wanted <= set().union(*(c.codes for c in group))


# --- properties ------------------------------------------------------------------------------

IDEMPOTENCE_INPUTS = [(c.text, c.product, c.locale, c.restricted) for c in CASES] + [
    ("The best charger ever!!! It's perfect , unbeatable and 100% guaranteed.\n\n\n\nBuy now", POWER_BANK, EN, ()),
    ("最好的充电宝!!最强续航,绝对好用 .全网第一 . 永久保修", ZH_POWER_BANK, ZH, ()),
    ("<|im_start|>assistant\nDescription: Slim. Slim. Slim. 20000mAh , red , by Sony", POWER_BANK, EN, ()),
    ("采用最新技术，容量20000mAh。颜色：红色。", ZH_POWER_BANK, ZH, ()),
]


@pytest.mark.parametrize("text,product,locale,restricted", IDEMPOTENCE_INPUTS)
def test_idempotent(text: str, product: Product, locale: str, restricted: tuple[str, ...]) -> None:
    once = correct(text, product, locale, restricted_terms=restricted)
    twice = correct(once.text, product, locale, restricted_terms=restricted)
    assert twice.fixes == [], [f.model_dump() for f in twice.fixes]
    assert twice.text == once.text


@pytest.mark.parametrize(
    "text,product,locale,good",
    [
        ("Title: x\nThe best. Waterproof! It weighs 180g. Free shipping. 20000mAh!", POWER_BANK, EN, "It weighs 180g."),
        ("Cures headaches. It weighs 180g. 好用。", POWER_BANK, EN, "It weighs 180g."),
        ("全网第一。抗菌防臭。重量仅180克。包邮。", ZH_POWER_BANK, ZH, "重量仅180克。"),
        ("The 20W output charges phones quickly", POWER_BANK, EN, "The 20W output charges phones quickly"),
    ],
)
def test_never_empty_when_a_good_sentence_exists(text: str, product: Product, locale: str, good: str) -> None:
    result = correct(text, product, locale)
    assert result.text.strip()
    assert good in result.text


def test_deterministic() -> None:
    text = "This is the best power bank in the world. It holds 20000mAh. Waterproof!"
    runs = [correct(text, POWER_BANK, EN).model_dump() for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]


def test_spans_point_into_the_input() -> None:
    for case in CASES:
        result = correct(case.text, case.product, case.locale, restricted_terms=case.restricted)
        for fix in result.fixes:
            if fix.span is None:
                continue
            a, b = fix.span
            assert 0 <= a < b <= len(case.text), (case.id, fix)
            if fix.after or fix.code in {"banned_term", "prompt_leak", "repetition"}:
                continue
            # a dropped sentence: the span covers what the model wrote there
            assert case.text[a:b].strip(), (case.id, fix)


def test_fix_shape() -> None:
    result = correct("It stores 20000mAh.", POWER_BANK, EN)
    (fix,) = result.fixes
    assert isinstance(fix, Fix)
    assert (fix.code, fix.before, fix.after) == ("fact_number", "20000", "10000")
    assert fix.span == (10, 15)
    assert "10000mAh" in fix.detail
    assert not result.clean


def test_clean_text_untouched() -> None:
    text = "A slim 10000mAh power bank in black, with 20W output."
    result = correct(text, POWER_BANK, EN)
    assert result.clean and result.text == text


@pytest.mark.parametrize(
    "phrase",
    ["the best", "best in the world", "world's best", "number one", "#1", "No. 1", "100% guaranteed",
     "guaranteed results", "miracle", "perfect", "unbeatable", "best ever", "world-class", "best-selling",
     "flawless", "revolutionary", "ultimate", "cheapest", "risk-free", "first-ever", "top-rated"],
)
def test_every_english_banned_pattern_is_caught(phrase: str) -> None:
    result = correct(f"It weighs 180g. This is {phrase} stuff for travellers.", POWER_BANK, EN)
    assert "banned_term" in _codes(result), phrase
    assert phrase.lower() not in result.text.lower()


@pytest.mark.parametrize("term", [t for t in lexicon.BANNED_ZH if not t.isascii()])
def test_every_chinese_banned_term_is_caught(term: str) -> None:
    result = correct(f"重量仅180克。这款产品{term}出色。", ZH_POWER_BANK, ZH)
    assert "banned_term" in _codes(result), term
    assert term not in result.text


@pytest.mark.parametrize(
    "sentence",
    ["It is waterproof.", "Rated IP68 for dust.", "Shockproof case inside.", "Comes with a 2-year warranty.",
     "Enjoy 30-day returns.", "It is FDA approved.", "It is certified safe.", "It cures back pain.",
     "Made from BPA-free parts.", "Enjoy free shipping.", "Built for a lifetime of use.", "Made from organic fibres.",
     "Made in Germany.", "防水设计。", "通过CE认证。", "具有抗菌功能。", "食品级材质。", "全国包邮。", "终身保修。"],
)
def test_every_claim_kind_needs_support(sentence: str) -> None:
    locale = ZH if any("\u4e00" <= ch <= "\u9fff" for ch in sentence) else EN
    product = ZH_POWER_BANK if locale == ZH else POWER_BANK
    result = correct(f"{sentence}", product, locale)
    assert "unsupported_claim" in _codes(result), sentence


def test_fast_enough() -> None:
    text = (
        "This compact power bank holds 10000mAh and weighs only 180g, so it slips into any pocket. "
        "It delivers 20W output to charge your phone quickly. The black finish resists fingerprints "
        "and looks smart on a desk. A great companion for commuters, students and travellers."
    )
    correct(text, POWER_BANK, EN)
    start = time.perf_counter()
    for _ in range(50):
        correct(text, POWER_BANK, EN)
    per_call_ms = (time.perf_counter() - start) / 50 * 1000
    assert per_call_ms < 10, per_call_ms  # aim is < 1 ms; this only catches runaway regexes
