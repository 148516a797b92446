"""The cost model: an SB epoch costs `fresh_share * F/T + keep` traditional epochs, where F/T is
the cost of a selection forward relative to a training step (forward + backward) per example."""

from __future__ import annotations

import math

import pandas as pd

from sbexplore.analysis.epochs import after_priming
from sbexplore.analysis.keep import realised_keep
from sbexplore.analysis.series import as_runs
from sbexplore.errors import ConfigError
from sbexplore.runs.record import Run

DEFAULT_F_OVER_T = 1.0 / 3.0  # a forward pass is about a third of forward + backward


def predicted_epoch_ratio(f_over_t: float, keep: float, fresh_share: float = 1.0) -> float:
    """SB epoch cost relative to a traditional epoch; Stale-SB gives `fresh_share` of the
    examples a fresh selection forward (1/staleness on average)."""
    for name, v, ok, allowed in (("f_over_t", f_over_t, f_over_t >= 0, ">= 0"),
                                 ("keep", keep, 0 <= keep <= 1, "between 0 and 1"),
                                 ("fresh_share", fresh_share, 0 <= fresh_share <= 1,
                                  "between 0 and 1")):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and ok):
            raise ConfigError(f"{name}={v!r} is not allowed: must be {allowed}")
    return fresh_share * f_over_t + keep


def measured_f_over_t(run: Run) -> float:
    """Seconds per selection-forward example over seconds per backpropped example, summed over
    the run's epochs; NaN when the run made no selection forwards (traditional, uniform)."""
    m = run.metrics
    fwd, bp = m["examples_forwarded"].sum(), m["examples_backpropped"].sum()
    t_sel, t_train = m["time_select_s"].sum(), m["time_train_s"].sum()
    if fwd <= 0 or bp <= 0 or t_sel <= 0 or t_train <= 0:
        return float("nan")
    return float((t_sel / fwd) / (t_train / bp))


def pooled_f_over_t(runs: Run | list[Run]) -> float:
    """One F/T for a comparison: the median measured over the runs that select, else 1/3."""
    runs = as_runs(runs)
    vals = [v for r in runs if (v := measured_f_over_t(r)) == v]
    return float(pd.Series(vals).median()) if vals else DEFAULT_F_OVER_T


def cost_units(run: Run, f_over_t: float | None = None) -> pd.Series:
    """Cumulative cost per epoch in training-step units: selection forwards * F/T + backprops."""
    f = pooled_f_over_t([run]) if f_over_t is None else f_over_t
    m = run.metrics
    return (m["total_forwarded"] * f + m["total_backprops"]).astype(float)


def cost_model_table(runs: Run | list[Run], f_over_t: float | None = None) -> pd.DataFrame:
    """Per run: F/T, keep, fresh share, predicted epoch cost ratio and the measured one (compute
    time (selection + training) per epoch after priming over a traditional run's, when given)."""
    runs = as_runs(runs)
    f = pooled_f_over_t(runs) if f_over_t is None else f_over_t
    base = [r for r in runs if r.config.is_baseline]
    base_t = (pd.concat([_compute_per_epoch(r) for r in base]).mean() if base else float("nan"))
    rows = []
    for r in runs:
        m = after_priming(r)
        n = r.meta.get("num_train") or len(r.examples)
        epochs = len(m)
        keep = realised_keep(r)
        fresh = float(m["examples_forwarded"].sum() / (epochs * n)) if epochs else float("nan")
        pred = fresh * f + keep if epochs else float("nan")
        rows.append({"run": r.name, "policy": r.config.policy, "staleness": r.config.staleness,
                     "f_over_t": f, "measured_f_over_t": measured_f_over_t(r), "keep": keep,
                     "fresh_share": fresh, "predicted_ratio": pred,
                     "measured_ratio": float(_compute_per_epoch(r).mean() / base_t)
                     if epochs else float("nan")})
    return pd.DataFrame(rows)


def _compute_per_epoch(run: Run) -> pd.Series:
    m = after_priming(run)
    return (m["time_select_s"] + m["time_train_s"]).astype(float)
