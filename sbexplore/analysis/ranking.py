"""Backprop ranking: which examples a run backpropped most and least often."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbexplore.analysis.epochs import selecting_epochs
from sbexplore.runs.record import Run


def backprop_ranking(run: Run) -> pd.DataFrame:
    """Examples sorted by times_backpropped (most first), ties by index (reproducible); adds `rank`
    (1-based) and `backprop_frequency`: the share of selecting epochs that backpropped it."""
    ex = run.examples.copy()
    mask = selecting_epochs(run)[: len(run.backpropped)]
    sel = run.backpropped[mask] if len(run.backpropped) else np.zeros((0, len(ex)), np.uint8)
    ex["backprop_frequency"] = (sel.sum(0) / len(sel)) if len(sel) else np.nan
    ex = ex.sort_values(["times_backpropped", "index"], ascending=[False, True], kind="stable")
    ex = ex.reset_index(drop=True)
    ex.insert(0, "rank", np.arange(1, len(ex) + 1))
    return ex


def most_backpropped(run: Run, k: int = 16) -> pd.DataFrame:
    """The k most often backpropped examples (ties: lower index first)."""
    return backprop_ranking(run).head(k).reset_index(drop=True)


def least_backpropped(run: Run, k: int = 16) -> pd.DataFrame:
    """The k least often backpropped examples, least first (ties: lower index first)."""
    r = backprop_ranking(run)
    r = r.sort_values(["times_backpropped", "index"], kind="stable")
    return r.head(k).reset_index(drop=True)
