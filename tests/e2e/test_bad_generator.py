"""A generator that writes nothing usable: its sentences are gated away and the realiser's text is published.

The generator is a real GPT-2 of the house model's shape with untrained weights, loaded through the production
path by a real gpu worker; the event comes in through the signed webhook and leaves on the published stream.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from producers.webhook import create_app
from schemas.events import Product
from schemas.tables import DescriptionCandidate, PublishedDescription
from tests.factories import product_event
from tests.stack import Stack, start_stack, stop_stack
from workers.outbound import STREAM
from workers.text.gate import CODES
from workers.text.realise import realise


@pytest.fixture(scope="module")
def bad_model(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Path:
    """The tiny house model's tokenizer and shape, with weights nobody trained."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    out = tmp_path_factory.mktemp("bad") / "house"
    shutil.copytree(tiny_model, out)
    torch.manual_seed(1)
    AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(out)).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, redis_url: str, bad_model: Path) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("bad-stack")
    s = start_stack(tmp, f"sqlite:///{tmp / 'descflow.db'}", redis_url, bad_model)
    yield s
    stop_stack(s)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_gate_drops_a_bad_generators_sentences_and_the_realisers_text_is_published(stack: Stack,
                                                                                       locale: str) -> None:
    event = product_event(locale)
    body, headers = stack.signed(event)
    with TestClient(create_app(stack.settings)) as client:
        assert client.post("/events", content=body, headers=headers).status_code == 202

    def row() -> PublishedDescription | None:
        with stack.store.session() as s:
            return s.exec(select(PublishedDescription).where(
                PublishedDescription.event_id == event["event_id"])).first()

    published = stack.wait_for(row, timeout=180, what="a published description")
    with stack.store.session() as s:
        cands = list(s.exec(select(DescriptionCandidate).where(DescriptionCandidate.event_id == event["event_id"])))
    chosen = next(c for c in cands if c.chosen)
    assert chosen.model == "realiser"
    assert published.text == chosen.text == realise(Product.model_validate(event), locale).text
    assert chosen.scores["faithfulness"] == 1.0
    model_cands = [c for c in cands if c.model != "realiser"]
    assert len(model_cands) == 4
    # Every sentence the generator wrote was refused (by correction's language rules or the gate) and recorded.
    for c in model_cands:
        if c.raw_text.strip():
            assert c.issues and c.text != c.raw_text, (c.raw_text, c.text)
            assert not c.text or c.scores["faithfulness"] < 1.0
    assert any(i["code"] in CODES for c in model_cands for i in c.issues) or all(not c.text for c in model_cands)
    entries = [json.loads(f[b"event"]) for _, f in stack.redis.xrange(STREAM)]
    assert any(e["source_event_id"] == event["event_id"] and e["text"] == published.text for e in entries)
