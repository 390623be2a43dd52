"""Shared fixtures: real Redis, real SQLite/PostgreSQL, a tiny real model, real workers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
ARTIFACTS = REPO / "test-artifacts"
TEST_REDIS = os.environ.get("DESCFLOW_TEST_REDIS", "redis://127.0.0.1:6379/15")
TEST_POSTGRES = os.environ.get("DESCFLOW_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def need_service(ok: bool, what: str) -> None:
    """Skip locally when a service is absent; under CI (`make test` starts them) fail instead."""
    if ok:
        return
    message = f"{what} is not reachable: run `make services` (or `make test`, which starts it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_url() -> str:
    from descflow.services import redis_alive

    need_service(redis_alive(TEST_REDIS), f"Redis at {TEST_REDIS}")
    return TEST_REDIS


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database per test session on the local server, dropped afterwards."""
    import sqlalchemy as sa

    admin = sa.create_engine(TEST_POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not there"
        need_service(False, f"PostgreSQL at {TEST_POSTGRES} ({type(exc).__name__})")
    name = f"descflow_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    url = TEST_POSTGRES.rsplit("/", 1)[0] + "/" + name
    yield url
    from workers.store import dispose_engines

    dispose_engines()
    with admin.connect() as conn:
        conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
    admin.dispose()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small house model trained in the test session (about a minute on 2 idle cores).

    Trained on two categories only, so that a minute of training gives text in
    the right language and vocabulary; it still writes poorly, which the
    pipeline tests tolerate: they check the path, bench/quality.py the writing.
    """
    from producers.samples.phrasebank import generate_pairs
    from workers.gpu.train import TrainConfig, train

    cache = os.environ.get("DESCFLOW_TEST_MODEL_CACHE")  # reuse between local runs; CI trains afresh
    if cache and (Path(cache) / "house" / "config.json").exists():
        return Path(cache) / "house"
    pairs = [p for p in generate_pairs(6000, seed=7) if p["product"]["category"] in {"headphones", "power_banks"}]
    out = (Path(cache) if cache else tmp_path_factory.mktemp("models")) / "house"
    # A fixed number of epochs, not a time budget, so the model is the same on a slow or busy machine;
    # max_minutes is only a safety cap.
    cfg = TrainConfig(vocab_size=1000, n_layer=2, n_embd=128, n_head=4, n_positions=320, epochs=4, batch_size=16,
                      lr=3e-3, warmup_steps=20, max_minutes=8, seed=0, threads=2)
    report = train(pairs, out, config=cfg)
    assert report.eval_loss < report.initial_eval_loss
    return out


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault suite's figures (tests/integration/test_faults.py), when it ran."""
    import sys

    kit = sys.modules.get("tests.faultkit")
    if kit is None or not kit.FIGURES:
        return
    terminalreporter.section("fault suite: events through faults")
    terminalreporter.write_line(kit.figures_table())
    ARTIFACTS.mkdir(exist_ok=True)
    kit.write_figures(ARTIFACTS / "fault-figures.json")
    terminalreporter.write_line(f"(also in {ARTIFACTS / 'fault-figures.json'})")
