"""Ranking benchmark: does the ranker pick a product's own human copy, and how fast does it score?

For each real record (Myntra, English; AdvertiseGen, Chinese) the candidates are
its own human-written description and the descriptions of K other products; a
ranker that reads the attributes should put the product's own text first. It is
run with coverage alone and with the full score (audience fit included, fluency
left out: there is no generator here), and the scoring speed is timed with and
without the embedding model.

    python -m bench.rank [--source myntra|adgen|all] [--limit N] [--distractors K] [--out PATH]

It needs ../shared/data; a source that is absent is skipped with the reason.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Sequence
from typing import Any

from bench.common import console, machine_info, print_table, track, write_results
from bench.quality import LOADERS, Item, SourceUnavailable
from workers.gpu import rank
from workers.gpu.audience import AudienceScorer

AUDIENCE = {"en-US": "office", "zh-CN": "学生"}


def _candidates(items: Sequence[Item], k: int, distractors: int, rng: random.Random) -> tuple[list[str], int]:
    """The product's own text among `distractors` others, at a random place (ties go to the lower index)."""
    others = [j for j in range(len(items)) if j != k]
    texts = [items[j].references[0] for j in rng.sample(others, distractors)]
    own = rng.randrange(distractors + 1)
    texts.insert(own, items[k].references[0])
    return texts, own


def run_source(source: str, limit: int, distractors: int, scorer: AudienceScorer) -> dict[str, Any]:
    items = [i for i in LOADERS[source](limit) if i.references]
    rng = random.Random(7)
    sets = [_candidates(items, k, distractors, rng) for k in range(len(items))]
    figures: dict[str, Any] = {"products": len(items), "candidates_per_product": distractors + 1}
    weights = {
        "coverage_only": {"coverage": 1.0, "faithfulness": 0, "fluency": 0, "review_alignment": 0, "audience": 0,
                          "novelty": 0, "length": 0},
        "full_without_fluency": {"fluency": 0.0},
    }
    for name, w in weights.items():
        audiences = name != "coverage_only"
        started = time.perf_counter()
        top1 = 0
        for item, (texts, own) in track(zip(items, sets), f"{source}: {name}", total=len(items)):
            n = len(texts)
            scored = rank.score(item.product, item.locale, texts, loglik=[-1.0] * n, issues=[[]] * n,
                                similarity=[0.0] * n, duplicate=[False] * n,
                                audiences=[AUDIENCE.get(item.locale)] * n if audiences else None,
                                audience_scorer=scorer, weights=w)
            top1 += rank.best(scored).idx == own
        seconds = time.perf_counter() - started
        figures[name] = {"own_text_ranked_first": round(top1 / len(items), 4),
                         "chance": round(1 / (distractors + 1), 4),
                         "candidates_per_s": round(len(items) * (distractors + 1) / seconds, 1)}
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=["myntra", "adgen", "all"], default="all")
    parser.add_argument("--limit", type=int, default=120)
    parser.add_argument("--distractors", type=int, default=3)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    scorer = AudienceScorer(device="cpu")
    scorer.fit(["warm up"], ["office"], "en-US")  # load the model before anything is timed
    sources: dict[str, Any] = {}
    for source in (["myntra", "adgen"] if args.source == "all" else [args.source]):
        try:
            sources[source] = run_source(source, args.limit, args.distractors, scorer)
        except SourceUnavailable as exc:
            console.print(f"[yellow]skipped {source}: {exc}[/yellow]")
    rows = [(f"{src} · {mode}", f["products"], f[mode]["own_text_ranked_first"], f[mode]["chance"],
             f[mode]["candidates_per_s"])
            for src, f in sources.items() for mode in ("coverage_only", "full_without_fluency")]
    print_table("Ranking: own human text ranked first among 1 + K others",
                ["source · weights", "products", "top-1", "chance", "candidates/s"], rows)
    machine = {**machine_info(), "load_average_1m": round(os.getloadavg()[0], 2)}  # shared cores slow the encoder
    path = write_results("rank", {"machine": machine, "config": vars(args), "sources": sources}, args.out)
    console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
