"""Provenance: what produced a set of runs (software, hardware, date, every run's config), for
the report, the paper kit and the metadata of every exported file."""

from __future__ import annotations

import datetime as _dt
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sbexplore._version import __version__
from sbexplore.analysis.series import as_runs
from sbexplore.runs.record import Run


def git_commit() -> str | None:
    """The sbexplore checkout's commit (with `+dirty` for uncommitted changes), if it is one."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (sha + ("+dirty" if dirty else "")) if sha else None


def provenance(runs: Run | Sequence[Run]) -> dict[str, Any]:
    """sbexplore version and commit, torch and CUDA versions, the devices and CPU the runs
    trained on (from their meta), today's date, and each run's name, seed and config."""
    import torch

    runs = as_runs(runs)
    metas = [r.meta for r in runs]
    return {
        "sbexplore": __version__, "git_commit": git_commit(),
        "torch": torch.__version__, "cuda": torch.version.cuda,
        "python": platform.python_version(), "cpu": _cpu(),
        "devices": sorted({f"{m.get('device', '?')} ({m.get('device_name', '?')})"
                           for m in metas}),
        "trained_with": sorted({f"sbexplore {m.get('sbexplore_version', '?')}, torch "
                                f"{m.get('torch_version', '?')}" for m in metas}),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "runs": [{"name": r.name, "seed": r.config.seed, "path": str(r.path or ""),
                  "config": r.config.to_dict()} for r in runs],
    }


def provenance_line(p: dict[str, Any]) -> str:
    """One line for a file header or a figure's metadata."""
    commit = f" ({p['git_commit'][:12]})" if p.get("git_commit") else ""
    return (f"sbexplore {p['sbexplore']}{commit}, torch {p['torch']}"
            f"{', CUDA ' + p['cuda'] if p.get('cuda') else ''}; trained on "
            f"{', '.join(p['devices'])}; {len(p['runs'])} run(s); written {p['date']}")


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()
