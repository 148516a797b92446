"""Time to a target accuracy on three clocks, and speedup tables over runs and seeds.

Clocks: `time` (cumulative wall seconds, `total_time_s`), `backprops` (`total_backprops`) and
`cost` (selection forwards * F/T + backprops, in training-step units). By default the crossing is
interpolated linearly between the end of the epoch before the target is first reached and the end
of that epoch (`method="interpolate"`); `method="first_epoch"` takes the end of that epoch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbexplore.analysis.cost_model import cost_units, pooled_f_over_t
from sbexplore.analysis.naming import series_name
from sbexplore.errors import ConfigError
from sbexplore.records import Run

CLOCKS = ("time", "backprops", "cost")
CLOCK_LABELS = {"time": "wall time", "backprops": "backpropagated examples",
                "cost": "cost units (F/T·forwards + backprops)"}
METHODS = ("interpolate", "first_epoch")


def clock(run: Run, name: str, f_over_t: float | None = None) -> pd.Series:
    """The cumulative value of clock `name` at the end of each epoch."""
    if name == "time":
        return run.metrics["total_time_s"].astype(float)
    if name == "backprops":
        return run.metrics["total_backprops"].astype(float)
    if name == "cost":
        return cost_units(run, f_over_t)
    raise ConfigError(f"clock={name!r} is not allowed: one of {', '.join(CLOCKS)}")


def time_to_accuracy(run: Run, target: float, clock_name: str = "backprops",
                     f_over_t: float | None = None, method: str = "interpolate") -> float:
    """Clock value at which test accuracy first reaches `target`; NaN if it never does."""
    if method not in METHODS:
        raise ConfigError(f"method={method!r} is not allowed: one of {', '.join(METHODS)}")
    acc = run.metrics["test_accuracy"].to_numpy(float)
    c = clock(run, clock_name, f_over_t).to_numpy(float)
    hit = np.flatnonzero(acc >= target)
    if not len(hit):
        return float("nan")
    i = int(hit[0])
    if method == "first_epoch" or i == 0:  # no accuracy is recorded before the first epoch
        return float(c[i])
    a0, a1, c0 = acc[i - 1], acc[i], c[i - 1]
    return float(c0 + (c[i] - c0) * (target - a0) / (a1 - a0))


def default_target(runs: list[Run], tolerance: float = 0.01) -> float:
    """The traditional runs' mean final accuracy minus `tolerance`."""
    base = [r for r in runs if r.config.policy == "all"]
    if not base:
        raise ConfigError("target=None needs a traditional run (policy='all') among the runs: "
                          "pass target=<accuracy> or add one")
    return float(np.mean([r.metrics["test_accuracy"].iloc[-1] for r in base]) - tolerance)


def time_to_accuracy_table(runs: list[Run], target: float | None = None, tolerance: float = 0.01,
                           f_over_t: float | None = None, method: str = "interpolate",
                           clocks: tuple[str, ...] = CLOCKS) -> pd.DataFrame:
    """One row per run and clock: run (its series name: seeds pool), seed, target, value (NaN:
    never reached). Speedup: traditional runs' mean value on the same clock over the run's."""
    if target is None:
        target = default_target(runs, tolerance)
    f = pooled_f_over_t(runs) if f_over_t is None else f_over_t
    rows = [{"run": series_name(r), "policy": r.config.policy, "seed": r.config.seed, "clock": c,
             "target": target, "f_over_t": f,
             "value": time_to_accuracy(r, target, c, f, method)}
            for r in runs for c in clocks]
    df = pd.DataFrame(rows)
    base = df[df["policy"] == "all"].groupby("clock")["value"].mean()
    df["speedup"] = df["clock"].map(base) / df["value"]
    return df


def speedup_table(runs: list[Run], target: float | None = None, tolerance: float = 0.01,
                  f_over_t: float | None = None, method: str = "interpolate",
                  clocks: tuple[str, ...] = CLOCKS) -> pd.DataFrame:
    """Mean and spread (std over seeds) of time to target and speedup per run name and clock;
    `reached` counts the seeds that reached the target (unreached ones are left out of means)."""
    df = time_to_accuracy_table(runs, target, tolerance, f_over_t, method, clocks)
    g = df.groupby(["run", "clock"], sort=False)
    out = g.agg(policy=("policy", "first"), seeds=("seed", "size"),
                reached=("value", "count"), value_mean=("value", "mean"),
                value_std=("value", "std"), speedup_mean=("speedup", "mean"),
                speedup_std=("speedup", "std"), target=("target", "first"),
                f_over_t=("f_over_t", "first")).reset_index()
    return out
