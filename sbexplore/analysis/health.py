"""SB's health signal: how much larger the gradients of SB's batches are than a random batch's
(`grad_ratio`, recorded per epoch by every loop), and when that predicts the collapse measured
in BENCHMARKS.md ("SB's health signal").

A learning rate tuned while priming (random batches) takes steps `grad_ratio` times larger once
SB selects high-loss examples. Measured on digits (mlp and cnn, lr 0.005-0.05, 2 seeds each):
the 3 runs whose accuracy fell over 5 points after priming had a ratio of at least 1.70 in their
first selecting epoch; the 13 others at most 1.74, and every run at lr <= 0.02 with the mlp or
at the cnn's recipe lr at most 1.08. The rule below flags all 3 collapses and 3 runs that did
not collapse (the cnn at lr 0.02, dips under 1 point; the mlp at 0.05, seed 1). Later in a run
the ratio rises as the model fits (2.1-2.5 for the stable cnn), so a high ratio there warns
only from `LATER_LIMIT` on.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

FIRST_LIMIT = 1.5  # first selecting epoch: the step-size shock when selection starts
LATER_LIMIT = 3.0  # any later epoch (stable cnn at its recipe: at most 2.54)


def _selecting(metrics: pd.DataFrame) -> pd.DataFrame:
    """The epochs that selected (not priming, fewer backprops than examples forwarded)."""
    if not len(metrics) or "grad_ratio" not in metrics:
        return metrics.iloc[:0]
    m = metrics[~metrics["priming"].astype(bool)]
    return m[m["grad_ratio"].notna()]


def health(metrics: pd.DataFrame | Any) -> dict[str, Any]:
    """`{"ratio": latest, "first": first selecting epoch's, "epoch": where it warns (or None),
    "warning": plain-language text (or None)}` from a run's (or snapshot's) metrics."""
    metrics = getattr(metrics, "metrics", metrics)
    m = _selecting(metrics)
    out: dict[str, Any] = {"ratio": math.nan, "first": math.nan, "epoch": None, "warning": None}
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
    out["warning"] = (f"SB's batches have {r:.1f}× larger gradients than random ones (epoch "
                      f"{out['epoch']}): each step is that much larger than the learning rate "
                      "was tuned for, and SB's accuracy may collapse. Lower the learning rate "
                      f"(about ÷{r:.1f}) or prime for longer.")
    return out
