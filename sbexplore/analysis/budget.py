"""Fair budgets: the traditional control whose schedule ends where a run's budget ends
(Kaddour et al. 2023, "No Train No Gain": efficient-training gains mostly vanish against plain
training given the same budget with a learning-rate schedule that fully decays within it), and
accuracy at an equal budget."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sbexplore.analysis.series import run_labels
from sbexplore.analysis.time_to_accuracy import clock as clock_values
from sbexplore.config import RunConfig
from sbexplore.errors import ConfigError
from sbexplore.runs.record import Run

BUDGET_CLOCKS = ("backprops", "time")


def budget(runs: Run | Sequence[Run], clock: str = "backprops") -> float:
    """The mean budget the runs spent: total backprops, or total training seconds."""
    runs = _as_list(runs)
    _check_clock(clock)
    done = [r for r in runs if len(r.metrics)]
    if not done:
        raise ConfigError("budget() needs runs with at least one epoch")
    column = "total_backprops" if clock == "backprops" else "total_time_s"
    return float(np.mean([r.metrics[column].iloc[-1] for r in done]))


def budget_matched(runs: Run | Sequence[Run], clock: str = "backprops",
                   name: str | None = None) -> RunConfig:
    """Traditional training whose learning-rate schedule reaches its end exactly when `runs`'
    budget is spent (the mean over them: seeds of one series give one control that pools):
    on the backprops clock (their total backprops, schedule keyed by backprops) or the wall
    clock (their training seconds, schedule keyed by time). Its seed is the first run's (set
    your own); its name says whose budget it has."""
    runs = _as_list(runs)
    spent = budget(runs, clock)
    cfg = runs[0].config
    n = int(runs[0].meta.get("num_train") or len(runs[0].examples))
    label = name or f"traditional, {run_labels(runs)[0]}'s budget ({clock})"
    common = dict(policy="traditional", name=label, out_dir=None, keep=None, staleness=1,
                  max_backprop_epochs=None)
    if clock == "backprops":
        backprops = int(round(spent))
        return cfg.replace(**common, max_backprops=backprops, max_time_s=None,
                           schedule_unit="backprops", epochs=max(1, math.ceil(backprops / n)))
    # time: the schedule spans the runs' epochs, mapped onto their seconds; a slower epoch
    # means fewer of them fit, so `epochs` only caps and the time budget stops the run
    return cfg.replace(**common, max_backprops=None, max_time_s=round(spent, 3),
                       schedule_unit="time")


def accuracy_at_budget(runs: Sequence[Run], budget_value: float, clock: str = "time"
                       ) -> pd.DataFrame:
    """Per run: the test accuracy at the last epoch that ended within `budget_value` on `clock`
    (a run that ended earlier: its final accuracy; none ended in time: NaN), and the clock
    value there."""
    _check_clock(clock, ("time", "backprops", "cost"))
    rows = []
    for r, label in zip(runs, run_labels(runs), strict=True):
        c = clock_values(r, clock).to_numpy(float)
        within = np.flatnonzero(c <= budget_value * (1 + 1e-9))
        acc = r.metrics["test_accuracy"].to_numpy(float)
        rows.append({"run": label, "policy": r.config.policy, "seed": r.config.seed,
                     "mislabel_fraction": r.config.mislabel_fraction, "budget": budget_value,
                     "at": float(c[within[-1]]) if len(within) else np.nan,
                     "accuracy": float(acc[within[-1]]) if len(within) else np.nan})
    return pd.DataFrame(rows, columns=["run", "policy", "seed", "mislabel_fraction", "budget",
                                       "at", "accuracy"])


def _as_list(runs: Run | Sequence[Run]) -> list[Run]:
    out = [runs] if isinstance(runs, Run) else list(runs)
    if not out:
        raise ConfigError("runs=[] is not allowed: give at least one run")
    return out


def _check_clock(clock: str, allowed: tuple[str, ...] = BUDGET_CLOCKS) -> None:
    if clock not in allowed:
        raise ConfigError(f"clock={clock!r} is not allowed: one of {', '.join(allowed)}")
