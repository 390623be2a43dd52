"""Training the generator: from scratch, full fine-tuning, LoRA, seq2seq, early stopping.

Tiny models of the real architectures (GPT-2, Qwen2, Llama, T5) are built
from configs with tokenizers trained here, fine-tuned on phrase-bank pairs and
loaded back through the production Generator.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch
from transformers import (
    GPT2Config,
    GPT2LMHeadModel,
    LlamaConfig,
    LlamaForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
    T5Config,
    T5ForConditionalGeneration,
)

from producers.samples.phrasebank import generate_pairs
from workers.gpu import slots
from workers.gpu import train as training
from workers.gpu.generate import HOUSE_MARKER, Decoding, Generator, ModelNotFound
from workers.gpu.train import (
    REPORT_FILE,
    TrainConfig,
    TrainingError,
    as_pairs,
    example_texts,
    load_for_generation,
    load_pairs,
    train,
    train_tokenizer,
)

# Ends every turn with the end-of-text token, as Qwen2's template ends them with <|im_end|>.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|endoftext|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


@pytest.fixture(scope="module")
def all_pairs() -> list[dict]:
    return generate_pairs(600, seed=3, locales=("en-US",))


@pytest.fixture(scope="module")
def pairs(all_pairs) -> list[dict]:
    return [p for p in all_pairs if p["product"]["category"] == "power_banks"][:36]


@pytest.fixture(scope="module")
def other_pairs(all_pairs) -> list[dict]:
    """Another category: the tokenizer knows more words than the training pairs use."""
    return [p for p in all_pairs if p["product"]["category"] == "headphones"][:36]


@pytest.fixture(scope="module")
def tokenizer(pairs, other_pairs):
    both = pairs + other_pairs
    texts = [p["description"] for p in both] + [json.dumps(p["product"], ensure_ascii=False) for p in both]
    texts += ["Write a product description in English (en-US). Product data (JSON): Description:"] * 5
    return train_tokenizer(texts, vocab_size=2000)


def _save(model: torch.nn.Module, tokenizer, path: Path, chat: bool = False) -> str:
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    if chat:
        config = json.loads((path / "tokenizer_config.json").read_text())
        config["chat_template"] = CHAT_TEMPLATE
        (path / "tokenizer_config.json").write_text(json.dumps(config))
    return str(path)


def _ids(tokenizer) -> dict:
    return {"bos_token_id": tokenizer.eos_token_id, "eos_token_id": tokenizer.eos_token_id,
            "pad_token_id": tokenizer.eos_token_id}


def _tiny_llama(tokenizer, path: Path, chat: bool = True) -> str:
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024, **_ids(tokenizer))
    return _save(LlamaForCausalLM(config), tokenizer, path, chat=chat)


FAST = dict(epochs=2, batch_size=8, lr=3e-3, warmup_steps=5, eval_fraction=0.2, patience=5, seed=0, threads=2)


def _assert_learned(report) -> None:
    assert report.eval_loss < report.initial_eval_loss - 0.3, report.history
    assert report.eval_loss == min(p.eval_loss for p in report.history)


def test_house_model_from_scratch_then_retrained_in_place(tmp_path, pairs):
    out = tmp_path / "house"
    cfg = TrainConfig(vocab_size=400, n_layer=1, n_embd=64, n_head=2, n_positions=320, **FAST)
    first = train(pairs, out, config=cfg)
    _assert_learned(first)
    assert (first.mode, first.style, first.saved) == ("scratch", "house", "model")
    saved = json.loads((out / REPORT_FILE).read_text())
    assert saved["eval_loss"] == first.eval_loss and saved["history"][0]["step"] == 0
    marker = json.loads((out / HOUSE_MARKER).read_text())
    assert marker["prompt"] == slots.HOUSE_FORMAT and marker["slots"] == list(slots.placeholders())
    # The shop's house style, re-run periodically: the saved model is the base of the next run.
    again = train(pairs, out, base_model=str(out), config=TrainConfig(**{**FAST, "lr": 1e-3, "epochs": 1}))
    assert (again.mode, again.style) == ("full", "house")
    assert again.initial_eval_loss < first.initial_eval_loss  # it started from the trained weights
    gen = Generator(str(out), "cpu")
    assert gen.style == "house" and gen.slotted
    assert not list(tmp_path.glob(".house.*"))  # no temporary or old copies left behind


def test_a_house_model_of_an_older_format_is_refused_counted_missing_and_retrained_with_new_slots(
        tmp_path, pairs, monkeypatch):
    from descflow.training import model_exists

    out = tmp_path / "house"
    train(pairs, out, config=TrainConfig(vocab_size=400, n_layer=1, n_embd=64, n_head=2, n_positions=320, **FAST))
    assert model_exists(out)
    marker = json.loads((out / HOUSE_MARKER).read_text())
    (out / HOUSE_MARKER).write_text(json.dumps({**marker, "prompt": "house-v2", "slots": True}))
    assert not model_exists(out)  # `descflow train --if-missing` and the demo rebuild it
    with pytest.raises(ModelNotFound, match="older prompt format.*descflow train"):
        Generator(str(out), "cpu")
    (out / HOUSE_MARKER).write_text(json.dumps(marker))
    # A role added since the model was trained: retrained on top of it, the model gains the slot's token.
    newer = (*slots.placeholders(), "[finish]")
    monkeypatch.setattr(slots, "placeholders", lambda: newer)
    again = train(pairs, tmp_path / "again", base_model=str(out), config=TrainConfig(**{**FAST, "epochs": 1}))
    assert again.style == "house"
    gen = Generator(str(tmp_path / "again"), "cpu")
    assert gen.known_slots == newer
    assert gen.model.get_input_embeddings().weight.shape[0] == len(gen.tokenizer)
    assert gen.tokenizer.convert_tokens_to_ids("[finish]") == len(gen.tokenizer) - 1


def test_full_fine_tuning_of_a_plain_gpt2(tmp_path, pairs, tokenizer):
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=512, n_embd=64, n_layer=2, n_head=2, **_ids(tokenizer))
    base = _save(GPT2LMHeadModel(config), tokenizer, tmp_path / "base")
    report = train(pairs, tmp_path / "tuned", base_model=base, config=TrainConfig(**FAST))
    _assert_learned(report)
    assert (report.mode, report.style, report.seq2seq) == ("full", "plain", False)
    assert report.trainable_parameters == report.parameters
    assert not (tmp_path / "tuned" / HOUSE_MARKER).exists()  # not a slot model: no house prompt
    gen = Generator(str(tmp_path / "tuned"), "cpu")
    assert gen.style == "plain"


def test_chat_model_is_trained_on_the_prompt_the_generator_sends(tmp_path, pairs, tokenizer):
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         **_ids(tokenizer))
    base = _save(Qwen2ForCausalLM(config), tokenizer, tmp_path / "qwen", chat=True)
    report = train(pairs, tmp_path / "tuned", base_model=base, config=TrainConfig(**FAST))
    _assert_learned(report)
    assert report.style == "chat"
    gen = Generator(str(tmp_path / "tuned"), "cpu")
    assert gen.style == "chat"
    pair = as_pairs(pairs[:1])[0]
    prompt, target = example_texts(pair, "chat", gen.tokenizer)
    assert prompt == gen.prompt(pair.product, pair.product.locale)
    assert target.startswith(pair.description) and "<|endoftext|>" in target  # the turn's end is learned


def test_seq2seq_t5_fine_tuning(tmp_path, pairs, tokenizer):
    torch.manual_seed(0)
    config = T5Config(vocab_size=len(tokenizer), d_model=64, d_ff=128, d_kv=16, num_layers=2, num_heads=4,
                      decoder_start_token_id=tokenizer.pad_token_id, pad_token_id=tokenizer.pad_token_id,
                      eos_token_id=tokenizer.eos_token_id)
    base = _save(T5ForConditionalGeneration(config), tokenizer, tmp_path / "t5")
    report = train(pairs, tmp_path / "tuned", base_model=base, config=TrainConfig(**FAST))
    _assert_learned(report)
    assert report.seq2seq and report.style == "plain"
    gen = Generator(str(tmp_path / "tuned"), "cpu")
    assert gen.is_seq2seq
    pair = as_pairs(pairs[:1])[0]
    fresh = Generator(base, "cpu")
    prompt = gen.prompt(pair.product, pair.product.locale)
    tuned_ll, = gen.log_likelihood([prompt], [pair.description])
    base_ll, = fresh.log_likelihood([prompt], [pair.description])
    assert tuned_ll > base_ll + 0.3


def test_lora_on_llama_merged_and_as_adapter_load_through_the_generator(tmp_path, pairs, tokenizer):
    base = _tiny_llama(tokenizer, tmp_path / "llama")
    # A randomly initialised output layer gives tiny logits; with an adapter on it too, a few steps show learning.
    cfg = TrainConfig(**{**FAST, "lr": 2e-2, "epochs": 1, "batch_size": 4, "warmup_steps": 2}, lora=True, lora_rank=8,
                      lora_alpha=16, lora_dropout=0.0,
                      lora_targets="q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj,lm_head")
    merged = train(pairs, tmp_path / "merged", base_model=base, config=cfg)
    _assert_learned(merged)
    assert (merged.mode, merged.saved, merged.style) == ("lora", "merged", "chat")
    assert 0 < merged.trainable_parameters < merged.parameters / 3
    adapter = train(pairs, tmp_path / "adapter", base_model=base, config=TrainConfig(**{**cfg.__dict__,
                                                                                       "save_adapter": True}))
    assert adapter.saved == "adapter" and (tmp_path / "adapter" / "adapter_config.json").exists()
    assert not (tmp_path / "adapter" / "config.json").exists()
    path = load_for_generation(tmp_path / "adapter")
    assert path.endswith("merged") and load_for_generation(tmp_path / "adapter") == path  # merged once
    pair = as_pairs(pairs[:1])[0]
    scores = []
    for ref in (base, str(tmp_path / "merged"), path):
        gen = Generator(ref, "cpu")
        assert gen.style == "chat"
        scores.append(gen.log_likelihood([gen.prompt(pair.product, pair.product.locale)], [pair.description])[0])
    assert scores[1] > scores[0] + 0.3  # the merged LoRA model learned the descriptions
    assert scores[2] == pytest.approx(scores[1], abs=1e-4)  # the adapter, merged on load, is the same model
    out = Generator(path, "cpu").generate([Generator(path, "cpu").request(pair.product, "en-US", Decoding())],
                                          max_new_tokens=8, batch_size=1)
    assert out[0].new_tokens > 0


def test_early_stopping_keeps_the_best_checkpoint(tmp_path, pairs, tokenizer):
    """A model far too big for 16 pairs, trained hard, overfits: eval loss turns up and training stops."""
    base = _tiny_llama(tokenizer, tmp_path / "llama", chat=False)
    small = pairs[:16]
    cfg = TrainConfig(epochs=40, batch_size=4, lr=1e-2, warmup_steps=1, eval_fraction=0.25, eval_every=3, patience=3,
                      seed=1, threads=2)
    report = train(small, tmp_path / "tuned", base_model=base, config=cfg)
    assert report.stopped == "early stopping", report.history
    assert report.epochs_run < cfg.epochs
    losses = [p.eval_loss for p in report.history]
    best = losses.index(min(losses))
    assert len(losses) - 1 - best == cfg.patience  # stopped after `patience` evaluations without a new best
    assert report.best_step == report.history[best].step < report.steps
    # The saved weights are the best ones, not the last: recompute the eval loss on the same split.
    data = as_pairs(small)
    random.Random(cfg.seed).shuffle(data)
    eval_pairs = data[: max(2, int(len(data) * cfg.eval_fraction))]
    gen = Generator(str(tmp_path / "tuned"), "cpu")
    batches = training._batches(training._encode(gen.tokenizer, eval_pairs, "plain", False, 512), 4,
                                gen.tokenizer.pad_token_id, False, None)
    assert training._eval_loss(gen.model, batches, torch.device("cpu")) == pytest.approx(report.eval_loss, rel=1e-4)


def test_bad_pairs_are_reported_with_their_line(tmp_path, pairs):
    path = tmp_path / "pairs.jsonl"
    bad = {**pairs[1], "description": ""}
    path.write_text("\n".join([json.dumps(pairs[0]), "", json.dumps(bad)]) + "\n", encoding="utf-8")
    with pytest.raises(TrainingError, match=r"pairs\.jsonl:3: description"):
        load_pairs(path)
    with pytest.raises(TrainingError, match="at least 10"):
        train(pairs[:5], tmp_path / "out")
    with pytest.raises(TrainingError, match="give a base model"):
        train(pairs, tmp_path / "out", config=TrainConfig(lora=True))
    with pytest.raises(TrainingError, match="not found"):
        train(pairs, tmp_path / "out", base_model=str(tmp_path / "missing"))
