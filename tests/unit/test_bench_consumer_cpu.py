"""The pipeline benchmark's split of a worker's CPU: its receiving apart from the tasks it runs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from bench.common import consumer_cpu, tree_cpu


def _spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_a_threads_pool_worker_counts_only_its_main_thread():
    before_main, before_all = consumer_cpu(os.getpid(), prefork=False), tree_cpu(os.getpid())
    busy = threading.Thread(target=_spin, args=(0.4,))
    busy.start()
    busy.join()
    main, everything = consumer_cpu(os.getpid(), prefork=False) - before_main, tree_cpu(os.getpid()) - before_all
    assert everything >= 0.35  # the task thread's work is the process's
    assert main < 0.15  # but not the main thread's


def test_a_prefork_worker_counts_its_parent_not_its_children():
    child_code = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\n"
    parent_code = (f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {child_code!r}], check=True)\n"
                   "import time; time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    try:
        deadline = time.monotonic() + 30
        while tree_cpu(parent.pid) < 0.55 and time.monotonic() < deadline:  # the child ran, was waited for
            time.sleep(0.05)
        assert tree_cpu(parent.pid) >= 0.55
        assert consumer_cpu(parent.pid, prefork=True) < 0.4  # the parent's own start-up, not the child's work
    finally:
        parent.kill()
        parent.wait()


def test_a_worker_that_is_gone_counts_nothing():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert consumer_cpu(gone.pid, prefork=True) == 0.0 and consumer_cpu(gone.pid, prefork=False) == 0.0
