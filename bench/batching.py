"""Generation throughput by batch size: bare batched `generate`, and through the cross-task batcher.

    python -m bench.batching [--batches 1,8,32,64] [--requests 128] [--max-new-tokens 60] [--repeats 3]

"bare" is one process calling Generator.generate on ready-made batches: the
compute floor. Both kinds run the model in a thread with the gpu worker's
model-thread settings (workers.gpu.generate.tune_model_thread), so the
difference between them is the batching alone. "batcher" is what a gpu worker does: many task threads, each
submitting one product's candidates (greedy + sampled, as the pipeline asks),
gathered by workers/gpu/batcher.py into model calls of up to the batch size.
The speed-up column is against batch 1 of the same kind. Each row is the
median of `--repeats` runs (every run is kept in the JSON).
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import console, machine_info, print_table, write_results
from schemas.events import Product
from schemas.settings import get_settings

SAMPLES = Path(__file__).resolve().parents[1] / "producers" / "samples" / "products.jsonl"


def _products() -> list[Product]:
    rows = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Product.model_validate({k: v for k, v in r.items() if k in Product.model_fields}) for r in rows]


def _requests(gen: Any, products: list[Product], n: int, candidates: int) -> list[list[Any]]:
    """n requests in jobs of `candidates` (one job = one product's candidate set)."""
    from workers.gpu.generate import candidate_decodings

    jobs = []
    for k in range((n + candidates - 1) // candidates):
        product = products[k % len(products)]
        decodings = candidate_decodings(candidates, temperature=0.8, top_p=0.92, seed=1000 + k)
        jobs.append([gen.request(product, product.locale, d, key=(k, i)) for i, d in enumerate(decodings)])
    return jobs


def bare(gen: Any, jobs: list[list[Any]], batch: int, max_new_tokens: int) -> dict[str, float]:
    """Ready-made batches in one thread set up as the gpu worker's model thread (the same torch threads)."""
    from workers.gpu.generate import tune_model_thread

    flat = [r for job in jobs for r in job]

    def run() -> tuple[list[Any], float]:
        tune_model_thread(gen.device)
        started = time.perf_counter()
        return gen.generate(flat, max_new_tokens=max_new_tokens, batch_size=batch), time.perf_counter() - started

    with ThreadPoolExecutor(1) as pool:
        outs, seconds = pool.submit(run).result()
    return {"descriptions": len(outs), "seconds": seconds, "per_s": len(outs) / seconds,
            "tokens_per_s": sum(o.new_tokens for o in outs) / seconds}


def _calls(items: int, batch: int) -> list[int]:
    """The model calls a gathered batch becomes: a job is never split, so 4 candidates at batch 1 are 4 calls."""
    full, rest = divmod(items, batch)
    return [batch] * full + ([rest] if rest else [])


def batched(gen: Any, jobs: list[list[Any]], batch: int, max_new_tokens: int, wait_ms: int) -> dict[str, float]:
    from workers.gpu.batcher import Batcher

    sizes: list[int] = []
    from workers.gpu.generate import tune_model_thread

    b = Batcher({"generate": lambda reqs: gen.generate(reqs, max_new_tokens=max_new_tokens, batch_size=batch)},
                max_batch=batch, max_wait=wait_ms / 1000,
                on_batch=lambda kind, items, results, s: sizes.extend(_calls(len(items), batch)),
                on_start=lambda: tune_model_thread(gen.device))  # as the gpu worker's batcher
    threads = max(2, 2 * -(-batch // len(jobs[0])))  # as the gpu worker sizes its pool
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            outs = [o for res in pool.map(lambda job: b.submit("generate", job), jobs) for o in res]
        seconds = time.perf_counter() - started
    finally:
        b.close()
    return {"descriptions": len(outs), "seconds": seconds, "per_s": len(outs) / seconds,
            "tokens_per_s": sum(o.new_tokens for o in outs) / seconds, "threads": threads,
            "mean_batch": sum(sizes) / len(sizes)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="1,8,32,64")
    parser.add_argument("--requests", type=int, default=128, help="descriptions generated per row")
    parser.add_argument("--max-new-tokens", type=int, default=60)
    parser.add_argument("--candidates", type=int, default=4)
    parser.add_argument("--wait-ms", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each row; the median is reported (a shared machine's noise moves single runs)")
    parser.add_argument("--model", default=None, help="default: DESCFLOW_GENERATOR_MODEL")
    parser.add_argument("--device", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)

    from workers.gpu.generate import Generator, ModelNotFound

    settings = get_settings()
    try:
        gen = Generator(args.model or settings.generator_model, args.device or settings.device)
    except ModelNotFound as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    products = _products()
    batches = [int(b) for b in args.batches.split(",")]
    gen.generate(_requests(gen, products, 8, args.candidates)[0], max_new_tokens=8, batch_size=8)  # warm-up
    rows, results = [], []
    base: dict[str, float] = {}
    with console.status("generating") as status:
        for kind in ("bare", "batcher"):
            for batch in batches:
                status.update(f"{kind}, batch {batch}")
                jobs = _requests(gen, products, args.requests, args.candidates)
                runs = [bare(gen, jobs, batch, args.max_new_tokens) if kind == "bare"
                        else batched(gen, jobs, batch, args.max_new_tokens, args.wait_ms)
                        for _ in range(args.repeats)]
                r = sorted(runs, key=lambda run: run["per_s"])[len(runs) // 2]  # the median run
                r["runs_per_s"] = [run["per_s"] for run in runs]
                base.setdefault(kind, r["per_s"])
                r.update(kind=kind, batch=batch, speedup=r["per_s"] / base[kind])
                results.append(r)
                rows.append([kind, batch, f"{r['per_s']:.1f}", f"{r['tokens_per_s']:.0f}", f"{r['speedup']:.1f}x",
                             f"{r.get('mean_batch', batch):.1f}", f"{r['seconds']:.1f}"])
    info = {**machine_info(), "model": gen.name, "parameters": sum(p.numel() for p in gen.model.parameters()),
            "device": str(gen.device), "max_new_tokens": args.max_new_tokens, "candidates": args.candidates,
            "requests": args.requests, "wait_ms": args.wait_ms, "repeats": args.repeats}
    print_table(f"generation throughput ({gen.device}, {info['cores']} cores, {args.max_new_tokens} new tokens, "
                f"load {info['load_average'][0]:.1f})",
                ["kind", "batch", "descriptions/s", "tokens/s", "vs batch 1", "mean model call", "seconds"], rows)
    path = write_results("batching", {"machine": info, "results": results}, args.out)
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
