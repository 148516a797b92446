"""Time to a target on three clocks, and speedup tables over runs and seeds.

Targets (the paper's Table 1): by default a run must reach traditional training's final test
*error* times a factor (1.1, 1.2, 1.4): target accuracy = 1 - factor * (1 - a), where a is the
mean final test accuracy of the traditional runs (policy "traditional") at the same mislabel
fraction.
`target=0.97` instead asks for a fixed test accuracy (one threshold, no factor).

Clocks: `time` (cumulative wall seconds, `total_time_s`), `backprops` (`total_backprops`) and
`cost` (selection forwards * F/T + backprops, in training-step units). By default the crossing is
interpolated linearly between the end of the epoch before the target is first reached and the end
of that epoch (`method="interpolate"`); `method="first_epoch"` takes the end of that epoch.

Speedup at factor f on a clock: traditional's mean clock value to reach the target (over its
seeds that reached it) divided by this run's. A seed that never reaches has no speedup (NaN):
pooled means are over the seeds that reached, and `reached` counts them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbexplore.analysis.cost_model import cost_units, pooled_f_over_t
from sbexplore.analysis.series import as_runs, run_labels
from sbexplore.errors import ConfigError
from sbexplore.runs.record import Run

CLOCKS = ("time", "backprops", "cost")
CLOCK_LABELS = {"time": "wall time", "backprops": "backpropagated examples",
                "cost": "cost units (F/T·forwards + backprops)"}
METHODS = ("interpolate", "first_epoch")
PAPER_FACTORS = (1.1, 1.2, 1.4)  # Jiang et al. 2019, Table 1: final error x 1.1, 1.2, 1.4


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


def final_accuracy(run: Run) -> float:
    """Test accuracy at the run's last epoch (NaN for a run without epochs)."""
    acc = run.metrics["test_accuracy"]
    return float(acc.iloc[-1]) if len(acc) else float("nan")


def error_targets(runs: Run | list[Run], factors: tuple[float, ...] = PAPER_FACTORS
                  ) -> dict[float, dict[float, float]]:
    """{mislabel_fraction: {factor: target accuracy}}: 1 - factor * traditional's mean final
    error, per mislabel fraction that has traditional runs (policy 'traditional')."""
    runs = as_runs(runs)
    _check_factors(factors)
    base: dict[float, list[float]] = {}
    for r in runs:
        if r.config.is_baseline:
            base.setdefault(r.config.mislabel_fraction, []).append(final_accuracy(r))
    if not base:
        raise ConfigError("target=None (traditional's final error x factor) needs a "
                          "traditional run over a full schedule (policy='traditional', no "
                          "budget) among the runs: pass target=<accuracy> or add one")
    return {f: {k: float(1.0 - k * (1.0 - np.mean(accs))) for k in factors}
            for f, accs in base.items()}


def time_to_accuracy_table(runs: Run | list[Run], target: float | None = None,
                           factors: tuple[float, ...] = PAPER_FACTORS,
                           f_over_t: float | None = None, method: str = "interpolate",
                           clocks: tuple[str, ...] = CLOCKS) -> pd.DataFrame:
    """One row per run, clock and target: run (series name: seeds pool), seed, factor (NaN for
    an explicit `target` accuracy), target, value (NaN: never reached) and speedup (traditional's
    mean value over the seeds that reached, on the same clock and target, over this run's)."""
    runs = as_runs(runs)
    f = pooled_f_over_t(runs) if f_over_t is None else f_over_t
    if target is None:
        targets = error_targets(runs, factors)
    else:
        if not 0.0 <= float(target) <= 1.0:
            raise ConfigError(f"target={target!r} is not allowed: a test accuracy in [0, 1], "
                              "or None for traditional's final error x factors")
        targets = {r.config.mislabel_fraction: {float("nan"): float(target)} for r in runs}
    rows = []
    for r, label in zip(runs, run_labels(runs, shown=("mislabel_fraction",)), strict=True):
        frac = r.config.mislabel_fraction
        for c in clocks:
            for factor, acc in targets.get(frac, {}).items():  # no baseline: left out
                rows.append({"run": label, "policy": r.config.policy,
                             "baseline": r.config.is_baseline,
                             "mislabel_fraction": frac, "seed": r.config.seed, "clock": c,
                             "factor": factor, "target": acc, "f_over_t": f,
                             "value": time_to_accuracy(r, acc, c, f, method)})
    df = pd.DataFrame(rows, columns=["run", "policy", "baseline", "mislabel_fraction", "seed",
                                     "clock", "factor", "target", "f_over_t", "value"])
    keys = ["mislabel_fraction", "clock", "target"]
    base = df[df["baseline"].astype(bool)].groupby(keys)["value"].mean().rename("base")
    df = df.join(base, on=keys)
    df["speedup"] = df.pop("base") / df["value"]
    return df


def speedup_table(runs: Run | list[Run], target: float | None = None,
                  factors: tuple[float, ...] = PAPER_FACTORS, f_over_t: float | None = None,
                  method: str = "interpolate",
                  clocks: tuple[str, ...] = CLOCKS) -> pd.DataFrame:
    """One row per run series, clock and factor: seeds (n), reached (seeds that reached the
    target), mean and std over the reached seeds of the clock value and of the speedup (NaN
    when none reached). Print it with `analysis.format_table`."""
    runs = as_runs(runs)
    df = time_to_accuracy_table(runs, target, factors, f_over_t, method, clocks)
    g = df.groupby(["run", "mislabel_fraction", "clock", "factor"], sort=False, dropna=False)
    out = g.agg(policy=("policy", "first"), baseline=("baseline", "first"),
                target=("target", "first"),
                seeds=("seed", "size"), reached=("value", "count"),
                value_mean=("value", "mean"), value_std=("value", "std"),
                speedup_mean=("speedup", "mean"), speedup_std=("speedup", "std"),
                f_over_t=("f_over_t", "first")).reset_index()
    out.attrs["caption"] = " ".join(c for c in (speedup_caption(target is None),
                                                 budget_control_note(runs)) if c)
    return out


def budget_control_note(runs: Run | list[Run]) -> str:
    """A warning when SB is compared without traditional training given its budget."""
    runs = as_runs(runs)
    budgeted = any(r.config.policy == "traditional" and not r.config.is_baseline for r in runs)
    if any(r.config.policy == "sb" for r in runs) and not budgeted:
        return ("No budget-matched traditional control among these runs: a speedup over "
                "traditional with its full schedule may only mean that SB's schedule was "
                "shorter in effect (Kaddour et al. 2023); add analysis.budget_matched(sb_runs, "
                "'backprops') and (..., 'time').")
    return ""


def speedup_caption(paper_targets: bool = True) -> str:
    """What the speedup numbers mean, for table captions."""
    what = ("Target at factor k: traditional's mean final test error × k, i.e. test accuracy "
            "≥ 1 − k·(1 − traditional's final accuracy) (the paper's Table 1 uses k = 1.1, 1.2, "
            "1.4). " if paper_targets else "Target: a fixed test accuracy. ")
    return (what + "Speedup: traditional's mean time (on the same clock) to reach the target "
            "divided by this run's; mean ± std over the seeds that reached it, 'k of n reached' "
            "when some did not, 'never reached' when none did.")


def _check_factors(factors: tuple[float, ...]) -> None:
    if not len(factors) or any(not (isinstance(k, (int, float)) and k >= 1.0) for k in factors):
        raise ConfigError(f"factors={factors!r} is not allowed: one or more numbers >= 1 "
                          "(multiples of traditional's final error)")
