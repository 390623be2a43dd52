"""Dedup benchmark: the shared MinHash index at catalog sizes, against brute force, and the paraphrase check.

For each size it synthesises a catalog from real copy (Myntra descriptions,
English; AdvertiseGen ad texts, Chinese; the bundled phrase bank when
../shared/data is absent), plants near-duplicates made by edits, re-ordered
sentences and substitutions, indexes everything into Redis the way
`descflow dedup rebuild` does, and measures:

- index time and throughput, Redis used_memory growth, process RSS;
- query p50/p99 (one text against the whole index, as the dedup stage asks);
- recall on the planted pairs whose exact shingle Jaccard reaches the
  threshold, and precision of all hits (exact Jaccard of each hit >= threshold);
- the ratio against brute-force exact Jaccard of every pair, estimated from a
  timed sample of pairs (all pairs of 100k texts would take hours).

The paraphrase part times the embedding matrix query at 10k/100k vectors and,
when the data is present, calibrates the cosine threshold on the Abt-Buy gold
matches (the same product described by two shops).

    python -m bench.dedup [--sizes 10000,100000,1000000] [--queries 2000] [--processes 2]
                          [--redis redis://127.0.0.1:6379/12] [--no-paraphrase] [--out bench/results/dedup.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import redis

from bench.common import console, machine_info, print_table, track, write_results
from workers.cpu.dedup import DedupIndex, shingles

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MYNTRA_CSV = DATA_DIR / "en-myntra-products-catalog" / "myntra_products_catalog.csv"
ADGEN_JSONL = DATA_DIR / "zh-advertisegen-adgen" / "dev.json"
ABT_BUY = DATA_DIR / "en-abt-buy-product-matching"
NAMESPACE = "descflow-bench:dedup"
THRESHOLD = 0.7
PLANTED_SHARE = 0.02  # of each catalog: near-duplicate copies of other texts
ZH_SHARE = 0.2
SEED = 0

# ---------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------

_EN_SPLIT = re.compile(r"(?<=[.!?])\s+|(?<=[a-z])(?=[A-Z][a-z])|,\s+")
_ZH_SPLIT = re.compile(r"(?<=[。！？，；])")


@dataclass(frozen=True)
class Pools:
    """Clauses of real copy to build texts from, per language, and where they came from."""

    en: list[str]
    zh: list[str]
    source: str


def load_pools() -> Pools:
    """Clauses of the real Myntra/AdvertiseGen copy, or of the phrase bank when the data is absent."""
    en: set[str] = set()
    zh: set[str] = set()
    if MYNTRA_CSV.exists() and ADGEN_JSONL.exists():
        with MYNTRA_CSV.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                en.update(c.strip(" .") for c in _EN_SPLIT.split(row.get("Description") or "") if len(c) > 12)
        for line in ADGEN_JSONL.read_text(encoding="utf-8").splitlines():
            if line.strip():
                zh.update(c for c in _ZH_SPLIT.split(json.loads(line)["summary"]) if len(c) > 4)
        return Pools(sorted(en), sorted(zh), "myntra+advertisegen")
    from producers.samples.phrasebank import generate_pairs

    for pair in generate_pairs(4000, seed=SEED):
        text = pair["description"]
        target = zh if re.search(r"[\u4e00-\u9fff]", text) else en
        splitter = _ZH_SPLIT if target is zh else _EN_SPLIT
        target.update(c.strip(" .") for c in splitter.split(text) if len(c) > 4)
    return Pools(sorted(en), sorted(zh), "phrasebank (../shared/data absent)")


_EN_SWAPS = ["soft", "durable", "classic", "lightweight", "premium", "everyday", "stylish", "comfortable",
             "breathable", "sturdy", "elegant", "compact"]
_ZH_SWAPS = ["柔软", "耐用", "经典", "轻盈", "高级", "百搭", "时尚", "舒适", "透气", "结实", "优雅", "小巧"]


def _compose(r: random.Random, pools: Pools, zh: bool) -> str:
    pool = pools.zh if zh else pools.en
    clauses = r.sample(pool, r.randint(3, 6))
    ident = f"{r.randint(100, 99999)}"
    if zh:
        return f"型号{ident}，" + "".join(c if c.endswith(("。", "，", "！")) else c + "，" for c in clauses)
    return f"Style {ident}: " + ". ".join(clauses) + "."


def _mutate(r: random.Random, text: str, zh: bool) -> str:
    """A near-duplicate: one or two of re-ordered clauses, substituted words, a changed number, an added clause."""
    ops = r.sample(["reorder", "substitute", "number", "append", "delete"], r.randint(1, 2))
    parts = _ZH_SPLIT.split(text) if zh else [p for p in re.split(r"(?<=\.)\s+", text) if p]
    for op in ops:
        if op == "reorder" and len(parts) > 2:
            i = r.randrange(1, len(parts) - 1)
            parts[i], parts[i + 1] = parts[i + 1], parts[i]
        elif op == "substitute":
            i = r.randrange(len(parts))
            if zh and len(parts[i]) > 3:
                j = r.randrange(len(parts[i]) - 2)
                parts[i] = parts[i][:j] + r.choice(_ZH_SWAPS) + parts[i][j + 2 :]
            elif not zh:
                words = parts[i].split()
                words[r.randrange(len(words))] = r.choice(_EN_SWAPS)
                parts[i] = " ".join(words)
        elif op == "number":
            parts = [re.sub(r"\d+", lambda m: str(int(m.group()) + r.randint(1, 9)), p, count=1) for p in parts]
        elif op == "append":
            parts.append("可机洗。" if zh else "Machine wash cold.")
        elif op == "delete" and len(parts) > 4:
            del parts[r.randrange(1, len(parts))]
    return ("" if zh else " ").join(parts)


@dataclass
class Catalog:
    keys: list[str]
    texts: list[str]
    planted: list[tuple[int, int]]  # (copy, original) positions


def synthesise(n: int, pools: Pools, seed: int = SEED) -> Catalog:
    """n texts, PLANTED_SHARE of them near-duplicate copies of earlier ones; ZH_SHARE Chinese."""
    r = random.Random(seed)
    texts: list[str] = []
    zh_flags: list[bool] = []
    planted: list[tuple[int, int]] = []
    n_planted = int(n * PLANTED_SHARE)
    n_base = n - n_planted
    for _ in range(n_base):
        zh = bool(pools.zh) and r.random() < ZH_SHARE
        texts.append(_compose(r, pools, zh))
        zh_flags.append(zh)
    for _ in range(n_planted):
        original = r.randrange(n_base)
        planted.append((len(texts), original))
        texts.append(_mutate(r, texts[original], zh_flags[original]))
        zh_flags.append(zh_flags[original])
    keys = [f"shop-{i % 97}/p-{i}/{'zh-CN' if zh else 'en-US'}" for i, zh in enumerate(zh_flags)]
    return Catalog(keys, texts, planted)


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


# ---------------------------------------------------------------------------
# One size
# ---------------------------------------------------------------------------


def _rss_mib() -> float:
    """This process's resident memory now (Linux /proc), else its peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile_ms(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values) * 1000, q)), 3)


