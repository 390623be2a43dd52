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

HEADPHONES = _product(
    "hp-1",
    "Sony WH-1000XM5 Wireless Noise Cancelling Headphones",
    "Headphones",
    "en-US",
    "Sony",
    {"model": "WH-1000XM5", "battery life": "30 hours", "colour": "Black", "waterproof rating": "IPX4"},
)
PEBBLE = _product("pb-3", "Linis Pebble V2 Battery Pack", "Power Banks", "en-US", "Linis",
                  {"capacity": "12000mAh", "colour": "white"})
DRESS = _product("dr-1", "Linen Wrap Dress", "Dresses", "en-US", "Maren",
                 {"size": "M", "material": "linen", "colour": "Beige"})
TSHIRT_SIZES = _product("ts-3", "Everyday Cotton Tee", "T-Shirts", "en-US", "Northwind",
                        {"sizes": ["S", "M", "L"], "material": "cotton", "colour": "White"})
LAPTOP = _product(
    "lt-1",
    "Aerobook 15 Laptop",
    "Laptops",
    "en-US",
    "Aerobook",
    {"screen size": "15.6 inch", "memory (RAM)": "16GB", "storage": "512GB SSD", "weight": "1.7 kg"},
)
KETTLE = _product("kt-1", "Steelbrew Electric Kettle", "Kettles", "en-US", "Steelbrew",
                  {"capacity": "1.7L", "weight": "1.5 kg", "power": "2200W", "material": "stainless steel"})
ZH_LAPTOP = _product("lt-2", "轻薄笔记本电脑", "笔记本电脑", "zh-CN", "云帆",
                     {"屏幕尺寸": "15.6英寸", "内存": "16GB", "存储": "512GB", "重量": "1.7公斤"})
ZH_KETTLE = _product("kt-2", "不锈钢电水壶", "电水壶", "zh-CN", "暖途", {"容量": "1.7升", "重量": "1.5公斤"})
ZH_HEADPHONES = _product("hp-2", "索尼 WH-1000XM5 降噪耳机", "耳机", "zh-CN", "索尼",
                         {"型号": "WH-1000XM5", "续航": "30小时", "颜色": "黑色"})
