"""Quality benchmark: what the engines would publish for real product records, and how fast.

It makes the calls the pipeline makes — N candidates per (product, locale),
correct each, drop near-duplicates within the set, rank with the model's
log-likelihood, keep the best — in this process, without Celery, so the
figures are the engines' own. It runs over the bundled sample catalog and, where
../shared/data is present, over real records (Myntra, English; AdvertiseGen,
Chinese), which count more than the house model's own kind of data.

    python -m bench.quality [--model PATH] [--source samples|myntra|adgen|all] [--limit N]
                            [--candidates N] [--batch-size N] [--out bench/results/quality.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from bench.common import console, machine_info, print_table, write_results
from producers.samples import load_products
from schemas.events import Price, Product
from schemas.settings import Settings
from workers.cpu.dedup import near_duplicates_within
from workers.gpu import rank
from workers.gpu.correct import Correction, correct
from workers.gpu.generate import Decoding, Generator, ModelNotFound, candidate_decodings
from workers.gpu.prompt import language
from workers.text.check import check_candidate
from workers.text.gate import CODES as GATE_CODES
from workers.text.realise import WRITER as REALISER
from workers.text.realise import realise

T = TypeVar("T")

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MYNTRA_CSV = DATA_DIR / "en-myntra-products-catalog" / "myntra_products_catalog.csv"
ADGEN_JSONL = DATA_DIR / "zh-advertisegen-adgen" / "dev.json"
MYNTRA_COLUMNS = frozenset({"ProductID", "ProductName", "ProductBrand", "Gender", "Price (INR)", "Description",
                            "PrimaryColor"})
SOURCES = ("samples", "myntra", "adgen")
SAMPLE_SEED = 0  # the same records every run, so runs compare
EXAMPLES = 3


class SourceUnavailable(RuntimeError):
    """A data set is absent or not in the shape expected: that source is skipped, the run goes on."""


@dataclass(frozen=True)
class Item:
    """One (product, locale) to write for, with the human copy for it when the data set has some."""

    product: Product
    locale: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """The corrected candidates of one item (raw fixes included) and the index ranking chose, if any."""

    candidates: list[Correction]
    chosen: int | None


@dataclass(frozen=True)
class RunConfig:
    candidates: int
    batch_size: int
    max_new_tokens: int
    temperature: float
    top_p: float
    seed: int
    dedup_threshold: float


# ---- text metrics ------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def tokens(text: str, locale: str) -> list[str]:
    """Lower-cased words for English, characters for Chinese (no spaces between its words)."""
    if language(locale) == "zh":
        return [ch for ch in text if ch.isalnum()]
    return [w.lower() for w in _WORD.findall(text)]


def text_length(text: str, locale: str) -> int:
    """Words (English) or characters (Chinese), punctuation not counted."""
    return len(tokens(text, locale))


def distinct_2(texts: Sequence[str], locale: str) -> float | None:
    """Unique bigrams over all bigrams of a set of texts: low when every product gets the same phrasing."""
    grams = [gram for text in texts for gram in pairwise(tokens(text, locale))]
    return len(set(grams)) / len(grams) if grams else None


def _f1(hits: int, n_candidate: int, n_reference: int) -> float:
    if not hits:
        return 0.0
    precision, recall = hits / n_candidate, hits / n_reference
    return 2 * precision * recall / (precision + recall)


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        diagonal = 0
        for j, y in enumerate(b, 1):
            diagonal, row[j] = row[j], diagonal + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def overlap(text: str, references: Sequence[str], locale: str) -> dict[str, float]:
    """ROUGE-1 and ROUGE-L F1 against the closest human reference (words in English, characters in Chinese)."""
    best = {"rouge1": 0.0, "rougeL": 0.0}
    cand = tokens(text, locale)
    for reference in references:
        ref = tokens(reference, locale)
        if cand and ref:
            unigram_hits = sum((Counter(cand) & Counter(ref)).values())
            best["rouge1"] = max(best["rouge1"], _f1(unigram_hits, len(cand), len(ref)))
            best["rougeL"] = max(best["rougeL"], _f1(_lcs(cand, ref), len(cand), len(ref)))
    return best


# ---- sources -----------------------------------------------------------------------------


def _seeded_sample(rows: Sequence[T], limit: int) -> list[T]:
    """A fixed sample kept in file order: the same rows every run, spread over the whole file."""
    if len(rows) <= limit:
        return list(rows)
    keep = sorted(random.Random(SAMPLE_SEED).sample(range(len(rows)), limit))
    return [rows[i] for i in keep]


def _valid(make: Callable[[T], Item], rows: Iterable[T], source: str) -> list[Item]:
    """Records the event schema would reject at the door are skipped, as intake would."""
    items, rejected = [], 0
    for row in rows:
        try:
            items.append(make(row))
        except ValidationError:
            rejected += 1
    if rejected:
        console.print(f"{source}: {rejected} records fail the product schema and are left out")
    return items


def sample_items(limit: int) -> list[Item]:
    """The bundled catalog, once per locale each product targets."""
    products = _seeded_sample([Product.model_validate(raw) for raw in load_products()], limit)
    return [Item(p, locale) for p in products for locale in p.locales]


_PACK_SUFFIX = re.compile(r"\s+(?:(?:set|pack)\s+of\s+\d+|\d+(?:\.\d+)?\s*(?:ml|l|g|gm|kg|cm|pcs?)(?:\s+each)?)$", re.I)


def myntra_category(name: str) -> str:
    """The product type ends a Myntra name: 'SPYKAR Women Pink … Cropped Jeans' -> 'jeans'."""
    core = re.split(r"\s+with\s+", name, maxsplit=1, flags=re.I)[0]
    words = [w for w in _PACK_SUFFIX.sub("", core).split() if not re.fullmatch(r"[\d.,]+", w)]  # a shade number
    return words[-1].lower() if words else "fashion"


def myntra_item(row: Mapping[str, str]) -> Item:
    """A catalogue row as an en-US product; its human description is the reference."""
    name, price = row["ProductName"].strip(), row["Price (INR)"].strip()
    attributes = {"gender": row["Gender"].strip(), "colour": row["PrimaryColor"].strip(),
                  "price": f"{price} INR" if price else ""}
    product = Product(
        product_id=f"myntra-{row['ProductID'].strip()}", title=name, category=myntra_category(name),
        locale="en-US", brand=row["ProductBrand"].strip() or None,
        price=Price(amount=price, currency="INR") if price else None,
        attributes={k: v for k, v in attributes.items() if v},
    )
    description = row["Description"].strip()
    return Item(product, "en-US", (description,) if description else ())


def myntra_items(limit: int) -> list[Item]:
    if not MYNTRA_CSV.exists():
        raise SourceUnavailable(f"{MYNTRA_CSV} not found (the shared data sets live in ../shared/data)")
    with open(MYNTRA_CSV, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = MYNTRA_COLUMNS - set(reader.fieldnames or ())
        if missing:
            raise SourceUnavailable(f"{MYNTRA_CSV.name} lacks the columns {sorted(missing)}")
        rows = list(reader)
    return _valid(myntra_item, _seeded_sample(rows, limit), "myntra")


def parse_adgen_content(content: str) -> dict[str, str | list[str]]:
    """'类型#裙*图案#格子*图案#纯色' -> {'类型': '裙', '图案': ['格子', '纯色']}: a repeated key collects a list."""
    attributes: dict[str, str | list[str]] = {}
    for pair in content.split("*"):
        key, sep, value = (part.strip() for part in pair.partition("#"))
        if not (sep and key and value):
            continue
        old = attributes.get(key)
        if old is None:
            attributes[key] = value
        elif isinstance(old, list):
            if value not in old:
                old.append(value)
        elif old != value:
            attributes[key] = [old, value]
    return attributes


_ADGEN_LOOK = ("颜色", "材质", "风格")
_ADGEN_GARMENT = ("衣样式", "裙型", "裙长", "裤型", "裤长")


def _first(value: str | list[str] | None) -> str:
    return (value[0] if value else "") if isinstance(value, list) else (value or "")


def adgen_item(content: str, references: Sequence[str]) -> Item:
    """A zh-CN product from an ADGEN attribute string: category from 类型, title from look + garment."""
    attributes = parse_adgen_content(content)
    kind = _first(attributes.get("类型")) or "服饰"
    look = [v for key in _ADGEN_LOOK if (v := _first(attributes.get(key)))][:2]
    garment = next((v for key in _ADGEN_GARMENT if (v := _first(attributes.get(key)))), kind)
    product = Product(
        product_id=f"adgen-{zlib.crc32(content.encode()):08x}", title="".join(look) + garment, category=kind,
        locale="zh-CN", attributes=attributes,
    )
    return Item(product, "zh-CN", tuple(references))


def adgen_items(limit: int) -> list[Item]:
    """One item per distinct attribute string; its several human texts all count as references."""
    if not ADGEN_JSONL.exists():
        raise SourceUnavailable(f"{ADGEN_JSONL} not found (the shared data sets live in ../shared/data)")
    references: dict[str, list[str]] = {}
    with open(ADGEN_JSONL, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                references.setdefault(row["content"], []).append(row["summary"])
    rows = _seeded_sample(list(references.items()), limit)
    return _valid(lambda row: adgen_item(*row), rows, "adgen")


LOADERS: dict[str, Callable[[int], list[Item]]] = {
    "samples": sample_items, "myntra": myntra_items, "adgen": adgen_items,
}


# ---- the engines, as the pipeline stages call them ---------------------------------------


def _audience(product: Product) -> str | None:
    return product.audiences[0] if product.audiences else None


def _within_set(texts: Sequence[str], threshold: float) -> tuple[list[float | None], list[bool]]:
    """Similarity and duplicate flags as the dedup stage leaves them (no catalog index here)."""
    similarity: list[float | None] = [0.0] * len(texts)
    duplicate = [False] * len(texts)
    for _, j, sim in near_duplicates_within(texts, threshold=threshold):
        if not duplicate[j]:  # pairs come most similar first
            similarity[j], duplicate[j] = sim, True
    return similarity, duplicate


def run_group(gen: Generator, items: Sequence[Item], cfg: RunConfig) -> tuple[list[Outcome], dict[str, float]]:
    """Generate, correct, dedup and rank every item of one locale; returns seconds spent per stage.

    Every product's candidates go through one generate call, batched across
    products as a busy gpu worker's batcher would (sampling is per row).
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[stage], started = now - started, now

    decodings = candidate_decodings(cfg.candidates, temperature=cfg.temperature, top_p=cfg.top_p, seed=cfg.seed)
    requests = [gen.request(item.product, item.locale, d, audience=_audience(item.product), key=(i, k))
                for i, item in enumerate(items) for k, d in enumerate(decodings)]
    raw = [[""] * cfg.candidates for _ in items]
    for out in gen.generate(requests, max_new_tokens=cfg.max_new_tokens, batch_size=cfg.batch_size):
        i, k = out.key
        raw[i][k] = out.text
    for i, item in enumerate(items):  # the realiser's candidate comes last, as in the generate stage
        raw[i].append(realise(item.product, item.locale).text)
    lap("generate")
    fixed = [[check_candidate(text, item.product, item.locale) for text in texts] for item, texts in zip(items, raw)]
    lap("correct")
    dedup = [_within_set([c.text for c in cands], cfg.dedup_threshold) for cands in fixed]
    lap("dedup")
    outcomes = []
    for i, (item, cands) in enumerate(zip(items, fixed)):
        texts = [c.text for c in cands]
        scored = rank.score(
            item.product, item.locale, texts,
            loglik=gen.fluency(item.product, item.locale, texts, audience=_audience(item.product),
                               batch_size=cfg.batch_size),
            issues=[[f.model_dump() for f in c.fixes] for c in cands],
            similarity=dedup[i][0], duplicate=dedup[i][1],
            writers=[None] * (len(cands) - 1) + [REALISER],
        )
        winner = rank.best(scored)
        outcomes.append(Outcome(cands, winner.idx if winner else None))
    lap("rank")
    return outcomes, seconds


