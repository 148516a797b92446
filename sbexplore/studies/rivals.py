"""SB against its rivals at a fair budget: notebook 08 and `benchmarks/bench_rivals.py`.

Per seed and mislabel fraction: SB, Stale-SB n=3, traditional (the baseline: a full schedule),
InfoBatch (its paper's r and δ), and, made from SB's finished runs so the budgets compare:
uniform at SB's realised keep rate, traditional with SB's budget on the backprops clock and on
the wall clock (Kaddour et al. 2023's control), importance sampling and RHO-LOSS at SB's keep
rate, and online batch selection at the selection pressure whose expected keep rate is SB's.
The table gives, per method: time to traditional's final error x 1.1/1.2/1.4 on the three
clocks, accuracy at an equal wall-clock budget (SB's training time), final accuracy, backprops
and the mislabel pick rate, as mean ± std over seeds with n.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sbexplore.analysis import (
    PAPER_FACTORS,
    accuracy_at_budget,
    budget,
    matched_keeps,
    run_labels,
    speedup_table,
)
from sbexplore.analysis.epochs import after_priming
from sbexplore.config import RunConfig, run_slug
from sbexplore.engine.rivals import OnlineBatch
from sbexplore.engine.trainer import train
from sbexplore.runs.record import Run
from sbexplore.studies.controls import control_configs

# The default run: MNIST, a fixed 20,000-image subset, the cnn and its recipe (6 epochs, one
# priming epoch), SB β=2; digits for a quick look (notebook 08's CI run).
DEFAULTS: dict[str, Any] = dict(dataset="mnist", model="cnn", train_subset=20_000, beta=2.0)
SEEDS = (0, 1, 2)
MISLABEL_FRACTIONS = (0.0, 0.2)
STALENESS = 3  # Stale-SB's n, and how often online batch selection refreshes every loss
CLOCK_NAMES = {"time": "wall", "backprops": "backprops", "cost": "cost"}


def method_configs(base: RunConfig) -> list[RunConfig]:
    """The methods that need nothing from SB's runs, for one seed and mislabel fraction."""
    return [base.replace(policy="sb", staleness=1, name="SB"),
            base.replace(policy="sb", staleness=STALENESS, name=f"Stale-SB n={STALENESS}"),
            base.replace(policy="infobatch", staleness=1, name="InfoBatch"),
            base.replace(policy="traditional", staleness=1, name="traditional")]


def rival_configs(sb_runs: Sequence[Run], seeds: Sequence[int]) -> list[RunConfig]:
    """The controls and the rivals set at SB's budget, per seed (from SB's finished runs)."""
    keep = round(float(matched_keeps(list(sb_runs)).iloc[0]), 4)
    base = sb_runs[0].config.replace(staleness=1, out_dir=None)
    rivals = [base.replace(policy="importance", keep=keep, name="importance sampling"),
              base.replace(policy="rho_loss", keep=keep, name="RHO-LOSS"),
              base.replace(policy="online_batch", staleness=STALENESS, name="online batch",
                           selection_pressure=round(OnlineBatch.pressure_for_keep(keep), 3))]
    return control_configs(sb_runs, seeds) + [c.replace(seed=s) for s in seeds for c in rivals]


def rivals_study(seeds: Sequence[int] = SEEDS,
                 mislabel_fractions: Sequence[float] = MISLABEL_FRACTIONS,
                 out: str | Path | None = None, log: Callable[[str], None] | None = print,
                 **overrides: Any) -> list[Run]:
    """Train every method for each seed and mislabel fraction (saved under `out/<fraction>`
    when given; a finished run there is loaded, not retrained); returns the runs. `overrides`
    are RunConfig fields (dataset, data_root, train_subset, epochs, device, ...)."""
    base = RunConfig(**{**DEFAULTS, **overrides})
    runs: list[Run] = []
    for fraction in mislabel_fractions:
        story = base.replace(mislabel_fraction=float(fraction))
        where = None if out is None else Path(out) / f"mislabels-{fraction:g}"
        first = [_train(c, where, log) for s in seeds
                 for c in method_configs(story.replace(seed=s))]
        sb = [r for r in first if r.config.policy == "sb" and r.config.staleness == 1]
        runs += first + [_train(c, where, log) for c in rival_configs(sb, seeds)]
    return runs


