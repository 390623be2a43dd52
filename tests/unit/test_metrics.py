"""Worker metrics: the helpers, the endpoint, and prefork's multiprocess mode with dying children."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[2]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def run_script(code: str, tmp_path: Path) -> dict:
    """Metrics choose their mode at first use, so each mode is tried in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True, text=True,
                         timeout=120, check=False, env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_single_process_endpoint_serves_tasks_stages_batches_and_memory(tmp_path):
    result = run_script("""
        import json, httpx
        from workers import metrics
        ep = metrics.serve(0, "127.0.0.1", node="gpu-t@h", multiprocess=False)
        metrics.count_task("descflow.generate", "started")
        metrics.count_task("descflow.generate", "succeeded")
        metrics.count_task("descflow.rank", "started")
        metrics.count_task("descflow.rank", "retried")
        metrics.observe_stage("generate", 0.3)
        metrics.observe_stage("generate", 4.0, 0.25)
        metrics.observe_batch(16, 960, 2.0)
        metrics.observe_batch(3, 120, 0.5)
        print(json.dumps({"url": ep.url, "text": httpx.get(ep.url, timeout=10).text}))
    """, tmp_path)
    assert result["url"].startswith("http://127.0.0.1:") and result["url"].endswith("/metrics")
    got = samples(result["text"])
    assert got[("descflow_tasks_total", (("state", "started"), ("task", "descflow.generate")))] == 1
    assert got[("descflow_tasks_total", (("state", "succeeded"), ("task", "descflow.generate")))] == 1
    assert got[("descflow_tasks_total", (("state", "retried"), ("task", "descflow.rank")))] == 1
    assert ("descflow_tasks_total", (("state", "failed"), ("task", "descflow.rank"))) not in got
    assert got[("descflow_stage_duration_seconds_count", (("stage", "generate"),))] == 2
    assert got[("descflow_stage_duration_seconds_sum", (("stage", "generate"),))] == pytest.approx(4.3)
    assert got[("descflow_stage_duration_seconds_bucket", (("le", "0.5"), ("stage", "generate")))] == 1
    assert got[("descflow_stage_cpu_seconds_total", (("stage", "generate"),))] == pytest.approx(0.25)
    assert got[("descflow_generation_batch_size_count", ())] == 2
    assert got[("descflow_generation_batch_size_sum", ())] == 19
    assert got[("descflow_generation_batch_size_bucket", (("le", "4.0"),))] == 1
    assert got[("descflow_generation_new_tokens_total", ())] == 1080
    assert got[("descflow_generation_seconds_total", ())] == pytest.approx(2.5)
    assert got[("descflow_generation_tokens_per_second", ())] == pytest.approx(240.0)  # the latest batch
    rss = got[("descflow_process_resident_memory_bytes", ())]
    assert 10 * 2**20 < rss < 64 * 2**30
    assert got[("process_resident_memory_bytes", ())] > 0  # the standard process metrics too


def test_helpers_never_raise_into_a_task(tmp_path):
    result = run_script("""
        import json
        from workers import metrics
        metrics.count_task("descflow.generate", "exploded")   # not a state: logged, not raised
        metrics.observe_batch(0, 0, 0.0)                       # an empty batch: no division by zero
        print(json.dumps({"ok": True}))
    """, tmp_path)
    assert result == {"ok": True}


def test_a_taken_port_says_how_to_choose_another():
    from workers import metrics

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError, match="--metrics-port or DESCFLOW_METRICS_PORT"):
            metrics.serve(port, "127.0.0.1", node="t@h", multiprocess=False)


