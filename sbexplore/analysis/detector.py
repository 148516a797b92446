"""SB as a mislabel detector: flag the k most selected examples, score against injected flips."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbexplore.analysis.epochs import after_priming
from sbexplore.analysis.naming import series_name
from sbexplore.analysis.ranking import selection_ranking
from sbexplore.errors import ConfigError
from sbexplore.records import Run


def mislabel_detection(run: Run, ks: list[int] | None = None) -> pd.DataFrame:
    """Precision and recall of flagging the k most selected examples, for each k (default 1..N),
    with the base rate (the precision of a random guess)."""
    ranked = selection_ranking(run)
    mis = ranked["mislabeled"].astype(bool).to_numpy()
    n, n_mis = len(mis), int(mis.sum())
    if n_mis == 0:
        raise ConfigError(f"run {run.name!r} has no injected mislabels "
                          f"(mislabel_fraction={run.config.mislabel_fraction}): nothing to detect")
    ks_arr = np.arange(1, n + 1) if ks is None else np.asarray(ks, dtype=int)
    if len(ks_arr) and (ks_arr.min() < 1 or ks_arr.max() > n):
        raise ConfigError(f"ks={list(ks_arr)} is not allowed: each k must be in 1..{n}")
    tp = np.cumsum(mis)[ks_arr - 1]
    return pd.DataFrame({"run": run.name, "k": ks_arr, "true_positives": tp,
                         "precision": tp / ks_arr, "recall": tp / n_mis,
                         "base_rate": n_mis / n})


def detection_at_mislabel_count(run: Run) -> pd.Series:
    """Precision (= recall) at k = the number of injected mislabels."""
    k = int(run.examples["mislabeled"].astype(bool).sum())
    return mislabel_detection(run, [max(k, 1)]).iloc[0]


def pick_rate_table(runs: list[Run]) -> pd.DataFrame:
    """Mean mislabel pick rate after priming per run name and mislabel fraction (mean, std over
    seeds); `enrichment` is pick rate over fraction (1 = no preference for flipped labels)."""
    rows = []
    for r in runs:
        m = after_priming(r)
        if r.config.mislabel_fraction <= 0 or not len(m):
            continue
        rows.append({"run": series_name(r, ("seed", "mislabel_fraction")),
                     "policy": r.config.policy, "seed": r.config.seed,
                     "mislabel_fraction": r.config.mislabel_fraction,
                     "pick_rate": float(m["mislabel_pick_rate"].mean())})
    df = pd.DataFrame(rows, columns=["run", "policy", "mislabel_fraction", "seed", "pick_rate"])
    out = (df.groupby(["run", "mislabel_fraction"], sort=False)
           .agg(policy=("policy", "first"), seeds=("seed", "size"),
                pick_rate_mean=("pick_rate", "mean"), pick_rate_std=("pick_rate", "std"))
           .reset_index().sort_values(["run", "mislabel_fraction"], kind="stable"))
    out["enrichment"] = out["pick_rate_mean"] / out["mislabel_fraction"]
    return out.reset_index(drop=True)