def rivals_table(runs: Sequence[Run], factors: tuple[float, ...] = PAPER_FACTORS
                 ) -> pd.DataFrame:
    """One row per method and mislabel fraction: n, final accuracy, accuracy at SB's wall-clock
    budget, backprops, mislabel pick rate, and time to traditional's final error x each factor
    on each clock (`<clock>_x<k>`: mean, std, reached). Print it with `format_rivals`."""
    runs = list(runs)
    labels = run_labels(runs, shown=("mislabel_fraction",))
    rows = []
    for fraction in sorted({r.config.mislabel_fraction for r in runs}):
        group = [r for r in runs if r.config.mislabel_fraction == fraction]
        sb = [r for r in group if r.config.policy == "sb" and r.config.staleness == 1]
        at = accuracy_at_budget(group, budget(sb, "time"), "time") if sb else None
        for i, (label, r) in enumerate((lab, r) for lab, r in zip(labels, runs, strict=True)
                                       if r.config.mislabel_fraction == fraction):
            m, late = r.metrics, after_priming(r)
            rows.append({"method": label, "policy": r.config.policy,
                         "mislabel_fraction": fraction, "seed": r.config.seed,
                         "final_accuracy": float(m["test_accuracy"].iloc[-1]),
                         "accuracy_at_sb_time": float(at["accuracy"].iloc[i])
                         if at is not None else np.nan,
                         "backprops": float(m["total_backprops"].iloc[-1]),
                         "wall_time_s": float(m["total_time_s"].iloc[-1]),
                         "mislabel_pick_rate": float(late["mislabel_pick_rate"].mean())
                         if len(late) else np.nan})
    per_run = pd.DataFrame(rows)
    keys = ["method", "mislabel_fraction"]
    g = per_run.groupby(keys, sort=False)
    out = g.agg(policy=("policy", "first"), seeds=("seed", "size")).reset_index()
    for col in ("final_accuracy", "accuracy_at_sb_time", "backprops", "wall_time_s",
                "mislabel_pick_rate"):
        out[f"{col}_mean"] = g[col].mean().to_numpy()
        out[f"{col}_std"] = g[col].std().to_numpy()
    sp = speedup_table(runs, factors=factors)
    sp = sp.rename(columns={"run": "method"})
    for (clock, factor), d in sp.groupby(["clock", "factor"], sort=False):
        d = d.set_index(keys).reindex(pd.MultiIndex.from_frame(out[keys]))
        col = f"{clock}_x{factor:g}"
        out[f"{col}_mean"] = d["value_mean"].to_numpy()
        out[f"{col}_std"] = d["value_std"].to_numpy()
        out[f"{col}_reached"] = d["reached"].to_numpy()
    out.attrs["targets"] = sp.drop_duplicates(["mislabel_fraction", "factor"])[
        ["mislabel_fraction", "factor", "target"]].reset_index(drop=True)
    return out


def fastest(table: pd.DataFrame) -> pd.DataFrame:
    """Per mislabel fraction, clock and target: the method that got there first, on the mean
    over seeds; only methods whose every seed reached the target compete."""
    rows = []
    for col in [c[:-len("_mean")] for c in table.columns
                if c.endswith("_mean") and c.split("_x")[0] in CLOCK_NAMES]:
        clock, factor = col.split("_x")
        for fraction, d in table.groupby("mislabel_fraction"):
            ok = d[(d[f"{col}_reached"] == d["seeds"]) & d[f"{col}_mean"].notna()]
            best = ok.loc[ok[f"{col}_mean"].idxmin()] if len(ok) else None
            rows.append({"mislabel_fraction": fraction, "clock": clock, "factor": float(factor),
                         "fastest": best["method"] if best is not None else "none reached",
                         "value": float(best[f"{col}_mean"]) if best is not None else np.nan})
    return pd.DataFrame(rows)


