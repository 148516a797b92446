"""Selection-frequency ranking: which examples SB backpropped most and least often."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbexplore.analysis.epochs import selecting_epochs
from sbexplore.records import Run


def selection_ranking(run: Run) -> pd.DataFrame:
    """Examples sorted by times_selected (most first), ties by index (reproducible); adds `rank`
    (1-based) and `selection_frequency`: the share of selecting epochs that backpropped it."""
    ex = run.examples.copy()
    mask = selecting_epochs(run)[: len(run.selected)]
    sel = run.selected[mask] if len(run.selected) else np.zeros((0, len(ex)), np.uint8)
    ex["selection_frequency"] = (sel.sum(0) / len(sel)) if len(sel) else np.nan
    ex = ex.sort_values(["times_selected", "index"], ascending=[False, True], kind="stable")
    ex = ex.reset_index(drop=True)
    ex.insert(0, "rank", np.arange(1, len(ex) + 1))
    return ex


def most_selected(run: Run, k: int = 16) -> pd.DataFrame:
    """The k most selected examples (ties: lower index first)."""
    return selection_ranking(run).head(k).reset_index(drop=True)


def least_selected(run: Run, k: int = 16) -> pd.DataFrame:
    """The k least selected examples, least first (ties: lower index first)."""
    r = selection_ranking(run)
    return r.sort_values(["times_selected", "index"], kind="stable").head(k).reset_index(drop=True)