def brute_force_pair_seconds(texts: Sequence[str], pairs: int, seed: int = SEED) -> tuple[float, float]:
    """(seconds per pair of exact Jaccard on prepared shingle sets, seconds per text to prepare them)."""
    r = random.Random(seed)
    sample = r.sample(range(len(texts)), min(len(texts), 2000))
    started = time.perf_counter()
    sets = [shingles(texts[i]) for i in sample]
    prepare = (time.perf_counter() - started) / len(sample)
    idx = [(r.randrange(len(sets)), r.randrange(len(sets))) for _ in range(pairs)]
    started = time.perf_counter()
    for i, j in idx:
        a, b = sets[i], sets[j]
        inter = len(a & b)
        _ = inter / (len(a) + len(b) - inter or 1)
    return (time.perf_counter() - started) / pairs, prepare


def run_size(n: int, pools: Pools, url: str, *, queries: int, processes: int) -> dict[str, Any]:
    client = redis.Redis.from_url(url)
    index = DedupIndex(url, namespace=NAMESPACE, threshold=THRESHOLD)
    index.clear()
    started = time.perf_counter()
    catalog = synthesise(n, pools)
    synth_s = time.perf_counter() - started
    console.print(f"[bold]{n:,}[/bold] texts synthesised in {synth_s:.1f} s; indexing with {processes} process(es)")

    mem_before = int(client.info("memory")["used_memory"])
    rss_before = _rss_mib()
    started = time.perf_counter()
    index.add_many(zip(catalog.keys, catalog.texts), batch=2000, processes=processes)
    index_s = time.perf_counter() - started
    mem_after = int(client.info("memory")["used_memory"])
    assert len(index) == n, f"index holds {len(index)} of {n} texts"

    r = random.Random(SEED + 1)
    planted = r.sample(catalog.planted, min(len(catalog.planted), queries // 2))
    planted_sets = {p: (shingles(catalog.texts[p[0]]), shingles(catalog.texts[p[1]])) for p in planted}
    true_planted = [p for p in planted if jaccard(*planted_sets[p]) >= THRESHOLD]
    others = r.sample(range(n - len(catalog.planted)), min(n - len(catalog.planted), queries - len(planted)))
    asked = [(p[0], p) for p in planted] + [(i, None) for i in others]
    r.shuffle(asked)
    latencies: list[float] = []
    found_planted = 0
    hits_total = hits_true = 0
    for pos, pair in track(asked, f"querying {n:,}"):
        text = catalog.texts[pos]
        t0 = time.perf_counter()
        hits = index.query(text, exclude={catalog.keys[pos]})
        latencies.append(time.perf_counter() - t0)
        mine = shingles(text)
        key_pos = {h.key: h for h in hits}
        for key in key_pos:
            other = int(key.split("/")[1].removeprefix("p-"))
            hits_total += 1
            hits_true += jaccard(mine, shingles(catalog.texts[other])) >= THRESHOLD
        if pair is not None and pair in true_planted and catalog.keys[pair[1]] in key_pos:
            found_planted += 1

    pair_s, prepare_s = brute_force_pair_seconds(catalog.texts, 200_000)
    all_pairs = n * (n - 1) / 2
    brute_s = all_pairs * pair_s + n * prepare_s
    mean_query = float(np.mean(latencies))
    lsh_all_pairs_s = index_s + n * mean_query  # index everything, then ask for each text's duplicates
    result = {
        "size": n,
        "corpus": pools.source,
        "planted_pairs": len(catalog.planted),
        "index_s": round(index_s, 2),
        "index_texts_per_s": round(n / index_s),
        "redis_used_memory_mib": round((mem_after - mem_before) / 2**20, 1),
        "redis_bytes_per_text": round((mem_after - mem_before) / n),
        "rss_mib": round(_rss_mib(), 1),
        "rss_growth_mib": round(_rss_mib() - rss_before, 1),
        "peak_rss_children_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "queries": len(latencies),
        "query_p50_ms": _percentile_ms(latencies, 50),
        "query_p99_ms": _percentile_ms(latencies, 99),
        "planted_sampled": len(planted),
        "planted_at_threshold": len(true_planted),
        "recall": round(found_planted / len(true_planted), 4) if true_planted else None,
        "hits": hits_total,
        "precision": round(hits_true / hits_total, 4) if hits_total else None,
        "brute_force_pair_us": round(pair_s * 1e6, 3),
        "brute_force_s_estimated": round(brute_s, 1),
        "brute_force_note": "estimated: 200,000 timed pairs of exact Jaccard on prepared shingle sets x all pairs, "
                            "plus shingling every text",
        "lsh_all_pairs_s": round(lsh_all_pairs_s, 1),
        "speedup_vs_brute_force": round(brute_s / lsh_all_pairs_s, 1),
    }
    index.clear()
    return result


# ---------------------------------------------------------------------------
# Paraphrases
# ---------------------------------------------------------------------------


def matrix_query_ms(rows: int, repeats: int = 50, seed: int = SEED) -> dict[str, float]:
    """p50/p99 of one cosine query against `rows` stored vectors (random unit vectors: the cost is the same)."""
    from workers.cpu.paraphrase import DIM

    g = np.random.default_rng(seed)
    matrix = g.standard_normal((rows, DIM), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    query = matrix[:1].copy()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sims = query @ matrix.T
        np.flatnonzero(sims[0] >= 0.9)
        times.append(time.perf_counter() - t0)
    return {"vectors": rows, "p50_ms": _percentile_ms(times, 50), "p99_ms": _percentile_ms(times, 99),
            "matrix_mib": round(matrix.nbytes / 2**20, 1)}


@dataclass(frozen=True)
class AbtBuy:
    abt: list[str]
    buy: list[str]
    gold: np.ndarray  # (len(abt), len(buy)) bool


def load_abt_buy(limit: int | None = None, seed: int = SEED) -> AbtBuy:
    """The Abt and Buy product texts (name + description) and the gold matches; `limit` gold pairs when set.

    Raises FileNotFoundError when the data set is absent.
    """
    if not (ABT_BUY / "abt_buy_perfect_mapping.csv").exists():
        raise FileNotFoundError(f"{ABT_BUY} is absent")
    with (ABT_BUY / "abt.csv").open(encoding="latin-1", newline="") as fh:
        abt = {r["id"]: f"{r['name']}. {r.get('description') or ''}".strip() for r in csv.DictReader(fh)}
    with (ABT_BUY / "buy.csv").open(encoding="utf-8", newline="") as fh:
        buy = {r["id"]: f"{r['name']}. {r.get('description') or ''}".strip() for r in csv.DictReader(fh)}
    with (ABT_BUY / "abt_buy_perfect_mapping.csv").open(encoding="utf-8", newline="") as fh:
        pairs = [(r["idAbt"], r["idBuy"]) for r in csv.DictReader(fh) if r["idAbt"] in abt and r["idBuy"] in buy]
    if limit is not None:
        pairs = random.Random(seed).sample(pairs, min(limit, len(pairs)))
        abt_ids = sorted({a for a, _ in pairs})
        buy_ids = sorted({b for _, b in pairs})
    else:
        abt_ids, buy_ids = sorted(abt), sorted(buy)
    pa = {x: i for i, x in enumerate(abt_ids)}
    pb = {x: i for i, x in enumerate(buy_ids)}
    gold = np.zeros((len(abt_ids), len(buy_ids)), dtype=bool)
    for a, b in pairs:
        gold[pa[a], pb[b]] = True
    return AbtBuy([abt[a] for a in abt_ids], [buy[b] for b in buy_ids], gold)


def calibrate(data: AbtBuy, thresholds: Sequence[float], embedder: Any = None) -> dict[str, Any]:
    """Pair-level precision/recall of `cosine >= t` over every Abt x Buy pair, per threshold.

    Also how many gold pairs MinHash already catches (shingle Jaccard >= 0.7):
    the paraphrase check is for the rest.
    """
    from workers.cpu.dedup import signatures
    from workers.cpu.paraphrase import Embedder

    embedder = embedder or Embedder()
    started = time.perf_counter()
    va, vb = embedder.encode(data.abt), embedder.encode(data.buy)
    embed_s = time.perf_counter() - started
    sims = va @ vb.T
    sa, sb = signatures(data.abt), signatures(data.buy)
    minhash_caught = int(sum(((sb[j] == sa[i]).mean() >= THRESHOLD) for i, j in zip(*np.nonzero(data.gold))))
    gold = int(data.gold.sum())
    rows = []
    for t in thresholds:
        flagged = sims >= t
        tp = int((flagged & data.gold).sum())
        precision = tp / int(flagged.sum()) if flagged.any() else None
        recall = tp / gold
        f05 = (1.25 * precision * recall / (0.25 * precision + recall)) if precision and recall else 0.0
        rows.append({"threshold": t, "flagged": int(flagged.sum()), "precision": None if precision is None else
                     round(precision, 4), "recall": round(recall, 4), "f0.5": round(f05, 4)})
    return {"texts": len(data.abt) + len(data.buy), "gold_pairs": gold, "cross_pairs": int(sims.size),
            "minhash_catches": minhash_caught, "embed_s": round(embed_s, 1),
            "texts_per_s": round((len(data.abt) + len(data.buy)) / embed_s, 1), "thresholds": rows}


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated catalog sizes")
    parser.add_argument("--queries", type=int, default=2000, help="queries timed per size (half planted copies)")
    parser.add_argument("--processes", type=int, default=len(os.sched_getaffinity(0)),
                        help="processes that hash while indexing")
    parser.add_argument("--redis", default=os.environ.get("DESCFLOW_BENCH_REDIS", "redis://127.0.0.1:6379/12"),
                        help="Redis for the index (its namespace is cleared before and after)")
    parser.add_argument("--no-paraphrase", action="store_true", help="skip the embedding part")
    parser.add_argument("--calibration-limit", type=int, default=None,
                        help="gold Abt-Buy pairs to calibrate on (default: all)")
    parser.add_argument("--out", default=None, help="results file (default bench/results/dedup.json)")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    pools = load_pools()
    console.print(f"corpus: {pools.source}: {len(pools.en):,} English and {len(pools.zh):,} Chinese clauses")
    results = [run_size(n, pools, args.redis, queries=args.queries, processes=args.processes) for n in sizes]
    print_table(
        f"MinHash LSH index in Redis (threshold {THRESHOLD}, 128 permutations; {pools.source})",
        ["texts", "index s", "texts/s", "Redis MiB", "B/text", "RSS MiB", "query p50 ms", "query p99 ms",
         "recall", "precision", "brute force s (est.)", "LSH all pairs s", "speed-up"],
        [[f"{r['size']:,}", r["index_s"], f"{r['index_texts_per_s']:,}", r["redis_used_memory_mib"],
          r["redis_bytes_per_text"], r["rss_mib"], r["query_p50_ms"], r["query_p99_ms"], r["recall"],
          r["precision"], f"{r['brute_force_s_estimated']:,.0f}", r["lsh_all_pairs_s"],
          f"{r['speedup_vs_brute_force']:,.0f}x"] for r in results],
    )
    payload: dict[str, Any] = {"machine": machine_info(), "threshold": THRESHOLD, "minhash": results}

    if not args.no_paraphrase:
        matrix = [matrix_query_ms(n) for n in (10_000, 100_000)]
        print_table("Paraphrase index: one cosine query against the per-process matrix",
                    ["vectors", "p50 ms", "p99 ms", "matrix MiB"],
                    [[f"{m['vectors']:,}", m["p50_ms"], m["p99_ms"], m["matrix_mib"]] for m in matrix])
        payload["paraphrase_matrix"] = matrix
        try:
            data = load_abt_buy(args.calibration_limit)
        except FileNotFoundError as exc:
            console.print(f"[yellow]no paraphrase calibration[/yellow]: {exc}")
        else:
            cal = calibrate(data, [0.7, 0.75, 0.8, 0.82, 0.84, 0.85, 0.86, 0.88, 0.9, 0.92])
            print_table(f"Paraphrase threshold on Abt-Buy: {cal['gold_pairs']} gold pairs among "
                        f"{cal['cross_pairs']:,} cross pairs (MinHash catches {cal['minhash_catches']})",
                        ["cosine >=", "flagged", "precision", "recall", "F0.5"],
                        [[t["threshold"], t["flagged"], t["precision"], t["recall"], t["f0.5"]]
                         for t in cal["thresholds"]])
            payload["paraphrase_calibration"] = cal
    path = write_results("dedup", payload, args.out)
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
