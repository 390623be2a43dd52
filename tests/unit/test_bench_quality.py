"""bench/quality.py: its metric functions and record mappings, and one run of the harness on a tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import quality
from bench.quality import (
    SourceUnavailable,
    adgen_item,
    distinct_2,
    myntra_category,
    myntra_item,
    myntra_items,
    overlap,
    parse_adgen_content,
    text_length,
)
from schemas.events import Price

MYNTRA_ROW = {
    "ProductID": "10009781",
    "ProductName": "SPYKAR Women Pink Alexa Super Skinny Fit High-Rise Clean Look Stretchable Cropped Jeans",
    "ProductBrand": "SPYKAR",
    "Gender": "Women",
    "Price (INR)": "899",
    "NumImages": "7",
    "Description": "Pink coloured wash 5-pocket high-rise cropped jeans, clean look, no fade",
    "PrimaryColor": " Pink",
}

RATES = ("coverage", "unsupported_rate", "banned_raw_rate", "banned_final_rate", "repetition_rate", "distinct_2",
         "empty_rate", "rouge1_f", "rougeL_f")


def test_distinct_2_counts_word_bigrams_in_english() -> None:
    assert distinct_2(["The cat sat.", "the cat ran"], "en-US") == pytest.approx(3 / 4)
    assert distinct_2(["one"], "en-US") is None
    assert distinct_2([], "en-US") is None


def test_distinct_2_counts_character_bigrams_in_chinese() -> None:
    assert distinct_2(["好看好看"], "zh-CN") == pytest.approx(2 / 3)
    assert distinct_2(["红色，好看。"], "zh-CN") == 1.0  # punctuation is not a character of the text


def test_length_is_words_in_english_and_characters_in_chinese() -> None:
    assert text_length("A light, warm jacket for cold mornings.", "en-US") == 7
    assert text_length("It's a USB-C port.", "en-US") == 4
    assert text_length("轻薄保暖，适合通勤。", "zh-CN") == 8
    assert text_length("", "zh-CN") == 0


def test_overlap_scores_unigrams_and_longest_common_subsequence() -> None:
    assert overlap("a red shirt", ["a red shirt"], "en-US") == {"rouge1": 1.0, "rougeL": 1.0}
    assert overlap("blue jeans", ["a red shirt"], "en-US") == {"rouge1": 0.0, "rougeL": 0.0}
    swapped = overlap("shirt red", ["red shirt"], "en-US")
    assert swapped["rouge1"] == 1.0 and swapped["rougeL"] == pytest.approx(0.5)
    partial = overlap("red cotton shirt", ["a red shirt"], "en-US")
    assert partial["rouge1"] == pytest.approx(2 / 3) and partial["rougeL"] == pytest.approx(2 / 3)


def test_overlap_uses_characters_in_chinese_and_the_closest_reference() -> None:
    swapped = overlap("红色衬衫", ["衬衫红色"], "zh-CN")
    assert swapped["rouge1"] == 1.0 and swapped["rougeL"] == pytest.approx(0.5)
    assert overlap("红色衬衫", ["蓝色裙子", "红色衬衫。"], "zh-CN") == {"rouge1": 1.0, "rougeL": 1.0}
    assert overlap("", ["红色衬衫"], "zh-CN") == {"rouge1": 0.0, "rougeL": 0.0}


def test_adgen_content_parser_collects_repeated_keys() -> None:
    parsed = parse_adgen_content("类型#裙*图案#格子*图案#纯色*风格#简约*图案#格子")
    assert parsed == {"类型": "裙", "图案": ["格子", "纯色"], "风格": "简约"}
    assert parse_adgen_content("类型#裙**材质#*#白色*颜色") == {"类型": "裙"}
    assert parse_adgen_content("颜色#白色*颜色#白色") == {"颜色": "白色"}


def test_adgen_item_is_a_chinese_product_with_its_references() -> None:
    content = "类型#上衣*材质#牛仔布*颜色#白色*风格#简约*衣样式#外套"
    item = adgen_item(content, ["简约而不简单的牛仔外套。", "白色牛仔外套。"])
    assert item.locale == item.product.locale == "zh-CN"
    assert item.product.category == "上衣"
    assert item.product.title == "白色牛仔布外套"
    assert item.product.attributes["材质"] == "牛仔布"
    assert item.references == ("简约而不简单的牛仔外套。", "白色牛仔外套。")
    assert item.product.product_id == adgen_item(content, []).product.product_id  # stable across runs


def test_myntra_row_becomes_an_english_product() -> None:
    item = myntra_item(MYNTRA_ROW)
    product = item.product
    assert product.product_id == "myntra-10009781" and product.locale == item.locale == "en-US"
    assert product.title == MYNTRA_ROW["ProductName"] and product.brand == "SPYKAR"
    assert product.category == "jeans"
    assert product.attributes == {"gender": "Women", "colour": "Pink", "price": "899 INR"}
    assert product.price == Price(amount="899", currency="INR")
    assert item.references == (MYNTRA_ROW["Description"],)


def test_myntra_row_without_colour_or_description() -> None:
    item = myntra_item({**MYNTRA_ROW, "PrimaryColor": "", "Description": " "})
    assert "colour" not in item.product.attributes and item.references == ()


@pytest.mark.parametrize(("name", "category"), [
    ("Homesake Gold-Toned & White Solid Handcrafted Table Lamp with Shade", "lamp"),
    ("ExclusiveLane Brown Geometric Square Cushion Covers Set of 2", "covers"),
    ("Calvin Klein Men Eternity Eau de Parfum 100 ml", "parfum"),
    ("Roadster Men Navy Blue Printed Round Neck T-shirt", "t-shirt"),
    ("Qraa Men Pack of 2 Face And Beard Wash 100gm each", "wash"),
    ("Lakme Absolute Matte Melt Liquid Lip Color Rhythmic Red 20", "red"),
])
def test_myntra_category_is_the_product_type_at_the_end_of_the_name(name: str, category: str) -> None:
    assert myntra_category(name) == category


def test_missing_data_is_a_skip_not_a_failure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(quality, "MYNTRA_CSV", tmp_path / "absent.csv")
    with pytest.raises(SourceUnavailable, match="not found"):
        myntra_items(5)


def test_missing_model_exits_2_and_says_how_to_build_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert quality.main(["--model", str(tmp_path / "no-model"), "--source", "samples"]) == 2
    assert "descflow train" in capsys.readouterr().out


def test_harness_runs_on_three_sample_products(tiny_model: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESCFLOW_MAX_NEW_TOKENS", "32")
    monkeypatch.setenv("DESCFLOW_DEVICE", "cpu")
    out = tmp_path / "quality.json"
    argv = ["--model", str(tiny_model), "--source", "samples", "--limit", "3", "--candidates", "2",
            "--batch-size", "4", "--out", str(out)]
    assert quality.main(argv) == 0

    result = json.loads(out.read_text())
    assert {"benchmark", "machine", "config", "sources", "groups"} <= result.keys()
    machine = result["machine"]
    assert {"cores", "torch", "device", "model", "parameters", "batch_size", "candidates"} <= machine.keys()
    assert machine["device"] == "cpu" and machine["parameters"] > 0
    assert (machine["batch_size"], machine["candidates"]) == (4, 2)
    assert result["sources"] == {"samples": {"products": 3}}
    groups = result["groups"]
    assert groups and {g["locale"] for g in groups} <= {"en-US", "zh-CN"}
    assert sum(g["products"] for g in groups) >= 3
    for group in groups:
        # the model's two candidates and the realiser's one, as in the generate stage
        assert group["source"] == "samples" and group["candidates"] == (2 + 1) * group["products"]
        assert group["empty_rate"] == 0  # the realiser's candidate passes: nothing ends as a dead letter
        assert 0 <= group["realiser_share"] <= 1 and group["gate_misbinding"] >= 0
        for key in RATES:
            assert group[key] is None or 0 <= group[key] <= 1, key
        assert group["banned_final_rate"] in (0, None)
        assert group["rouge1_f"] is None  # the sample catalog has no human references
        assert group["seconds_per_product"] > 0
        assert group["mean_length"] is None or group["mean_length"] >= 0
        assert group["length_unit"] == ("characters" if group["locale"] == "zh-CN" else "words")
