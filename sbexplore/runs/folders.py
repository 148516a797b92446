"""Where runs are saved by default: `./runs/<slug>-<YYYYmmdd-HHMMSS>` (or under $SBEXPLORE_RUNS).

`start()`, the Dashboard and `sbexplore run` save here unless given `out_dir` or `save=False`.
A leaf module: it imports only the config and the folder layout.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import threading
from pathlib import Path

import pandas as pd

from sbexplore.config import RunConfig, run_slug
from sbexplore.runs.record import FILES, is_run_dir, saved_meta

RUNS_ENV = "SBEXPLORE_RUNS"  # overrides the default root `./runs`
_claimed: set[str] = set()  # folders handed out by this process (two starts in one second)
_lock = threading.Lock()


def runs_root() -> Path:
    """The folder default runs go to: `$SBEXPLORE_RUNS`, else `./runs` (relative to the cwd)."""
    return Path(os.environ.get(RUNS_ENV) or "runs")


def default_run_dir(cfg: RunConfig, root: str | os.PathLike | None = None,
                    now: _dt.datetime | None = None) -> Path:
    """A new folder `root/<slug>-<YYYYmmdd-HHMMSS>` (`-2`, `-3`… when that name is taken)."""
    base = Path(root) if root is not None else runs_root()
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    stem = f"{run_slug(cfg, dataset=not cfg.name)}-{stamp}"
    with _lock:
        for k in range(1, 10_000):
            cand = base / (stem if k == 1 else f"{stem}-{k}")
            if str(cand) not in _claimed and not cand.exists():
                _claimed.add(str(cand))
                return cand
    raise RuntimeError(f"no free run folder name under {base} for {stem}")  # pragma: no cover


def with_default_out_dir(cfg: RunConfig, save: bool = True) -> RunConfig:
    """`cfg` with `out_dir` set to a new default folder, unless it has one or `save` is False."""
    if cfg.out_dir or not save:
        return cfg
    return cfg.replace(out_dir=str(default_run_dir(cfg)))


def list_runs(root: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per saved run under `root` (default `runs_root()`, searched recursively), newest
    first: path, name, dataset, model, policy, status, epochs done, final accuracy, updated."""
    base = Path(root) if root is not None else runs_root()
    rows = []
    if base.is_dir():
        for cfg_file in base.rglob(FILES["config"]):
            d = cfg_file.parent
            if not is_run_dir(d):
                continue
            try:
                cfg = json.loads(cfg_file.read_text())
                meta = saved_meta(d)
                metrics = pd.read_csv(d / FILES["metrics_csv"])
            except (OSError, ValueError):
                continue  # a folder being written right now: skip it this time
            rows.append({
                "path": str(d), "name": cfg.get("name") or d.name, "dataset": cfg.get("dataset"),
                "model": cfg.get("model"), "policy": cfg.get("policy"),
                "status": meta.get("status"), "epochs": len(metrics),
                "final_accuracy": (float(metrics["test_accuracy"].iloc[-1])
                                   if len(metrics) else float("nan")),
                "updated": meta.get("updated"),
            })
    cols = ["path", "name", "dataset", "model", "policy", "status", "epochs", "final_accuracy",
            "updated"]
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values("updated", ascending=False, ignore_index=True) if len(df) else df
