"""SB's health signal: how much larger the gradients of SB's batches are than a random batch's
(`grad_ratio`, recorded per epoch by every loop), and when that predicts the collapse measured
in BENCHMARKS.md ("SB's health signal").

A learning rate tuned while priming (random batches) takes steps `grad_ratio` times larger once
SB selects high-loss examples. Measured on digits (mlp and cnn, lr 0.005-0.05, 2 seeds each):
the 3 runs whose accuracy fell over 5 points after priming had a ratio of at least 1.70 in their
first selecting epoch; the 13 others at most 1.74, and every run at lr <= 0.02 with the mlp or
at the cnn's recipe lr at most 1.08. On a 20,000-image MNIST subset the mlp's ratio was 2.3-2.7
at every lr tried, collapsing or not: a high ratio alone is not a verdict. So the ratio
*watches* (`FIRST_LIMIT` in the first selecting epoch, `LATER_LIMIT` later: the stable cnn rises
to 2.1-2.5 as it fits), and the *warning* comes when, in addition, test accuracy has fallen
`DROP_POINTS` below the last priming epoch's: it caught all 3 digits collapses and the MNIST one
(lr 0.02) early in their fall, and stays silent for the 3 digits runs and the MNIST recipe runs
that were watched but held.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

FIRST_LIMIT = 1.5  # first selecting epoch: the step-size shock when selection starts
LATER_LIMIT = 3.0  # any later epoch (stable cnn at its recipe: at most 2.54)
DROP_POINTS = 2.0  # test accuracy this far below the last priming epoch's: warn


def _selecting(metrics: pd.DataFrame) -> pd.DataFrame:
    """The epochs that selected (not priming, fewer backprops than examples forwarded)."""
    if not len(metrics) or "grad_ratio" not in metrics:
        return metrics.iloc[:0]
    m = metrics[~metrics["priming"].astype(bool)]
    return m[m["grad_ratio"].notna()]


def health(metrics: pd.DataFrame | Any) -> dict[str, Any]:
    """`{"ratio": latest, "first": first selecting epoch's, "epoch": where the ratio crossed
    its limit (or None), "drop": test accuracy points lost since priming ended, "warning":
    plain-language text when the ratio is high *and* accuracy fell (or None), "note": the
    softer text when the ratio is high but accuracy holds (or None)}` from a run's (or
    snapshot's) metrics."""
    metrics = getattr(metrics, "metrics", metrics)
    m = _selecting(metrics)
    out: dict[str, Any] = {"ratio": math.nan, "first": math.nan, "epoch": None,
                           "drop": math.nan, "warning": None, "note": None}
    if not len(m):
        return out
    ratios = m["grad_ratio"].to_numpy(float)
    out["ratio"], out["first"] = float(ratios[-1]), float(ratios[0])
    if ratios[0] >= FIRST_LIMIT:
        at, r = 0, ratios[0]
    else:
        later = [i for i, v in enumerate(ratios) if v >= LATER_LIMIT]
        if not later:
            return out
        at, r = later[0], ratios[later[0]]
    out["epoch"] = int(m["epoch"].iloc[at])
    primed = metrics[metrics["priming"].astype(bool)]["test_accuracy"]
    since = m["test_accuracy"].to_numpy(float)[at:]
    if len(primed) and len(since):
        out["drop"] = float(100 * (primed.iloc[-1] - since.min()))
    if out["drop"] >= DROP_POINTS:
        out["warning"] = (
            f"SB's batches have {r:.1f}× larger gradients than random ones (epoch "
            f"{out['epoch']}) and test accuracy fell {out['drop']:.1f} points below the end of "
            "priming: each step is that much larger than the learning rate was tuned for, and "
            f"SB's accuracy may collapse. Lower the learning rate (about ÷{r:.1f}) or prime for "
            "longer.")
    else:
        out["note"] = (f"SB's batches have {r:.1f}× larger gradients than random ones; test "
                       "accuracy is holding, so nothing to do yet (a fall of "
                       f"{DROP_POINTS:g} points would warn).")
    return out