# ---- figures -----------------------------------------------------------------------------


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else None


def _codes(correction: Correction) -> set[str]:
    return {fix.code for fix in correction.fixes}


def _still_banned(text: str, item: Item) -> bool:
    """A second correction pass still finding a banned term means the first let one through."""
    return "banned_term" in _codes(correct(text, item.product, item.locale))


def summarise(items: Sequence[Item], outcomes: Sequence[Outcome], seconds: Mapping[str, float]) -> dict[str, Any]:
    """The figures of one (source, locale): rates in [0, 1]; chosen-text figures over items that got one."""
    locale = items[0].locale
    chosen = [(item, o.candidates[o.chosen]) for item, o in zip(items, outcomes) if o.chosen is not None]
    raw_codes = [_codes(c) for o in outcomes for c in o.candidates]
    texts = [c.text for _, c in chosen]
    refs = [overlap(c.text, item.references, locale) for item, c in chosen if item.references]
    d2 = distinct_2(texts, locale)
    writers = [o.chosen == len(o.candidates) - 1 for o in outcomes if o.chosen is not None]
    gate_codes = [codes & set(GATE_CODES) for codes in raw_codes]
    return {
        "products": len(items),
        "candidates": len(raw_codes),
        "dropped_sentence_rate": _mean(bool(codes) for codes in gate_codes),
        "gate_misbinding": sum("misbinding" in codes for codes in gate_codes),
        "gate_wrong_type": sum("wrong_product_type" in codes for codes in gate_codes),
        "realiser_share": _mean(writers),
        "chosen_dropped_rate": _mean(bool(_codes(c) & set(GATE_CODES)) for _, c in chosen),
        "coverage": _mean(rank.coverage(item.product, c.text) for item, c in chosen),
        "unsupported_rate": _mean(bool(_codes(c) & rank.FACT_CODES) for _, c in chosen),
        "banned_raw_rate": _mean("banned_term" in codes for codes in raw_codes),
        "banned_final_rate": _mean(_still_banned(c.text, item) for item, c in chosen),
        "repetition_rate": _mean("repetition" in codes for codes in raw_codes),
        "raw_fix_codes": dict(Counter(code for codes in raw_codes for code in codes).most_common()),
        "distinct_2": None if d2 is None else round(d2, 4),
        "mean_length": _mean(text_length(t, locale) for t in texts),
        "length_unit": "characters" if language(locale) == "zh" else "words",
        "empty_rate": round(1 - len(chosen) / len(items), 4),
        "seconds_per_product": round(sum(seconds.values()) / len(items), 4),
        "stage_seconds_per_product": {stage: round(s / len(items), 4) for stage, s in seconds.items()},
        "references": len(refs),
        "rouge1_f": _mean(r["rouge1"] for r in refs),
        "rougeL_f": _mean(r["rougeL"] for r in refs),
        "examples": [
            {"product_id": item.product.product_id, "title": item.product.title, "text": c.text,
             "reference": item.references[0] if item.references else None}
            for item, c in chosen[:EXAMPLES]
        ],
    }


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 2) -> str | None:
    return None if value is None else f"{value:.{digits}f}"


