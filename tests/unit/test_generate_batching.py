"""What keeps large batches fast must not change a single candidate: shared prompts, partial sorts, whole-batch masks."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
import torch

from bench.batching import _calls
from schemas.events import Product
from workers.gpu.batcher import Batcher
from workers.gpu.generate import (
    Decoding,
    Generator,
    RowSampler,
    SlotConstraint,
    candidate_decodings,
    prompt_digest,
)

PRODUCTS = [
    Product(product_id="p-1", title="Nordvik Power Bank", category="power banks", locale="en-US", brand="Nordvik",
            attributes={"capacity": "10000mAh", "colour": "black", "weight": "210 g"}),
    Product(product_id="p-2", title="声悦 蓝牙耳机", category="耳机", locale="zh-CN", brand="声悦",
            attributes={"颜色": "白色", "续航": "30小时"}),
    Product(product_id="p-3", title="Trail Tent", category="tents", locale="en-US",
            attributes={"capacity": "2 persons", "weight": "1.8 kg", "colour": "green", "season": "3-season"}),
]


def _candidates(gen: Generator) -> list:
    return [gen.request(p, p.locale, d, key=(k, i)) for k, p in enumerate(PRODUCTS)
            for i, d in enumerate(candidate_decodings(4, temperature=0.9, top_p=0.92, seed=50 + k))]


def test_rows_sharing_a_prompt_read_it_once_and_write_what_they_write_alone(tiny_model):
    gen = Generator(str(tiny_model), "cpu")
    requests = _candidates(gen)
    enc = gen._encode([r.prompt for r in requests], 40)
    assert gen._shared_prompt_cache([r.prompt for r in requests], enc, 40) is not None  # 12 rows, 3 prompts
    distinct = enc["input_ids"][[0, 4, 8]], enc["attention_mask"][[0, 4, 8]]
    assert gen._shared_prompt_cache([requests[i].prompt for i in (0, 4, 8)],
                                    {"input_ids": distinct[0], "attention_mask": distinct[1]}, 40) is None
    together = gen.generate(requests, max_new_tokens=40, batch_size=12)
    alone = [gen.generate([r], max_new_tokens=40, batch_size=1)[0] for r in requests]
    assert [o.text for o in together] == [o.text for o in alone]
    assert [o.new_tokens for o in together] == [o.new_tokens for o in alone]


def test_a_shared_prompt_cache_works_for_a_llama_chat_model(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    from workers.gpu.train import train_tokenizer

    tokenizer = train_tokenizer(["The Nordvik power bank holds 10000mAh and weighs 210 g."] * 50, vocab_size=300)
    tokenizer.chat_template = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
                               "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
    LlamaForCausalLM(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    gen = Generator(str(tmp_path), "cpu")
    requests = _candidates(gen)[:8]  # two products, prompts of different lengths: left padding in the cache
    together = gen.generate(requests, max_new_tokens=12, batch_size=8)
    alone = [gen.generate([r], max_new_tokens=12, batch_size=1)[0] for r in requests]
    assert [o.text for o in together] == [o.text for o in alone]


def test_a_partial_sort_draws_the_same_tokens_as_sorting_the_vocabulary():
    torch.manual_seed(3)
    decodings = [Decoding(do_sample=True, temperature=t, top_p=p, top_k=k, seed=s)
                 for t, p, k, s in ((0.8, 0.92, 50, 1), (1.0, 0.95, 20, 2), (0.7, 1.0, 50, 3))] + [Decoding()]
    partial, full = RowSampler(decodings), RowSampler(decodings)
    full.widest = 0  # the whole-vocabulary path, as with a row without top-k
    assert partial.widest == 50
    for _ in range(30):
        scores = torch.randn(4, 6000) * 3
        a, b = partial(None, scores.clone()), full(None, scores.clone())
        assert torch.equal(a.argmax(dim=1), b.argmax(dim=1))
        assert torch.equal(a[3], scores[3])  # the greedy row passes through


def test_a_row_without_top_k_sorts_the_whole_vocabulary():
    sampler = RowSampler([Decoding(do_sample=True, top_k=0, top_p=0.9, seed=1),
                          Decoding(do_sample=True, top_k=50, top_p=0.9, seed=2)])
    assert sampler.widest == 0


def test_slot_constraint_masks_every_row_of_a_request_repeated_for_beams():
    # ids: 10=[brand] 11=[a0] 12=[a1] 13=[a2]; request 0 has [brand], [a0]; request 1 has all four.
    constraint = SlotConstraint({10, 11, 12, 13}, [{10, 11}, {10, 11, 12, 13}], once={11, 12, 13}, prompt_length=1)
    input_ids = torch.tensor([[5, 11], [5, 7], [5, 12], [5, 13]])  # 2 rows per request (beams)
    scores = constraint(input_ids, torch.zeros(4, 20))
    inf = float("-inf")
    assert scores[0, [11, 12, 13]].tolist() == [inf, inf, inf] and scores[0, 10] == 0
    assert scores[1, [12, 13]].tolist() == [inf, inf] and scores[1, 11] == 0
    assert scores[2, 12] == inf and scores[2, [10, 11, 13]].tolist() == [0, 0, 0]
    assert scores[3, 13] == inf and scores[3, 12] == 0
    assert scores[:, :10].eq(0).all() and scores[:, 14:].eq(0).all()  # other tokens untouched


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread names in /proc are Linux's")
def test_the_model_thread_is_named_in_the_os():
    seen: list[int] = []
    b = Batcher({"id": lambda items: items}, max_batch=4, max_wait=0.01,
                on_start=lambda: seen.append(threading.get_native_id()))
    try:
        assert b.submit("id", [1]) == [1]
        comm = Path(f"/proc/self/task/{seen[0]}/comm").read_text().strip()
    finally:
        b.close()
    assert comm == "descflow-batche"  # the kernel keeps 15 bytes of "descflow-batcher"


def test_the_batching_benchmark_counts_model_calls_not_gathered_jobs():
    assert _calls(4, 1) == [1, 1, 1, 1]  # one product's 4 candidates at batch 1: four calls of one
    assert _calls(70, 32) == [32, 32, 6]
    assert _calls(32, 64) == [32]


def test_generation_measures_the_log_likelihood_ranking_would_compute(tiny_model):
    """Read off the generation, the fluency signal needs no second forward pass, and it is the same number."""
    gen = Generator(str(tiny_model), "cpu")
    requests = _candidates(gen)
    outputs = gen.generate(requests, max_new_tokens=40, batch_size=12)
    assert all(o.loglik is None for o in outputs if not o.text)  # nothing written, nothing to measure
    # Read off the generation unless the model spelled its words in other pieces than the tokenizer's own.
    assert sum(o.loglik is not None for o in outputs) >= len(outputs) * 2 // 3
    assert all(o.prompt_digest == prompt_digest(r.prompt) for o, r in zip(outputs, requests))
    # The first two products' values read back to the slots they were written as; the tent's title and
    # name are the same words, so its texts may be scored under the other slot, a slightly other number.
    measured = [o for o in outputs if o.loglik is not None and o.key[0] < 2]
    assert len(measured) >= 6
    pairs = [gen.fluency_pairs(PRODUCTS[o.key[0]], PRODUCTS[o.key[0]].locale, [o.text])[0] for o in measured]
    scored = gen.score_pairs(pairs, batch_size=12)
    assert [o.loglik for o in measured] == pytest.approx(scored, abs=1e-4)


def _padded(t: torch.Tensor, width: int, pad: int) -> torch.Tensor:
    return torch.nn.functional.pad(t, (0, width - t.shape[1]), value=pad)


def test_decoding_writes_the_tokens_generate_writes_with_the_same_processors(tiny_model):
    """The loop that drops finished rows is `generate` with the same penalty, slot constraint and sampler."""
    gen = Generator(str(tiny_model), "cpu")
    requests = _candidates(gen)  # greedy and sampled rows, three products: rows finish at different steps
    enc = gen._encode([r.prompt for r in requests], 40)
    mine, _ = gen._decode(requests, enc, 40)
    reference = gen._hf_generate(requests, enc, 40)
    width, pad = max(mine.shape[1], reference.shape[1]), gen.tokenizer.pad_token_id
    assert torch.equal(_padded(mine, width, pad), _padded(reference, width, pad))


def test_rows_that_leave_the_batch_early_change_no_token(tiny_model, monkeypatch):
    from workers.gpu import generate as module

    gen = Generator(str(tiny_model), "cpu")
    requests = _candidates(gen)
    enc = gen._encode([r.prompt for r in requests], 40)
    monkeypatch.setattr(module, "DROP_EVERY", 1)
    every_step, ll_every = gen._decode(requests, enc, 40)
    monkeypatch.setattr(module, "DROP_EVERY", 10_000)
    never, ll_never = gen._decode(requests, enc, 40)
    lengths = (every_step != gen.tokenizer.pad_token_id).sum(dim=1)
    assert int(lengths.min()) < int(lengths.max())  # rows did finish at different steps
    assert torch.equal(every_step, never)
    assert ll_every == pytest.approx(ll_never, abs=1e-6)


def test_a_text_opening_with_a_slot_is_scored_as_the_model_writes_it(tiny_model):
    """Training targets start with a space; scoring without it put a token the model never writes first."""
    gen = Generator(str(tiny_model), "cpu")
    product = PRODUCTS[0]
    ((_, text),) = gen.fluency_pairs(product, product.locale, ["Nordvik makes a 10000mAh power bank."])
    tokens = gen.tokenizer.convert_ids_to_tokens(gen.tokenizer(text, add_special_tokens=False).input_ids)
    assert tokens[0] == "▁" and tokens[1] == "[brand]", tokens


def test_a_cache_with_reserved_room_refuses_a_crop_rather_than_ignoring_it():
    from transformers import DynamicLayer

    from workers.gpu.kv_cache import ReservedLayer

    layer = DynamicLayer()
    layer.update(torch.zeros(2, 1, 3, 4), torch.zeros(2, 1, 3, 4))
    grown = ReservedLayer(layer.keys, layer.values, room=2)
    keys, _ = grown.update(torch.ones(2, 1, 1, 4), torch.ones(2, 1, 1, 4))
    assert keys.shape == (2, 1, 4, 4) and grown.get_seq_length() == 4
    with pytest.raises(NotImplementedError, match="cropped"):
        grown.crop(-1)
    with pytest.raises(RuntimeError, match="room for 5"):
        grown.update(torch.ones(2, 1, 2, 4), torch.ones(2, 1, 2, 4))


def test_the_written_out_gelu_becomes_the_fused_kernel_with_the_same_logits(tiny_model):
    from transformers import AutoModelForCausalLM
    from transformers.activations import GELUTanh, NewGELUActivation

    gen = Generator(str(tiny_model), "cpu")
    kinds = {type(m) for m in gen.model.modules()}
    assert GELUTanh in kinds and NewGELUActivation not in kinds
    original = AutoModelForCausalLM.from_pretrained(str(tiny_model)).eval()
    assert any(isinstance(m, NewGELUActivation) for m in original.modules())
    ids = gen.tokenizer([PRODUCTS[0].title, PRODUCTS[1].title], return_tensors="pt", padding=True)
    with torch.inference_mode():
        torch.testing.assert_close(gen.model(**ids).logits, original(**ids).logits, atol=1e-4, rtol=1e-4)


def test_random_draws_taken_ahead_keep_each_candidate_independent_of_its_batch(tiny_model, monkeypatch):
    """Draws come from each row's generator a chunk at a time; rows leaving mid-chunk take theirs with them."""
    from workers.gpu import generate as module

    monkeypatch.setattr(module, "DRAWS_AHEAD", 5)  # many chunk boundaries within one candidate
    gen = Generator(str(tiny_model), "cpu")
    requests = _candidates(gen)
    together = gen.generate(requests, max_new_tokens=40, batch_size=12)
    alone = [gen.generate([r], max_new_tokens=40, batch_size=1)[0] for r in requests]
    assert [o.text for o in together] == [o.text for o in alone]
    assert len({o.text for o in together if o.decoding.do_sample}) > 1  # sampled rows drew different tokens
