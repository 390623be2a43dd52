"""Shingling, MinHash similarity and the in-memory helpers of workers.cpu.dedup (no Redis)."""

from __future__ import annotations

import pytest

from workers.cpu.dedup import (
    CJK_K,
    LATIN_K,
    is_cjk_heavy,
    minhash,
    near_duplicates_within,
    normalise,
    redis_kwargs,
    remove_repeated_sentences,
    shingles,
)

THRESHOLD = 0.7  # schemas.settings default for dedup_threshold

# ---------------------------------------------------------------------------
# Shingles
# ---------------------------------------------------------------------------


def test_normalise_folds_case_width_punctuation_and_space() -> None:
    assert normalise("  Soft,  COTTON\tTee!! ") == "soft cotton tee"
    assert normalise("ＡＢＣ１２３，质量好！") == "abc123 质量好"  # full-width folded, ZH punctuation dropped


def test_english_shingles_are_five_characters_across_word_breaks() -> None:
    assert LATIN_K == 5
    assert shingles("Red Dress!") == {"red d", "ed dr", "d dre", " dres", "dress"}


def test_chinese_shingles_are_character_bigrams_without_spaces() -> None:
    assert CJK_K == 2
    assert shingles("物流 很快！") == {"物流", "流很", "很快"}


def test_short_and_empty_texts() -> None:
    assert shingles("Tee") == {"tee"}
    assert shingles("好") == {"好"}
    assert shingles("!!! ...") == set()


def test_script_decides_the_shingle_size() -> None:
    assert is_cjk_heavy(normalise("这款iPhone手机很好用"))
    assert not is_cjk_heavy(normalise("Apple iPhone 15 Pro Max 256GB 黑色"))


def test_minhash_is_deterministic_and_order_free() -> None:
    a = minhash("Breathable mesh upper with a cushioned sole.")
    b = minhash("Breathable mesh upper with a cushioned sole.")
    assert (a.hashvalues == b.hashvalues).all()
    assert minhash("x", num_perm=64).hashvalues.shape == (64,)


# ---------------------------------------------------------------------------
# Labelled pairs: (a, b, is_near_duplicate)
# ---------------------------------------------------------------------------

