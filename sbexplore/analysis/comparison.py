"""The comparison table behind the demo and the report: one row per run series (seeds pooled).

Each row holds n (seeds) and mean ± std over seeds of final and best accuracy, backprops,
selection forwards, keep fraction after priming, wall time, mislabel pick rate and mislabel
detection precision at k = #mislabels; with traditional runs among them, the speedup at the
paper's targets (see `time_to_accuracy`): `speedup_<clock>_x<k>_mean/_std/_reached`.
Print it with `analysis.format_table`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbexplore.analysis.detector import detection_at_mislabel_count
from sbexplore.analysis.epochs import after_priming
from sbexplore.analysis.series import as_runs, run_labels
from sbexplore.analysis.time_to_accuracy import (
    PAPER_FACTORS,
    final_accuracy,
    speedup_table,
)
from sbexplore.runs.record import Run

SUMMARY_METRICS = ("final_accuracy", "best_accuracy", "backprops", "selection_forwards",
                   "keep_fraction", "wall_time_s", "mislabel_pick_rate",
                   "detection_precision_at_k")


def run_summary(runs: Run | list[Run]) -> pd.DataFrame:
    """One row per run: its series name, seed and the `SUMMARY_METRICS` (after-priming means
    for the keep fraction and the pick rate; NaN where a metric does not apply)."""
    runs = as_runs(runs)
    rows = []
    for r, label in zip(runs, run_labels(runs, shown=("mislabel_fraction",)), strict=True):
        m = r.metrics
        after = after_priming(r)
        n_mis = int(r.examples["mislabeled"].astype(bool).sum()) if len(r.examples) else 0
        selects = r.config.policy != "traditional" and len(after) > 0
        rows.append({
            "run": label, "policy": r.config.policy,
            "mislabel_fraction": r.config.mislabel_fraction, "seed": r.config.seed,
            "final_accuracy": final_accuracy(r),
            "best_accuracy": float(m["test_accuracy"].max()),
            "backprops": float(m["examples_backpropped"].sum()),
            "selection_forwards": float(m["examples_forwarded"].sum()),
            "keep_fraction": float(after["keep_fraction"].mean()) if len(after) else np.nan,
            "wall_time_s": float(m["wall_time_s"].sum()),
            "mislabel_pick_rate": float(after["mislabel_pick_rate"].mean()) if len(after)
            else np.nan,
            "detection_precision_at_k": float(detection_at_mislabel_count(r)["precision"])
            if n_mis and selects else np.nan,
        })
    return pd.DataFrame(rows, columns=["run", "policy", "mislabel_fraction", "seed",
                                       *SUMMARY_METRICS])


def comparison_table(runs: Run | list[Run], target: float | None = None,
                     factors: tuple[float, ...] = PAPER_FACTORS,
                     clocks: tuple[str, ...] = ("time",),
                     metrics: tuple[str, ...] = SUMMARY_METRICS) -> pd.DataFrame:
    """One row per run series and mislabel fraction: policy, seeds (n), `<metric>_mean/_std`
    over seeds, and with a traditional run at that fraction `speedup_<clock>_x<k>_mean/_std/
    _reached` per clock and target factor (`speedup_<clock>_...` for an explicit `target`
    accuracy). `attrs["caption"]` explains the columns."""
    runs = as_runs(runs)
    per_run = run_summary(runs)
    keys = ["run", "mislabel_fraction"]
    g = per_run.groupby(keys, sort=False)
    out = g.agg(policy=("policy", "first"), seeds=("seed", "size")).reset_index()
    for m in metrics:
        out[f"{m}_mean"] = g[m].mean().to_numpy()
        out[f"{m}_std"] = g[m].std().to_numpy()
    captions = ["n = seeds per row; mean ± std over seeds.", _uniform_note(runs)]
    if clocks and any(r.config.is_baseline for r in runs):
        sp = speedup_table(runs, target, factors, clocks=clocks)
        for (clock, factor), d in sp.groupby(["clock", "factor"], sort=False, dropna=False):
            col = f"speedup_{clock}" + ("" if pd.isna(factor) else f"_x{factor:g}")
            d = d.set_index(keys)
            idx = pd.MultiIndex.from_frame(out[keys])
            for stat in ("mean", "std"):
                out[f"{col}_{stat}"] = d[f"speedup_{stat}"].reindex(idx).to_numpy()
            out[f"{col}_reached"] = d["reached"].reindex(idx).to_numpy()
        out.attrs["targets"] = sp.drop_duplicates(["mislabel_fraction", "factor"])[
            ["mislabel_fraction", "factor", "target"]].reset_index(drop=True)
        captions.append(sp.attrs["caption"])
    out.attrs["caption"] = " ".join(c for c in captions if c)
    return out


def _uniform_note(runs: list[Run]) -> str:
    """A warning when SB is compared without the matched-rate uniform control."""
    policies = {r.config.policy for r in runs}
    if "sb" in policies and "uniform" not in policies:
        return ("No uniform control among these runs: without a random subset at SB's "
                "realised keep rate (analysis.matched_keep), SB's gain cannot be told apart "
                "from simply backpropping fewer examples.")
    return ""
