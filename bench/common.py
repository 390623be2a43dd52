"""What every benchmark shares: the machine it ran on, where results go, how they are shown.

A figure means little without the machine and library versions behind it, so
every results file carries them.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import psutil
from rich.console import Console
from rich.table import Table

T = TypeVar("T")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PIPED_WIDTH = 160

console = Console()
if not console.is_terminal:
    console.width = PIPED_WIDTH  # rich assumes 80 columns when piped; tables of figures should not wrap in logs


def machine_info() -> dict[str, Any]:
    """Cores, Python/torch/transformers versions and the GPU, if any.

    It asks torch about CUDA, which starts CUDA in this process: a benchmark
    that forks workers which use the GPU must fork them first.
    """
    import torch
    import transformers

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "transformers": transformers.__version__,
        "cuda": torch.cuda.is_available(),
    }
    if info["cuda"]:
        info["gpu"] = torch.cuda.get_device_name(0)
    info["load_average"] = load_average()
    return info


def load_average() -> list[float]:
    """1, 5 and 15 minute load: on a shared machine, the figures beside it say how busy it was."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else []


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterable[T]:
    """Iterate with a progress bar on stderr; the tables and the JSON path stay on stdout."""
    from rich.progress import track as rich_track

    return rich_track(items, description=description, total=total, console=Console(stderr=True), transient=True)


def write_results(name: str, payload: dict[str, Any], out: Path | str | None = None) -> Path:
    """Write `payload` as JSON to `out`, or bench/results/<name>.json; stamped with the time it was written."""
    path = Path(out) if out is not None else RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    stamped = {"benchmark": name, "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **payload}
    path.write_text(json.dumps(stamped, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A rich table: first column left (labels), the rest right-aligned (figures); None shows as '—'."""
    table = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*("—" if cell is None else str(cell) for cell in row))
    console.print(table)


def process_tree(pid: int) -> list[psutil.Process]:
    """The process and all its descendants (empty once it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def consumer_cpu(pid: int, *, prefork: bool) -> float:
    """CPU seconds so far of a Celery worker's own receiving and acknowledging, apart from running tasks.

    A prefork worker's parent process does only that (its children run the tasks); a threads-pool worker does it
    in its main thread, and runs tasks and models in others.
    """
    try:
        process = psutil.Process(pid)
        if prefork:
            t = process.cpu_times()
            return t.user + t.system
        return next((t.user_time + t.system_time for t in process.threads() if t.id == pid), 0.0)
    except psutil.NoSuchProcess:
        return 0.0


def tree_cpu(pid: int) -> float:
    """CPU seconds so far of a process tree, children that were waited for included."""
    total = 0.0
    for p in process_tree(pid):
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return total