EN_PAIRS: list[tuple[str, str, bool]] = [
    # light edits
    (
        "This lightweight running shoe has a breathable mesh upper, a cushioned midsole and a grippy rubber outsole for all-day comfort on the road.",
        "This lightweight running shoe has a breathable mesh upper, a cushioned midsole and a grippy rubber outsole for all-day comfort on roads.",
        True,
    ),
    (
        "Crafted from soft organic cotton, this relaxed-fit crew neck t-shirt keeps you cool and comfortable from morning meetings to evening walks.",
        "Crafted from soft organic cotton, this relaxed fit crew-neck T-shirt keeps you cool and comfortable from morning meetings to evening strolls.",
        True,
    ),
    (
        "The stainless steel electric kettle boils 1.7 litres in under four minutes and switches itself off automatically when the water is ready.",
        "The stainless steel electric kettle boils 1.7 litres in under 4 minutes and switches itself off automatically once the water is ready.",
        True,
    ),
    (
        "Noise-cancelling wireless headphones with 30 hours of battery life, plush memory-foam ear cushions and a foldable design that fits in any bag.",
        "Noise cancelling wireless headphones with 30 hours of battery life, plush memory foam ear cushions and a foldable design that fits into any bag.",
        True,
    ),
    (
        "A sturdy bamboo cutting board with a deep juice groove and non-slip feet, sized for carving roasts and chopping vegetables alike.",
        "A sturdy bamboo chopping board with a deep juice groove and non-slip feet, sized for carving roasts and chopping vegetables alike.",
        True,
    ),
    # re-ordered clauses
    (
        "Made from merino wool, the sweater regulates temperature, resists odour and feels soft against the skin, so it works for hikes and for the office.",
        "The sweater regulates temperature, resists odour and feels soft against the skin, made from merino wool, so it works for hikes and for the office.",
        True,
    ),
    (
        "Waterproof to 50 metres, the watch tracks your heart rate, counts your steps and lasts a full week on a single charge.",
        "The watch counts your steps, tracks your heart rate and lasts a full week on a single charge, waterproof to 50 metres.",
        True,
    ),
    (
        "With a 12-cup glass carafe, a programmable timer and a keep-warm plate, this coffee maker has fresh coffee waiting when you wake up.",
        "This coffee maker has fresh coffee waiting when you wake up, with a programmable timer, a keep-warm plate and a 12-cup glass carafe.",
        True,
    ),
    # an added sentence
    (
        "These slim-fit chinos are cut from stretch cotton twill with a mid-rise waist, tapered legs and deep side pockets that hold a phone securely.",
        "These slim-fit chinos are cut from stretch cotton twill with a mid-rise waist, tapered legs and deep side pockets that hold a phone securely. Machine washable.",
        True,
    ),
    (
        "The ergonomic office chair supports your lower back with adjustable lumbar padding, breathable mesh and armrests that move in four directions.",
        "The ergonomic office chair supports your lower back with adjustable lumbar padding, breathable mesh and armrests that move in four directions. Easy to assemble.",
        True,
    ),
    # same category, different product
    (
        "This lightweight running shoe has a breathable mesh upper, a cushioned midsole and a grippy rubber outsole for all-day comfort on the road.",
        "A rugged leather hiking boot with a waterproof membrane, a padded collar and a lugged Vibram sole that bites into mud and loose rock.",
        False,
    ),
    (
        "Noise-cancelling wireless headphones with 30 hours of battery life, plush memory-foam ear cushions and a foldable design that fits in any bag.",
        "Compact true wireless earbuds that sit flush in the ear, pair instantly with your phone and come with a pocket-sized charging case.",
        False,
    ),
    (
        "The stainless steel electric kettle boils 1.7 litres in under four minutes and switches itself off automatically when the water is ready.",
        "A cast-iron Dutch oven with an enamel finish that holds heat evenly for slow braises, crusty bread and weeknight stews.",
        False,
    ),
    # same template, different attributes, substantially different text
    (
        "Red cotton summer dress with short sleeves, a round neck and a flared knee-length skirt, perfect for picnics and beach days.",
        "Navy silk evening gown with long sleeves, a plunging V-neck and a floor-length mermaid skirt, made for galas and black-tie weddings.",
        False,
    ),
    (
        "Men's black leather wallet with six card slots, a coin pocket and RFID blocking, slim enough for a front trouser pocket.",
        "Women's tan suede handbag with a zip top, two interior compartments and a detachable crossbody strap for weekend errands.",
        False,
    ),
    (
        "A 55-inch 4K smart television with Dolby Vision, three HDMI ports and built-in streaming apps for films and live sport.",
        "A 27-inch QHD gaming monitor with a 165 Hz refresh rate, one millisecond response time and an adjustable stand for long sessions.",
        False,
    ),
]

