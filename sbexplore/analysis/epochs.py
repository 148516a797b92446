"""Which epochs selected: priming epochs backprop everything and are left out of SB's rates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbexplore.runs.record import Run


def selecting_epochs(run: Run) -> np.ndarray:
    """Boolean mask of the epochs that selected (not priming)."""
    return ~run.metrics["priming"].astype(bool).to_numpy()


def after_priming(run: Run) -> pd.DataFrame:
    """The metrics rows of the epochs after priming."""
    return run.metrics[selecting_epochs(run)]