TABLE_ROWS: tuple[tuple[str, Callable[[dict[str, Any]], object]], ...] = (
    ("products", lambda g: g["products"]),
    ("candidates with a sentence dropped", lambda g: _pct(g["dropped_sentence_rate"])),
    ("misbindings the gate dropped", lambda g: g["gate_misbinding"]),
    ("wrong product types the gate dropped", lambda g: g["gate_wrong_type"]),
    ("chosen text by the realiser", lambda g: _pct(g["realiser_share"])),
    ("chosen text with a dropped sentence", lambda g: _pct(g["chosen_dropped_rate"])),
    ("attribute coverage (chosen)", lambda g: _pct(g["coverage"])),
    ("unsupported-fact rate (chosen, raw)", lambda g: _pct(g["unsupported_rate"])),
    ("banned-term rate (raw candidates)", lambda g: _pct(g["banned_raw_rate"])),
    ("banned terms left (chosen, corrected)", lambda g: _pct(g["banned_final_rate"])),
    ("repetition rate (raw candidates)", lambda g: _pct(g["repetition_rate"])),
    ("distinct-2 (chosen)", lambda g: _num(g["distinct_2"], 3)),
    ("mean length (words EN / chars ZH)", lambda g: _num(g["mean_length"], 1)),
    ("dead letters (no candidate survived)", lambda g: _pct(g["empty_rate"])),
    ("seconds per product", lambda g: _num(g["seconds_per_product"], 3)),
    ("reference ROUGE-1 F", lambda g: _num(g["rouge1_f"], 3)),
    ("reference ROUGE-L F", lambda g: _num(g["rougeL_f"], 3)),
)