ZH_PAIRS: list[tuple[str, str, bool]] = [
    # light edits
    (
        "这款连衣裙采用优质雪纺面料，轻盈透气，上身飘逸灵动，腰部收褶设计修饰身材，搭配小白鞋就很好看。",
        "这款连衣裙采用优质雪纺面料，轻盈透气，上身飘逸灵动，腰部的收褶设计修饰身材，搭配小白鞋非常好看。",
        True,
    ),
    (
        "不锈钢电热水壶容量一点七升，四分钟快速烧开，水开自动断电，防干烧设计让全家用得更放心。",
        "不锈钢电热水壶容量一点七升，四分钟快速煮沸，水开后自动断电，防干烧设计让全家用得更放心。",
        True,
    ),
    (
        "无线降噪耳机续航长达三十小时，记忆海绵耳罩柔软舒适，可折叠设计方便收纳，通勤出差都适用。",
        "无线降噪耳机续航长达三十小时，记忆海绵耳罩柔软舒适，折叠设计方便收纳，通勤出差都很适用。",
        True,
    ),
    (
        "纯棉短袖T恤，面料亲肤柔软，吸汗透气，宽松版型不挑身材，日常休闲百搭款。",
        "纯棉短袖T恤，面料亲肤柔软，吸汗透气，宽松的版型不挑身材，日常休闲百搭。",
        True,
    ),
    (
        "竹制砧板厚实耐用，带有导流槽和防滑脚垫，切肉切菜都稳当，清洗方便不发霉。",
        "竹制菜板厚实耐用，带有导流槽和防滑脚垫，切肉切菜都很稳当，清洗方便不发霉。",
        True,
    ),
    # re-ordered clauses
    (
        "羊毛针织衫保暖性好，手感柔软不扎人，版型修身显瘦，适合秋冬通勤穿着。",
        "版型修身显瘦，手感柔软不扎人，羊毛针织衫保暖性好，适合秋冬通勤穿着。",
        True,
    ),
    (
        "智能手表支持心率监测和睡眠分析，五十米防水，一次充电续航七天。",
        "一次充电续航七天，五十米防水，智能手表支持心率监测和睡眠分析。",
        True,
    ),
    (
        "咖啡机配有十二杯玻璃壶，支持预约定时，保温底盘让咖啡一直温热，早上醒来就能喝。",
        "早上醒来就能喝，咖啡机支持预约定时，配有十二杯玻璃壶，保温底盘让咖啡一直温热。",
        True,
    ),
    # an added sentence
    (
        "修身弹力休闲裤采用棉质斜纹面料，中腰设计，小脚裤型利落有型，侧袋够深能放下手机。",
        "修身弹力休闲裤采用棉质斜纹面料，中腰设计，小脚裤型利落有型，侧袋够深能放下手机。可机洗。",
        True,
    ),
    (
        "人体工学办公椅配有可调节腰托，网布椅背透气不闷热，扶手可以四向调节，久坐也不累。",
        "人体工学办公椅配有可调节腰托，网布椅背透气不闷热，扶手可以四向调节，久坐也不累。安装简单。",
        True,
    ),
    # same category, different product
    (
        "这款连衣裙采用优质雪纺面料，轻盈透气，上身飘逸灵动，腰部收褶设计修饰身材，搭配小白鞋就很好看。",
        "加厚羽绒服填充九十白鸭绒，连帽防风设计，袖口收紧锁住温度，零下二十度也不怕冷。",
        False,
    ),
    (
        "无线降噪耳机续航长达三十小时，记忆海绵耳罩柔软舒适，可折叠设计方便收纳，通勤出差都适用。",
        "蓝牙音箱体积小巧，低音浑厚有力，支持防水，户外露营时挂在背包上就能听歌。",
        False,
    ),
    (
        "不锈钢电热水壶容量一点七升，四分钟快速烧开，水开自动断电，防干烧设计让全家用得更放心。",
        "铸铁珐琅锅受热均匀，锁水保温，适合慢炖汤品和烤制面包，厨房新手也能轻松上手。",
        False,
    ),
    # same template, different attributes, substantially different text
    (
        "红色纯棉连衣裙，短袖圆领设计，及膝伞摆裙身，适合夏日野餐和海边度假。",
        "藏青色真丝晚礼服，长袖深V领设计，拖地鱼尾裙摆，适合晚宴和正式婚礼。",
        False,
    ),
    (
        "男士黑色真皮钱包，六个卡位加零钱袋，防盗刷设计，薄款可放进裤子前袋。",
        "女士棕色麂皮手提包，拉链开口，内有两个隔层，可拆卸斜挎肩带，周末逛街很方便。",
        False,
    ),
    (
        "五十五英寸4K智能电视，支持杜比视界，三个高清接口，内置视频应用，看电影看球赛都清晰。",
        "二十七英寸2K电竞显示器，一百六十五赫兹刷新率，一毫秒响应，支架可升降旋转，久玩不累。",
        False,
    ),
]


def _ids(pairs: list[tuple[str, str, bool]], prefix: str) -> list[str]:
    return [f"{prefix}{i}-{'dup' if dup else 'distinct'}" for i, (_, _, dup) in enumerate(pairs)]


@pytest.mark.parametrize(("a", "b", "duplicate"), EN_PAIRS, ids=_ids(EN_PAIRS, "en"))
def test_english_pairs(a: str, b: str, duplicate: bool) -> None:
    similarity = minhash(a).jaccard(minhash(b))
    assert (similarity >= THRESHOLD) is duplicate, f"similarity {similarity:.3f}"


@pytest.mark.parametrize(("a", "b", "duplicate"), ZH_PAIRS, ids=_ids(ZH_PAIRS, "zh"))
def test_chinese_pairs(a: str, b: str, duplicate: bool) -> None:
    similarity = minhash(a).jaccard(minhash(b))
    assert (similarity >= THRESHOLD) is duplicate, f"similarity {similarity:.3f}"


def test_enough_labelled_pairs_of_each_kind() -> None:
    for pairs in (EN_PAIRS, ZH_PAIRS):
        assert len(pairs) >= 15
        assert sum(d for _, _, d in pairs) >= 5 and sum(not d for _, _, d in pairs) >= 5


# ---------------------------------------------------------------------------
# near_duplicates_within
# ---------------------------------------------------------------------------


