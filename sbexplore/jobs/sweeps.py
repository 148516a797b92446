"""Sweeps: every combination of a grid x seeds, one saved run folder each, resumable.

Backends: "local" (sequential, in this process), "process" (parallel worker processes) and
"ray" (`sbexplore.jobs.ray`). All of them call `sweep_task.run_one(config_json)` per
combination.
"""

from __future__ import annotations

import itertools
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sbexplore.config import RunConfig, series_labels
from sbexplore.errors import ConfigError, UserError
from sbexplore.jobs.task import Progress, run_one, set_threads
from sbexplore.runs.record import Run, load_run
from sbexplore.runs.storage import is_uri, join, mirror, read_status

BACKENDS = ("local", "process", "ray")
FINISHED = ("finished",)


@dataclass
class SweepResult:
    """The runs of a sweep (finished ones, in grid order), a tidy summary and any failures."""

    runs: list[Run]
    summary: pd.DataFrame
    errors: dict[str, str] = field(default_factory=dict)  # out_dir -> traceback text
    out: str | Path | None = None
    trained: list[str] = field(default_factory=list)  # out_dirs trained by this call
    skipped: list[str] = field(default_factory=list)  # out_dirs already finished (resumed)

    def __repr__(self) -> str:
        return (f"SweepResult({len(self.runs)} runs, {len(self.trained)} trained, "
                f"{len(self.skipped)} resumed, {len(self.errors)} failed, out={self.out})")


# -- the contract shared with the Ray backend --------------------------------------------------
def expand_grid(base: RunConfig, grid: dict[str, Sequence[Any]], seeds: Sequence[int],
                out: str | Path) -> list[RunConfig]:
    """Every combination of `grid` x `seeds` as a config with a deterministic `out_dir` (its
    name stays the base's: labels are read from the configs, `config.series_labels`)."""
    known = {f.name for f in fields(RunConfig)}
    for key, values in grid.items():
        if key not in known:
            raise ConfigError(f"grid key {key!r} is not allowed: grid keys are RunConfig fields "
                              f"({', '.join(sorted(known))})")
        if key in ("seed", "out_dir", "name"):
            raise ConfigError(f"grid key {key!r} is not allowed: pass seeds=[...] for seeds; "
                              "out_dir and name are set by the sweep")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ConfigError(f"grid[{key!r}]={values!r} is not allowed: a non-empty list")
    seeds = list(seeds) if seeds is not None else [base.seed]
    if not seeds:
        raise ConfigError("seeds=[] is not allowed: give at least one seed")
    keys = list(grid)
    configs, seen = [], set()
    for combo in itertools.product(*(grid[k] for k in keys)):
        settings = dict(zip(keys, combo, strict=True))
        for seed in seeds:
            cfg = base.replace(**settings, seed=int(seed))  # validates every value
            folder = run_folder_name(settings, seed)
            if folder in seen:
                raise ConfigError(f"grid has a repeated combination ({folder}): values must be "
                                  "distinct")
            seen.add(folder)
            configs.append(cfg.replace(out_dir=join(out, folder)))
    return configs


def run_folder_name(settings: dict[str, Any], seed: int) -> str:
    """`beta=2_policy=sb_seed=0`: readable, filesystem-safe and stable across calls."""
    parts = [f"{k}={_fmt(v)}" for k, v in settings.items()] + [f"seed={seed}"]
    return re.sub(r"[^A-Za-z0-9=._+-]", "-", "_".join(parts))


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def is_finished(out_dir: str | Path) -> bool:
    """A run folder saved with status 'finished' (a stopped or crashed one is trained again)."""
    return read_status(out_dir) in FINISHED


def summarize(runs: list[Run]) -> pd.DataFrame:
    """One row per run: its settings, final/best accuracy, backprops, time, keep and pick rate."""
    from sbexplore.analysis.epochs import after_priming, selecting_epochs
    from sbexplore.analysis.keep import realised_keep

    rows = []
    labels = series_labels([r.config for r in runs])
    for run, label in zip(runs, labels, strict=True):
        c, m = run.config, run.metrics
        last = m.iloc[-1] if len(m) else None
        rows.append({
            "name": label, "policy": c.policy, "beta": c.beta, "staleness": c.staleness,
            "keep": c.keep, "mislabel_fraction": c.mislabel_fraction, "dataset": c.dataset,
            "model": c.model, "epochs": c.epochs, "seed": c.seed, "status": run.status,
            "epochs_done": len(m),
            "final_accuracy": float(last["test_accuracy"]) if last is not None else np.nan,
            "best_accuracy": float(m["test_accuracy"].max()) if len(m) else np.nan,
            "final_test_loss": float(last["test_loss"]) if last is not None else np.nan,
            "backprops": int(m["examples_backpropped"].sum()) if len(m) else 0,
            "forwarded": int(m["examples_forwarded"].sum()) if len(m) else 0,
            "wall_time_s": float(m["wall_time_s"].sum()) if len(m) else np.nan,
            "keep_fraction": realised_keep(run) if len(m) else np.nan,
            "mislabel_pick_rate": (float(after_priming(run)["mislabel_pick_rate"].mean())
                                   if c.mislabel_fraction > 0 and bool(selecting_epochs(run).any())
                                   else np.nan),
            "out_dir": c.out_dir,
        })
    df = pd.DataFrame(rows)
    if len(df):
        df["accuracy_per_mbackprop"] = df["final_accuracy"] / (df["backprops"] / 1e6)
        df["accuracy_per_s"] = df["final_accuracy"] / df["wall_time_s"]
    return df