def print_figures(groups: Sequence[dict[str, Any]], title: str) -> None:
    """One column per (source, locale), so sources read side by side."""
    columns = ["metric", *(f"{g['source']} {g['locale']}" for g in groups)]
    print_table(title, columns, [[label, *(get(g) for g in groups)] for label, get in TABLE_ROWS])


# ---- command line ------------------------------------------------------------------------


def _parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=settings.generator_model, help="generator: local directory or hub id")
    parser.add_argument("--source", choices=[*SOURCES, "all"], default="all")
    parser.add_argument("--limit", type=int, default=50, help="products per source (a fixed seeded sample)")
    parser.add_argument("--candidates", type=int, default=settings.candidates)
    parser.add_argument("--batch-size", type=int, default=settings.batch_size)
    parser.add_argument("--out", type=Path, default=None, help="results JSON (default bench/results/quality.json)")
    return parser


def _load_generator(model: str, device: str) -> Generator | None:
    try:
        return Generator(model, device)
    except (ModelNotFound, OSError) as exc:
        console.print(f"[red]no usable generator model at {model!r}[/]: {exc}\n"
                      "Build the house model with `descflow train`, or pass --model PATH "
                      "(or set DESCFLOW_GENERATOR_MODEL).")
        return None


def _by_locale(items: Sequence[Item]) -> dict[str, list[Item]]:
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(item.locale, []).append(item)
    return groups