def test_near_duplicates_within_finds_only_the_close_pairs() -> None:
    texts = [EN_PAIRS[0][0], EN_PAIRS[10][1], EN_PAIRS[0][1], ZH_PAIRS[0][0], ZH_PAIRS[0][1], "", "!!!"]
    pairs = near_duplicates_within(texts, threshold=THRESHOLD)
    assert {(i, j) for i, j, _ in pairs} == {(0, 2), (3, 4)}
    assert all(i < j and THRESHOLD <= s <= 1.0 for i, j, s in pairs)
    assert [s for _, _, s in pairs] == sorted((s for _, _, s in pairs), reverse=True)


def test_near_duplicates_within_identical_and_tiny_inputs() -> None:
    assert near_duplicates_within([]) == []
    assert near_duplicates_within(["only one"]) == []
    assert near_duplicates_within(["Same text here.", "same TEXT here"]) == [(0, 1, 1.0)]


def test_near_duplicates_within_large_input_falls_back_to_lsh(monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.cpu import dedup

    texts = [a for a, _, _ in EN_PAIRS] + [b for _, b, _ in EN_PAIRS]
    brute = near_duplicates_within(texts, threshold=THRESHOLD)
    monkeypatch.setattr(dedup, "BRUTE_FORCE_MAX", 3)
    via_lsh = near_duplicates_within(texts, threshold=THRESHOLD)
    expected = {(i, i + len(EN_PAIRS)) for i, (_, _, dup) in enumerate(EN_PAIRS) if dup}
    assert expected <= {(i, j) for i, j, _ in brute}
    assert {(i, j) for i, j, _ in via_lsh} <= {(i, j) for i, j, _ in brute}
    assert expected <= {(i, j) for i, j, _ in via_lsh}


# ---------------------------------------------------------------------------
# remove_repeated_sentences
# ---------------------------------------------------------------------------


def test_repeated_english_sentences_are_removed() -> None:
    text = "Soft cotton tee. It fits true to size! Soft cotton tee. Machine washable. soft cotton TEE"
    cleaned, removed = remove_repeated_sentences(text)
    assert cleaned == "Soft cotton tee. It fits true to size! Machine washable."
    assert removed == ["Soft cotton tee.", "soft cotton TEE"]


def test_repeated_chinese_sentences_are_removed() -> None:
    cleaned, removed = remove_repeated_sentences("面料柔软亲肤。版型宽松！面料柔软亲肤！颜色百搭。")
    assert cleaned == "面料柔软亲肤。版型宽松！颜色百搭。"
    assert removed == ["面料柔软亲肤！"]


def test_near_repeat_of_a_long_sentence_is_removed_but_short_variants_stay() -> None:
    long_a = "The breathable mesh upper keeps your feet cool on long summer runs."
    long_b = "The breathable mesh upper keeps your feet cool on long summer runs!!"
    cleaned, removed = remove_repeated_sentences(f"{long_a} Made of cotton. {long_b} Made of linen.")
    assert removed == [long_b]
    assert cleaned == f"{long_a} Made of cotton. Made of linen."


def test_text_without_repeats_is_returned_unchanged() -> None:
    text = "Price is 4.50 per pack.  Ships in 2 days.\n第二行。"
    assert remove_repeated_sentences(text) == (text, [])


# ---------------------------------------------------------------------------
# Redis URL parsing (no connection is made)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://127.0.0.1:6379/14", {"host": "127.0.0.1", "port": 6379, "db": 14}),
        ("redis://localhost", {"host": "localhost", "port": 6379, "db": 0}),
        ("redis://:s%40cret@cache:6380/2", {"host": "cache", "port": 6380, "db": 2, "password": "s@cret"}),
        ("redis://app:pw@cache/1", {"host": "cache", "port": 6379, "db": 1, "username": "app", "password": "pw"}),
        ("rediss://cache:6380/0", {"host": "cache", "port": 6380, "db": 0, "ssl": True}),
        (
            "rediss://cache/0?ssl_cert_reqs=CERT_NONE",
            {"host": "cache", "port": 6379, "db": 0, "ssl": True, "ssl_cert_reqs": "none"},
        ),
        ("unix:///run/redis/redis.sock?db=3", {"unix_socket_path": "/run/redis/redis.sock", "db": 3}),
        ("redis+socket:///run/redis.sock?virtual_host=5", {"unix_socket_path": "/run/redis.sock", "db": 5}),
        ("unix://:pw@/run/redis.sock", {"unix_socket_path": "/run/redis.sock", "db": 0, "password": "pw"}),
    ],
)
def test_redis_url_parsing(url: str, expected: dict[str, object]) -> None:
    assert redis_kwargs(url) == expected


