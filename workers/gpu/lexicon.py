"""Vocabularies of the correction engine: data only, the logic is in correct.py.

Kept as plain strings and tables so that people who know the advertising
rules can review and extend them without reading the engine.  Regex
fragments are marked as such; everything else is matched literally.
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------------------
# Absolute / exaggerated terms
# ---------------------------------------------------------------------------
# Value: softer wording to put in place of the term, "" to remove it, None to
# drop the clause (or sentence) because the term is the whole point of it.

BANNED_ZH: dict[str, str | None] = {
    # 广告法第九条: superlatives with 最
    "全网最低价": None,
    "最低价": None,
    "最便宜": None,
    "最先进": "先进",
    "最受欢迎": "很受欢迎",
    "最高级": "高级",
    "最好": "很好",
    "最佳": "理想",
    "最强": "强劲",
    "最优": "优秀",
    "最新": "新",
    "最具": "颇具",
    "最爱": "喜爱",
    "最大": "很大",
    "最高": "很高",
    "最低": "很低",
    "最小": "很小",
    "最": "很",
    # rank, uniqueness, authority
    "销量冠军": None,
    "国家免检": None,
    "驰名商标": None,
    "零风险": None,
    "第一": "",
    "唯一": "",
    "独一无二": "独特",
    "无与伦比": "出色",
    "史无前例": "",
    "遥遥领先": "",
    "顶级": "优质",
    "顶尖": "优质",
    "国家级": None,
    "世界级": "",
    "至尊": "",
    "巅峰": "",
    "王牌": "",
    "极致": "",
    "极品": "精品",
    "完美": "出色",
    "万能": "多用途",
    "首选": "优选",
    "全网": "",
    "独家": "",
    "全球首发": None,
    "全国首家": None,
    "填补国内空白": None,
    "国家领导人推荐": None,
    "质量免检": None,
    "免检": None,
    "特供": None,
    "专供": None,
    "万人疯抢": None,
    "抢疯了": None,
    "再不抢就没了": None,
    "绝无仅有": "独特",
    "世界领先": "",
    "领导品牌": "",
    "领袖品牌": "",
    "第一品牌": "",
    "首个": "",
    "首家": "",
    "金牌": "",
    "名牌": "",
    "秒杀": "",
    "百分百": "",
    "100%": "",
    "绝对": "",
    "永久": "",
    "NO.1": "",
    "No.1": "",
    "TOP1": "",
    "Top1": "",
}

# Regex fragments: uses of the banned characters above that are not claims.
HARMLESS_ZH: tuple[str, ...] = (
    r"最近",
    r"最后",
    r"最终",
    r"最初",
    r"最早",
    r"最晚",
    r"最多",
    r"最少",
    r"最长",
    r"最短",
    r"最好(?:先|不要|别|在|使用|将|把|是|能)",
    # spec limits: 最大输出功率20W, 最高可达 …
    r"最[大高低小](?:可达|支持|可|输出|输入|功率|容量|承重|负载|电流|电压|速度|转速|温度|亮度|分辨率|尺寸|\d)",
    r"第一(?:次|步|天|代|时间|眼|印象|周|个月|年)",
    r"唯一(?:标识|编码|码|序列号)",
    r"首个(?:月|季度|版本)",
)

# Regex fragments (case-insensitive), most specific first.
# "<great>" is special: "the best X" becomes "a great X" / "great Xs".
BANNED_EN: tuple[tuple[str, str | None], ...] = (
    (r"(?:the\s+)?lowest\s+price|cheapest|best\s+price", None),
    (r"the\s+only\s+\w+(?:\s+\w+)?\s+you(?:'ll|’ll|\s+will)?\s+ever\s+need", None),
    (r"satisfaction\s+guaranteed|(?:100%\s+)?money[- ]back\s+guaranteed|risk[- ]free|zero\s+risk", None),
    (r"(?:the\s+)?(?:very\s+)?best\s+(?:in\s+the\s+world|on\s+the\s+market|ever(?:\s+made)?|of\s+all\s+time|in\s+the\s+industry)", ""),
    # "the most powerful … ever made", "the lightest on the market"
    (r"the\s+(?:most\s+[a-z]+|(?!best\b)[a-z]{2,}est)\b[^,.;!?]{0,40}?\b(?:ever|on\s+the\s+market|in\s+the\s+world|of\s+all\s+time)", None),
    (r"(?:the\s+)?world(?:'s|’s)\s+(?:best|first|only|leading|number\s+one|#1)", ""),
    (r"(?:the\s+)?world[- ]class", "high-quality"),
    (r"best[- ]in[- ]class", "high-quality"),
    (r"(?:#1|no\.?\s?1|number[- ]one)[- ](?:rated|selling)", "popular"),
    (r"best[- ]?sell(?:ing|er)|top[- ]selling|top[- ]rated|highest[- ]rated", "popular"),
    (r"(?:the\s+)?number[- ]one|#\s?1(?!\d)|no\.\s?1(?!\d)|top\s?1(?!\d)", ""),
    (r"100%\s+guaranteed|guaranteed\s+results?|results\s+guaranteed|guaranteed", ""),
    (r"first[- ]ever|the\s+first\s+and\s+only", ""),
    (r"best\s+ever|ever\s+best", ""),
    (r"miracle|miraculous(?:ly)?", ""),
    (r"perfectly", "well"),
    (r"perfect", "great"),
    (r"unbeatable|unrivall?ed|unmatched|unparall?eled|second\s+to\s+none", "excellent"),
    (r"flawless(?:ly)?", ""),
    (r"revolutionary", "innovative"),
    (r"(?:industry|market)[- ]leading", ""),
    (r"game[- ]chang(?:er|ing)|life[- ]changing", ""),
    (r"one[- ]of[- ]a[- ]kind", "distinctive"),
    (r"ultimate", ""),
    (r"the\s+(?:very\s+)?best", "<great>"),
    (r"100%", ""),
)

# Lower-case substrings one of which occurs in every match of BANNED_EN
# (a cheap pre-check; the test suite checks that each pattern has one).
BANNED_EN_TRIGGERS: tuple[str, ...] = (
    "best", "perfect", "guarant", "miracl", "unbeat", "unrival", "unmatch", "unparal", "second to", "flawless",
    "revolution", "ultimate", "world", "number", "#", "no.", "no 1", "no1", "top1", "top 1", "top-", "top s",
    "top r", "100%", "first-", "first ever", "first and", "cheap", "lowest", "risk", "satisf", "money",
    "ever", "market", "sell", "rated", "class", "all time", "leading", "chang", "of a kind", "of-a-kind",
)

# Regex fragments (case-insensitive): harmless uses of the words above.
HARMLESS_EN: tuple[str, ...] = (
    r"first\s+aid",
    r"(?:for|to\s+get|to\s+achieve)\s+(?:the\s+)?best\s+results?",
    r"the\s+best\s+way\s+to",
    r"best[- ]before",
    r"best\s+(?:suited|used|stored|kept|served)",
    r"perfect[- ]bound",
    r"best\s+(?:fit|results)\s+(?:when|if|with)",
)

# ---------------------------------------------------------------------------
# Claims that need an attribute behind them
# ---------------------------------------------------------------------------
# pattern: one regex covering English and Chinese wording (case-insensitive
# unless "case" is "sensitive"); triggers: substrings (lower case unless the
# claim is case-sensitive) at least one of which occurs in any match, so most
# sentences skip the regex; support: words whose presence in the product data
# (attribute names and values, title, category, seller text) backs the claim.
# The matched text itself always counts as support too.

CLAIMS: tuple[dict[str, object], ...] = (
    {
        "name": "waterproof",
        "triggers": ("proof", "resist", "防水", "防泼", "防溅", "防汗"),
        "pattern": r"\b(?:water[- ]?proof|water[- ]?resistant|splash[- ]?proof|rain[- ]?proof|sweat[- ]?proof)\b|防水|防泼水|防溅水?|防汗",
        "support": ("waterproof", "water-proof", "water resistant", "water-resistant", "splash", "ipx", "ip6", "ip5", "防水", "防溅", "防泼"),
    },
    {
        "name": "ip rating",
        "triggers": ("ip",),
        "pattern": r"(?<![A-Za-z0-9])IP[X\d]\d(?![A-Za-z0-9])",
        "support": (),
    },
    {
        "name": "ruggedness",
        "triggers": ("proof", "military", "防尘", "防摔", "防震", "抗摔", "军工"),
        "pattern": r"\b(?:dust[- ]?proof|shock[- ]?proof|drop[- ]?proof|military[- ]grade)\b|防尘|防摔|防震|抗摔|军工级",
        "support": ("dustproof", "dust-proof", "shockproof", "shock-proof", "drop", "military", "防尘", "防摔", "防震", "抗摔", "军工"),
    },
    {
        "name": "warranty",
        "triggers": ("warrant", "guarantee", "质保", "保修", "保固", "包换"),
        "pattern": (
            r"\b(?:\d+|one|two|three|four|five|ten|lifetime)[- ](?:years?|months?|yrs?)(?:'|’)?\s*(?:limited\s+)?(?:warranty|guarantee)\b"
            r"|\b(?:warranty|guarantee)\s+(?:of|for)\s+(?:\d+|one|two|three|five|ten)\s+(?:years?|months?)\b"
            r"|\blifetime\s+(?:warranty|guarantee)\b"
            r"|(?:\d+|[一二两三四五十])\s*(?:年|个月)\s*(?:质保|保修|保固|包换)"
            r"|(?:质保|保修|保固)(?:期)?(?:为|长达)?\s*(?:\d+|[一二两三四五十])\s*(?:年|个月)"
            r"|终身(?:质保|保修)"
        ),
        "support": ("warranty", "guarantee", "保修", "质保", "保固"),
    },
    {
        "name": "returns",
        "triggers": ("return", "refund", "money", "question", "退", "包换", "假一"),
        "pattern": (
            r"\b\d+[- ]days?\s+(?:free\s+)?(?:returns?|refunds?|money[- ]back)\b|\bmoney[- ]back\b|\bfree\s+returns?\b"
            r"|\bno\s+questions\s+asked\b|无理由退[换货]|包退|包换|假一[赔罚]"
        ),
        "support": ("return", "refund", "退货", "退换"),
    },
    {
        "name": "certification mark",
        "triggers": ("CE", "FDA", "FCC", "RoHS", "ROHS", "UL", "ETL", "CCC", "SGS", "TÜV", "TUV", "ISO"),
        "pattern": r"(?<![A-Za-z0-9])(?:CE|FDA|FCC|RoHS|ROHS|UL|ETL|CCC|SGS|TÜV|TUV|ISO\s?\d{3,5}|ISO)(?![A-Za-z0-9])",
        "case": "sensitive",
        "support": (),
    },
    {
        "name": "certification",
        "triggers": ("certif", "approved", "tested", "proven", "认证", "检测", "质检"),
        "pattern": (
            r"\b(?:certified|certification|approved\s+by|clinically\s+(?:proven|tested)|dermatologist[- ]tested|lab[- ]tested)\b"
            r"|认证|权威检测|检测报告|质检报告"
        ),
        "support": ("certif", "approved", "tested", "认证", "检测"),
    },
    {
        "name": "medical",
        "triggers": ("cur", "heal", "treat", "reliev", "relief", "anti", "kill", "medical", "therap", "detox", "immun", "prevent", "治", "医", "菌", "消炎", "药", "疗", "癌", "排毒", "免疫", "祛痘", "降血", "消毒"),
        "pattern": (
            r"\b(?:cures?|cured|curing|heals?|healing|treats?\s+(?:acne|pain|eczema|insomnia|arthritis|disease)"
            r"|relieves?\s+pain|pain\s+relief|anti[- ]?bacterial|anti[- ]?microbial|anti[- ]?viral"
            r"|kills?\s+\d+(?:\.\d+)?%\s+of\s+(?:germs|bacteria|viruses)|medical[- ]grade|therapeutic"
            r"|detox(?:ifies|ifying)?|boosts?\s+(?:your\s+)?immun\w*|prevents?\s+(?:disease|infection|cancer|illness))\b"
            r"|治疗|治愈|根治|医用|医疗级|抗菌|杀菌|除菌|抑菌|消炎|药用|疗效|防癌|抗癌|排毒|增强免疫力|提高免疫力|祛痘|降血压|降血糖|降血脂|消毒"
        ),
        "support": ("medical", "antibacterial", "anti-bacterial", "antimicrobial", "医用", "抗菌", "抑菌", "杀菌"),
    },
    {
        "name": "safety",
        "triggers": ("toxic", "bpa", "lead", "food", "allerg", "safe", "fire", "flame", "explosion", "formaldehyde", "无毒", "无害", "甲醛", "食品级", "母婴", "婴儿", "阻燃", "防火", "防爆", "低敏", "刺激"),
        "pattern": (
            r"\b(?:non[- ]?toxic|BPA[- ]?free|lead[- ]?free|food[- ]grade|hypoallergenic|child[- ]safe|baby[- ]safe"
            r"|safe\s+for\s+(?:babies|kids|children|infants)|fire[- ]?proof|flame[- ]retardant|explosion[- ]proof|formaldehyde[- ]free)\b"
            r"|无毒|无害|无甲醛|零甲醛|食品级|母婴级|婴儿级|阻燃|防火|防爆|不含BPA|无BPA|低敏|无刺激"
        ),
        "support": ("non-toxic", "nontoxic", "bpa", "lead-free", "food grade", "food-grade", "hypoallergenic", "safe",
                    "flame", "fire", "explosion", "formaldehyde", "无毒", "甲醛", "食品级", "母婴", "阻燃", "防火", "防爆", "低敏"),
    },
    {
        "name": "shipping",
        "triggers": ("ship", "delivery", "包邮", "运费", "顺丰", "达", "发货"),
        "pattern": (
            r"\bfree\s+(?:shipping|delivery)\b|\bships?\s+(?:within|in)\s+\d+|\bsame[- ]day\s+(?:shipping|delivery|dispatch)\b"
            r"|\bnext[- ]day\s+delivery\b|\bfast\s+shipping\b|包邮|免运费|顺丰|次日达|当日达|当天发货|24小时发货|极速发货"
        ),
        "support": ("shipping", "delivery", "包邮", "运费", "发货"),
    },
    {
        "name": "award",
        "triggers": ("award", "prize", "获奖", "金奖", "大奖"),
        "pattern": r"\baward[- ]winning\b|\bwon\s+(?:an?\s+|the\s+)?(?:award|prize)\b|荣获[^，。！？]{0,12}(?:奖|金奖)|获奖(?:产品|无数)?|金奖产品",
        "support": ("award", "prize", "奖"),
    },
    {
        "name": "endorsement",
        "triggers": ("recommend", "endorse", "推荐", "认可"),
        "pattern": (
            r"\b(?:doctors?|dentists?|dermatologists?|experts?|pediatricians?)[- ](?:recommended|approved|endorsed)\b"
            r"|\brecommended\s+by\s+(?:doctors|dentists|dermatologists|experts|pediatricians)\b"
            r"|(?:医生|专家|牙医|皮肤科医生|权威机构)(?:推荐|认可)"
        ),
        "support": ("recommended", "endorse", "推荐", "认可"),
    },
    {
        "name": "eco",
        "triggers": ("eco", "environment", "carbon", "环保", "零碳", "碳中和"),
        "pattern": r"\beco[- ]friendly\b|\benvironmentally[- ]friendly\b|\bcarbon[- ]neutral\b|环保(?:材质|材料|面料)?|零碳|碳中和",
        "support": ("eco", "recycled", "environment", "carbon", "环保", "再生", "可回收"),
    },
    {
        "name": "lifetime",
        "triggers": ("lifetime", "forever", "never", "destructible", "breakable", "终身", "永", "不坏", "一辈子"),
        "pattern": (
            r"\blifetime\s+(?:use|durability|quality)\b|\bfor\s+a\s+lifetime\b|\blasts?\s+(?:a\s+lifetime|forever)\b"
            r"|\bnever\s+(?:breaks?|wears?\s+out|fades?)\b|\bindestructible\b|\bunbreakable\b|终身|永不|永远不会|用不坏|摔不坏|一辈子"
        ),
        "support": ("lifetime", "unbreakable", "终身", "永不"),
    },
    {
        "name": "organic",
        "triggers": ("organic", "degradable", "compostable", "有机", "降解"),
        "pattern": r"\b(?:organic|biodegradable|compostable)\b|有机(?!玻璃|硅)|可降解",
        "support": ("organic", "biodegradable", "compostable", "有机", "降解"),
    },
    {
        "name": "origin",
        "triggers": ("made", "原产", "产自", "进口"),
        "pattern": r"\bmade\s+in\s+(?:the\s+)?[A-Z][a-z]+|原产(?:地|于)|产自|(?<![放塞装揣走])进口(?![袋里中处])",
        "support": ("origin", "made in", "country", "产地", "原产", "进口"),
    },
)

# Words just before a claim that turn it into a disclaimer (regex fragments).
NEGATIONS_EN: str = r"(?:\bnot|\bisn't|\bisn’t|\baren't|\baren’t|\bnever|\bnon)[- ]?(?:\s+\w+)?\s*$"
NEGATIONS_ZH: str = r"(?:不|并非|无法|不能|不可|不是)$"

# ---------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------
# alias -> (family, factor to the family's base unit).  Aliases in
# UNITS_ANY_CASE match in any letter case; the rest only as written.

UNITS: dict[str, tuple[str, float]] = {
    # electric charge, base mAh
    "mAh": ("charge", 1.0), "毫安时": ("charge", 1.0), "毫安": ("charge", 1.0), "Ah": ("charge", 1000.0),
    # energy, base Wh
    "Wh": ("energy", 1.0),
    # data, base GB (G only for 8, 16, 32 … see correct.py)
    "TB": ("data", 1000.0), "GB": ("data", 1.0), "MB": ("data", 0.001), "G": ("data", 1.0),
    # mass, base g
    "kg": ("mass", 1000.0), "kgs": ("mass", 1000.0), "公斤": ("mass", 1000.0), "千克": ("mass", 1000.0),
    "g": ("mass", 1.0), "grams": ("mass", 1.0), "gram": ("mass", 1.0), "克": ("mass", 1.0), "斤": ("mass", 500.0),
    "lb": ("mass", 453.6), "lbs": ("mass", 453.6), "oz": ("mass", 28.35),
    # length, base mm
    "mm": ("length", 1.0), "毫米": ("length", 1.0), "cm": ("length", 10.0), "厘米": ("length", 10.0),
    "m": ("length", 1000.0), "米": ("length", 1000.0), "ft": ("length", 304.8), "feet": ("length", 304.8),
    "inch": ("length", 25.4), "inches": ("length", 25.4), "in": ("length", 25.4), '"': ("length", 25.4),
    "″": ("length", 25.4), "英寸": ("length", 25.4), "寸": ("length", 25.4),
    # duration, base hour
    "h": ("time", 1.0), "hr": ("time", 1.0), "hrs": ("time", 1.0), "hour": ("time", 1.0), "hours": ("time", 1.0),
    "小时": ("time", 1.0), "min": ("time", 1 / 60), "mins": ("time", 1 / 60), "minute": ("time", 1 / 60),
    "minutes": ("time", 1 / 60), "分钟": ("time", 1 / 60),
    # longer periods (warranties, returns), base day
    "day": ("period", 1.0), "days": ("period", 1.0), "天": ("period", 1.0), "week": ("period", 7.0),
    "weeks": ("period", 7.0), "周": ("period", 7.0), "month": ("period", 30.0), "months": ("period", 30.0),
    "个月": ("period", 30.0), "year": ("period", 365.0), "years": ("period", 365.0), "yr": ("period", 365.0),
    "yrs": ("period", 365.0), "年": ("period", 365.0),
    # power, base W
    "W": ("power", 1.0), "watt": ("power", 1.0), "watts": ("power", 1.0), "瓦": ("power", 1.0), "kW": ("power", 1000.0),
    # volume, base ml
    "ml": ("volume", 1.0), "毫升": ("volume", 1.0), "L": ("volume", 1000.0), "l": ("volume", 1000.0),
    "litre": ("volume", 1000.0), "liter": ("volume", 1000.0), "litres": ("volume", 1000.0),
    "liters": ("volume", 1000.0), "升": ("volume", 1000.0),
    # electrical
    "V": ("voltage", 1.0), "伏": ("voltage", 1.0), "Hz": ("frequency", 1.0),
}

UNITS_ANY_CASE: frozenset[str] = frozenset({
    "mAh", "Wh", "TB", "GB", "MB", "kg", "kgs", "grams", "gram", "lb", "lbs", "oz", "mm", "cm", "ft", "feet",
    "inch", "inches", "hr", "hrs", "hour", "hours", "min", "mins", "minute", "minutes", "day", "days",
    "week", "weeks", "month", "months", "year", "years", "yr", "yrs", "W", "watt", "watts", "kW", "ml",
    "litre", "liter", "litres", "liters", "V", "Hz", "h",
})

# A CJK unit followed by one of these characters is a different word (升级, 米色 …).
UNIT_NOT_BEFORE: dict[str, str] = {
    "升": "级降",
    "米": "色白黄饭粒",
    "天": "然",
    "周": "年边末到",
    "年": "级代底初",
    "克": "服隆",
    "寸": "步",
}

# Attribute names that say which quantity a bare number is (battery: 10000).
KEY_FAMILY_HINTS: dict[str, str] = {
    "battery": "charge", "电池": "charge", "电量": "charge",
    "weight": "mass", "重量": "mass", "净重": "mass", "毛重": "mass",
    "storage": "data", "ram": "data", "memory": "data", "内存": "data", "存储": "data",
    "power": "power", "wattage": "power", "功率": "power",
    "battery life": "time", "playtime": "time", "runtime": "time", "续航": "time",
    "volume": "volume", "容积": "volume",
    "screen": "length", "屏幕": "length", "length": "length", "长度": "length",
    "warranty": "period", "保修": "period", "质保": "period",
}

# Sizes that make a bare "G" a storage unit (and not 4G/5G networks).
STORAGE_G_SIZES: frozenset[int] = frozenset({8, 16, 32, 64, 128, 256, 512, 1024, 2048})

CURRENCY_SYMBOLS: str = "$¥￥€£"
CURRENCY_WORDS: tuple[str, ...] = ("元", "块钱", "美元", "欧元", "英镑", "USD", "EUR", "CNY", "RMB", "GBP", "dollars", "dollar")
# 元件, 元素 … are not money.
CURRENCY_NOT_BEFORE: dict[str, str] = {"元": "件素器旦宵气"}

# ---------------------------------------------------------------------------
# Colours and materials: family -> (English name, Chinese name, all words)
# ---------------------------------------------------------------------------

COLOURS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "black": ("black", "黑色", ("black", "jet black", "matte black", "midnight black", "黑色", "曜石黑", "磨砂黑", "午夜黑", "深邃黑")),
    "white": ("white", "白色", ("white", "pure white", "snow white", "白色", "珍珠白", "象牙白", "雪白色")),
    "grey": ("grey", "灰色", ("grey", "gray", "space grey", "space gray", "charcoal grey", "graphite grey", "灰色", "深空灰", "石墨色", "炭灰色")),
    "silver": ("silver", "银色", ("silver", "银色", "银白色")),
    "gold": ("gold", "金色", ("gold", "golden", "金色", "香槟金", "香槟色")),
    "rose gold": ("rose gold", "玫瑰金", ("rose gold", "玫瑰金")),
    "red": ("red", "红色", ("red", "crimson", "scarlet", "burgundy", "wine red", "maroon", "红色", "酒红色", "大红色", "枣红色", "中国红")),
    "pink": ("pink", "粉色", ("pink", "rose pink", "粉色", "粉红色", "樱花粉")),
    "orange": ("orange", "橙色", ("orange", "橙色", "橘色", "橘红色")),
    "yellow": ("yellow", "黄色", ("yellow", "mustard yellow", "黄色", "柠檬黄", "姜黄色")),
    "green": ("green", "绿色", ("green", "olive green", "mint green", "army green", "forest green", "绿色", "军绿色", "墨绿色", "薄荷绿", "橄榄绿")),
    "blue": ("blue", "蓝色", ("blue", "navy", "navy blue", "sky blue", "royal blue", "light blue", "dark blue", "蓝色", "天蓝色", "宝蓝色", "藏蓝色", "藏青色", "海军蓝", "湖蓝色")),
    "teal": ("teal", "青色", ("teal", "turquoise", "cyan", "青色", "蓝绿色", "孔雀蓝")),
    "purple": ("purple", "紫色", ("purple", "violet", "lavender purple", "紫色", "薰衣草紫", "香芋紫")),
    "brown": ("brown", "棕色", ("brown", "chocolate brown", "camel brown", "棕色", "咖啡色", "褐色", "驼色")),
    "beige": ("beige", "米色", ("beige", "cream white", "ivory", "off-white", "khaki", "米色", "米白色", "奶白色", "卡其色", "杏色")),
}

# Chinese colour words may take a shade prefix: 深蓝色, 浅灰色 …
COLOUR_SHADE_PREFIXES_ZH: str = "深浅淡亮暗"

# Words right after a colour word that show it is not the product's colour.
COLOUR_NOT_BEFORE_EN: tuple[str, ...] = (
    "light", "lights", "led", "leds", "indicator", "indicators", "noise", "wine", "tea", "friday", "monday",
    "belt", "card", "carpet", "collar", "standard", "energy", "label", "list", "box", "pepper", "beans",
    "chocolate", "-plated", "plated", "glow", "flash", "sea", "sky", "screen",
)
# Words right before a colour word with the same meaning.
COLOUR_NOT_AFTER_EN: tuple[str, ...] = (
    "led", "light", "indicator", "glows", "glow", "flashes", "flash", "turns", "blinks", "shows", "lights up",
)
COLOUR_NOT_BEFORE_ZH: tuple[str, ...] = ("指示灯", "灯", "光", "环保", "健康", "食品", "出行", "能源", "家电", "LED")
COLOUR_NOT_AFTER_ZH: tuple[str, ...] = ("指示灯", "灯", "亮", "显示", "闪", "呈", "变")

MATERIALS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "cotton": ("cotton", "棉", ("cotton", "organic cotton", "纯棉", "全棉", "棉质", "精梳棉", "棉")),
    "polyester": ("polyester", "涤纶", ("polyester", "涤纶", "聚酯纤维", "聚酯")),
    "nylon": ("nylon", "尼龙", ("nylon", "尼龙", "锦纶")),
    "wool": ("wool", "羊毛", ("wool", "merino", "merino wool", "羊毛", "美利奴羊毛")),
    "cashmere": ("cashmere", "羊绒", ("cashmere", "羊绒", "山羊绒")),
    "silk": ("silk", "真丝", ("silk", "mulberry silk", "真丝", "桑蚕丝", "蚕丝")),
    "linen": ("linen", "亚麻", ("linen", "亚麻")),
    "spandex": ("spandex", "氨纶", ("spandex", "elastane", "lycra", "氨纶", "莱卡")),
    "viscose": ("viscose", "粘纤", ("viscose", "rayon", "modal", "粘纤", "人造丝", "莫代尔")),
    "leather": ("leather", "真皮", ("leather", "genuine leather", "full-grain leather", "cowhide", "真皮", "牛皮", "头层牛皮", "羊皮")),
    "faux leather": ("PU leather", "PU皮", ("PU leather", "faux leather", "vegan leather", "synthetic leather", "PU皮", "PU皮革", "人造革", "合成革")),
    "suede": ("suede", "麂皮", ("suede", "麂皮", "绒面革")),
    "denim": ("denim", "牛仔布", ("denim", "牛仔布")),
    "canvas": ("canvas", "帆布", ("canvas", "帆布")),
    "fleece": ("fleece", "抓绒", ("fleece", "抓绒", "摇粒绒")),
    "down": ("down", "羽绒", ("duck down", "goose down", "羽绒", "白鸭绒", "白鹅绒")),
    "stainless steel": ("stainless steel", "不锈钢", ("stainless steel", "不锈钢")),
    "steel": ("steel", "钢", ("steel", "carbon steel", "碳钢")),
    "aluminium": ("aluminium", "铝合金", ("aluminium", "aluminum", "aluminium alloy", "aluminum alloy", "铝合金", "航空铝")),
    "titanium": ("titanium", "钛合金", ("titanium", "钛合金", "纯钛")),
    "zinc alloy": ("zinc alloy", "锌合金", ("zinc alloy", "锌合金")),
    "metal": ("metal", "金属", ("metal", "金属")),
    "plastic": ("plastic", "塑料", ("plastic", "polycarbonate", "ABS plastic", "塑料", "塑胶")),
    "silicone": ("silicone", "硅胶", ("silicone", "硅胶")),
    "rubber": ("rubber", "橡胶", ("rubber", "橡胶")),
    "glass": ("glass", "玻璃", ("glass", "tempered glass", "borosilicate glass", "玻璃", "钢化玻璃", "高硼硅玻璃")),
    "ceramic": ("ceramic", "陶瓷", ("ceramic", "porcelain", "陶瓷", "骨瓷")),
    "wood": ("wood", "实木", ("wood", "wooden", "solid wood", "oak", "实木", "木质", "橡木", "胡桃木")),
    "bamboo": ("bamboo", "竹", ("bamboo", "竹子", "竹制", "竹纤维")),
}

# A text material counts as agreeing with an attribute material of a child family.
MATERIAL_PARENTS: dict[str, str] = {
    "stainless steel": "metal", "steel": "metal", "aluminium": "metal", "titanium": "metal", "zinc alloy": "metal",
}
MATERIAL_SAME: dict[str, str] = {"stainless steel": "steel"}

# A material word is only read as the product's material with one of these
# cues close by, so "protects your glass screen" on a silicone case is left alone.
MATERIAL_CUES_BEFORE_EN: tuple[str, ...] = (
    "made of", "made from", "made with", "made out of", "crafted from", "crafted of", "crafted with",
    "constructed from", "constructed of", "built from", "built with", "manufactured from", "100%", "pure",
    "premium", "genuine", "soft", "durable", "high-quality", "quality", "real", "solid", "features a", "in",
)
MATERIAL_CUES_AFTER_EN: tuple[str, ...] = (
    "fabric", "material", "construction", "shell", "body", "frame", "upper", "lining", "casing", "housing",
    "blend", "exterior", "build",
)
MATERIAL_CUES_BEFORE_ZH: tuple[str, ...] = ("采用", "选用", "精选", "由", "材质为", "面料为", "纯", "优质", "100%", "高品质", "进口")
MATERIAL_CUES_AFTER_ZH: tuple[str, ...] = ("材质", "面料", "制成", "打造", "制作", "材料", "外壳", "机身", "制", "质地")

# Attribute names that hold a model name or number ("model": "WH-1000XM5").
MODEL_KEYS: tuple[str, ...] = ("model", "型号", "款号", "货号")
# Leading letters of spec codes that look like model numbers but are not (IPX7, USB3, Wi-Fi 6 …).
NOT_MODEL_PREFIXES: frozenset[str] = frozenset({
    "ip", "ipx", "usb", "type", "wifi", "wi", "bt", "hdmi", "pd", "qc", "ddr", "lpddr", "gddr", "ufs", "nfc",
    "lte", "mah", "cat", "rj", "aa", "aaa", "h", "x", "r", "pcie", "gen", "ac", "dc", "e", "vs", "no",
})
# Attribute names for sizes, and the letter sizes of clothing.
SIZE_KEYS: tuple[str, ...] = ("size", "sizes", "尺码", "码数", "码")
LETTER_SIZES: tuple[str, ...] = ("XXXL", "XXL", "XL", "XXS", "XS", "S", "M", "L", "2XL", "3XL", "4XL", "5XL")

COLOUR_KEYS: tuple[str, ...] = ("colour", "color", "颜色", "顏色", "色彩", "配色")
MATERIAL_KEYS: tuple[str, ...] = ("material", "fabric", "composition", "材质", "面料", "材料", "成分")

# ---------------------------------------------------------------------------
# Brands: groups of names that mean the same brand
# ---------------------------------------------------------------------------

KNOWN_BRANDS: tuple[tuple[str, ...], ...] = (
    ("Apple", "苹果"), ("Samsung", "三星"), ("Xiaomi", "小米"), ("Huawei", "华为"), ("Anker", "安克"),
    ("Sony", "索尼"), ("Nike", "耐克"), ("Adidas", "阿迪达斯"), ("Lenovo", "联想"), ("Dell", "戴尔"),
    ("HP", "惠普"), ("Logitech", "罗技"), ("Philips", "飞利浦"), ("Bose", "博士"), ("JBL",), ("Canon", "佳能"),
    ("Nikon", "尼康"), ("Dyson", "戴森"), ("Uniqlo", "优衣库"), ("Zara",), ("OPPO",), ("vivo",),
    ("OnePlus", "一加"), ("Honor", "荣耀"), ("Baseus", "倍思"), ("Ugreen", "绿联"), ("Belkin", "贝尔金"),
    ("LG",), ("Panasonic", "松下"), ("Midea", "美的"), ("Haier", "海尔"), ("Gree", "格力"), ("Lego", "乐高"),
    ("Puma", "彪马"), ("New Balance", "新百伦"), ("Under Armour", "安德玛"), ("Decathlon", "迪卡侬"),
    ("IKEA", "宜家"), ("Muji", "无印良品"), ("L'Oreal", "欧莱雅"), ("Estee Lauder", "雅诗兰黛"), ("Nestle", "雀巢"),
    ("Asus", "华硕"), ("Acer", "宏碁"), ("Microsoft", "微软"), ("Google", "谷歌"),
)

# Names that are also ordinary words: only read as brands in an attribution
# pattern ("made by", "X brand", "X品牌"), never as a bare mention.
AMBIGUOUS_BRANDS: frozenset[str] = frozenset({
    "apple", "苹果", "小米", "美的", "一加", "荣耀", "honor", "puma", "博士", "gree", "muji", "google", "lg", "hp",
    "三星", "联想", "微软", "new balance", "宜家", "vivo",
})

# Words around a brand name that show the brand is what the product fits, not who made it.
BRAND_COMPAT_BEFORE_EN: tuple[str, ...] = (
    "compatible with", "works with", "for", "with", "fits", "supports", "charges", "charge", "connects to",
    "pairs with", "like", "including", "and", "or", "your",
)
BRAND_COMPAT_AFTER_EN: tuple[str, ...] = (
    "phone", "phones", "device", "devices", "laptop", "laptops", "tablet", "tablets", "watch", "earbuds",
    "galaxy", "iphone", "ipad", "macbook", "pixel", "tv", "console", "and", "or", "models",
)
BRAND_COMPAT_BEFORE_ZH: tuple[str, ...] = ("适用", "兼容", "支持", "适配", "给", "为", "连接", "配合", "和", "与", "、")
BRAND_COMPAT_AFTER_ZH: tuple[str, ...] = ("手机", "设备", "笔记本", "平板", "电脑", "耳机", "iPhone", "和", "与", "、", "等")
# Capitalised words that follow "made by" without being a maker's name.
NOT_BRAND_NAMES: frozenset[str] = frozenset({
    "hand", "hands", "the", "our", "us", "we", "experts", "professionals", "artisans", "craftsmen", "a", "an",
    "skilled", "local", "usb", "usb-c", "design", "nature", "science", "engineers", "premium", "trusted",
    "leading", "popular", "top", "quality", "famous", "well-known", "global", "international", "this", "that",
    "your", "every", "any", "same", "own", "its", "their", "one",
})

# ---------------------------------------------------------------------------
# Language and prompt scaffolding
# ---------------------------------------------------------------------------

# Latin words allowed in Chinese copy besides the product's own names.
LATIN_OK_IN_ZH: frozenset[str] = frozenset({
    "usb", "type-c", "usb-c", "wifi", "wi-fi", "bluetooth", "app", "led", "lcd", "oled", "hdmi", "ios", "android",
    "pro", "max", "mini", "plus", "ultra", "lite", "pd", "qc", "nfc", "gps", "ai", "diy", "logo", "vip", "ok",
    "mah", "kg", "cm", "mm", "ml", "gb", "tb", "pu", "abs", "tpu", "pc", "ip", "ipx", "rgb", "hifi", "hi-fi",
})

# Labels of the prompt's input slots: a line starting with one is an echo.
PROMPT_INPUT_LABELS: tuple[str, ...] = (
    "title", "product title", "product name", "attributes", "attribute", "category", "brand", "price",
    "locale", "language", "audience", "keywords", "instruction", "instructions", "input", "context",
    "system", "user", "human", "prompt", "product data", "product data (json)", "seller facts", "review highlights",
    "标题", "商品标题", "商品名称", "属性", "商品属性", "类目", "品牌", "价格", "语言", "指令", "输入", "要求", "用户", "系统",
)
# Labels of the answer: the label goes, what follows it stays.
PROMPT_OUTPUT_LABELS: tuple[str, ...] = (
    "description", "product description", "output", "answer", "response", "assistant", "copy",
    "描述", "商品描述", "产品描述", "文案", "商品文案", "输出", "回答", "助手",
)
# House-model slot tags (see workers/gpu/prompt.py).
PROMPT_INPUT_TAGS: tuple[str, ...] = ("locale", "title", "category", "brand", "attr", "audience")
PROMPT_OUTPUT_TAGS: tuple[str, ...] = ("desc",)

# Regex fragments for special tokens; END ones mean the model went on past its answer.
SPECIAL_TOKENS_END: tuple[str, ...] = (
    r"<\|endoftext\|>", r"<\|im_end\|>", r"<\|eot_id\|>", r"<\|end\|>", r"</s>", r"<eos>", r"<end_of_turn>",
)
SPECIAL_TOKENS: tuple[str, ...] = (
    r"<\|[a-z_]{1,30}\|>", r"\[/?INST\]", r"<</?SYS>>", r"<s>", r"<bos>", r"<pad>", r"<unk>", r"<start_of_turn>(?:model|user)?",
    r"</?think>", r"###\s*(?:Instruction|Response|Input|Output)s?\s*:?",
)

# Regex fragments (case-insensitive) for whole sentences that are the model talking about the task.
PROMPT_ECHO_SENTENCES: tuple[str, ...] = (
    r"(?:please\s+)?(?:write|generate|create|compose|produce)\b.{0,80}\b(?:description|copy|listing|paragraph|sentences?|words)\b",
    r"reply\s+with\s+the\s+description",
    r"(?:you\s+are\s+(?:an?\s+)?(?:ai|assistant|copywriter|helpful|expert)|as\s+an?\s+ai|i\s+am\s+an?\s+ai|i'm\s+an?\s+ai)\b",
    r"(?:use|using)\s+only\s+facts\b",
    r"(?:here\s+is|here's|here’s|below\s+is)\b.{0,60}\b(?:description|copy)\b.*$",
    r"(?:请)?(?:根据|为).{0,20}(?:写|撰写|生成|创作).{0,20}(?:描述|文案)|请(?:写|撰写|生成|创作)",
    r"(?:你是一|作为一个?AI|作为一名(?:文案|AI|助手))",
)
# Regex fragments for lead-ins that go while the rest of the sentence stays.
PROMPT_LEAD_INS: tuple[str, ...] = (
    r"(?:sure|certainly|of\s+course|okay)[,!.]\s+",
    r"(?:here\s+is|here's|here’s|below\s+is)\b[^:：]{0,60}[:：]\s*",
    r"(?:好的|当然|没问题)[，,！!。]\s*",
    r"以下是[^：:]{0,30}[：:]\s*",
)

# ---------------------------------------------------------------------------
# Grammar helpers for English removals
# ---------------------------------------------------------------------------

# A sentence ending in one of these after an edit has lost its point.
DANGLING_EN: frozenset[str] = frozenset({
    "a", "an", "the", "and", "or", "but", "with", "of", "to", "for", "in", "on", "at", "by", "from", "that",
    "which", "your", "our", "its", "is", "are", "was", "were", "be", "this", "as", "than", "most", "very",
    "so", "simply", "truly", "really", "just", "quite", "absolutely", "it's", "it’s", "that's", "that’s",
    "makes", "make", "feel", "feels", "look", "looks", "rated",
})
LEADING_BAD_EN: frozenset[str] = frozenset({
    "and", "or", "but", "with", "of", "to", "in", "for", "than", "by", "as", "from", "on", "at",
})
DANGLING_ZH: str = "是为的和与及或很更最把被让在"
ABBREVIATIONS_EN: frozenset[str] = frozenset({
    "e.g.", "i.e.", "mr.", "mrs.", "ms.", "dr.", "vs.", "approx.", "no.", "incl.", "inc.", "ltd.", "co.", "st.",
    "ca.", "fig.", "max.", "min.", "dia.", "qty.", "est.", "etc.",
})


def unit_pattern(for_keys: bool = False) -> str:
    """A regex alternation of every unit alias, longest first, each fenced so "5 GB" never matches "5 Gbps".

    for_keys: leave out single CJK characters, which in an attribute *name* are words, not units.
    """
    parts = []
    for alias in sorted(UNITS, key=len, reverse=True):
        if for_keys and not alias.isascii() and len(alias) == 1:
            continue
        pat = re.escape(alias)
        if alias in UNITS_ANY_CASE:
            pat = f"(?i:{pat})"
        if alias.isascii() and alias[-1].isalpha():
            pat += "(?![A-Za-z])"
        elif alias in UNIT_NOT_BEFORE:
            pat += f"(?![{UNIT_NOT_BEFORE[alias]}])"
        parts.append(pat)
    return "|".join(parts)