def _warm_up(gen: Generator) -> None:
    """First calls pay for lazy initialisation; keep that out of the first group's time."""
    product = Product(product_id="warm-up", title="warm-up", category="warm-up", locale="en-US")
    gen.generate([gen.request(product, "en-US", Decoding())], max_new_tokens=4, batch_size=1)


def main(argv: Sequence[str] | None = None) -> int:
    settings = Settings()
    args = _parser(settings).parse_args(argv)
    gen = _load_generator(args.model, settings.device)
    if gen is None:
        return 2
    cfg = RunConfig(candidates=args.candidates, batch_size=args.batch_size, max_new_tokens=settings.max_new_tokens,
                    temperature=settings.temperature, top_p=settings.top_p, seed=settings.seed,
                    dedup_threshold=settings.dedup_threshold)
    _warm_up(gen)
    sources: dict[str, dict[str, Any]] = {}
    groups: list[dict[str, Any]] = []
    for name in SOURCES if args.source == "all" else (args.source,):
        try:
            items = LOADERS[name](args.limit)
        except SourceUnavailable as exc:
            console.print(f"[yellow]skipping {name}[/]: {exc}")
            sources[name] = {"skipped": str(exc)}
            continue
        sources[name] = {"products": len({item.product.product_id for item in items})}
        for locale, group in sorted(_by_locale(items).items()):
            with console.status(f"{name} {locale}: {len(group)} products × {cfg.candidates} candidates: "
                                "generating, correcting, ranking …"):
                outcomes, seconds = run_group(gen, group, cfg)
            groups.append({"source": name, "locale": locale, **summarise(group, outcomes, seconds)})
    print_figures(groups, f"description quality — {args.model} on {gen.device}")
    machine = {**machine_info(), "device": str(gen.device), "model": args.model, "model_style": gen.style,
               "parameters": sum(p.numel() for p in gen.model.parameters()),
               "batch_size": cfg.batch_size, "candidates": cfg.candidates}
    config = {"limit": args.limit, "sample_seed": SAMPLE_SEED, "max_new_tokens": cfg.max_new_tokens,
              "temperature": cfg.temperature, "top_p": cfg.top_p, "seed": cfg.seed,
              "dedup_threshold": cfg.dedup_threshold}
    path = write_results("quality", {"machine": machine, "config": config, "sources": sources, "groups": groups},
                         args.out)
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
