"""Where the time goes: selection forward vs training forward/backward vs the rest."""

from __future__ import annotations

import pandas as pd

from sbexplore.analysis.epochs import after_priming
from sbexplore.analysis.series import as_runs
from sbexplore.runs.record import Run


def time_breakdown(runs: Run | list[Run]) -> pd.DataFrame:
    """Mean seconds per epoch after priming (all epochs if only priming ran) in each part:
    `select_s` (selection forward), `train_s` (forward + backward + step), `other_s` (evaluation,
    data, bookkeeping)."""
    runs = as_runs(runs)
    rows = []
    for r in runs:
        after = after_priming(r)
        m = after if len(after) else r.metrics
        rows.append({"run": r.name, "policy": r.config.policy, "epochs": len(m),
                     "select_s": float(m["time_select_s"].mean()),
                     "train_s": float(m["time_train_s"].mean()),
                     "other_s": float(m["time_other_s"].mean()),
                     "total_s": float(m["wall_time_s"].mean())})
    return pd.DataFrame(rows)