def test_prefork_children_are_added_up_and_dead_ones_stop_counting_memory(tmp_path):
    """Three children do work; one exits cleanly, one is SIGKILLed, one lives: the parent's endpoint
    counts the tasks of all three, and only the live processes' memory."""
    result = run_script(f"""
        import json, multiprocessing as mp, os, signal, httpx
        from pathlib import Path
        from workers import metrics
        directory = Path({str(tmp_path / "m")!r})
        directory.mkdir()
        (directory / "counter_999999.db").write_bytes(b"left over from an earlier run")
        ep = metrics.serve(0, "127.0.0.1", node="cpu-t@h", multiprocess=True, directory=directory)
        left_over_gone = not (directory / "counter_999999.db").exists()

        def child(how, release):
            metrics.count_task("descflow.dedup", "started")
            metrics.count_task("descflow.dedup", "succeeded")
            metrics.observe_stage("dedup", 0.02)
            metrics.update_memory()
            if how == "exit":
                metrics.process_exited(os.getpid())   # what worker_process_shutdown does
            elif how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            else:
                release.wait(60)

        ctx = mp.get_context("fork")
        release = ctx.Event()
        procs = {{how: ctx.Process(target=child, args=(how, release)) for how in ("exit", "kill", "live")}}
        for p in procs.values():
            p.start()
        procs["exit"].join(); procs["kill"].join()
        import time
        live = directory / f"gauge_livesum_{{procs['live'].pid}}.db"
        deadline = time.time() + 30
        while not live.exists() and time.time() < deadline:
            time.sleep(0.05)
        text = httpx.get(ep.url, timeout=10).text
        files = sorted(p.name for p in directory.iterdir())
        release.set(); procs["live"].join()
        print(json.dumps({{"text": text, "files": files, "left_over_gone": left_over_gone,
                          "pids": {{k: p.pid for k, p in procs.items()}}, "parent": os.getpid(),
                          "kill_code": procs["kill"].exitcode}}))
    """, tmp_path)
    got = samples(result["text"])
    assert result["left_over_gone"], "files of an earlier run must not add to this one's counts"
    assert result["kill_code"] == -9
    assert got[("descflow_tasks_total", (("state", "started"), ("task", "descflow.dedup")))] == 3
    assert got[("descflow_tasks_total", (("state", "succeeded"), ("task", "descflow.dedup")))] == 3
    assert got[("descflow_stage_duration_seconds_count", (("stage", "dedup"),))] == 3
    live_gauges = {f for f in result["files"] if f.startswith("gauge_livesum_")}
    assert live_gauges == {f"gauge_livesum_{result['pids']['live']}.db", f"gauge_livesum_{result['parent']}.db"}
    assert got[("descflow_process_resident_memory_bytes", ())] > 10 * 2**20
    assert not any(name.startswith("process_") for name, _ in got)  # no per-process collector in this mode


def test_model_cpu_counts_the_thread_cpu_inside_the_block_not_its_waiting(tmp_path):
    result = run_script("""
        import json, time, httpx
        from workers import metrics
        ep = metrics.serve(0, "127.0.0.1", node="gpu-t@h", multiprocess=False)
        with metrics.model_cpu("embedding"):
            end = time.thread_time() + 0.2
            while time.thread_time() < end:
                pass
            time.sleep(0.5)  # waiting is not model compute
        print(json.dumps(httpx.get(ep.url).text))
    """, tmp_path)
    got = samples(result)[("descflow_model_cpu_seconds_total", (("model", "embedding"),))]
    assert 0.2 <= got < 0.45


def test_engine_cpu_leaves_out_the_model_cpu_counted_inside_it(tmp_path):
    result = run_script("""
        import json, time, httpx
        from workers import metrics

        def spin(seconds):
            end = time.thread_time() + seconds
            while time.thread_time() < end:
                pass

        ep = metrics.serve(0, "127.0.0.1", node="gpu-t@h", multiprocess=False)
        with metrics.engine_cpu("rank"):
            spin(0.2)
            with metrics.model_cpu("embedding"):  # ranking asked for an embedding: the model's, not rank's
                spin(0.3)
            time.sleep(0.3)  # waiting is neither
        print(json.dumps(httpx.get(ep.url).text))
    """, tmp_path)
    got = samples(result)
    assert 0.3 <= got[("descflow_model_cpu_seconds_total", (("model", "embedding"),))] < 0.5
    assert 0.2 <= got[("descflow_engine_cpu_seconds_total", (("engine", "rank"),))] < 0.3
