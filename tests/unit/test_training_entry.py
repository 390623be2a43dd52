"""The one training body behind `descflow train` and `descflow demo`: its configuration, and who calls it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from descflow import training
from descflow.training import HOUSE, HOUSE_PAIRS, GeneratorTraining, config_of
from producers.samples.phrasebank import generate_pairs
from workers.gpu.train import TrainConfig, train


def test_the_house_model_from_scratch_gets_its_sized_configuration():
    cfg = config_of(GeneratorTraining())
    for key, value in HOUSE.items():
        assert getattr(cfg, key) == value, key
    assert cfg.min_improvement > 0 and cfg.eval_every > 0  # it stops at a plateau, checked within the epoch
    assert GeneratorTraining().n_pairs == HOUSE_PAIRS


def test_flags_win_and_fine_tuning_keeps_its_own_defaults():
    cfg = config_of(GeneratorTraining(epochs=9, lr=1e-4, patience=5, eval_every=0, batch_size=8, max_minutes=1))
    assert (cfg.epochs, cfg.lr, cfg.patience, cfg.eval_every, cfg.batch_size, cfg.max_minutes) == (9, 1e-4, 5, 0, 8, 1)
    tuned = config_of(GeneratorTraining(base_model="some/model"))
    plain = TrainConfig()
    assert (tuned.epochs, tuned.patience, tuned.eval_every, tuned.lr) == (plain.epochs, plain.patience, 0, 5e-5)
    assert config_of(GeneratorTraining(base_model="m", lora=True)).lr == 2e-4
    small = config_of(GeneratorTraining(small=True))
    assert (small.n_layer, small.n_embd, small.vocab_size) == (2, 96, 1200)


def test_the_demo_trains_through_the_same_body_as_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`descflow demo` once called the typer command itself, whose signature then changed under it."""
    from descflow.demo import run_demo

    calls = []

    class Trained(Exception):
        pass

    def fake(request, settings, *, progress=None, say=print):  # noqa: ANN001, ANN202
        calls.append(request)
        progress(10, 100, {"loss": 3.0, "best": 4.0})
        raise Trained

    monkeypatch.setattr(training, "train_generator", fake)
    monkeypatch.setenv("DESCFLOW_HOME", str(tmp_path))
    monkeypatch.delenv("DESCFLOW_GENERATOR_MODEL", raising=False)
    monkeypatch.setenv("DESCFLOW_DEMO_TRAIN_PAIRS", "300")
    said = io.StringIO()
    with pytest.raises(Trained):
        run_demo(Console(file=said, width=100), out=Console(file=io.StringIO()))
    [request] = calls
    assert request.output == (tmp_path / "models" / "house").resolve() and request.if_missing
    assert request.n_pairs == 300 and request.base_model is None
    text = " ".join(said.getvalue().split())
    assert "training the house model" in text and "about 3 minutes" in text


def test_a_plateau_stops_training_and_the_best_weights_are_still_kept(tmp_path: Path):
    """A drop smaller than `min_improvement` is no progress for patience, but the better weights are kept."""
    pairs = [p for p in generate_pairs(300, seed=4, locales=("en-US",)) if p["product"]["category"] == "power_banks"][:16]
    cfg = TrainConfig(vocab_size=600, n_layer=1, n_embd=32, n_head=2, n_positions=256, epochs=30, batch_size=8,
                      lr=3e-3, warmup_steps=1, eval_every=2, patience=2, min_improvement=0.9, seed=0, threads=2)
    report = train(pairs, tmp_path / "m", config=cfg)
    assert report.stopped == "early stopping" and report.steps == 2 * cfg.patience
    assert report.best_step == report.steps and report.eval_loss < report.initial_eval_loss
