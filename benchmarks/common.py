"""Shared by the benchmark scripts: interleaved repeats, medians, and a hardware line."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import time
from collections.abc import Callable

import pandas as pd
import torch


def hardware() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{cpu}, {os.cpu_count()} cores, {gpu}; torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads; {dt.date.today().isoformat()}")


def interleaved(fns: dict[str, Callable[[], float | None]], repeats: int) -> dict[str, float]:
    """Run each fn once per round, rounds interleaved; the median per fn of what it returns
    (or of its wall time when it returns None)."""
    out: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            r = fn()
            out[name].append(time.perf_counter() - t if r is None else r)
    return {k: statistics.median(v) for k, v in out.items()}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def markdown(df: pd.DataFrame) -> str:
    """A markdown table (3 decimals) without the optional tabulate dependency."""
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
             for row in df.itertuples(index=False)]
    lines = ["| " + " | ".join(df.columns) + " |", "|" + " --- |" * len(df.columns)]
    return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])