ZH_DRESS = _product("dr-2", "亚麻连衣裙", "连衣裙", "zh-CN", "玛伦", {"尺码": "M", "面料": "亚麻", "颜色": "米色"})
ZH_TSHIRT_SIZES = _product("ts-4", "纯棉短袖T恤", "T恤", "zh-CN", "北风", {"尺码": ["S", "M", "L"], "面料": "纯棉"})
TW_POWER_BANK = _product("pb-4", "Anker 行動電源 10000mAh", "行動電源", "zh-TW", "Anker",
                         {"容量": "10000mAh", "重量": "180克"})


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
    Case("en_units_thousands_separator_agrees", POWER_BANK, EN,
         "It packs 10,000 mAh into a slim shell.",
         set(), want="It packs 10,000 mAh into a slim shell."),
    Case("en_model_number_replaced", HEADPHONES, EN,
         "The WH-1000XM4 blocks engine noise on long flights.",
         {"fact_model"}, want="The WH-1000XM5 blocks engine noise on long flights."),
    Case("en_model_series_version_replaced", PEBBLE, EN,
         "The Pebble V3 slips into a jacket pocket.",
         {"fact_model"}, want="The Pebble V2 slips into a jacket pocket."),
    Case("en_spec_code_not_a_model", HEADPHONES, EN,
         "Its IPX4 rating shrugs off sweat on a run.",
         set(), want="Its IPX4 rating shrugs off sweat on a run."),
    Case("en_size_replaced", DRESS, EN,
         "Shown here in size S with a tie waist.",
         {"fact_size"}, want="Shown here in size M with a tie waist."),
    Case("en_size_range_unsupported_dropped", TSHIRT_SIZES, EN,
         "It comes in sizes S to XXL. The cotton stays soft.",
         {"fact_size"}, want="The cotton stays soft."),
    Case("en_sizes_supported_kept", TSHIRT_SIZES, EN,
         "Choose from sizes S, M and L.",
         set(), want="Choose from sizes S, M and L."),
    Case("en_storage_tb_replaced_by_named_attribute", LAPTOP, EN,
         "Its 1TB storage holds all your files.",
         {"fact_number"}, want="Its 512GB storage holds all your files."),
    Case("en_inch_mark_agrees", LAPTOP, EN,
         'Its 15.6" display is bright and sharp.',
         set(), want='Its 15.6" display is bright and sharp.'),
    Case("en_pounds_agree_with_kilograms", KETTLE, EN,
         "At 3.3 lb, it is easy to lift and pour.",
         set(), want="At 3.3 lb, it is easy to lift and pour."),
    Case("en_millimetres_agree_with_centimetres", BACKPACK, EN,
         "It measures 450 x 300 x 150 mm.",
         set(), want="It measures 450 x 300 x 150 mm."),
    Case("en_first_charge_kept", POWER_BANK, EN,
         "Give it a full first charge before you travel.",
         set(), want="Give it a full first charge before you travel."),
    Case("en_industry_leading_removed", POWER_BANK, EN,
         "Its industry-leading 20W output charges phones fast.",
         {"banned_term"}, want="Its 20W output charges phones fast."),
    Case("en_game_changing_removed", POWER_BANK, EN,
         "This game-changing charger weighs 180g.",
         {"banned_term"}, want="This charger weighs 180g."),
    Case("en_award_claim_dropped", POWER_BANK, EN,
         "An award-winning design. It weighs 180g.",
         {"unsupported_claim"}, want="It weighs 180g."),
    Case("en_doctor_recommended_dropped", TSHIRT, EN,
         "Dermatologist-recommended cotton keeps skin calm. The fit is regular.",
         {"unsupported_claim"}, want="The fit is regular."),
    Case("en_eco_claim_dropped", POWER_BANK, EN,
         "Eco-friendly packaging throughout. It weighs 180g.",
         {"unsupported_claim"}, want="It weighs 180g."),
    Case("en_cyrillic_sentence_dropped", POWER_BANK, EN,
         "Its 20W output is fast. Отличный выбор для поездок.",
         {"wrong_language"}, want="Its 20W output is fast."),
    Case("en_guaranteed_results_removed", POWER_BANK, EN,
         "Fast charging with guaranteed results. It weighs 180g.",
         {"banned_term"}, want="It weighs 180g."),
    Case("en_world_class_softened", KETTLE, EN,
         "A world-class kettle that boils 1.7L quickly.",
         {"banned_term"}, want="A high-quality kettle that boils 1.7L quickly."),
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
    Case("zh_mah_spelled_out_agrees", ZH_POWER_BANK, ZH,
         "容量10,000 mAh，够用一整天。",
         set(), want="容量10,000 mAh，够用一整天。"),
    Case("zh_inch_replaced", ZH_LAPTOP, ZH,
         "配备17英寸高清屏幕。",
         {"fact_number"}, want="配备15.6英寸高清屏幕。"),
    Case("zh_jin_agrees_with_kilograms", ZH_KETTLE, ZH,
         "重量约3斤，单手就能拿起。",
         set(), want="重量约3斤，单手就能拿起。"),
    Case("zh_memory_replaced_by_named_attribute", ZH_LAPTOP, ZH,
         "内存32GB，多开应用也流畅。",
         {"fact_number"}, want="内存16GB，多开应用也流畅。"),
    Case("zh_model_number_replaced", ZH_HEADPHONES, ZH,
         "WH-1000XM4降噪效果出色。",
         {"fact_model"}, want="WH-1000XM5降噪效果出色。"),
    Case("zh_size_replaced", ZH_DRESS, ZH,
         "这款连衣裙为L码，版型宽松。",
         {"fact_size"}, want="这款连衣裙为M码，版型宽松。"),
    Case("zh_size_range_unsupported_dropped", ZH_TSHIRT_SIZES, ZH,
         "有S到XXL码可选。柔软透气。",
         {"fact_size"}, want="柔软透气。"),
    Case("zh_traditional_converted_for_zh_cn", ZH_POWER_BANK, ZH,
         "這款充電寶重量僅180克。",
         {"wrong_script"}, want="这款充电宝重量仅180克。"),
    Case("zh_simplified_converted_for_zh_tw", TW_POWER_BANK, "zh-TW",
         "这款充电宝重量仅180克。",
         {"wrong_script"}, want="這款充電寶重量僅180克。"),
    Case("zh_kana_sentence_dropped", ZH_POWER_BANK, ZH,
         "重量仅180克。とても軽いです。",
         {"wrong_language"}, want="重量仅180克。"),
    Case("zh_first_time_kept", ZH_POWER_BANK, ZH,
         "第一次使用前请充满电。",
         set(), want="第一次使用前请充满电。"),
    Case("zh_zuihou_kept", ZH_POWER_BANK, ZH,
         "最后，用完请放回收纳袋。",
         set(), want="最后，用完请放回收纳袋。"),
    Case("zh_global_launch_dropped", ZH_POWER_BANK, ZH,
         "全球首发！重量仅180克。",
         {"banned_term"}, want="重量仅180克。"),
    Case("zh_inspection_exempt_clause_removed", ZH_POWER_BANK, ZH,
         "免检产品，重量仅180克。",
         {"banned_term"}, want="重量仅180克。"),
    Case("zh_award_claim_dropped", ZH_POWER_BANK, ZH,
         "荣获设计金奖。重量仅180克。",
         {"unsupported_claim"}, want="重量仅180克。"),
    Case("zh_eco_claim_dropped", ZH_POWER_BANK, ZH,
         "绿色环保材质。重量仅180克。",
         {"unsupported_claim"}, want="重量仅180克。"),
    Case("zh_expert_endorsement_dropped", ZH_POWER_BANK, ZH,
         "专家推荐，值得信赖。重量仅180克。",
         {"unsupported_claim"}, want="重量仅180克。"),
    Case("zh_wanneng_softened", ZH_POWER_BANK, ZH,
         "万能充电宝，重量仅180克。",
         {"banned_term"}, want="多用途充电宝，重量仅180克。"),
    Case("zh_absolute_removed", ZH_POWER_BANK, ZH,
         "绝对好用，重量仅180克。",
         {"banned_term"}, want="好用，重量仅180克。"),
    Case("zh_national_level_removed", ZH_CUP, ZH,
         "采用国家级工艺，容量500毫升。",
         {"banned_term"}, want="容量500毫升。"),
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
    assert len(CASES) >= 120 and len(en) >= 50 and len(zh) >= 50
    wanted = {
        "banned_term", "fact_number", "fact_brand", "fact_colour", "fact_material", "fact_model", "fact_size",
        "unsupported_claim", "repetition", "truncated", "wrong_language", "prompt_leak", "whitespace",
    }
    for group in (en, zh):
        assert wanted <= set().union(*(c.codes for c in group))
    assert "wrong_script" in set().union(*(c.codes for c in zh))
    assert len({c.id for c in CASES}) == len(CASES)


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
     "Made in Germany.", "An award-winning design.", "Doctor-recommended for daily use.",
     "Eco-friendly packaging.", "防水设计。", "荣获设计金奖。", "专家推荐。", "环保材质。", "通过CE认证。", "具有抗菌功能。", "食品级材质。", "全国包邮。", "终身保修。"],
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