@pytest.mark.parametrize("url", ["http://cache:6379/0", "redis://cache/not-a-number", "unix://"])
def test_bad_redis_urls_are_rejected(url: str) -> None:
    with pytest.raises(ValueError):
        redis_kwargs(url)


# ---------------------------------------------------------------------------
# Vectorised MinHash: the same values as datasketch, whatever the batch
# ---------------------------------------------------------------------------


def test_batch_signatures_equal_datasketch_on_the_same_shingle_hashes() -> None:
    from datasketch import MinHash

    from workers.cpu.dedup import SCHEME, SEED, _shingle_hashes, signatures

    texts = [a for a, _, _ in EN_PAIRS[:6]] + [a for a, _, _ in ZH_PAIRS[:6]] + ["ab", "好", "", "!!!"]
    batch = signatures(texts)
    for text, row in zip(texts, batch):
        reference = MinHash(num_perm=128, seed=SEED, scheme=SCHEME, hashfunc=int)
        hashes = _shingle_hashes(text)
        if len(hashes):
            reference.update_batch(hashes.tolist())
        assert (reference.hashvalues == row).all(), text


def test_signatures_do_not_depend_on_how_the_batch_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.cpu import dedup

    texts = [t for pair in EN_PAIRS + ZH_PAIRS for t in pair[:2]]
    whole = dedup.signatures(texts)
    monkeypatch.setattr(dedup, "_BATCH_ELEMENTS", 128 * 40)  # a few texts per numpy step, some cut mid-way
    assert (dedup.signatures(texts) == whole).all()
    assert all((dedup.signatures([t]) == whole[i]).all() for i, t in enumerate(texts[:5]))


def test_sixteen_bit_estimate_tracks_the_full_one() -> None:
    from workers.cpu.dedup import bbit_similarity, signatures

    for a, b, _ in EN_PAIRS + ZH_PAIRS:
        full = signatures([a, b])
        exact32 = float((full[0] == full[1]).mean())
        low = (full & 0xFFFF).astype("uint16")
        estimate = float(bbit_similarity(float((low[0] == low[1]).mean())))
        assert abs(estimate - exact32) <= 0.02
    assert bbit_similarity(1.0) == 1.0 and bbit_similarity(0.0) == 0.0


def test_lsh_bands_favour_recall_at_the_threshold() -> None:
    from workers.cpu.dedup import lsh_params

    bands, rows = lsh_params(0.7, 128)
    assert bands * rows <= 128
    caught = 1 - (1 - 0.7**rows) ** bands
    assert caught >= 0.9, f"a pair at the threshold is an LSH candidate only {caught:.0%} of the time"
    assert 1 - (1 - 0.2**rows) ** bands < 0.01  # unrelated copy still rarely is


def test_bucket_entries_pack_band_shard_bucket_and_id() -> None:
    import numpy as np

    from workers.cpu.dedup import BUCKET_SHARD_BITS, bucket_entries

    h = np.array([[0x0123456789ABCDEF, 0xFEDCBA9876543210]], dtype=np.uint64)
    blob = bucket_entries(h, np.array([258], dtype=np.uint32))
    assert len(blob) == 26
    first, second = blob[:13], blob[13:]
    assert first[0] == 0 and second[0] == 1
    assert int.from_bytes(first[1:3], "big") == 0x0123456789ABCDEF >> (64 - BUCKET_SHARD_BITS)
    assert first[3:9] == (0x0123456789ABCDEF & 0xFFFFFFFFFFFF).to_bytes(6, "little")
    assert int.from_bytes(second[9:13], "little") == 258


@pytest.mark.parametrize(
    ("text", "locale", "english"),
    [
        ("Soft cotton tee with a relaxed fit.", None, True),
        ("这款连衣裙采用优质雪纺面料", None, False),
        ("Soft cotton tee.", "en-GB", True),
        ("Soft cotton tee.", "zh-CN", False),
        ("T恤 soft", None, False),
        ("!!!", None, False),
    ],
)
def test_which_texts_are_embedded(text: str, locale: str | None, english: bool) -> None:
    from workers.cpu.paraphrase import is_english

    assert is_english(text, locale) is english


def test_locale_is_read_back_from_the_pipeline_key() -> None:
    from workers.cpu.dedup import locale_of_key
    from workers.pipeline import dedup_key

    assert locale_of_key(dedup_key("shop", "p-1", "en-US")) == "en-US"
    assert locale_of_key("no-locale") is None