def verdict(table: pd.DataFrame, fraction: float = 0.0, factor: float = 1.1) -> str:
    """SB against traditional with SB's budget, in words: time to traditional's final error x
    `factor` on the wall and backprops clocks, and accuracy at SB's wall-clock budget."""
    d = table[table["mislabel_fraction"] == fraction].set_index("method")
    if "SB" not in d.index:
        return "no SB run among these"
    sb, parts = d.loc["SB"], []

    def seeds(row: pd.Series, col: str) -> str:
        k, n = int(row[f"{col}_reached"]), int(row["seeds"])
        return "" if k == n else f", {k} of {n} seeds"

    for clock in ("time", "backprops"):
        col, control = f"{clock}_x{factor:g}", f"traditional, SB's budget ({clock})"
        if control not in d.index:
            continue
        ctl = d.loc[control]
        what = f"traditional's final error x{factor:g} on the {CLOCK_NAMES[clock]} clock"
        if not sb[f"{col}_reached"]:
            parts.append(f"SB never reached {what}")
        elif not ctl[f"{col}_reached"]:
            parts.append(f"SB reached {what} ({sb[f'{col}_mean']:.4g}{seeds(sb, col)}) and its "
                         "budget-matched control never did")
        else:
            ratio = ctl[f"{col}_mean"] / sb[f"{col}_mean"]
            first = "SB" if ratio > 1 else "its budget-matched control"
            parts.append(f"{first} reached {what} first (SB {sb[f'{col}_mean']:.4g}"
                         f"{seeds(sb, col)}; control {ctl[f'{col}_mean']:.4g}{seeds(ctl, col)}:"
                         f" SB {ratio:.2f}x as fast)")
    control = "traditional, SB's budget (time)"
    if control in d.index:
        parts.append(f"at SB's wall-clock budget SB's test accuracy is "
                     f"{sb['accuracy_at_sb_time_mean']:.4f}, the control's "
                     f"{d.loc[control, 'accuracy_at_sb_time_mean']:.4f}")
    return ("; ".join(parts) + ".") if parts else "no budget-matched control among these runs"


def format_rivals(table: pd.DataFrame, clock: str = "time") -> pd.DataFrame:
    """The table as text for one clock: mean ± std (n), 'never reached', 'k of n reached'."""
    from sbexplore.analysis import format_stat

    cols = {"method": table["method"], "mislabeled": [f"{f:.0%}" for f in
                                                    table["mislabel_fraction"]],
            "n": table["seeds"]}
    for k in sorted({float(c.split("_x")[1].split("_")[0]) for c in table.columns
                     if c.startswith(f"{clock}_x")}):
        col = f"{clock}_x{k:g}"
        cols[f"{clock} to ×{k:g}"] = [format_stat(m, s, n, r) for m, s, n, r in zip(
            table[f"{col}_mean"], table[f"{col}_std"], table["seeds"], table[f"{col}_reached"],
            strict=True)]
    for col, name in (("accuracy_at_sb_time", "accuracy at SB's time"),
                      ("final_accuracy", "final accuracy"), ("backprops", "backprops"),
                      ("mislabel_pick_rate", "mislabel pick rate")):
        cols[name] = [format_stat(m, s) for m, s in zip(table[f"{col}_mean"],
                                                        table[f"{col}_std"], strict=True)]
    return pd.DataFrame(cols)


def _train(cfg: RunConfig, out: Path | None, log: Callable[[str], None] | None) -> Run:
    from sbexplore.jobs.sweeps import is_finished
    from sbexplore.runs.record import load_run

    if out is not None:
        cfg = cfg.replace(out_dir=str(out / run_slug(cfg, seed=True)))
        if is_finished(cfg.out_dir):
            return load_run(cfg.out_dir)
    run = train(cfg)
    if log:
        m = run.metrics
        log(f"{cfg.label:<40} seed {cfg.seed} mislabels {cfg.mislabel_fraction:g}: acc "
            f"{m['test_accuracy'].iloc[-1]:.4f}, {m['total_time_s'].iloc[-1]:.1f} s, "
            f"{int(m['total_backprops'].iloc[-1]):,} backprops")
    return run
