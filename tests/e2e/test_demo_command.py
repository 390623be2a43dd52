"""`descflow demo` as `make demo` runs it on a fresh machine: nothing trained, no settings, an empty home.

The real command in its own process: it trains the house model through the
same path as a first run (fewer phrase-bank pairs, DESCFLOW_DEMO_TRAIN_PAIRS,
so the test takes minutes, not the two a real first run trains for), starts
its own Redis and workers, replays the sample catalog, prints the results and
stops what it started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from rich.cells import cell_len

from tests.conftest import REPO
from workers.text.phrases import has_cjk

SAMPLES = REPO / "producers" / "samples"
TRAIN_PAIRS = 1200  # the first run trains on 2,400; half of them still writes every sample product


def _descflow() -> str:
    found = Path(sys.executable).with_name("descflow")  # the console script `make install` put in the venv
    if not found.exists():
        pytest.skip(f"no {found}: run `make install`")
    return str(found)


def _left_behind(home: Path) -> list[str]:
    """Processes still running with this demo's DESCFLOW_HOME, or serving from its folder (redis-server)."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if proc.pid == os.getpid():
                continue
            cmdline = " ".join(proc.info["cmdline"] or [])
            if str(home) in cmdline or proc.environ().get("DESCFLOW_HOME") == str(home):
                found.append(f"{proc.pid}: {cmdline[:120]}")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_demo_trains_publishes_every_sample_prints_them_and_stops_what_it_started(tmp_path: Path) -> None:
    home, descflow_home = tmp_path / "user", tmp_path / "descflow"
    home.mkdir()
    # A fresh user's environment: no DESCFLOW_* settings (so no shared broker), no model caches, no .env.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
           "DESCFLOW_HOME": str(descflow_home), "DESCFLOW_DEMO_TRAIN_PAIRS": str(TRAIN_PAIRS), "COLUMNS": "100"}
    started = time.monotonic()
    result = subprocess.run([_descflow(), "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=880)
    seconds = time.monotonic() - started
    logs = descflow_home / "logs"
    tails = "".join(f"\n--- {p.name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-30:])
                    for p in sorted(logs.glob("*.log"))) if logs.exists() else ""
    assert result.returncode == 0, f"{result.stderr[-4000:]}{tails}"

    # It trained the house model the way a first run does, and that stopped on its own.
    report = json.loads((descflow_home / "models" / "house" / "training_report.json").read_text())
    assert report["mode"] == "scratch" and report["pairs"] == TRAIN_PAIRS
    assert report["stopped"] in ("early stopping", "epochs") and report["eval_loss"] < report["initial_eval_loss"] / 2

    # Every sample product event was published in each of its target locales.
    from workers.store import Store

    events = [json.loads(line) for line in (SAMPLES / "products.jsonl").read_text().splitlines() if line.strip()]
    wanted = {(e["event_id"], locale) for e in events for locale in (e.get("target_locales") or [e["locale"]])}
    store = Store(f"sqlite:///{descflow_home / 'demo.db'}")
    try:
        published = {(r.event_id, r.locale) for r in store.current_descriptions()}
        held = {(i.event_id, i.locale): i for i in store.review_items()}
        dead = [(f.args, f.error) for f in store.failed_tasks()]
    finally:
        store.engine.dispose()
    # Every (product, locale) has a text: published, or (asked for in another language than its attributes' and
    # holding a value the lexicon cannot translate) held for a person with that reason, its text in one script.
    assert wanted <= published | set(held), (f"neither published nor held: {sorted(wanted - published - set(held))}; "
                                              f"dead letters: {[d[:200] for _, d in dead]}")
    assert dead == []
    own = {(e["event_id"], e["locale"]) for e in events}
    assert own <= published  # a product in its own language is always published under the samples' policies
    for item in held.values():
        assert "no zh-CN form" in item.held_because or "no en-US form" in item.held_because, item.held_because
        assert item.text and (has_cjk(item.text) == item.locale.startswith("zh"))
        assert item.product_id in result.stdout and item.held_because[:40] in " ".join(result.stdout.split())

    # The printed results name every product, in lines a 100-column terminal shows whole.
    for e in events:
        assert e["product_id"] in result.stdout
    widest = max(result.stdout.splitlines(), key=cell_len)
    assert cell_len(widest) <= 100, widest
    assert "descriptions published in" in result.stdout

    # Progress went to the terminal, and the demo stopped the Redis and the workers it had started.
    assert "training" in result.stderr and "processing events" in result.stderr
    assert not _left_behind(descflow_home)
    print(f"descflow demo: {seconds:.0f} s, training {report['seconds']:.0f} s ({report['steps']} steps, "
          f"{report['stopped']})")
