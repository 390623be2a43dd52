"""Shared-prefix attention is the attention over each row's whole sequence, read with one copy of each prompt."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from workers.gpu.generate import Generator
from workers.gpu.kv_cache import SharedPrefixLayer
from workers.gpu.shared_prefix import decoding

PROMPTS = [
    "<title> Nordvik Power Bank\n<attr> capacity: 10000mAh\n<desc>\n",
    "<title> Trail Tent\n<attr> capacity: 2 persons\n<attr> weight: 1.8 kg\n<attr> colour: green\n<desc>\n",
    "<title> 声悦 蓝牙耳机\n<desc>\n",
    "<title> Aria 700 Headphones\n<attr> driver size: 40 mm\n<attr> battery life: 30 h\n<desc>\n",
    "<title> Lamp\n<desc>\n",
]
# Groups of 2, 3, 1, 2 and 1 rows, interleaved; prompts of five lengths (left padding), read in two halves by length.
ROWS = [0, 1, 1, 2, 0, 3, 1, 4, 3]


@pytest.fixture(scope="module", params=["llama", "qwen2"])
def tiny_gqa_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Grouped-query attention (4 query heads over 2 key/value heads) and rotary positions: Llama and Qwen2."""
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    from workers.gpu.train import train_tokenizer

    path = tmp_path_factory.mktemp(request.param)
    tokenizer = train_tokenizer(PROMPTS * 30, vocab_size=300)
    torch.manual_seed(0)
    config_class, model_class = {"llama": (LlamaConfig, LlamaForCausalLM),
                                 "qwen2": (Qwen2Config, Qwen2ForCausalLM)}[request.param]
    config = config_class(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                          bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
    model_class(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _positions(mask: torch.Tensor) -> torch.Tensor:
    return (mask.long().cumsum(-1) - 1).clamp(min=0)


def _step_logits_against_whole_sequences(gen: Generator, steps: int = 6, drop_after: int = 3) -> None:
    """Feed the same tokens through a shared-prefix cache and through full forward passes; compare every step."""
    model, prompts = gen.model, [PROMPTS[g] for g in ROWS]
    enc = gen._encode(prompts, steps)
    ids, mask = enc["input_ids"], enc["attention_mask"]
    cache = gen._shared_prompt_cache(prompts, enc, steps)
    assert all(isinstance(layer, SharedPrefixLayer) for layer in cache.layers)
    assert cache.layers[0].prefix_keys.shape[0] == len(PROMPTS)  # one copy per prompt, not per row
    tokens = torch.randint(5, model.config.vocab_size, (len(ROWS), steps), generator=torch.Generator().manual_seed(1))
    feed, pos, seq = ids[:, -1:], _positions(mask)[:, -1:], ids
    rows = torch.arange(len(ROWS))
    with torch.inference_mode():
        for step in range(steps):
            with decoding(cache):
                got = model(input_ids=feed, attention_mask=mask, position_ids=pos, cache=cache,
                            use_cache=True).logits[:, -1]
            want = model(input_ids=seq, attention_mask=mask, position_ids=_positions(mask)).logits[:, -1]
            torch.testing.assert_close(got, want, atol=2e-4, rtol=1e-4)
            token = tokens[rows, step].unsqueeze(1)
            seq, mask = torch.cat([seq, token], 1), torch.cat([mask, mask.new_ones((mask.shape[0], 1))], 1)
            feed, pos = token, pos + 1
            if step == drop_after:  # every row of the first prompt leaves, and one row of the second
                keep = torch.tensor([i for i, g in enumerate(ROWS) if g != 0][1:])
                cache.batch_select_indices(keep)
                seq, mask, feed, pos, rows = seq[keep], mask[keep], feed[keep], pos[keep], rows[keep]
                assert cache.layers[0].prefix_keys.shape[0] == len(PROMPTS) - 1  # a prompt no row continues
                assert cache.get_seq_length() == seq.shape[1] - 1


def test_a_gpt2_house_model_reads_each_prompt_once_and_attends_as_over_whole_rows(tiny_model):
    gen = Generator(str(tiny_model), "cpu")
    assert gen.shares_prefix
    _step_logits_against_whole_sequences(gen)


def test_grouped_query_attention_with_rotary_positions_attends_as_over_whole_rows(tiny_gqa_model):
    gen = Generator(str(tiny_gqa_model), "cpu")
    assert gen.shares_prefix
    _step_logits_against_whole_sequences(gen)


def test_outside_decoding_the_model_attends_as_it_did_before(tiny_model):
    """Prefill, scoring and `generate` go through the model's own attention, untouched."""
    gen = Generator(str(tiny_model), "cpu")
    pairs = [(PROMPTS[0], " A power bank of 10000mAh."), (PROMPTS[1], " A green tent for two.")]
    shared = gen.score_pairs(pairs)
    gen.model.set_attn_implementation("sdpa")
    assert gen.score_pairs(pairs) == pytest.approx(shared, abs=1e-6)


def test_a_model_that_cannot_take_it_copies_the_prompt_to_each_row_and_writes_the_same(tiny_model, monkeypatch):
    from workers.gpu import shared_prefix
    from workers.gpu.generate import candidate_decodings

    shared = Generator(str(tiny_model), "cpu")
    eager = Generator(str(tiny_model), "cpu")
    eager.model.set_attn_implementation("eager")
    assert not shared_prefix.install(eager.model)  # only sdpa models are taken over
    monkeypatch.setattr(shared_prefix, "install", lambda model: False)
    plain = Generator(str(tiny_model), "cpu")
    assert not plain.shares_prefix
    prompts = [PROMPTS[g] for g in ROWS]
    cache = plain._shared_prompt_cache(prompts, plain._encode(prompts, 4), 4)
    assert not any(isinstance(layer, SharedPrefixLayer) for layer in cache.layers)
    assert cache.layers[0].keys.shape[0] == len(ROWS)
    requests = [g.request(p, p.locale, d, key=i) for g in (shared, plain) for p in [_product()]
                for i, d in enumerate(candidate_decodings(4, temperature=0.9, top_p=0.92, seed=5))]
    texts = [o.text for o in shared.generate(requests[:4], max_new_tokens=30, batch_size=4)]
    assert texts == [o.text for o in plain.generate(requests[4:], max_new_tokens=30, batch_size=4)]


def _product():
    from schemas.events import Product

    return Product(product_id="p-1", title="Nordvik Power Bank", category="power banks", locale="en-US",
                   brand="Nordvik", attributes={"capacity": "10000mAh", "colour": "black", "weight": "210 g"})


def test_a_shared_prefix_cache_refuses_a_crop_rather_than_ignoring_it():
    layer = SharedPrefixLayer(torch.zeros(2, 2, 3, 4), torch.zeros(2, 2, 3, 4), torch.ones(2, 3),
                              torch.tensor([0, 1, 1]), room=4)
    with pytest.raises(NotImplementedError):
        layer.crop(-1)
    with pytest.raises(RuntimeError, match="room"):
        layer.update(torch.zeros(3, 2, 5, 4), torch.zeros(3, 2, 5, 4))


def test_a_model_with_sliding_window_layers_keeps_its_own_attention():
    """A window would drop the start of the prompt for late tokens; the shared-prefix attention reads all of it."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from workers.gpu import shared_prefix

    def model(**window):
        config = Qwen2Config(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, attn_implementation="sdpa", **window)
        return Qwen2ForCausalLM(config)

    assert shared_prefix.install(model())
    windowed = model(use_sliding_window=True, sliding_window=16, max_window_layers=0)
    assert not shared_prefix.install(windowed)
    assert windowed.config._attn_implementation == "sdpa"
