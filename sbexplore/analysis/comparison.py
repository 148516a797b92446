"""The comparison table behind the demo and the report: one row per run."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbexplore.analysis.detector import detection_at_mislabel_count
from sbexplore.analysis.epochs import after_priming
from sbexplore.analysis.time_to_accuracy import speedup_table
from sbexplore.records import Run


def comparison_table(runs: list[Run], tolerance: float = 0.01) -> pd.DataFrame:
    """Per run: final and best accuracy, backprops, selection forwards, keep fraction after
    priming, wall time, mislabel pick rate, mislabel detection precision at k = #mislabels, and
    (with a traditional run among them) speedups to its final accuracy - `tolerance` in wall time
    and backprops (`attrs["target"]` holds that accuracy)."""
    rows = []
    for r in runs:
        m = r.metrics
        after = after_priming(r)
        n_mis = int(r.examples["mislabeled"].astype(bool).sum()) if len(r.examples) else 0
        selects = r.config.policy != "all" and len(after) > 0
        rows.append({
            "run": r.name,
            "final_accuracy": float(m["test_accuracy"].iloc[-1]),
            "best_accuracy": float(m["test_accuracy"].max()),
            "backprops": int(m["examples_backpropped"].sum()),
            "selection_forwards": int(m["examples_forwarded"].sum()),
            "keep_fraction": float(after["keep_fraction"].mean()) if len(after) else np.nan,
            "wall_time_s": float(m["wall_time_s"].sum()),
            "mislabel_pick_rate": float(after["mislabel_pick_rate"].mean()) if len(after)
            else np.nan,
            "detection_precision_at_k": float(detection_at_mislabel_count(r)["precision"])
            if n_mis and selects else np.nan,
        })
    df = pd.DataFrame(rows)
    if any(r.config.policy == "all" for r in runs):
        sp = speedup_table(runs, tolerance=tolerance, clocks=("time", "backprops"))
        for clock in ("time", "backprops"):
            s = sp[sp["clock"] == clock].set_index("run")["speedup_mean"]
            df[f"speedup_{clock}"] = df["run"].map(s)
        df.attrs["target"] = float(sp["target"].iloc[0])
    return df