# -- running ---------------------------------------------------------------------------------
Outcome = tuple[RunConfig, "str | None", "str | None"]  # (config, out_dir, error text)


def _safe_run_one(config_json: str, threads: int | None = None
                  ) -> tuple[str | None, str | None]:
    try:
        return run_one(config_json, threads), None
    except Exception as exc:  # reported per run; the sweep goes on
        return None, "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _run_local(configs: list[RunConfig], threads: int | None, tick: Callable[[], None]
               ) -> list[Outcome]:
    out = []
    for cfg in configs:
        out_dir, err = _safe_run_one(cfg.to_json(), threads)
        out.append((cfg, out_dir, err))
        tick()
    return out


def _run_process(configs: list[RunConfig], workers: int, threads: int | None,
                 tick: Callable[[], None]) -> list[Outcome]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    import torch

    # spawn: a forked child of a process with live threads (notebook kernels, torch) can hang
    ctx = mp.get_context("spawn")
    threads = threads or max(1, torch.get_num_threads() // workers)
    results: dict[int, Outcome] = {}
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=set_threads,
                             initargs=(threads,)) as pool:
        futures = {pool.submit(_safe_run_one, c.to_json()): i for i, c in enumerate(configs)}
        from concurrent.futures import as_completed

        for fut in as_completed(futures):
            i = futures[fut]
            out_dir, err = fut.result()
            results[i] = (configs[i], out_dir, err)
            tick()
    return [results[i] for i in range(len(configs))]


def sweep(base_config: RunConfig | None = None, grid: dict[str, Sequence[Any]] | None = None,
          seeds: Sequence[int] | None = None, out: str | Path = "runs/sweep", *,
          backend: str = "local", workers: int = 2, address: str | None = None,
          num_cpus: float | None = None, num_gpus: float = 0, retries: int = 0,
          progress: bool = True, rerun: bool = False) -> SweepResult:
    """Train every combination of `grid` x `seeds` from `base_config` into `out/<settings>`.

    Combinations already saved as finished are loaded, not retrained (`rerun=True` retrains);
    a failed run is reported in `.errors` and the others go on. `num_cpus` is each run's CPU
    share in every backend (its torch threads; a Ray resource request): backends given the same
    `num_cpus` give identical runs. None: all threads (local), an equal share (process), 1 (ray).
    """
    base = base_config or RunConfig()
    if backend not in BACKENDS:
        raise ConfigError(f"backend={backend!r} is not allowed: one of {', '.join(BACKENDS)}")
    if backend == "process" and (not isinstance(workers, int) or workers < 1):
        raise ConfigError(f"workers={workers!r} is not allowed: a positive integer")
    configs = expand_grid(base, grid or {}, seeds if seeds is not None else [base.seed], out)
    threads = None if num_cpus is None else max(1, int(num_cpus))
    todo = [c for c in configs if rerun or not is_finished(c.out_dir)]
    skipped = [c.out_dir for c in configs if c not in todo]
    bar = Progress(len(todo), len(skipped), progress)
    if not todo:
        outcomes: list[Outcome] = []
    elif backend == "local" or (backend == "process" and workers == 1):
        outcomes = _run_local(todo, threads, bar.tick)
    elif backend == "process":
        outcomes = _run_process(todo, min(workers, len(todo)), threads, bar.tick)
    else:
        try:
            from sbexplore.jobs.ray import run_ray
        except ImportError as exc:
            raise UserError(f"backend='ray' is not available ({exc}); install the 'ray' extra "
                            "or use backend='local' or 'process'") from exc
        outcomes = list(run_ray(todo, address=address, num_cpus=1 if num_cpus is None else num_cpus,
                                num_gpus=num_gpus, retries=retries,
                                progress=bar.tick if bar.enabled else False))
    errors = {str(c.out_dir): err for c, _, err in outcomes if err}
    # trained runs load from where the backend left them (Ray mirrors URI results already)
    local = {c.out_dir: d for c, d, e in outcomes if d and not e}
    runs = [_load(local.get(c.out_dir, c.out_dir)) for c in configs if is_finished(c.out_dir)]
    if errors:
        sys.stderr.write(f"sweep: {len(errors)} of {len(configs)} runs failed; see .errors\n")
    return SweepResult(runs=runs, summary=summarize(runs), errors=errors,
                       out=str(out) if is_uri(str(out)) else Path(out),
                       trained=[str(c.out_dir) for c, d, e in outcomes if d and not e],
                       skipped=skipped)


def _load(out_dir: str) -> Run:
    """A run from its folder; a URI's folder is mirrored to a local cache first."""
    return load_run(mirror(out_dir) if is_uri(out_dir) else out_dir)
